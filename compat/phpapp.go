package compat

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// phpApp is the Phalcon-style PHP web app of compat/phpapp (see its
// README.md): index.php, run with php -S ADDR index.php, and the handlers
// replaying Phalcon's session adapters.
//
//go:embed phpapp/index.php phpapp/handlers.php
var phpApp embed.FS

// WritePHPApp writes the PHP web app of compat/phpapp into dir and returns
// the path of its router script, for php -S ADDR <script>. The app reads
// its store from the environment: SB_STORE (stream, redis or memcached),
// SB_SAVE_PATH (stream) and SB_ADDR (host:port), SB_FORMAT
// (session.serialize_handler). Its actions are ?a=login, ?a=flash&msg=M,
// ?a=show (consumes the flash messages), ?a=peek and ?a=destroy.
func WritePHPApp(dir string) (string, error) {
	err := fs.WalkDir(phpApp, "phpapp", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := phpApp.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, filepath.Base(path)), b, 0o600)
	})
	if err != nil {
		return "", fmt.Errorf("compat: write the PHP app to %s: %w", dir, err)
	}
	return filepath.Join(dir, "index.php"), nil
}

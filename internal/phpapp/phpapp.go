// Package phpapp holds a Phalcon-style PHP web app (see its README.md):
// index.php, run with php -S ADDR index.php, and handlers.php, which
// replays Phalcon's session adapters with PHP's own session machinery. The
// sessbridge demo runs it, and so do the manager's end-to-end tests (with
// its CLI workers incr.php and bench.php, from this directory).
package phpapp

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// files are the web app's files.
//
//go:embed index.php handlers.php
var files embed.FS

// Write writes the PHP web app into dir and returns the path of its router
// script, for php -S ADDR <script>. The app reads its store from the environment: SB_STORE (stream, redis or memcached),
// SB_SAVE_PATH (stream) and SB_ADDR (host:port), SB_FORMAT
// (session.serialize_handler). Its actions are ?a=login, ?a=flash&msg=M,
// ?a=show (consumes the flash messages), ?a=peek and ?a=destroy.
func Write(dir string) (string, error) {
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, filepath.Base(path)), b, 0o600)
	})
	if err != nil {
		return "", fmt.Errorf("phpapp: write the PHP app to %s: %w", dir, err)
	}
	return filepath.Join(dir, "index.php"), nil
}

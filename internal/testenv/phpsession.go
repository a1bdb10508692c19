package testenv

import (
	"strings"
	"testing"
)

// PHPFilesSession runs code in real PHP inside session id, kept by PHP's
// files handler (session.save_handler=files, serialize_handler php) in
// dir: PHP starts the session, runs code (PHP statements that read or
// change $_SESSION and may echo), and writes the session back. It returns
// what code printed. This is the PHP side of tests that show a Go app and
// a PHP app sharing one session.
func PHPFilesSession(t testing.TB, dir, id, code string) string {
	t.Helper()
	script := `<?php
ini_set('session.save_handler', 'files');
ini_set('session.serialize_handler', 'php');
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.cache_limiter', '');
session_save_path($argv[1]);
session_id($argv[2]);
if (!session_start()) {
	fwrite(STDERR, "session_start failed\n");
	exit(1);
}
` + strings.TrimPrefix(code, "<?php") + `
session_write_close();
`
	return string(RunPHP(t, script, nil, dir, id))
}

<?php
// CLI worker for the lost-update tests: increments $_SESSION[$key] for each
// of the comma-separated keys in $argv[2] once per cycle (session_id,
// session_start, +1, session_write_close) for $argv[3] cycles in session
// $argv[1]. Handler (see sessbridge_use_handler) and format as in index.php.

declare(strict_types=1);
require __DIR__ . '/handlers.php';

ini_set('session.serialize_handler', getenv('SB_FORMAT') ?: 'php');
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.cache_limiter', '');
sessbridge_use_handler();

[, $id, $key, $n] = $argv;
for ($i = 0; $i < (int) $n; $i++) {
    session_id($id);
    if (!session_start()) {
        fwrite(STDERR, "session_start failed in cycle $i\n");
        exit(1);
    }
    foreach (explode(',', $key) as $k) {
        $_SESSION[$k] = ($_SESSION[$k] ?? 0) + 1;
    }
    session_write_close();
}

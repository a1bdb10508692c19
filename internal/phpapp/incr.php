<?php
// CLI worker for the lost-update test: increments $_SESSION[$argv[2]] once
// per cycle (session_id, session_start, +1, session_write_close) for
// $argv[3] cycles in session $argv[1]. Handler and format as in index.php.

declare(strict_types=1);
require __DIR__ . '/handlers.php';

ini_set('session.serialize_handler', getenv('SB_FORMAT') ?: 'php');
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.cache_limiter', '');
session_set_save_handler(sessbridge_handler(), true);

[, $id, $key, $n] = $argv;
for ($i = 0; $i < (int) $n; $i++) {
    session_id($id);
    session_start();
    $_SESSION[$key] = ($_SESSION[$key] ?? 0) + 1;
    session_write_close();
}

<?php
// PHP's own cost of one session request cycle on the same store, for the Go
// benchmark to compare with: session_id, session_start, read a key, write a
// key, session_write_close; repeated $argv[2] times on session $argv[1].
// Prints cycles per second.

declare(strict_types=1);
require __DIR__ . '/handlers.php';

ini_set('session.serialize_handler', getenv('SB_FORMAT') ?: 'php');
ini_set('session.use_cookies', '0');
ini_set('session.cache_limiter', '');
session_set_save_handler(sessbridge_handler(), true);

[, $id, $n] = $argv;
$n = (int) $n;
$t = hrtime(true);
for ($i = 0; $i < $n; $i++) {
    session_id($id);
    session_start();
    $user = $_SESSION['auth'] ?? null;
    $_SESSION['hits'] = ($_SESSION['hits'] ?? 0) + 1;
    session_write_close();
}
$secs = (hrtime(true) - $t) / 1e9;
printf("%.1f\n", $n / $secs);

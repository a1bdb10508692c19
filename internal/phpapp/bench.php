<?php
// PHP's own cost of one session request cycle on the same store, for the Go
// benchmark (manager/bench_test.go) to compare with: session_id,
// session_start, read a key, write a key, session_write_close; repeated
// $argv[2] times on session $argv[1] in this one process, with the handler
// SB_STORE names (handlers.php), connected once as php-fpm's persistent
// workers are.
//
// With a third argument "gate", it connects, prints "ready", and waits for a
// line on stdin before the first cycle, so that several processes can be
// started and then timed together. It prints the cycles per second it ran,
// timed from the first cycle to the last.
//
// Usage: php bench.php <id> <cycles> [gate]

declare(strict_types=1);
require __DIR__ . '/handlers.php';

ini_set('session.serialize_handler', getenv('SB_FORMAT') ?: 'php');
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.cache_limiter', '');
session_set_save_handler(sessbridge_handler(), true);

$id = $argv[1];
$n = (int) $argv[2];
if (($argv[3] ?? '') === 'gate') {
    echo "ready\n";
    fflush(STDOUT);
    fgets(STDIN);
}
$t = hrtime(true);
for ($i = 0; $i < $n; $i++) {
    session_id($id);
    session_start();
    $user = $_SESSION['auth'] ?? null;
    $_SESSION['hits'] = ($_SESSION['hits'] ?? 0) + 1;
    session_write_close();
}
$secs = (hrtime(true) - $t) / 1e9;
printf("%.1f\n", $secs > 0 ? $n / $secs : 0);

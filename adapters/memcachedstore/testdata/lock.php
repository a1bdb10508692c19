<?php
// php-memcached's session lock, from the PHP side.
// stdin: {"save_path":..., "id":..., "op":"hold"|"try", "hold_ms":N,
//         "retries":N, "wait_ms":N}
// hold: session_start() (takes memc.sess.key.lock.<id>), prints "locked", sleeps
//       hold_ms, sets $_SESSION['php'] = 1, session_write_close() (releases), prints "done".
// try:  session_start() with sess_lock_retries/wait; prints "started <base64 payload>"
//       or "failed".
$in = json_decode(stream_get_contents(STDIN), true);
ini_set('session.save_handler', 'memcached');
ini_set('session.save_path', $in['save_path']);
ini_set('session.serialize_handler', 'php');
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.gc_probability', '0');
ini_set('session.cache_limiter', '');
ini_set('memcached.sess_locking', '1');
if ($in['op'] === 'try') {
    ini_set('memcached.sess_lock_retries', (string)$in['retries']);
    ini_set('memcached.sess_lock_wait_min', (string)$in['wait_ms']);
    ini_set('memcached.sess_lock_wait_max', (string)$in['wait_ms']);
}
session_id($in['id']);
$ok = @session_start();
if ($in['op'] === 'try') {
    echo $ok ? 'started ' . base64_encode(session_encode()) : 'failed', "\n";
    exit;
}
if (!$ok) {
    die("session_start failed\n");
}
echo "locked\n";
flush();
usleep($in['hold_ms'] * 1000);
$_SESSION['php'] = 1;
session_write_close();
echo "done\n";

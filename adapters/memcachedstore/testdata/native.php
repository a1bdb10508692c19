<?php
// php-memcached's own session handler (session.save_handler=memcached).
// stdin: {"save_path":..., "hash_type":"ketama"|"ketama_weighted", "op":"write"|"read", "ids":[...]}
// write: each session gets $_SESSION = ['id' => <id>, 'n' => <index>, 'pad' => str_repeat('x', n % 50)];
//        prints base64(session_encode()) per id.
// read:  prints base64(session_encode()) of what session_start() read, per id.
$in = json_decode(stream_get_contents(STDIN), true);
ini_set('session.save_handler', 'memcached');
ini_set('session.save_path', $in['save_path']);
ini_set('memcached.sess_consistent_hash_type', $in['hash_type']);
ini_set('session.serialize_handler', 'php');
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.gc_probability', '0');
ini_set('session.cache_limiter', '');
foreach ($in['ids'] as $n => $id) {
    session_id($id);
    if (!session_start()) {
        die("session_start($id) failed\n");
    }
    if ($in['op'] === 'write') {
        $_SESSION = ['id' => $id, 'n' => $n, 'pad' => str_repeat('x', $n % 50)];
    }
    echo base64_encode(session_encode()), "\n";
    session_write_close();
}

<?php
// The PHP side of the PHP-FPM benchmark (bench/fpm, README.md there): the
// work bench/fpm/goroute does in Go. Start the session, answer 403 without
// "auth", increment "hits", save, and answer its new value.
//
// The pool chooses the session handler: phpredis's own (the pool's
// session.save_handler and session.save_path), or, with SB_HANDLER=phalcon
// in the pool's environment, the Phalcon-style Redis handler of
// internal/phpapp/handlers.php on SB_ADDR (host:port).

declare(strict_types=1);

if (getenv('SB_HANDLER') === 'phalcon') {
    require __DIR__ . '/handlers.php';
    [$host, $port] = explode(':', (string) getenv('SB_ADDR'));
    session_set_save_handler(new PhalconRedis($host, (int) $port), true);
}

session_start();
if (!isset($_SESSION['auth'])) {
    session_abort();
    http_response_code(403);
    echo "no auth in the session\n";
    exit;
}
$hits = ($_SESSION['hits'] ?? 0) + 1;
$_SESSION['hits'] = $hits;
session_write_close();
header('Content-Type: text/plain');
echo $hits;

<?php
// A minimal Phalcon 5 app sharing its sessions with the Go app of
// examples/shared-session: Phalcon\Session\Manager with the Redis adapter
// (prefix "sess-reds-", lifetime 3600 s: Phalcon's defaults, which
// sessbridge's redis:// store URL uses too) and Phalcon\Flash\Session.
//
//   /?a=login&name=Ford   stores auth = ['id' => 42, 'name' => ..., 'roles' => [...]]
//   /?a=show (default)    shows the session and the flash messages (consuming them)
//   /?a=logout            destroys the session

declare(strict_types=1);

use Phalcon\Flash\Session as FlashSession;
use Phalcon\Session\Adapter\Redis;
use Phalcon\Session\Manager;
use Phalcon\Storage\AdapterFactory;
use Phalcon\Storage\SerializerFactory;

$adapter = new Redis(new AdapterFactory(new SerializerFactory()), [
    'host' => getenv('REDIS_HOST') ?: 'redis',
    'port' => (int) (getenv('REDIS_PORT') ?: 6379),
    'index' => 0,
]);
$session = new Manager();
$session->setAdapter($adapter);
$session->start();
// No escaper: getMessages() returns the stored messages without rendering them.
$flash = new FlashSession(null, $session);

header('Content-Type: application/json');
switch ($_GET['a'] ?? 'show') {
    case 'login':
        $session->set('auth', ['id' => 42, 'name' => $_GET['name'] ?? 'Dark Helmet', 'roles' => ['admin', 'user']]);
        $out = ['id' => $session->getId(), 'logged_in' => $session->get('auth')];
        break;
    case 'logout':
        $session->destroy();
        $out = ['logged_out' => true];
        break;
    default:
        $out = [
            'id' => $session->getId(),
            'auth' => $session->get('auth'),
            'flash' => $flash->getMessages(null, true),
        ];
}
echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";

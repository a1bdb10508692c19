<?php
// A small Phalcon-style PHP app for end-to-end tests with the Go manager
// (served by `php -S`, see README.md). It does what Phalcon\Session\Manager
// does around PHP's session functions: drop a cookie that fails
// /^[a-zA-Z0-9,-]+$/D, then session_start() with a handler replaying a
// Phalcon adapter, and keys prefixed "<uniqueId>#" when SB_UNIQUE is set.

declare(strict_types=1);
require __DIR__ . '/handlers.php';

ini_set('session.serialize_handler', getenv('SB_FORMAT') ?: 'php');
ini_set('session.use_strict_mode', getenv('SB_STRICT') ?: '0');
ini_set('session.sid_length', '32');
ini_set('session.sid_bits_per_character', '4');
ini_set('session.use_cookies', '1');
ini_set('session.use_only_cookies', '1');
ini_set('session.cache_limiter', '');
session_name(getenv('SB_NAME') ?: 'PHPSESSID');
session_set_save_handler(sessbridge_handler(), true);

function key_(string $k): string
{
    $u = getenv('SB_UNIQUE') ?: '';
    return empty($u) ? $k : $u . '#' . $k;
}

function start(): void
{
    $name = session_name();
    if (isset($_COOKIE[$name]) && !preg_match('/^[a-zA-Z0-9,-]+$/D', $_COOKIE[$name])) {
        unset($_COOKIE[$name]);
    }
    if (!session_start()) {
        http_response_code(500);
        exit("session_start failed\n");
    }
}

// Phalcon\Flash\Session::getMessages(null, true): all messages, removed.
function flash_all(): array
{
    $m = $_SESSION[key_('_flashMessages')] ?? [];
    unset($_SESSION[key_('_flashMessages')]);
    return is_array($m) ? $m : [];
}

// flash_html renders flash messages as Phalcon 5's Flash\Session::output()
// prints them with its default CSS classes: each message escaped (the
// Escaper's htmlspecialchars) in <div class="successMessage">...</div> and
// a newline; a type without a class gets a bare <div>.
function flash_html(array $messages): string
{
    $classes = ['error' => 'errorMessage', 'notice' => 'noticeMessage', 'success' => 'successMessage', 'warning' => 'warningMessage'];
    $out = '';
    foreach ($messages as $type => $list) {
        foreach ((array) $list as $msg) {
            $msg = htmlspecialchars((string) $msg, ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML401, 'UTF-8');
            $out .= (isset($classes[$type]) ? '<div class="' . $classes[$type] . '">' : '<div>') . $msg . '</div>' . PHP_EOL;
        }
    }
    return $out;
}

header('Content-Type: application/json');
$action = $_GET['a'] ?? 'show';
switch ($action) {
    case 'login':
        start();
        $_SESSION[key_('auth')] = ['id' => 42, 'name' => $_GET['name'] ?? 'Dark Helmet', 'roles' => ['admin', 'user']];
        break;
    case 'flash':
        start();
        $k = key_('_flashMessages');
        $_SESSION[$k][$_GET['type'] ?? 'notice'][] = $_GET['msg'] ?? '';
        break;
    case 'show':
        start();
        $flash = flash_all();
        $out = ['id' => session_id(), 'flash' => $flash, 'flash_html' => flash_html($flash), 'session' => (object) $_SESSION];
        echo json_encode($out, JSON_PARTIAL_OUTPUT_ON_ERROR | JSON_UNESCAPED_SLASHES), "\n";
        exit;
    case 'peek':
        start();
        echo json_encode(['id' => session_id(), 'session' => (object) $_SESSION], JSON_PARTIAL_OUTPUT_ON_ERROR | JSON_UNESCAPED_SLASHES), "\n";
        session_abort();
        exit;
    case 'destroy':
        start();
        session_destroy();
        $_SESSION = [];
        break;
    default:
        http_response_code(404);
        exit("unknown action\n");
}
echo json_encode(['id' => session_id(), 'session' => (object) $_SESSION], JSON_PARTIAL_OUTPUT_ON_ERROR | JSON_UNESCAPED_SLASHES), "\n";

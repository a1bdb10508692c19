<?php
// roundtrip.php: PHP reads payloads Go wrote and writes them back, for the
// differential tests of phpsession (phpsession/differential_test.go).
//
// Usage: php roundtrip.php SAVE_PATH < lines
//
// Each input line is one of
//
//   V <case> <base64 of a serialized value>
//   S <case> <handler> <base64 of a session payload>
//   M <case> <handler> <base64 of a session payload> <base64 of a name> <base64 of a serialized value, or "-">
//   D <case> <handler> <base64 of a session payload>
//   G <case> <base64 of a serialized value>
//
// and gives one output line:
//
//   V <case> <base64 of serialize(unserialize(value))>        ("!" if unserialize failed)
//   S <case> <base64 of session_encode()> <names>              after session_decode() of the payload
//   M <case> <base64 of session_encode()> <names>              after session_decode() of the payload, then
//                                                              $_SESSION[name] = unserialize(value) (unset for "-")
//   D <case> <values>                                          after session_decode() of the payload
//   G <case> <base64 of igbinary_serialize(unserialize(value))> ("!" if unserialize failed)
//
// where <names> are the keys of $_SESSION after the decode, each base64,
// comma-separated ("-" for none); <values> are, for each key of $_SESSION,
// the base64 of the key, ':' and the base64 of dump($_SESSION[key]), comma-
// separated ("-" for none); and the payload is "!" when
// session_decode() or session_encode() failed (session_encode() returns
// false for an empty session: that is written as an empty payload, as PHP's
// session module writes it). SAVE_PATH is an empty
// directory for the files session handler.

class Account {
    public $login = 'lone';
    protected $role = 'admin';
    private $secret = "s\0x";
}
class LegacyToken implements Serializable {
    public $t = 'tok';
    public function serialize() { return 'tok=' . $this->t; }
    public function unserialize($d) { $this->t = substr($d, 4); }
}
class Bag2 {
    public $d = [];
    public function __serialize(): array { return $this->d; }
    public function __unserialize(array $d): void { $this->d = $d; }
}
enum Suit: string { case Hearts = 'H'; case Spades = 'S'; }

// dump writes $v with its references followed, as a tree: scalars, enum
// cases and Serializable objects as serialize() writes them, arrays as
// a{<key><value>...} and objects as O<class>{<property><value>...}, keys
// and property names (as the payload has them) serialized as strings;
// '*' stands for a value inside itself.
function dump($v, array $seen = []) {
    if (is_array($v)) {
        $out = 'a{';
        foreach ($v as $k => $x) {
            $out .= serialize((string) $k) . (count($seen) > 64 ? '*' : dump($x, [...$seen, 'a']));
        }
        return $out . '}';
    }
    if (!is_object($v) || $v instanceof UnitEnum || $v instanceof Serializable) {
        return serialize($v);
    }
    if (in_array($v, $seen, true)) {
        return '*';
    }
    $class = get_class($v);
    if ($v instanceof __PHP_Incomplete_Class) {
        $props = (array) $v;
        $class = $props['__PHP_Incomplete_Class_Name'];
        unset($props['__PHP_Incomplete_Class_Name']);
    } elseif (method_exists($v, '__serialize')) {
        $props = $v->__serialize();
    } else {
        $props = (array) $v;
    }
    $out = 'O' . serialize($class) . '{';
    foreach ($props as $k => $x) {
        $out .= serialize((string) $k) . dump($x, [...$seen, $v]);
    }
    return $out . '}';
}

ini_set('session.save_path', $argv[1]);
ini_set('session.use_cookies', '0');
ini_set('session.use_only_cookies', '0');
ini_set('session.cache_limiter', '');
ob_start(); // no output before the last session_start()

$out = [];
$byHandler = [];
foreach (explode("\n", trim(stream_get_contents(STDIN))) as $i => $line) {
    $f = explode(' ', $line);
    if ($f[0] === 'V') {
        $v = @unserialize(base64_decode($f[2]));
        $ok = $v !== false || base64_decode($f[2]) === 'b:0;';
        $out[$i] = "V $f[1] " . ($ok ? base64_encode(serialize($v)) : '!');
    } elseif ($f[0] === 'G') {
        $v = @unserialize(base64_decode($f[2]));
        $out[$i] = "G $f[1] " . ($v !== false ? base64_encode(igbinary_serialize($v)) : '!');
    } elseif ($f[0] === 'S') {
        $byHandler[$f[2]][$i] = ['S', $f[1], base64_decode($f[3]), null, null];
    } elseif ($f[0] === 'M') {
        $byHandler[$f[2]][$i] = ['M', $f[1], base64_decode($f[3]), base64_decode($f[4]), $f[5]];
    } elseif ($f[0] === 'D') {
        $byHandler[$f[2]][$i] = ['D', $f[1], base64_decode($f[3]), null, null];
    }
}
foreach ($byHandler as $handler => $lines) {
    ini_set('session.serialize_handler', $handler);
    session_id('rt-' . strtr($handler, '_', '-'));
    session_start();
    foreach ($lines as $i => [$kind, $c, $payload, $name, $value]) {
        $_SESSION = [];
        if (!@session_decode($payload)) {
            $out[$i] = "$kind $c ! -";
            if (session_status() !== PHP_SESSION_ACTIVE) {
                session_start();
            }
            continue;
        }
        if ($kind === 'D') {
            $values = [];
            foreach ($_SESSION as $k => $x) {
                $values[] = base64_encode((string) $k) . ':' . base64_encode(dump($x));
            }
            $out[$i] = "D $c " . ($values ? implode(',', $values) : '-');
            continue;
        }
        if ($kind === 'M' && $value === '-') {
            unset($_SESSION[$name]);
        } elseif ($kind === 'M') {
            $_SESSION[$name] = unserialize(base64_decode($value));
        }
        $names = array_map(fn($k) => base64_encode((string) $k), array_keys($_SESSION));
        $enc = @session_encode();
        if ($enc === false && !$_SESSION) {
            $enc = ''; // what PHP's session module writes for an empty session
        }
        $out[$i] = "$kind $c " . ($enc === false ? '!' : base64_encode($enc)) . ' ' . ($names ? implode(',', $names) : '-');
    }
    $_SESSION = [];
    session_abort();
}
ob_end_clean();
ksort($out);
echo implode("\n", $out), "\n";

<?php
// gen_random.php: random PHP values and sessions, for the differential tests
// of phpsession (phpsession/differential_test.go).
//
// Usage: php gen_random.php SEED N SAVE_PATH
//
// PHP builds N random values and N random sessions from SEED (mt_rand, so a
// seed always gives the same output on the same PHP), and prints one line per
// payload, fields separated by one space:
//
//   V <case> <base64 of serialize(value)>
//   S <case> <handler> <payload> <names>
//
// For every session and each of the four session.serialize_handler values,
// <payload> is the base64 of session_encode() ("!" when session_encode()
// failed: a php key holding '|'), and <names> the keys of $_SESSION after PHP
// session_decode()s that payload, each base64, comma-separated ("-" for
// none). Odd cases use references (&) and repeated objects; even cases do not.
//
// SAVE_PATH is an empty directory for the files session handler.

class Account {
    public $login = 'lone';
    protected $role = 'admin';
    private $secret = "s\0x";
    public function fill($login, $role, $secret) {
        $this->login = $login; $this->role = $role; $this->secret = $secret;
        return $this;
    }
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

function rnd(int $n): int { return mt_rand(0, $n - 1); }
function chance(int $percent): bool { return mt_rand(1, 100) <= $percent; }

function bits64(): int {
    return (mt_rand() << 33) ^ (mt_rand() << 2) ^ mt_rand(0, 3);
}

function rstr(): string {
    switch (rnd(5)) {
    case 0: return '';
    case 1: return ['Princess Vespa — ß ✓', 'héllo', "日本", 'plain text', 'a b'][rnd(5)];
    }
    $s = '';
    $n = rnd(16);
    for ($i = 0; $i < $n; $i++) {
        switch (rnd(3)) {
        case 0: $s .= chr(rnd(256)); break;
        case 1: $s .= ['|', ';', '"', '\\', "\0", ':', '{', '}', "'", "\n"][rnd(10)]; break;
        default: $s .= chr(97 + rnd(26));
        }
    }
    return $s;
}

function rint(): int {
    switch (rnd(6)) {
    case 0: return PHP_INT_MAX;
    case 1: return PHP_INT_MIN;
    case 2: return bits64();
    case 3: return -rnd(1000);
    }
    return rnd(1000);
}

function rfloat(): float {
    switch (rnd(12)) {
    case 0: return INF;
    case 1: return -INF;
    case 2: return NAN;
    case 3: return -0.0;
    case 4: return 1e25;
    case 5: return 5e-324;
    case 6: return 1.5e-7;
    case 7: return 0.1;
    case 8: return (float) rint();
    case 9: return rnd(100000) / 100;
    }
    return unpack('E', pack('J', bits64()))[1];
}

function rkey() {
    switch (rnd(9)) {
    case 0: return rnd(10);
    case 1: return -1 - rnd(5);
    case 2: return rint();
    case 3: return ['07', '8', '-0', '1.5', ' 5', '9223372036854775808', '-3', 'b64:x', ''][rnd(9)];
    }
    return rstr();
}

// rval returns a random value. $objs is the pool of objects of this case
// (repeated to make r:), $refs whether & references may be made.
function rval(int $depth, array &$objs, bool $refs) {
    if ($refs && $objs && chance(10)) {
        return $objs[rnd(count($objs))];
    }
    $k = $depth >= 4 ? rnd(6) : rnd(13);
    switch ($k) {
    case 0: return null;
    case 1: return chance(50);
    case 2: return rint();
    case 3: return rfloat();
    case 4: case 5: return rstr();
    case 6: return chance(50) ? Suit::Hearts : Suit::Spades;
    case 7: case 8:
        $a = [];
        $n = rnd(5);
        for ($i = 0; $i < $n; $i++) {
            $a[rkey()] = rval($depth + 1, $objs, $refs);
        }
        if ($refs && count($a) >= 2 && chance(40)) {
            $keys = array_keys($a);
            $from = $keys[rnd(count($keys))];
            $to = $keys[rnd(count($keys))];
            if ($from !== $to) {
                $a[$to] = &$a[$from];
            }
        }
        return $a;
    case 9:
        $o = new stdClass;
        $n = rnd(4);
        for ($i = 0; $i < $n; $i++) {
            $name = rstr();
            if ($name === '' || $name[0] === "\0") {
                $name = 'p' . $name;
            }
            $o->{$name} = rval($depth + 1, $objs, $refs);
        }
        $objs[] = $o;
        return $o;
    case 10:
        $o = (new Account)->fill(rval($depth + 1, $objs, $refs), rval($depth + 1, $objs, $refs), rstr());
        $objs[] = $o;
        return $o;
    case 11:
        $o = new LegacyToken;
        $o->t = rstr();
        $objs[] = $o;
        return $o;
    default:
        if (chance(50)) {
            $o = new Bag2;
            $n = rnd(4);
            for ($i = 0; $i < $n; $i++) {
                $o->d[rkey()] = rval($depth + 1, $objs, false);
            }
        } else {
            // An object of a class PHP does not know comes back as
            // __PHP_Incomplete_Class and serializes as it was.
            $o = unserialize('O:5:"Ghost":2:{s:1:"a";i:1;s:' . strlen("\0Ghost\0b") . ':"' . "\0Ghost\0b" . '";N;}');
        }
        $objs[] = $o;
        return $o;
    }
}

function rname(): string {
    switch (rnd(14)) {
    case 0: return '';
    case 1: return chance(30) ? 'a|b' : 'a/b';
    case 2: return (string) rnd(10);
    case 3: return '-3';
    case 4: return '07';
    case 5: return '!x';
    case 6: return "we;ird\"k";
    case 7: return str_repeat('k', 127 + rnd(3));
    case 8: return "\xff\xfe";
    case 9: return 'b64:z';
    case 10: return chance(20) ? rstr() : strtr(rstr(), '|', '/');
    }
    return ['user', 'auth', 'csrf', '_flashMessages', 'shop#cart'][rnd(5)];
}

[$seed, $n, $savePath] = [(int) $argv[1], (int) $argv[2], $argv[3]];
mt_srand($seed);

ini_set('session.save_path', $savePath);
ini_set('session.use_cookies', '0');
ini_set('session.use_only_cookies', '0');
ini_set('session.cache_limiter', '');
ob_start(); // no output before the last session_start()

$out = [];
$sessions = [];
for ($c = 0; $c < $n; $c++) {
    $objs = [];
    $out[] = "V $c " . base64_encode(serialize(rval(0, $objs, $c % 2 == 1)));

    $refs = $c % 2 == 1;
    $objs = [];
    $s = [];
    $m = rnd(6);
    for ($i = 0; $i < $m; $i++) {
        $s[rname()] = rval(1, $objs, $refs);
    }
    if ($refs && count($s) >= 2 && chance(30)) {
        $keys = array_keys($s);
        $from = $keys[rnd(count($keys))];
        $to = $keys[rnd(count($keys))];
        if ($from !== $to) {
            $s[$to] = &$s[$from];
        }
    }
    $sessions[] = $s;
    unset($s);
}

foreach (['php', 'php_serialize', 'php_binary', 'igbinary'] as $handler) {
    ini_set('session.serialize_handler', $handler);
    session_id('gen-' . strtr($handler, '_', '-'));
    session_start();
    foreach ($sessions as $c => $s) {
        $_SESSION = $s;
        $payload = @session_encode();
        if ($payload === false) {
            $out[] = "S $c $handler ! -";
            continue;
        }
        $_SESSION = [];
        if (!@session_decode($payload)) {
            fwrite(STDERR, "gen_random.php: PHP cannot decode its own $handler payload of case $c\n");
            exit(1);
        }
        $names = array_map(fn($k) => base64_encode((string) $k), array_keys($_SESSION));
        $out[] = "S $c $handler " . base64_encode($payload) . ' ' . ($names ? implode(',', $names) : '-');
    }
    $_SESSION = [];
    session_abort();
}
ob_end_clean();
echo implode("\n", $out), "\n";

<?php
// compat.php is the PHP half of the sessbridge compat matrix (package compat).
// It writes and reads one session through the code path the configured
// backend uses in production, and prints a JSON report.
//
// stdin: {"backend": "stream"|"files"|"phalcon-redis"|"phpredis"|"phalcon-memcached"|"phpmemcached",
//         "handler": session.serialize_handler, "id": session id, "op": "write"|"read"|"raw",
//         "dir", "prefix", "host", "port", "index", "password", "lifetime", "servers": [[host,port,weight]...],
//         "expect_go": true when read should find the fixture as Go changed it}
// argv[1]: the path of phalcon_stream_handler.php (the Stream adapter replay).
//
// write: $_SESSION = fixture(), session_write_close().
// read:  session_start() on the id; reports whether $_SESSION equals the fixture
//        (or the fixture as Go changed it).
// raw:   the stored value exactly as the backend's PHP client returns it.
// Every op prints {"dump": dump of $_SESSION, "encoded": base64(session_encode()),
//                  "raw": base64, "equal": bool}.

require $argv[1];

class CompatUser
{
    public string $name;
    protected string $role;
    private string $secret;
    public ?CompatUser $boss = null;

    public function __construct(string $name, string $role, string $secret)
    {
        $this->name = $name;
        $this->role = $role;
        $this->secret = $secret;
    }
}

// CompatLegacy serializes as C: (Serializable without __serialize).
class CompatLegacy implements Serializable
{
    public array $data;

    public function __construct(array $data)
    {
        $this->data = $data;
    }

    public function serialize(): string
    {
        return json_encode($this->data);
    }

    public function unserialize(string $data): void
    {
        $this->data = json_decode($data, true);
    }
}

enum CompatSuit: string
{
    case Hearts = 'H';
    case Spades = 'S';
}

// fixture is the rich session: every PHP type a session can hold.
function fixture(): array
{
    $user = new CompatUser('Dark Helmet', 'admin', "12345\x00");
    $shared = ['count' => 1, 'tags' => ['a', 'b']];
    $s = [
        'null' => null,
        'true' => true,
        'false' => false,
        'int' => 42,
        'int_min' => PHP_INT_MIN,
        'float' => 0.1,
        'pi' => M_PI,
        'inf' => INF,
        'ninf' => -INF,
        'nan' => NAN,
        'negzero' => -0.0,
        'denormal' => 5e-324,
        'string' => "héllo \"quoted\" ; : { } ✓",
        'binary' => "\x00\xff\x80|;:\"\n\r\t",
        'empty' => '',
        'list' => [1, 2, 3],
        'map' => ['x' => ['y' => ['z' => true]], 7 => 'seven', '-3' => 'negative key', '' => 'empty key'],
        'user' => $user,
        'same_user' => $user,
        'legacy' => new CompatLegacy([1, 'two', ['three' => 3.5]]),
        'suit' => CompatSuit::Spades,
        'counter' => 41,
        'big' => str_repeat('sessbridge shares live sessions. ', 100),
    ];
    $s['ref_a'] = &$shared;
    $s['ref_b'] = &$shared;
    return $s;
}

// fixtureAsGoChanged is the fixture after the Go side's change (see compat.go).
function fixtureAsGoChanged(): array
{
    $s = fixture();
    $s['counter'] = 42;
    $s['go_flash'] = "hello from Go \xe2\x9c\x93";
    return $s;
}

// dump describes a value so that Go can build the same description from a
// decoded phpsession.Value: {"t": kind, ...}.
class Dumper
{
    private array $objects = [];
    private array $refs = [];

    public function entries(array &$arr): array
    {
        $out = [];
        foreach (array_keys($arr) as $k) {
            $r = ReflectionReference::fromArrayElement($arr, $k);
            if ($r !== null) {
                $id = $r->getId();
                if (isset($this->refs[$id])) {
                    $out[] = [$this->key($k), ['t' => 'ref']];
                    continue;
                }
                $this->refs[$id] = true;
            }
            $out[] = [$this->key($k), $this->value($arr[$k])];
        }
        return $out;
    }

    private function key(int|string $k): array
    {
        return is_int($k) ? ['t' => 'int', 'v' => (string)$k] : ['t' => 'string', 'v' => base64_encode($k)];
    }

    public function value(mixed $v): array
    {
        if ($v === null) {
            return ['t' => 'null'];
        }
        if (is_bool($v)) {
            return ['t' => 'bool', 'v' => $v ? '1' : '0'];
        }
        if (is_int($v)) {
            return ['t' => 'int', 'v' => (string)$v];
        }
        if (is_float($v)) {
            return ['t' => 'float', 'v' => bin2hex(pack('E', $v))];
        }
        if (is_string($v)) {
            return ['t' => 'string', 'v' => base64_encode($v)];
        }
        if (is_array($v)) {
            return ['t' => 'array', 'e' => $this->entries($v)];
        }
        if (is_object($v)) {
            $oid = spl_object_id($v);
            if (isset($this->objects[$oid])) {
                return ['t' => 'ref'];
            }
            $this->objects[$oid] = true;
            if ($v instanceof UnitEnum) {
                return ['t' => 'enum', 'c' => get_class($v), 'n' => $v->name];
            }
            if ($v instanceof Serializable && !method_exists($v, '__serialize')) {
                return ['t' => 'custom', 'c' => get_class($v), 'p' => base64_encode($v->serialize())];
            }
            $props = method_exists($v, '__serialize') ? $v->__serialize() : get_mangled_object_vars($v);
            return ['t' => 'object', 'c' => get_class($v), 'e' => $this->entries($props)];
        }
        return ['t' => 'unknown', 'v' => get_debug_type($v)];
    }
}

// PhalconRedisHandler replays Phalcon 5's Session\Adapter\Redis: phpredis
// with OPT_PREFIX, the payload stored as serialize($payload) with the
// storage lifetime (SETEX).
class PhalconRedisHandler implements SessionHandlerInterface
{
    public function __construct(public Redis $r, private int $lifetime)
    {
    }

    public function open(string $path, string $name): bool { return true; }
    public function close(): bool { return true; }
    public function gc(int $max): int|false { return 0; }

    public function read(string $id): string|false
    {
        $v = $this->r->get($id);
        if ($v === false) {
            return '';
        }
        $p = @unserialize($v);
        return is_string($p) ? $p : '';
    }

    public function write(string $id, string $data): bool
    {
        return $this->r->set($id, serialize($data), $this->lifetime);
    }

    public function destroy(string $id): bool
    {
        $this->r->del($id);
        return true;
    }
}

// PhalconMemcachedHandler replays Phalcon 5's Session\Adapter\Libmemcached:
// php-memcached with OPT_PREFIX_KEY, DISTRIBUTION_CONSISTENT, the payload
// stored as serialize($payload).
class PhalconMemcachedHandler implements SessionHandlerInterface
{
    public function __construct(public Memcached $m, private int $lifetime)
    {
    }

    public function open(string $path, string $name): bool { return true; }
    public function close(): bool { return true; }
    public function gc(int $max): int|false { return 0; }

    public function read(string $id): string|false
    {
        $v = $this->m->get($id);
        if ($v === false) {
            return '';
        }
        $p = @unserialize($v);
        return is_string($p) ? $p : '';
    }

    public function write(string $id, string $data): bool
    {
        return $this->m->set($id, serialize($data), $this->lifetime);
    }

    public function destroy(string $id): bool
    {
        $this->m->delete($id);
        return true;
    }
}

// RawCapture wraps PHP's native save handler (files, redis, memcached) and
// keeps the payload its read returns: the stored value as the handler sees
// it (php-memcached uncompressed).
class RawCapture extends SessionHandler
{
    public string|false $raw = false;

    public function read(string $id): string|false
    {
        $this->raw = parent::read($id);
        return $this->raw;
    }
}

// nativeRaw returns what PHP's native handler reads for the session id.
function nativeRaw(string $id): string|false
{
    $h = new RawCapture();
    session_set_save_handler($h, true);
    session_id($id);
    session_start() or fail('session_start failed');
    session_abort();
    return $h->raw === '' ? false : $h->raw;
}

function fail(string $msg): never
{
    fwrite(STDERR, "compat.php: $msg\n");
    exit(1);
}

$in = json_decode(stream_get_contents(STDIN), true) ?? fail('bad request on stdin');
ini_set('session.use_cookies', '0');
ini_set('session.use_only_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.cache_limiter', '');
ini_set('session.gc_probability', '0');
ini_set('session.serialize_handler', $in['handler']);

$raw = null; // function () returning the stored value as the PHP client sees it
switch ($in['backend']) {
    case 'stream':
        session_set_save_handler(new PhalconStreamHandler($in['dir'], $in['prefix']), true);
        $file = rtrim($in['dir'], '/') . '/' . $in['prefix'] . $in['id'];
        $raw = fn() => @file_get_contents($file);
        break;
    case 'files':
        ini_set('session.save_handler', 'files');
        session_save_path($in['dir']);
        $file = rtrim($in['dir'], '/') . '/sess_' . $in['id'];
        $raw = fn() => @file_get_contents($file);
        break;
    case 'phalcon-redis':
        $r = new Redis();
        $r->connect($in['host'], $in['port']) or fail('redis connect failed');
        if ($in['password'] !== '') {
            $r->auth($in['password']) or fail('redis auth failed');
        }
        $r->select($in['index']);
        $r->setOption(Redis::OPT_PREFIX, $in['prefix']);
        $raw = fn() => $r->get($in['id']);
        session_set_save_handler(new PhalconRedisHandler($r, $in['lifetime']), true);
        break;
    case 'phpredis':
        $q = ['prefix' => $in['prefix'], 'database' => $in['index']];
        if ($in['password'] !== '') {
            $q['auth'] = $in['password'];
        }
        ini_set('session.save_handler', 'redis');
        ini_set('session.save_path', 'tcp://' . $in['host'] . ':' . $in['port'] . '?' . http_build_query($q));
        ini_set('session.gc_maxlifetime', (string)$in['lifetime']);
        $raw = fn() => nativeRaw($in['id']);
        break;
    case 'phalcon-memcached':
        $m = new Memcached();
        $m->setOption(Memcached::OPT_PREFIX_KEY, $in['prefix']);
        $m->setOptions([
            Memcached::OPT_CONNECT_TIMEOUT => 50,
            Memcached::OPT_DISTRIBUTION => Memcached::DISTRIBUTION_CONSISTENT,
            Memcached::OPT_SERVER_FAILURE_LIMIT => 2,
            Memcached::OPT_REMOVE_FAILED_SERVERS => true,
            Memcached::OPT_RETRY_TIMEOUT => 1,
        ]) or fail('memcached setOptions failed');
        $m->addServers($in['servers']) or fail('memcached addServers failed');
        $raw = fn() => $m->get($in['id']);
        session_set_save_handler(new PhalconMemcachedHandler($m, $in['lifetime']), true);
        break;
    case 'phpmemcached':
        $hosts = array_map(fn($s) => $s[0] . ':' . $s[1] . ':' . $s[2], $in['servers']);
        ini_set('session.save_handler', 'memcached');
        ini_set('session.save_path', implode(',', $hosts));
        ini_set('memcached.sess_prefix', $in['prefix']);
        ini_set('memcached.sess_consistent_hash', '1');
        ini_set('memcached.sess_consistent_hash_type', 'ketama');
        ini_set('session.gc_maxlifetime', (string)$in['lifetime']);
        $raw = fn() => nativeRaw($in['id']);
        break;
    default:
        fail('unknown backend ' . $in['backend']);
}

$out = ['dump' => null, 'encoded' => '', 'raw' => '', 'equal' => false];
switch ($in['op']) {
    case 'write':
        session_id($in['id']);
        session_start() or fail('session_start failed');
        $_SESSION = fixture();
        $out['encoded'] = base64_encode(session_encode());
        $out['dump'] = (new Dumper())->entries($_SESSION);
        session_write_close() or fail('session_write_close failed');
        $out['equal'] = true;
        break;
    case 'read':
        session_id($in['id']);
        session_start() or fail('session_start failed');
        $out['encoded'] = base64_encode(session_encode());
        $out['dump'] = (new Dumper())->entries($_SESSION);
        $want = $in['expect_go'] ? fixtureAsGoChanged() : fixture();
        // serialize() compares every type, NAN, -0.0, references and identity.
        $out['equal'] = serialize($_SESSION) === serialize($want);
        session_abort();
        break;
    case 'raw':
        $v = $raw();
        $out['raw'] = $v === false ? '' : base64_encode((string)$v);
        $out['equal'] = $v !== false;
        break;
    default:
        fail('unknown op ' . $in['op']);
}
echo json_encode($out, JSON_THROW_ON_ERROR), "\n";

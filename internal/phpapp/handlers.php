<?php
// Session handlers that replay, with plain PHP, the calls Phalcon 5.18's
// session adapters make (the Phalcon extension is not packaged for Debian).
// Facts: cphalcon's phalcon/Session/Adapter/Stream.zep, Redis.zep and
// Libmemcached.zep, checked against the vectors a real Phalcon 5 wrote.

declare(strict_types=1);

// Phalcon\Session\Adapter\Stream: <savePath>/<prefix><id>, raw payload,
// flock(LOCK_SH) on read, file_put_contents(LOCK_EX) on write.
class PhalconStream implements SessionHandlerInterface, SessionUpdateTimestampHandlerInterface
{
    private string $path;

    public function __construct(string $savePath, private string $prefix = '')
    {
        $this->path = rtrim($savePath, DIRECTORY_SEPARATOR) . DIRECTORY_SEPARATOR;
    }

    public function open(string $path, string $name): bool { return true; }
    public function close(): bool { return true; }

    public function read(string $id): string|false
    {
        $name = $this->path . $this->prefix . $id;
        $data = '';
        if (file_exists($name)) {
            $fp = fopen($name, 'r');
            if (flock($fp, LOCK_SH)) {
                $data = file_get_contents($name);
            }
            fclose($fp);
        }
        return $data === false ? '' : $data;
    }

    public function write(string $id, string $data): bool
    {
        return false !== file_put_contents($this->path . $this->prefix . $id, $data, LOCK_EX);
    }

    public function destroy(string $id): bool
    {
        $name = $this->path . $this->prefix . $id;
        if (file_exists($name) && is_file($name)) {
            unlink($name);
        }
        return true;
    }

    public function gc(int $max): int|false { return 1; }
    public function updateTimestamp(string $id, string $data): bool { return touch($this->path . $this->prefix . $id); }
    public function validateId(string $id): bool { return file_exists($this->path . $this->prefix . $id); }
}

// PhalconStream holding flock(LOCK_EX) from read to close, the way PHP's own
// files handler locks a session for the whole request. Phalcon's Stream does
// not; this variant is what a PHP app needs for its own increments to be
// safe, and it is the lock the Go filestore's Locker takes.
class LockingStream extends PhalconStream
{
    private $fp = null;
    private string $dir;

    public function __construct(string $savePath)
    {
        parent::__construct($savePath);
        $this->dir = rtrim($savePath, DIRECTORY_SEPARATOR) . DIRECTORY_SEPARATOR;
    }

    public function read(string $id): string|false
    {
        $this->fp = fopen($this->dir . $id, 'c+');
        flock($this->fp, LOCK_EX);
        $data = stream_get_contents($this->fp);
        return $data === false ? '' : $data;
    }

    public function write(string $id, string $data): bool
    {
        ftruncate($this->fp, 0);
        rewind($this->fp);
        return fwrite($this->fp, $data) === strlen($data);
    }

    public function close(): bool
    {
        if ($this->fp) {
            flock($this->fp, LOCK_UN);
            fclose($this->fp);
            $this->fp = null;
        }
        return true;
    }
}

// Phalcon\Session\Adapter\Redis over Phalcon\Storage\Adapter\Redis: phpredis
// with OPT_PREFIX sess-reds-, values serialize()d by Phalcon's Php serializer
// (phpredis SERIALIZER_NONE), SETEX with the 3600 s lifetime.
class PhalconRedis implements SessionHandlerInterface, SessionUpdateTimestampHandlerInterface
{
    private Redis $redis;

    public function __construct(string $host, int $port, private int $lifetime = 3600)
    {
        $this->redis = new Redis();
        $this->redis->connect($host, $port);
        $this->redis->setOption(Redis::OPT_PREFIX, 'sess-reds-');
        $this->redis->setOption(Redis::OPT_SERIALIZER, Redis::SERIALIZER_NONE);
    }

    public function open(string $path, string $name): bool { return true; }
    public function close(): bool { return true; }

    public function read(string $id): string|false
    {
        $v = $this->redis->get($id);
        if ($v === false) {
            return '';
        }
        $u = @unserialize($v);
        return is_string($u) ? $u : '';
    }

    public function write(string $id, string $data): bool
    {
        return $this->redis->setex($id, $this->lifetime, serialize($data));
    }

    public function destroy(string $id): bool
    {
        if ($id !== '' && $this->redis->exists($id)) {
            return (bool) $this->redis->del($id);
        }
        return true;
    }

    public function gc(int $max): int|false { return 1; }
    public function updateTimestamp(string $id, string $data): bool { return $this->write($id, $data); }
    public function validateId(string $id): bool { return (bool) $this->redis->exists($id); }
}

// PhalconRedis with Phalcon 5.14.2+'s lockingEnabled: the lock key
// sess-reds-<id>-lock is taken in read() with a raw SET NX EX (no prefix,
// no serializer) holding 32 hex characters, retried every lockWaitTime µs,
// and released in close() and destroy() by a compare-and-delete script.
class PhalconRedisLocking extends PhalconRedis
{
    private Redis $raw;
    private ?string $lockKey = null;
    private string $token = '';

    public function __construct(string $host, int $port, private int $lockWaitTime = 1000, private int $lockExpiry = 30)
    {
        parent::__construct($host, $port);
        $this->raw = new Redis();
        $this->raw->connect($host, $port);
    }

    public function read(string $id): string|false
    {
        $key = 'sess-reds-' . $id . '-lock';
        if ($this->lockKey !== $key) {
            $token = bin2hex(random_bytes(16));
            while (!$this->raw->rawCommand('SET', $key, $token, 'NX', 'EX', (string) $this->lockExpiry)) {
                usleep($this->lockWaitTime);
            }
            [$this->lockKey, $this->token] = [$key, $token];
        }
        return parent::read($id);
    }

    private function unlock(): void
    {
        if ($this->lockKey !== null) {
            $this->raw->eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", [$this->lockKey, $this->token], 1);
            $this->lockKey = null;
        }
    }

    public function close(): bool { $this->unlock(); return true; }

    public function destroy(string $id): bool
    {
        $ok = parent::destroy($id);
        $this->unlock();
        return $ok;
    }
}

// Phalcon\Session\Adapter\Libmemcached over php-memcached: key prefix
// sess-memc-, values serialize()d, exptime 3600.
class PhalconMemcached implements SessionHandlerInterface, SessionUpdateTimestampHandlerInterface
{
    private Memcached $mc;

    public function __construct(string $host, int $port, private int $lifetime = 3600)
    {
        $this->mc = new Memcached();
        $this->mc->setOption(Memcached::OPT_PREFIX_KEY, 'sess-memc-');
        $this->mc->setOption(Memcached::OPT_BINARY_PROTOCOL, true);
        $this->mc->addServer($host, $port);
    }

    public function open(string $path, string $name): bool { return true; }
    public function close(): bool { return true; }

    public function read(string $id): string|false
    {
        $v = $this->mc->get($id);
        if ($v === false) {
            return '';
        }
        $u = is_string($v) ? @unserialize($v) : false;
        return is_string($u) ? $u : '';
    }

    public function write(string $id, string $data): bool
    {
        return $this->mc->set($id, serialize($data), $this->lifetime);
    }

    public function destroy(string $id): bool
    {
        if ($id !== '' && $this->mc->get($id) !== false) {
            return $this->mc->delete($id);
        }
        return true;
    }

    public function gc(int $max): int|false { return 1; }
    public function updateTimestamp(string $id, string $data): bool { return $this->write($id, $data); }
    public function validateId(string $id): bool { return $this->mc->get($id) !== false; }
}

// sessbridge_handler builds the handler the environment names:
// SB_STORE=stream|locking-stream|redis|redis-locking|memcached, SB_SAVE_PATH, SB_ADDR
// (host:port).
function sessbridge_handler(): SessionHandlerInterface
{
    $store = getenv('SB_STORE') ?: 'stream';
    [$host, $port] = array_pad(explode(':', getenv('SB_ADDR') ?: '127.0.0.1:0'), 2, '0');
    return match ($store) {
        'stream' => new PhalconStream(getenv('SB_SAVE_PATH')),
        'locking-stream' => new LockingStream(getenv('SB_SAVE_PATH')),
        'redis' => new PhalconRedis($host, (int) $port),
        'redis-locking' => new PhalconRedisLocking($host, (int) $port),
        'memcached' => new PhalconMemcached($host, (int) $port),
    };
}

// sessbridge_use_handler sets up the session handler SB_STORE names: PHP's
// own handlers with their session locks (files: flock of sess_<id> from
// session_start to the write; phpredis: locking_enabled, key
// PHPREDIS_SESSION:<id>_LOCK; php-memcached: sess_locking, key
// memc.sess.key.lock.<id>), each waiting for the lock for as long as it
// takes, or one of the classes above.
function sessbridge_use_handler(): void
{
    $store = getenv('SB_STORE') ?: 'stream';
    switch ($store) {
        case 'files':
            ini_set('session.save_handler', 'files');
            ini_set('session.save_path', getenv('SB_SAVE_PATH'));
            return;
        case 'phpredis':
            ini_set('session.save_handler', 'redis');
            ini_set('session.save_path', 'tcp://' . getenv('SB_ADDR'));
            ini_set('redis.session.locking_enabled', '1');
            ini_set('redis.session.lock_retries', '-1');
            ini_set('redis.session.lock_wait_time', '1000');
            ini_set('redis.session.lock_expire', '30');
            return;
        case 'php-memcached':
            ini_set('session.save_handler', 'memcached');
            ini_set('session.save_path', getenv('SB_ADDR'));
            ini_set('memcached.sess_locking', '1');
            ini_set('memcached.sess_lock_retries', '1000000');
            ini_set('memcached.sess_lock_wait_min', '1');
            ini_set('memcached.sess_lock_wait_max', '5');
            ini_set('memcached.sess_lock_expire', '30');
            return;
    }
    session_set_save_handler(sessbridge_handler(), true);
}

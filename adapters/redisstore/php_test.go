package redisstore_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

// phpHelper is the PHP side of the interop tests. It replays what Phalcon's
// Redis session adapter does with phpredis (Phalcon is not installed:
// OPT_PREFIX "sess-reds-", set(id, serialize(payload), 3600), get and
// unserialize, the lock's rawCommand SET NX EX and EVAL), and runs
// phpredis's own session handler. Every session holds the same $fixture, so
// PHP itself checks what Go wrote.
//
// Usage: php helper.php <mode> <port> <id> [handler|token|retries] [wait µs]
const phpHelper = `<?php
set_error_handler(function ($no, $str, $file, $line) {
    if (!(error_reporting() & $no)) {
        return false; // silenced with @
    }
    throw new ErrorException($str, 0, $no, $file, $line);
});
[, $mode, $port, $id] = $argv;
$arg = $argv[4] ?? '';

$fixture = [
    'auth' => ['id' => 42, 'name' => 'Dark "Helmet"', 'roles' => ['admin', 'user']],
    'csrf' => "a1b2|c3;\"}",
    'bin' => "a\0b\xff\n",
    'utf' => 'Princess Vespa — ß ✓',
    'f' => 0.1, 'max' => PHP_INT_MAX, 'neg' => -7, 't' => true, 'n' => null,
    'empty' => [], 'obj' => (object) ['x' => 1, 'y' => [2.5]],
    'long' => str_repeat('0123456789', 300),
];

// encoded returns session_encode() of $fixture with the given handler.
function encoded(array $fixture, string $handler): string {
    ini_set('session.save_handler', 'files');
    ini_set('session.serialize_handler', $handler);
    session_save_path(__DIR__);
    session_id('enc' . getmypid());
    session_start();
    $_SESSION = $fixture;
    $p = session_encode();
    session_abort();
    return $p;
}

// decodes reports whether payload decodes to $fixture with the handler.
function decodes(array $fixture, string $handler, string $payload): bool {
    ini_set('session.save_handler', 'files');
    ini_set('session.serialize_handler', $handler);
    session_save_path(__DIR__);
    session_id('dec' . getmypid());
    session_start();
    $_SESSION = [];
    session_decode($payload);
    $ok = serialize($_SESSION) === serialize($fixture);
    session_abort();
    return $ok;
}

// phalcon connects as Phalcon's Redis storage adapter does. Phalcon 4 sets
// phpredis's PHP serializer; Phalcon 5 leaves it off and serializes itself.
function phalcon(int $port, bool $v4 = false): Redis {
    $r = new Redis();
    $r->connect('127.0.0.1', $port);
    $r->setOption(Redis::OPT_PREFIX, 'sess-reds-');
    if ($v4) {
        $r->setOption(Redis::OPT_SERIALIZER, Redis::SERIALIZER_PHP);
    }
    return $r;
}

function native(int $port, string $handler, string $id): void {
    ini_set('session.save_handler', 'redis');
    ini_set('session.save_path', "tcp://127.0.0.1:$port");
    ini_set('session.serialize_handler', $handler);
    ini_set('session.use_strict_mode', '0');
    session_id($id);
}

switch ($mode) {
case 'phalcon-write': // Phalcon 5's write(id, session_encode())
    $p = encoded($fixture, $arg);
    phalcon($port)->set($id, serialize($p), 3600);
    echo base64_encode($p);
    break;
case 'phalcon4-write': // Phalcon 4's: phpredis serializes
    $p = encoded($fixture, $arg);
    phalcon($port, true)->set($id, $p, 3600);
    echo base64_encode($p);
    break;
case 'phalcon-read': // Phalcon 5's read(id): a failed unserialize reads as ''
case 'phalcon4-read': // Phalcon 4's: phpredis falls back to the raw value
    $v4 = $mode === 'phalcon4-read';
    $raw = phalcon($port, $v4)->get($id);
    $p = $raw === false ? '' : ($v4 ? $raw : @unserialize($raw));
    if ($p === false) {
        $p = '';
    }
    echo $p === '' ? 'empty' : (decodes($fixture, $arg, $p) ? 'same' : 'different: ' . var_export($p, true));
    break;
case 'native-write':
    native($port, $arg, $id);
    session_start();
    $_SESSION = $fixture;
    $p = session_encode();
    session_write_close();
    echo base64_encode($p);
    break;
case 'native-read':
    native($port, $arg, $id);
    session_start();
    $ok = serialize($_SESSION) === serialize($fixture);
    session_write_close();
    echo $ok ? 'same' : 'different: ' . var_export($_SESSION, true);
    break;
case 'phalcon-lock': // Phalcon's acquireLock, one attempt; the lock stays
    $token = bin2hex(random_bytes(16));
    $ok = phalcon($port)->rawCommand('SET', "sess-reds-$id-lock", $token, 'NX', 'EX', 30);
    echo $ok === false ? 'busy' : $token;
    break;
case 'phalcon-unlock': // Phalcon's releaseLock
    echo phalcon($port)->rawCommand('EVAL',
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
        1, "sess-reds-$id-lock", $arg);
    break;
case 'phalcon-acquire': // Phalcon's read() with lockingEnabled, then close()
    $r = phalcon($port);
    $key = "sess-reds-$id-lock";
    $token = bin2hex(random_bytes(16));
    for ($attempt = 0; $attempt < (int) $arg; $attempt++) {
        if ($r->rawCommand('SET', $key, $token, 'NX', 'EX', 30) !== false) {
            $r->rawCommand('EVAL',
                "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
                1, $key, $token);
            echo 'acquired';
            exit(0);
        }
        usleep((int) $argv[5]);
    }
    echo "Could not acquire the session lock with key: $key";
    break;
case 'native-hold': // session_start with locking, hold until stdin closes
    native($port, 'php', $id);
    ini_set('redis.session.locking_enabled', '1');
    ini_set('redis.session.lock_expire', '10');
    session_start();
    echo "started\n";
    fgets(STDIN);
    $_SESSION['held'] = true;
    session_write_close();
    echo "released\n";
    break;
case 'native-try': // session_start with locking and a short retry budget, then write
    native($port, 'php', $id);
    ini_set('redis.session.locking_enabled', '1');
    ini_set('redis.session.lock_retries', $arg);
    ini_set('redis.session.lock_wait_time', $argv[5]);
    restore_error_handler();
    if (!@session_start()) { // phpredis 6.x: the read fails
        echo 'not started: ' . (error_get_last()['message'] ?? '');
        break;
    }
    $notice = error_get_last()['message'] ?? ''; // phpredis 5.3.7 reads on
    $_SESSION['php'] = true;
    @session_write_close(); // true even when phpredis refuses the write
    echo $notice === '' ? 'started' : "started with: $notice";
    break;
default:
    throw new Error("unknown mode $mode");
}
`

// php runs phpHelper with the arguments and returns its output.
func php(t *testing.T, args ...string) string {
	t.Helper()
	return string(testenv.RunPHP(t, phpHelper, nil, args...))
}

var handlers = []string{"php", "php_serialize", "php_binary", "igbinary"}

// TestPHPPhalcon replays Phalcon's Redis session adapter in PHP with real
// session_encode() payloads of each serialize handler: what PHP writes, Go
// reads; what Go writes, PHP reads as the same $_SESSION. Phalcon 4's way
// (phpredis's serializer) and Phalcon 5's (its own serialize()) both run.
func TestPHPPhalcon(t *testing.T) {
	testenv.PHP(t, "redis", "igbinary")
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	port := strconv.Itoa(srv.Port)
	ctx := ctxFor(t)
	for _, v := range []struct {
		layout adapters.Layout
		mode   string // PHP helper mode prefix
	}{{adapters.LayoutPhalcon5, "phalcon"}, {adapters.LayoutPhalcon4, "phalcon4"}} {
		s := newStore(t, client, redisstore.Options{Layout: v.layout})
		for _, h := range handlers {
			t.Run(v.layout.String()+"/"+h, func(t *testing.T) {
				id := storetest.NewID()
				payload := b64(t, php(t, v.mode+"-write", port, id, h))
				data, found, err := s.Read(ctx, id)
				if err != nil || !found || !bytes.Equal(data, payload) {
					t.Fatalf("Read of PHP's session = %q, %v, %v\nwant %q", data, found, err, payload)
				}
				if ttl := client.TTL(ctx, s.Key(id)).Val(); ttl != time.Hour {
					t.Errorf("TTL of PHP's session = %v, want 1h", ttl)
				}
				id2 := storetest.NewID()
				if err := s.Write(ctx, id2, payload, 0); err != nil {
					t.Fatalf("Write = %v", err)
				}
				if got := php(t, v.mode+"-read", port, id2, h); got != "same" {
					t.Fatalf("PHP read Go's session: %s", got)
				}

				// A raw payload, not wrapped: Phalcon 4 reads it as it is,
				// Phalcon 5 as an empty session; the Phalcon 5 layout
				// refuses it with ErrNotWrapped rather than lose it.
				// (A php_serialize payload is itself serialized data, which
				// both would unserialize into an array.)
				if h == "php_serialize" {
					return
				}
				if err := client.Set(ctx, s.Key(id2), payload, time.Minute).Err(); err != nil {
					t.Fatal(err)
				}
				want, wantPHP := payload, "same"
				if v.layout == adapters.LayoutPhalcon5 {
					want, wantPHP = nil, "empty"
				}
				if got := php(t, v.mode+"-read", port, id2, h); got != wantPHP {
					t.Errorf("PHP read of a raw payload: %s, want %s", got, wantPHP)
				}
				data, found, err = s.Read(ctx, id2)
				if v.layout == adapters.LayoutPhalcon5 {
					if !errors.Is(err, adapters.ErrNotWrapped) {
						t.Errorf("Read of a raw payload = %q, %v, %v; want an error wrapping ErrNotWrapped", data, found, err)
					}
				} else if err != nil || !found || !bytes.Equal(data, want) {
					t.Errorf("Read of a raw payload = %q, %v, %v; want %q, true, nil", data, found, err, want)
				}
			})
		}
	}
}

// TestPHPNative runs phpredis's session handler (session.save_handler=redis)
// with each serialize handler, both ways.
func TestPHPNative(t *testing.T) {
	testenv.PHP(t, "redis", "igbinary")
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	port := strconv.Itoa(srv.Port)
	ctx := ctxFor(t)
	s := newStore(t, client, redisstore.Options{Layout: adapters.LayoutNative})
	for _, h := range handlers {
		t.Run(h, func(t *testing.T) {
			id := storetest.NewID()
			payload := b64(t, php(t, "native-write", port, id, h))
			data, found, err := s.Read(ctx, id)
			if err != nil || !found || !bytes.Equal(data, payload) {
				t.Fatalf("Read of PHP's session = %q, %v, %v\nwant %q", data, found, err, payload)
			}
			if ttl := client.TTL(ctx, s.Key(id)).Val(); ttl != 1440*time.Second {
				t.Errorf("TTL of PHP's session = %v, want gc_maxlifetime 1440s", ttl)
			}
			id2 := storetest.NewID()
			if err := s.Write(ctx, id2, payload, 0); err != nil {
				t.Fatalf("Write = %v", err)
			}
			if got := php(t, "native-read", port, id2, h); got != "same" {
				t.Fatalf("PHP read Go's session: %s", got)
			}
		})
	}
}

// TestPHPPhalconLock checks that Phalcon's lock excludes Go and Go's lock
// excludes Phalcon, both ways.
func TestPHPPhalconLock(t *testing.T) {
	testenv.PHP(t, "redis")
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	port := strconv.Itoa(srv.Port)
	ctx := ctxFor(t)
	s := newStore(t, client, redisstore.Options{Locking: true, LockRetries: 3, LockWait: time.Millisecond})
	id := storetest.NewID()

	// PHP holds the lock: Go waits, then fails with Phalcon's message.
	token := php(t, "phalcon-lock", port, id)
	if len(token) != 32 {
		t.Fatalf("PHP did not take the lock: %q", token)
	}
	_, err := s.Lock(ctx, id)
	want := "redisstore: could not acquire the session lock with key: sess-reds-" + id + "-lock (3 attempts)"
	if !errors.Is(err, adapters.ErrLockTimeout) || err.Error() != want {
		t.Fatalf("Lock while PHP holds it = %v\nwant %s", err, want)
	}
	if got := php(t, "phalcon-unlock", port, id, token); got != "1" {
		t.Fatalf("PHP release = %q, want 1", got)
	}
	unlock, err := s.Lock(ctx, id)
	if err != nil {
		t.Fatalf("Lock after PHP released = %v", err)
	}

	// Go holds the lock: PHP's read fails with its exception message.
	if got, want := php(t, "phalcon-acquire", port, id, "2", "1000"), "Could not acquire the session lock with key: sess-reds-"+id+"-lock"; got != want {
		t.Fatalf("PHP while Go holds the lock: %q, want %q", got, want)
	}
	// A PHP holder with the wrong token cannot release Go's lock.
	if got := php(t, "phalcon-unlock", port, id, strings.Repeat("0", 32)); got != "0" {
		t.Fatalf("PHP release with a foreign token = %q, want 0", got)
	}
	if err := unlock(ctx); err != nil {
		t.Fatalf("Unlock = %v", err)
	}
	if got := php(t, "phalcon-acquire", port, id, "2", "1000"); got != "acquired" {
		t.Fatalf("PHP after Go released: %q", got)
	}
}

// TestPHPNativeLock checks phpredis's session locking
// (redis.session.locking_enabled=1) against Go's, both ways.
func TestPHPNativeLock(t *testing.T) {
	phpBin := testenv.PHP(t, "redis")
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	port := strconv.Itoa(srv.Port)
	ctx := ctxFor(t)
	s := newStore(t, client, redisstore.Options{Layout: adapters.LayoutNative, Locking: true, LockRetries: 2, LockWait: time.Millisecond})
	id := storetest.NewID()

	// PHP holds the session open with its lock.
	script := t.TempDir() + "/helper.php"
	if err := os.WriteFile(script, []byte(phpHelper), 0o600); err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(pctx, phpBin, script, "native-hold", port, id)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "started" {
		t.Fatalf("PHP did not start its session: %q %v\n%s", lines.Text(), lines.Err(), stderr.String())
	}
	lockKey := "PHPREDIS_SESSION:" + id + "_LOCK"
	secret := client.Get(ctx, lockKey).Val()
	if host, _ := os.Hostname(); secret != host+"|"+strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("phpredis lock value %q, want <hostname>|<php pid>", secret)
	}
	if pttl := client.PTTL(ctx, lockKey).Val(); pttl <= 9*time.Second || pttl > 10*time.Second {
		t.Errorf("phpredis lock PTTL %v, want lock_expire 10s", pttl)
	}
	_, err = s.Lock(ctx, id)
	if !errors.Is(err, adapters.ErrLockTimeout) {
		t.Fatalf("Lock while PHP holds the session = %v, want ErrLockTimeout", err)
	}
	stdin.Close()
	if !lines.Scan() || lines.Text() != "released" {
		t.Fatalf("PHP did not close its session: %q\n%s", lines.Text(), stderr.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("php: %v\n%s", err, stderr.String())
	}
	unlock, err := s.Lock(ctx, id)
	if err != nil {
		t.Fatalf("Lock after PHP closed its session = %v", err)
	}
	data, _, err := s.Read(ctx, id)
	if err != nil || string(data) != "held|b:1;" {
		t.Errorf("Read = %q, %v; want PHP's write", data, err)
	}

	// Go holds the lock: phpredis 6.x fails to start the session, 5.3.7
	// starts it with a notice and refuses to write it. Either way PHP does
	// not change it.
	calls := setCalls(t, client)
	got := php(t, "native-try", port, id, "2", "1000")
	// phpredis tries lock_retries+1 times, as Go does with LockRetries.
	if n := setCalls(t, client) - calls; n != 3 {
		t.Errorf("phpredis with lock_retries=2 sent SET %d times, want 3", n)
	}
	if got == "started" {
		t.Fatalf("PHP session while Go holds the lock: %q, want it not started or a lock notice", got)
	} else {
		t.Logf("PHP session while Go holds the lock: %s", got)
	}
	if data, _, err := s.Read(ctx, id); err != nil || string(data) != "held|b:1;" {
		t.Errorf("Read after PHP tried to write under Go's lock = %q, %v; want it unchanged", data, err)
	}
	if err := unlock(ctx); err != nil {
		t.Fatalf("Unlock = %v", err)
	}
	if got := php(t, "native-try", port, id, "2", "1000"); got != "started" {
		t.Fatalf("PHP session after Go released: %q, want started", got)
	}
	if data, _, err := s.Read(ctx, id); err != nil || string(data) != "held|b:1;php|b:1;" {
		t.Errorf("Read after PHP wrote = %q, %v", data, err)
	}
}

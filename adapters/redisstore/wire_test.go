package redisstore_test

import (
	"bufio"
	"context"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

// monitorLine is one MONITOR line: timestamp, [db client], then the quoted
// command and arguments. The client is "lua" for commands a script runs.
var monitorLine = regexp.MustCompile(`^\d+\.\d+ \[\d+ ([^\]]+)\] (.*)$`)

// record runs fn while redis-cli MONITOR watches srv, and returns the
// commands fn caused, grouped by the markers fn sent as ECHO "op:<name>",
// each command as its quoted arguments with the name upper-cased.
func record(t *testing.T, srv *testenv.Redis, client *redis.Client, fn func()) map[string][]string {
	t.Helper()
	testenv.MustHaveExecPath(t, "redis-cli")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "redis-cli", "-p", strconv.Itoa(srv.Port), "MONITOR")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "OK" {
		t.Fatalf("MONITOR: %q %v", lines.Text(), lines.Err())
	}
	fn()
	client.Echo(ctx, "op:end")

	got := map[string][]string{}
	op := ""
	for lines.Scan() {
		m := monitorLine.FindStringSubmatch(lines.Text())
		if m == nil || m[1] == "lua" { // not the commands a script runs
			continue
		}
		args := m[2]
		name, rest, _ := strings.Cut(args, " ")
		name = strings.ToUpper(name)
		if name == `"ECHO"` {
			op = strings.Trim(rest, `"`)
			if op == "op:end" {
				return got
			}
			continue
		}
		switch name {
		case `"HELLO"`, `"CLIENT"`, `"SELECT"`, `"PING"`:
			continue // connection set-up
		}
		if op != "" {
			got[op] = append(got[op], name+" "+rest)
		}
	}
	t.Fatalf("MONITOR ended before the end marker: %v", lines.Err())
	return nil
}

// normalize replaces what differs between two runs (the session id, lock
// tokens and secrets) with placeholders.
func normalize(cmds []string, id string) []string {
	token := regexp.MustCompile(`"[0-9a-f]{32}"`)
	secret := regexp.MustCompile(`"[^"|]+\|\d+(\|[0-9a-f]{16})?"`)
	out := make([]string, len(cmds))
	for i, c := range cmds {
		c = strings.ReplaceAll(c, id, "ID")
		c = token.ReplaceAllString(c, `"TOKEN"`)
		c = secret.ReplaceAllString(c, `"SECRET"`)
		out[i] = c
	}
	return out
}

// asGET turns each of Go's reads in cmds into the GET PHP sends. Go reads
// with EXISTS key, STRLEN key and GETRANGE key 0 <1 MiB - 1> in one
// pipeline: the GETRANGE returns the whole of any session up to 1 MiB and
// no more of a larger one, so that a value over Options.MaxSize is refused
// (on STRLEN) before it is transferred whole, and EXISTS tells a missing
// key from an empty value, for which GETRANGE returns "" alike. PHP sends
// one bare GET. That is the deliberate difference.
func asGET(cmds []string) []string {
	var out []string
	for i := 0; i < len(cmds); i++ {
		key, ok := strings.CutPrefix(cmds[i], `"EXISTS" `)
		if ok && i+2 < len(cmds) && cmds[i+1] == `"STRLEN" `+key && cmds[i+2] == `"GETRANGE" `+key+` "0" "1048575"` {
			out = append(out, `"GET" `+key)
			i += 2
			continue
		}
		out = append(out, cmds[i])
	}
	return out
}

// phpWireOps replays, operation by operation, the phpredis calls Phalcon's
// Redis session adapter makes with lockingEnabled, each after an ECHO
// marker.
const phpWireOps = `<?php
[, $port, $id] = $argv;
$r = new Redis();
$r->connect('127.0.0.1', (int) $port);
$r->setOption(Redis::OPT_PREFIX, 'sess-reds-');
$lock = "sess-reds-$id-lock";
$token = bin2hex(random_bytes(16));
$release = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
$r->echo('op:lock');    $r->rawCommand('SET', $lock, $token, 'NX', 'EX', 30);
$r->echo('op:write');   $r->set($id, serialize('a|i:1;'), 3600);
$r->echo('op:read');    $r->get($id);
$r->echo('op:exists');  $r->exists($id);
$r->echo('op:destroy'); $r->unlink($id);
$r->echo('op:unlock');  $r->rawCommand('EVAL', $release, 1, $lock, $token);
`

// phpWireNative runs phpredis's session handler with locking, each step
// after an ECHO marker.
const phpWireNative = `<?php
[, $port, $id] = $argv;
ini_set('session.save_handler', 'redis');
ini_set('session.save_path', "tcp://127.0.0.1:$port");
ini_set('redis.session.locking_enabled', '1');
ini_set('redis.session.lock_expire', '30');
$r = new Redis();
$r->connect('127.0.0.1', (int) $port);
session_id($id);
$r->echo('op:lock+read');  session_start();
$_SESSION['a'] = 1;
$r->echo('op:write+unlock'); session_write_close();
$r->echo('op:touch'); session_start(); session_write_close();
$r->echo('op:exists'); ini_set('session.use_strict_mode', '1'); session_start(); session_write_close();
$r->echo('op:destroy'); session_start(); session_destroy();
`

// TestWire checks that Go sends Redis the same commands, with the same
// arguments, as PHP does for each operation.
func TestWire(t *testing.T) {
	testenv.PHP(t, "redis")
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	port := strconv.Itoa(srv.Port)

	t.Run("phalcon", func(t *testing.T) {
		id := storetest.NewID()
		php := record(t, srv, client, func() { testenv.RunPHP(t, phpWireOps, nil, port, id) })
		s := newStore(t, client, redisstore.Options{Locking: true})
		def := record(t, srv, client, func() {
			client.Echo(ctx, "op:lock")
			unlock, err := s.Lock(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			client.Echo(ctx, "op:write")
			s.Write(ctx, id, []byte("a|i:1;"), 0)
			client.Echo(ctx, "op:read")
			s.Read(ctx, id)
			client.Echo(ctx, "op:exists")
			s.Exists(ctx, id)
			client.Echo(ctx, "op:destroy")
			s.Destroy(ctx, id)
			client.Echo(ctx, "op:unlock")
			unlock(ctx)
		})
		for _, op := range []string{"op:lock", "op:write", "op:read", "op:exists", "op:destroy", "op:unlock"} {
			want, got := normalize(php[op], id), asGET(normalize(def[op], id))
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("%s: Go sent\n\t%s\nPHP sent\n\t%s", op, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
		}
	})

	t.Run("native", func(t *testing.T) {
		id := storetest.NewID()
		php := record(t, srv, client, func() { testenv.RunPHP(t, phpWireNative, nil, port, id) })
		client.Del(ctx, "PHPREDIS_SESSION:"+id)
		client.ScriptFlush(ctx) // PHP loaded the release script; start as it did
		s := newStore(t, client, redisstore.Options{Layout: adapters.LayoutNative, Locking: true})
		def := record(t, srv, client, func() {
			client.Echo(ctx, "op:lock+read")
			unlock, err := s.Lock(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			s.Read(ctx, id)
			client.Echo(ctx, "op:write+unlock")
			s.Write(ctx, id, []byte("a|i:1;"), 0)
			unlock(ctx)
			client.Echo(ctx, "op:exists")
			s.Exists(ctx, id)
			client.Echo(ctx, "op:destroy")
			s.Destroy(ctx, id)
		})
		// phpredis reads its lock back before writing (to warn "Session
		// lock expired"); Go's manager holds the lock for the whole request
		// and does not.
		lockCheck := `"GET" "PHPREDIS_SESSION:ID_LOCK"`
		for _, op := range []string{"op:lock+read", "op:write+unlock"} {
			want := slices.DeleteFunc(normalize(php[op], id), func(c string) bool { return c == lockCheck })
			got := asGET(normalize(def[op], id))
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("%s: Go sent\n\t%s\nPHP sent\n\t%s", op, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
		}
		// The other operations: PHP wraps them in a whole session_start;
		// the command Go sends must be among PHP's.
		for _, op := range []string{"op:exists", "op:destroy"} {
			want := normalize(php[op], id)
			for _, c := range normalize(def[op], id) {
				if !slices.Contains(want, c) {
					t.Errorf("%s: Go sent %s; PHP sent\n\t%s", op, c, strings.Join(want, "\n\t"))
				}
			}
		}
		touch := normalize(php["op:touch"], id)
		if want := `"EXPIRE" "PHPREDIS_SESSION:ID" "1440"`; !slices.Contains(touch, want) {
			t.Errorf("PHP's unchanged session sent\n\t%s\nwant %s among them", strings.Join(touch, "\n\t"), want)
		}
		got := record(t, srv, client, func() {
			s.Write(ctx, id, []byte("a|i:1;"), 0)
			client.Echo(ctx, "op:touch")
			s.Touch(ctx, id, 0)
		})
		if want := []string{`"EXPIRE" "PHPREDIS_SESSION:ID" "1440"`}; !slices.Equal(normalize(got["op:touch"], id), want) {
			t.Errorf("Touch sent %q, want %q", got["op:touch"], want)
		}
	})
}

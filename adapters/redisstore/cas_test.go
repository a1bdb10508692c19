package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

// TestCASWire checks what a compare-and-swap costs on the wire: ReadVersion
// is one pipeline of EXISTS, STRLEN and GETRANGE (see asGET), also when
// the key is missing;
// WriteIfVersion is one EVALSHA, plus one EVAL the first time a
// server runs the script (NOSCRIPT), also after SCRIPT FLUSH; a conflict is
// one EVALSHA too. What the script stores is what Write stores: the same
// value bytes and TTL.
func TestCASWire(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	for _, layout := range layouts {
		t.Run(layout.String(), func(t *testing.T) {
			s := newStore(t, client, redisstore.Options{Layout: layout})
			id := storetest.NewID()
			client.ScriptFlush(ctx)
			var ver, stale adapters.Version
			got := record(t, srv, client, func() {
				var err error
				client.Echo(ctx, "op:read-missing")
				if _, _, stale, err = s.ReadVersion(ctx, id); err != nil {
					t.Fatal(err)
				}
				client.Echo(ctx, "op:first-write")
				if err := s.WriteIfVersion(ctx, id, []byte("n|i:1;"), 0, stale); err != nil {
					t.Fatal(err)
				}
				client.Echo(ctx, "op:read")
				if _, _, ver, err = s.ReadVersion(ctx, id); err != nil {
					t.Fatal(err)
				}
				client.Echo(ctx, "op:write")
				if err := s.WriteIfVersion(ctx, id, []byte("n|i:2;"), 0, ver); err != nil {
					t.Fatal(err)
				}
				client.Echo(ctx, "op:conflict")
				if err := s.WriteIfVersion(ctx, id, []byte("n|i:9;"), 0, ver); !errors.Is(err, adapters.ErrConflict) {
					t.Errorf("WriteIfVersion with a stale version = %v, want ErrConflict", err)
				}
			})
			key := `"` + s.Key(id) + `"`
			tests := []struct {
				op   string
				want []string // command names, each on key
			}{
				{"op:read-missing", []string{"EXISTS", "STRLEN", "GETRANGE"}},
				{"op:first-write", []string{"EVALSHA", "EVAL"}},
				{"op:read", []string{"EXISTS", "STRLEN", "GETRANGE"}},
				{"op:write", []string{"EVALSHA"}},
				{"op:conflict", []string{"EVALSHA"}},
			}
			for _, tt := range tests {
				cmds := got[tt.op]
				ok := len(cmds) == len(tt.want)
				for i := 0; ok && i < len(cmds); i++ {
					ok = strings.HasPrefix(cmds[i], `"`+tt.want[i]+`"`) && strings.Contains(cmds[i], key)
				}
				if !ok {
					t.Errorf("%s sent\n\t%s\nwant %q on %s", tt.op, strings.Join(cmds, "\n\t"), tt.want, key)
				}
			}

			// The script's SETEX leaves what Write's leaves.
			ref := storetest.NewID()
			if err := s.Write(ctx, ref, []byte("n|i:2;"), 0); err != nil {
				t.Fatal(err)
			}
			want, wantTTL := client.Get(ctx, s.Key(ref)).Val(), client.TTL(ctx, s.Key(ref)).Val()
			if v, ttl := client.Get(ctx, s.Key(id)).Val(), client.TTL(ctx, s.Key(id)).Val(); v != want || ttl != wantTTL {
				t.Errorf("WriteIfVersion stored %q for %v, Write stored %q for %v", v, ttl, want, wantTTL)
			}
			if _, _, ver, err := s.ReadVersion(ctx, id); err != nil {
				t.Fatal(err)
			} else if err := s.WriteIfVersion(ctx, id, []byte("n|i:3;"), 90*time.Second, ver); err != nil {
				t.Fatal(err)
			}
			if ttl := client.TTL(ctx, s.Key(id)).Val(); ttl != 90*time.Second {
				t.Errorf("WriteIfVersion with ttl 90s left a TTL of %v", ttl)
			}
		})
	}
}

// TestCASForeignValue checks the compare-and-swap against values Go did
// not write: a key of another type fails with WRONGTYPE, as GET does, and
// writes nothing; an empty value has a version like any other.
func TestCASForeignValue(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	s := newStore(t, client, redisstore.Options{Layout: adapters.LayoutNative})

	id := storetest.NewID()
	if err := client.Set(ctx, s.Key(id), "", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	data, found, ver, err := s.ReadVersion(ctx, id)
	if err != nil || !found || len(data) != 0 {
		t.Fatalf("ReadVersion of an empty value = %q, %v, %v; want empty, true, nil", data, found, err)
	}
	if err := s.WriteIfVersion(ctx, id, []byte("a|i:1;"), 0, ver); err != nil {
		t.Errorf("WriteIfVersion over the empty value it read = %v", err)
	}

	id = storetest.NewID()
	_, _, ver, err = s.ReadVersion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.HSet(ctx, s.Key(id), "f", "v").Err(); err != nil {
		t.Fatal(err)
	}
	err = s.WriteIfVersion(ctx, id, []byte("a|i:1;"), 0, ver)
	var opErr *redisstore.OpError
	if !errors.As(err, &opErr) || errors.Is(err, adapters.ErrConflict) || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Errorf("WriteIfVersion over a hash = %v, want an *OpError with WRONGTYPE", err)
	}
	if typ := client.Type(ctx, s.Key(id)).Val(); typ != "hash" {
		t.Errorf("after the failed write the key is a %s", typ)
	}
}

// phpCAS is the PHP side of TestCASWithPHP, replaying Phalcon's Redis
// adapter (OPT_PREFIX sess-reds-, set(id, serialize(payload), 3600)).
//
// Usage: php cas.php <mode> <port> <id> [n]
const phpCAS = `<?php
[, $mode, $port, $id] = $argv;
$r = new Redis();
$r->connect('127.0.0.1', (int) $port);
$r->setOption(Redis::OPT_PREFIX, 'sess-reds-');
switch ($mode) {
case 'write': // Phalcon's write(id, data), data on stdin
    $r->set($id, serialize(stream_get_contents(STDIN)), 3600);
    break;
case 'read': // Phalcon's read(id)
    $v = $r->get($id);
    echo $v === false ? '' : unserialize($v);
    break;
case 'incr': // n increments of n|i:K; with phpredis's WATCH/MULTI/EXEC
    for ($done = 0, $tries = 0; $done < (int) $argv[4]; $tries++) {
        $r->watch($id);
        if (!preg_match('/^n\|i:(\d+);$/', unserialize($r->get($id)), $m)) {
            throw new Error('bad session');
        }
        $ok = $r->multi()->set($id, serialize('n|i:' . ($m[1] + 1) . ';'), 3600)->exec();
        if ($ok !== false && $ok !== null) {
            $done++;
        }
    }
    echo $tries - $done;
    break;
}
`

// TestCASWithPHP runs the compare-and-swap against a PHP writer doing what
// Phalcon does: a PHP write between Go's read and write is a conflict, and
// Go then writes nothing; without one, PHP reads what Go wrote. Then PHP
// processes (with WATCH/MULTI/EXEC) and Go goroutines (with ReadVersion and
// WriteIfVersion) increment one counter at once, and not one increment is
// lost on either side.
func TestCASWithPHP(t *testing.T) {
	php := testenv.PHP(t, "redis")
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	port := strconv.Itoa(srv.Port)
	s := newStore(t, client, redisstore.Options{})
	phpRun := func(stdin string, args ...string) string {
		t.Helper()
		return string(testenv.RunPHP(t, phpCAS, []byte(stdin), append([]string{args[0], port}, args[1:]...)...))
	}

	t.Run("interleaved", func(t *testing.T) {
		// Values longer than 4 KiB are compared by their SHA-1, shorter
		// ones byte for byte: large sessions that differ in their last byte
		// only, or in their length only.
		large := `big|s:5000:"` + strings.Repeat("x", 5000) + `";`
		largeLast := large[:len(large)-3] + `y";`
		largeLonger := `big|s:5001:"` + strings.Repeat("x", 5001) + `";`
		tests := []struct {
			name     string
			before   string // session before Go reads ("" = none)
			php      string // what PHP writes between Go's read and write ("" = nothing)
			conflict bool
		}{
			{"php changed it", "n|i:1;", "n|i:2;", true},
			{"php created it", "", "n|i:1;", true},
			{"php wrote the same bytes", "n|i:1;", "n|i:1;", false},
			{"php did nothing", "n|i:1;", "", false},
			{"new, php did nothing", "", "", false},
			{"php changed its last byte, large", large, largeLast, true},
			{"php made it longer, large", large, largeLonger, true},
			{"php made it large", "n|i:1;", large, true},
			{"php made it small", large, "n|i:1;", true},
			{"php wrote the same bytes, large", large, large, false},
			{"php did nothing, large", large, "", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := storetest.NewID()
				if tt.before != "" {
					phpRun(tt.before, "write", id)
				}
				_, _, ver, err := s.ReadVersion(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if tt.php != "" {
					phpRun(tt.php, "write", id)
				}
				err = s.WriteIfVersion(ctx, id, []byte("go|b:1;"), 0, ver)
				want := "go|b:1;"
				if tt.conflict {
					want = tt.php
					if !errors.Is(err, adapters.ErrConflict) {
						t.Errorf("WriteIfVersion = %v, want ErrConflict", err)
					}
				} else if err != nil {
					t.Errorf("WriteIfVersion = %v, want nil", err)
				}
				if got := phpRun("", "read", id); got != want {
					t.Errorf("PHP reads %q, want %q", got, want)
				}
			})
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		const workers, rounds = 2, 150
		id := storetest.NewID()
		phpRun("n|i:0;", "write", id)
		script := filepath.Join(t.TempDir(), "cas.php")
		if err := os.WriteFile(script, []byte(phpCAS), 0o600); err != nil {
			t.Fatal(err)
		}
		number := regexp.MustCompile(`^n\|i:(\d+);$`)
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			conflicts int
		)
		errs := make(chan error, 2*workers)
		for range workers {
			wg.Add(2)
			go func() {
				defer wg.Done()
				out, err := exec.CommandContext(ctx, php, script, "incr", port, id, strconv.Itoa(rounds)).CombinedOutput()
				if err != nil {
					errs <- fmt.Errorf("php: %v\n%s", err, out)
				}
			}()
			go func() {
				defer wg.Done()
				for done := 0; done < rounds; {
					data, _, ver, err := s.ReadVersion(ctx, id)
					if err != nil {
						errs <- err
						return
					}
					m := number.FindSubmatch(data)
					if m == nil {
						errs <- fmt.Errorf("session %q", data)
						return
					}
					n, _ := strconv.Atoi(string(m[1]))
					err = s.WriteIfVersion(ctx, id, fmt.Appendf(nil, "n|i:%d;", n+1), 0, ver)
					switch {
					case err == nil:
						done++
					case errors.Is(err, adapters.ErrConflict):
						mu.Lock()
						conflicts++
						mu.Unlock()
					default:
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		want := fmt.Sprintf("n|i:%d;", 2*workers*rounds)
		if got := phpRun("", "read", id); got != want {
			t.Errorf("after %d PHP and %d Go increments PHP reads %q, want %q", workers*rounds, workers*rounds, got, want)
		}
		t.Logf("%d Go conflicts retried", conflicts)
	})
}

// BenchmarkCAS compares a compare-and-swap write (one EVALSHA running GET,
// a comparison and SETEX in Lua) with a plain Write (SETEX) of the same
// logged-in session, and ReadVersion (GET, keeping a copy of the value) with
// Read.
func BenchmarkCAS(b *testing.B) {
	srv := testenv.StartRedis(b)
	ctx := context.Background()
	s := newStore(b, newClient(b, srv.Addr), redisstore.Options{})
	payload := []byte(`auth|a:3:{s:2:"id";i:42;s:4:"name";s:11:"Dark Helmet";s:5:"roles";a:2:{i:0;s:5:"admin";i:1;s:4:"user";}}csrf|s:6:"a1b2c3";hits|i:0;`)
	const id = "benchmarkcas"
	if err := s.Write(ctx, id, payload, 0); err != nil {
		b.Fatal(err)
	}
	_, _, ver, err := s.ReadVersion(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	benchmarks := []struct {
		name string
		op   func() error
	}{
		{"Read", func() error { _, _, err := s.Read(ctx, id); return err }},
		{"ReadVersion", func() error { _, _, _, err := s.ReadVersion(ctx, id); return err }},
		{"Write", func() error { return s.Write(ctx, id, payload, 0) }},
		{"WriteIfVersion", func() error { return s.WriteIfVersion(ctx, id, payload, 0, ver) }},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if err := bm.op(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

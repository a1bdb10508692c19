package memcachedstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/internal/vectors"
)

// startServers starts n memcached servers and returns them as Servers.
// Their items may be up to 4 MiB (the conformance suite writes 1 MiB
// sessions; memcached's default limit is 1 MiB including overhead).
func startServers(t *testing.T, n int) []Server {
	t.Helper()
	var servers []Server
	for range n {
		mc := testenv.StartMemcached(t, "-I", "4m")
		servers = append(servers, Server{Host: "127.0.0.1", Port: mc.Port, Weight: 1})
	}
	return servers
}

var prefixSeq atomic.Int64

// uniquePrefix keeps the stores of one test apart on shared servers.
func uniquePrefix(base string) string {
	return fmt.Sprintf("%st%d-", base, prefixSeq.Add(1))
}

// newStore returns a store closed at the end of the test. Its Timeout is 5 s
// unless opts says otherwise: tests run in parallel with -race on small
// machines.
func newStore(t *testing.T, opts Options) *Store {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v) = %v", opts, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 3} {
		servers := startServers(t, n)
		for _, layout := range []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutPhalcon4, adapters.LayoutNative} {
			t.Run(fmt.Sprintf("%dservers/%v", n, layout), func(t *testing.T) {
				storetest.Run(t, func(t *testing.T) adapters.Store {
					return newStore(t, Options{Servers: servers, Layout: layout, Prefix: uniquePrefix("sess-memc-")})
				})
			})
		}
	}
	t.Run("1servers/fastlz", func(t *testing.T) {
		servers := startServers(t, 1)
		storetest.Run(t, func(t *testing.T) adapters.Store {
			return newStore(t, Options{Servers: servers, Compression: CompressionFastLZ, CompressionThreshold: 50, Prefix: uniquePrefix("z-")})
		})
	})
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPhalconVectors checks every libmemcached vector a real Phalcon 5.18.1
// wrote: Go reads the stored bytes back to the payload, and Go writing the
// payload leaves the same key, and the same bytes and flags (with FastLZ
// compression, as php-memcached's default) or the uncompressed value with
// flags 0 (the default).
func TestPhalconVectors(t *testing.T) {
	t.Parallel()
	servers := startServers(t, 1)
	raw := memcache.New(fmt.Sprintf("127.0.0.1:%d", servers[0].Port))
	ctx := context.Background()
	plain := newStore(t, Options{Servers: servers})
	fastlz := newStore(t, Options{Servers: servers, Compression: CompressionFastLZ})
	compressed := 0
	for _, v := range vectors.MustFilter(t, vectors.MustLoad(t), "libmemcached", "") {
		t.Run(v.Handler+"/"+v.Scenario, func(t *testing.T) {
			stored, payload := v.Stored, v.Payload
			if got := plain.Key(v.ID); got != v.Key {
				t.Errorf("Key(%q) = %q, want %q", v.ID, got, v.Key)
			}
			// PHP -> Go.
			if err := raw.Set(&memcache.Item{Key: v.Key, Value: stored, Flags: *v.Flags}); err != nil {
				t.Fatal(err)
			}
			got, found, err := plain.Read(ctx, v.ID)
			if err != nil || !found || !bytes.Equal(got, payload) {
				t.Fatalf("Read(%q) = %q, %v, %v; want the payload %q", v.ID, got, found, err, payload)
			}
			// Go -> PHP.
			for _, tc := range []struct {
				s         *Store
				value     []byte
				flags     uint32
				wantTTLOK bool
			}{
				{fastlz, stored, *v.Flags, true},
				{plain, adapters.Wrap(payload), 0, true},
			} {
				if err := tc.s.Write(ctx, v.ID, payload, 0); err != nil {
					t.Fatal(err)
				}
				it, err := raw.Get(v.Key)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(it.Value, tc.value) || it.Flags != tc.flags {
					t.Errorf("Write(%q) with %v stored %q flags %d, want %q flags %d", v.ID, tc.s.opts.Compression, it.Value, it.Flags, tc.value, tc.flags)
				}
			}
			if *v.Flags != 0 {
				compressed++
			}
			if *v.TTL != int64(DefaultLifetime/time.Second) {
				t.Errorf("vector ttl %d, our default lifetime %v", *v.TTL, DefaultLifetime)
			}
		})
	}
	if compressed == 0 {
		t.Error("no compressed vector was checked")
	}
}

func TestExpiration(t *testing.T) {
	s := newStore(t, Options{Servers: []Server{{Host: "127.0.0.1"}}})
	native := newStore(t, Options{Servers: []Server{{Host: "127.0.0.1"}}, Layout: adapters.LayoutNative})
	now := time.Now().Unix()
	tests := []struct {
		s    *Store
		ttl  time.Duration
		want int64
	}{
		{s, 0, 3600},
		{native, 0, 1440},
		{s, time.Second, 1},
		{s, 1500 * time.Millisecond, 2},
		{s, time.Nanosecond, 1},
		{s, 30 * 24 * time.Hour, 30 * 24 * 3600},
		{s, 30*24*time.Hour + time.Second, now + 30*24*3600 + 1},
		{s, time.Duration(math.MaxInt64), 1<<31 - 1},
	}
	for _, tt := range tests {
		got, err := tt.s.expiration(tt.ttl)
		if err != nil || (int64(got) != tt.want && int64(got) != tt.want+1) {
			t.Errorf("expiration(%v) = %d, %v; want %d", tt.ttl, got, err, tt.want)
		}
	}
	if _, err := s.expiration(-time.Second); err == nil {
		t.Error("expiration(-1s) = nil error")
	}
}

func TestOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"native compression", Options{Layout: adapters.LayoutNative, Compression: CompressionFastLZ}},
		{"bad layout", Options{Layout: adapters.Layout(9)}},
		{"bad compression", Options{Compression: Compression(9)}},
		{"bad distribution", Options{Distribution: Distribution(9)}},
		{"prefix space", Options{Prefix: "a b"}},
		{"negative lifetime", Options{Lifetime: -time.Second}},
		{"negative timeout", Options{Timeout: -time.Second}},
		{"lock waits", Options{LockWaitMin: time.Second, LockWaitMax: time.Millisecond}},
		{"no host", Options{Servers: []Server{{Port: 11211}}}},
		{"bad port", Options{Servers: []Server{{Host: "h", Port: 70000}}}},
		{"negative weight", Options{Servers: []Server{{Host: "h", Weight: -1}}}},
	}
	for _, tt := range tests {
		if _, err := New(tt.opts); err == nil {
			t.Errorf("%s: New(%+v) = nil error", tt.name, tt.opts)
		}
	}
}

// TestLongKey: the id is valid but prefix + "lock." + id is over memcached's
// 250 bytes.
func TestLongKey(t *testing.T) {
	s := newStore(t, Options{Servers: []Server{{Host: "127.0.0.1"}}})
	id := string(bytes.Repeat([]byte("a"), maxKeyLength-len(DefaultPrefix)-len(lockInfix)+1))
	if err := s.Write(context.Background(), id, nil, 0); !errors.Is(err, adapters.ErrInvalidID) {
		t.Errorf("Write(%d-byte id) = %v, want ErrInvalidID", len(id), err)
	}
}

// TestServerGone: memcached dies between calls, and calls return errors.
func TestServerGone(t *testing.T) {
	t.Parallel()
	bin := testenv.MustHaveExecPath(t, "memcached")
	port := testenv.FreePort(t)
	args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root")
	}
	cmd := testenv.StartProcess(t, t.TempDir()+"/mc.log", bin, args...)
	if err := testenv.WaitForTCP(fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, Options{Servers: []Server{{Host: "127.0.0.1", Port: port}}, Layout: adapters.LayoutNative, Timeout: 200 * time.Millisecond})
	ctx := context.Background()
	if err := s.Write(ctx, "gone1", []byte("a|i:1;"), 0); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill()
	cmd.Process.Wait()
	if _, _, err := s.Read(ctx, "gone1"); err == nil {
		t.Error("Read with the server gone = nil error")
	}
	if err := s.Write(ctx, "gone1", []byte("b"), 0); err == nil {
		t.Error("Write with the server gone = nil error")
	}
	if _, err := s.Lock(ctx, "gone1"); err == nil || errors.Is(err, adapters.ErrLockTimeout) {
		t.Errorf("Lock with the server gone = %v, want a connection error", err)
	}
	if _, err := s.Exists(ctx, "gone1"); err == nil {
		t.Error("Exists with the server gone = nil error")
	}
}

// ttlOf asks memcached (meta get) for the remaining ttl of key: -1 for
// none, -2 for a missing key.
func ttlOf(t *testing.T, addr, key string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "mg %s t\r\n", key)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	line = strings.TrimSpace(line)
	if line == "EN" {
		return -2
	}
	var ttl int
	if _, err := fmt.Sscanf(line, "HD t%d", &ttl); err != nil {
		t.Fatalf("mg %s: %q", key, line)
	}
	return ttl
}

func TestTTL(t *testing.T) {
	t.Parallel()
	servers := startServers(t, 1)
	addr := servers[0].String()
	ctx := context.Background()
	// memcached counts in whole seconds of a clock it updates once a
	// second, so an absolute expiry can read one second long.
	near := func(got, want int) bool { return got <= want+1 && got >= want-5 }
	for _, tc := range []struct {
		layout adapters.Layout
		want   int
	}{{adapters.LayoutPhalcon5, 3600}, {adapters.LayoutPhalcon4, 3600}, {adapters.LayoutNative, 1440}} {
		s := newStore(t, Options{Servers: servers, Layout: tc.layout})
		id := storetest.NewID()
		if err := s.Write(ctx, id, []byte("a|i:1;"), 0); err != nil {
			t.Fatal(err)
		}
		if got := ttlOf(t, addr, s.Key(id)); !near(got, tc.want) {
			t.Errorf("%v: ttl after Write(ttl 0) = %d, want %d", tc.layout, got, tc.want)
		}
		if err := s.Write(ctx, id, []byte("a|i:1;"), 90*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := ttlOf(t, addr, s.Key(id)); !near(got, 90) {
			t.Errorf("%v: ttl after Write(90s) = %d, want 90", tc.layout, got)
		}
		if err := s.Touch(ctx, id, 600*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := ttlOf(t, addr, s.Key(id)); !near(got, 600) {
			t.Errorf("%v: ttl after Touch(600s) = %d, want 600", tc.layout, got)
		}
		if err := s.Write(ctx, id, []byte("a|i:1;"), 40*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		if got := ttlOf(t, addr, s.Key(id)); !near(got, 40*24*3600) {
			t.Errorf("%v: ttl after Write(40 days) = %d, want %d", tc.layout, got, 40*24*3600)
		}
		unlock, err := s.Lock(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := ttlOf(t, addr, s.Key("lock."+id)); !near(got, 30) {
			t.Errorf("%v: lock ttl = %d, want 30", tc.layout, got)
		}
		if err := unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if got := ttlOf(t, addr, s.Key("lock."+id)); got != -2 {
			t.Errorf("%v: lock still there after Unlock (ttl %d)", tc.layout, got)
		}
	}
}

// TestExpiry reads the TTL memcached has for a session, as ttlOf reads it
// on the wire: a relative and an absolute (over 30 days) expiry, and an
// item PHP stored without one.
func TestExpiry(t *testing.T) {
	t.Parallel()
	servers := startServers(t, 1)
	ctx := context.Background()
	s := newStore(t, Options{Servers: servers})
	id := storetest.NewID()
	for _, ttl := range []time.Duration{90 * time.Second, 40 * 24 * time.Hour} {
		if err := s.Write(ctx, id, []byte("a|i:1;"), ttl); err != nil {
			t.Fatal(err)
		}
		exp, found, err := s.Expiry(ctx, id)
		want := time.Duration(ttlOf(t, servers[0].String(), s.Key(id))) * time.Second
		if err != nil || !found || !exp.HasTTL || exp.TTL < want || exp.TTL > want+time.Second || !exp.Modified.IsZero() {
			t.Errorf("Expiry(%q) after Write(%v) = %+v, %v, %v; want TTL %v (mg t, read after), or a second more", id, ttl, exp, found, err, want)
		}
	}
	c := memcache.New(servers[0].String())
	if err := c.Set(&memcache.Item{Key: s.Key(id), Value: adapters.Wrap([]byte("a|i:1;"))}); err != nil {
		t.Fatal(err)
	}
	if exp, found, err := s.Expiry(ctx, id); err != nil || !found || !exp.HasTTL || exp.TTL >= 0 {
		t.Errorf("Expiry(%q) of an item without expiry = %+v, %v, %v; want a negative TTL", id, exp, found, err)
	}
}

// TestDestroyReleasesLock: as php-memcached's destroy, a native Destroy
// releases the lock its Store holds; the old Unlock then leaves a newer
// holder's lock alone.
func TestDestroyReleasesLock(t *testing.T) {
	t.Parallel()
	servers := startServers(t, 1)
	ctx := context.Background()
	a := newStore(t, Options{Servers: servers, Layout: adapters.LayoutNative})
	b := newStore(t, Options{Servers: servers, Layout: adapters.LayoutNative, LockRetries: -1})
	id := storetest.NewID()
	unlockA, err := a.Lock(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Lock(ctx, id); !errors.Is(err, adapters.ErrLockTimeout) {
		t.Fatalf("Lock(%q) while held elsewhere = %v, want ErrLockTimeout after one attempt", id, err)
	}
	if err := a.Destroy(ctx, id); err != nil {
		t.Fatal(err)
	}
	unlockB, err := b.Lock(ctx, id)
	if err != nil {
		t.Fatalf("Lock(%q) after the holder destroyed the session = %v", id, err)
	}
	if err := unlockA(ctx); err != nil {
		t.Fatalf("stale Unlock = %v", err)
	}
	if got := ttlOf(t, servers[0].String(), a.Key("lock."+id)); got == -2 {
		t.Fatal("a stale Unlock released another holder's lock")
	}
	if err := unlockB(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestStaleUnlock: a lock that expired and was taken by someone else is
// not deleted by its first holder's Unlock.
func TestStaleUnlock(t *testing.T) {
	t.Parallel()
	servers := startServers(t, 1)
	ctx := context.Background()
	a := newStore(t, Options{Servers: servers, Layout: adapters.LayoutNative, LockExpire: time.Second})
	b := newStore(t, Options{Servers: servers, Layout: adapters.LayoutNative, LockRetries: 30, LockWaitMin: 100 * time.Millisecond})
	id := storetest.NewID()
	unlockA, err := a.Lock(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	unlockB, err := b.Lock(ctx, id) // gets it once a's lock expires
	if err != nil {
		t.Fatal(err)
	}
	if err := unlockA(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ttlOf(t, servers[0].String(), a.Key("lock."+id)); got == -2 {
		t.Fatal("an expired holder's Unlock released the new holder's lock")
	}
	if err := unlockB(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestServerDiesMidResponse: a server that sends half an answer and hangs
// up gives errors, never a panic or a half-read session.
func TestServerDiesMidResponse(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	answers := []string{
		"VALUE sess-memc-cut1 0 100\r\ns:95:\"abc", // value cut short
		"VALUE sess-memc-cut1 0 5\r\nabc",          // shorter than declared
		"SERVER_ERROR out of memory\r\n",
		"",   // closes at once
		"ST", // part of a status line
	}
	go func() {
		for i := 0; ; i++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			c.Read(buf)
			c.Write([]byte(answers[i%len(answers)]))
			c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	s := newStore(t, Options{Servers: []Server{{Host: "127.0.0.1", Port: port}}, Timeout: time.Second})
	ctx := context.Background()
	for i := range 2 * len(answers) {
		var err error
		switch i % 3 {
		case 0:
			var found bool
			_, found, err = s.Read(ctx, "cut1")
			if found {
				t.Errorf("Read %d found a session in a broken answer", i)
			}
		case 1:
			err = s.Write(ctx, "cut1", []byte("a|i:1;"), 0)
		default:
			_, err = s.Lock(ctx, "cut1")
		}
		if err == nil {
			t.Errorf("call %d on a server that hangs up = nil error", i)
		}
	}
}

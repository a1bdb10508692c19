package redisstore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/redishook"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/internal/vectors"
)

var layouts = []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutPhalcon4, adapters.LayoutNative}

// newClient returns a go-redis client for addr, closed when the test ends.
func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c
}

// newStore returns a Store on client, failing the test on error.
func newStore(t testing.TB, client redis.UniversalClient, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(client, opts)
	if err != nil {
		t.Fatalf("New(%+v) = %v", opts, err)
	}
	return s
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// conformance runs storetest.Run for every layout against client, each
// subtest under a prefix of its own, with and without
// Options.AutoPipeline.
func conformance(t *testing.T, client redis.UniversalClient) {
	for _, autoPipeline := range []bool{false, true} {
		if _, err := client.AutoPipeline(); autoPipeline && err != nil {
			continue // a Ring (TestAutoPipelineClient)
		}
		for _, layout := range layouts {
			name := layout.String()
			if autoPipeline {
				name += "/autopipeline"
			}
			t.Run(name, func(t *testing.T) {
				n := 0
				storetest.Run(t, func(t *testing.T) adapters.Store {
					n++
					return newStore(t, client, redisstore.Options{
						Layout:       layout,
						Prefix:       fmt.Sprintf("conf-%s-%d-%s:", layout, n, storetest.NewID()),
						Locking:      true,
						LockWait:     2 * time.Millisecond,
						LockRetries:  5000,
						AutoPipeline: autoPipeline,
					})
				})
			})
		}
	}
}

func TestConformance(t *testing.T) {
	srv := testenv.StartRedis(t)
	conformance(t, newClient(t, srv.Addr))
}

// pipelineSizes is a go-redis hook that records the size of every
// pipeline the client sends.
type pipelineSizes struct {
	mu    sync.Mutex
	sizes []int
}

func (h *pipelineSizes) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *pipelineSizes) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *pipelineSizes) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.mu.Lock()
		h.sizes = append(h.sizes, len(cmds))
		h.mu.Unlock()
		return next(ctx, cmds)
	}
}

// TestAutoPipeline runs request cycles (ReadVersion, then WriteIfVersion)
// from many goroutines at once through a store with AutoPipeline, each on
// its own session, and checks that every cycle read what the one before
// it wrote, that a stale version still loses, and that the commands did
// travel in shared pipelines.
func TestAutoPipeline(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	hook := &pipelineSizes{}
	client.AddHook(hook)
	s := newStore(t, client, redisstore.Options{AutoPipeline: true})
	ctx := ctxFor(t)

	const workers, cycles = 32, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := storetest.NewID()
			for i := range cycles {
				data, found, ver, err := s.ReadVersion(ctx, id)
				if err != nil {
					errs <- err
					return
				}
				want := strconv.Itoa(i - 1)
				if i == 0 {
					want = ""
				}
				if (i > 0) != found || string(data) != want {
					errs <- fmt.Errorf("worker %d cycle %d: read %q (found %v), want %q", w, i, data, found, want)
					return
				}
				if err := s.WriteIfVersion(ctx, id, []byte(strconv.Itoa(i)), 0, ver); err != nil {
					errs <- err
					return
				}
				if i == cycles-1 {
					err := s.WriteIfVersion(ctx, id, []byte("stale"), 0, ver)
					if !errors.Is(err, adapters.ErrConflict) {
						errs <- fmt.Errorf("worker %d: stale write = %v, want ErrConflict", w, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	batched := 0
	for _, n := range hook.sizes {
		if n > 1 {
			batched += n
		}
	}
	t.Logf("%d pipelines, %d commands in pipelines of 2 or more", len(hook.sizes), batched)
	if batched == 0 {
		t.Errorf("no pipeline carried more than one command (%d pipelines)", len(hook.sizes))
	}
}

// TestAutoPipelineAlone checks that a store with AutoPipeline sends the
// commands of a call on a pooled connection, not through the
// AutoPipeliner, when it is the only call under way: no pipeline but a
// read's own (EXISTS, STRLEN, GETRANGE) for reads, writes and
// compare-and-swaps one after the other.
func TestAutoPipelineAlone(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	// The connection's handshake is a pipeline of its own.
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	log := &redishook.RoundTrips{}
	client.AddHook(log)
	s := newStore(t, client, redisstore.Options{AutoPipeline: true, Locking: true})
	id := storetest.NewID()
	for i := range 10 {
		_, _, ver, err := s.ReadVersion(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WriteIfVersion(ctx, id, []byte(strconv.Itoa(i)), 0, ver); err != nil {
			t.Fatal(err)
		}
		if err := s.Write(ctx, id, []byte("w"), 0); err != nil {
			t.Fatal(err)
		}
		if err := s.Touch(ctx, id, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, trip := range log.Take() {
		if strings.HasPrefix(trip, "pipeline(") && trip != "pipeline(exists,strlen,getrange)" {
			t.Errorf("one call at a time went through %s, want no pipeline but a read's", trip)
		}
	}
}

// TestAutoPipelineLocked runs locked request cycles (LockRead, then
// WriteUnlock) from many goroutines at once through a store with
// AutoPipeline and Locking, two goroutines per session, and checks that
// no increment is lost: the locks taken and the writes and releases, which
// go through the AutoPipeliners, still exclude each other. It also checks
// that a lock's SET NX shared a batch with other calls' commands.
func TestAutoPipelineLocked(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	var shared atomic.Int64 // batches of more than a SET NX and its read
	client.AddHook(pipelineFunc(func(cmds []redis.Cmder) {
		if len(cmds) > 4 && slices.ContainsFunc(cmds, func(c redis.Cmder) bool { return c.Name() == "set" }) {
			shared.Add(1)
		}
	}))
	s := newStore(t, client, redisstore.Options{AutoPipeline: true, Locking: true, LockWait: time.Millisecond, LockRetries: -1})
	ctx := ctxFor(t)

	const sessions, cycles = 16, 25
	ids := make([]string, sessions)
	for i := range ids {
		ids[i] = storetest.NewID()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*sessions)
	for w := range 2 * sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := ids[w%sessions]
			for range cycles {
				data, _, held, err := s.LockRead(ctx, id)
				if err != nil {
					errs <- err
					return
				}
				n, _ := strconv.Atoi(string(data))
				if err := held.WriteUnlock(ctx, []byte(strconv.Itoa(n+1)), 0); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range ids {
		data, _, err := s.Read(ctx, id)
		if err != nil || string(data) != strconv.Itoa(2*cycles) {
			t.Errorf("session %s = %q, %v; want %d", id, data, err, 2*cycles)
		}
	}
	if shared.Load() == 0 {
		t.Error("no SET NX shared a batch with other commands")
	}
}

// pipelineFunc is a go-redis hook that calls itself with the commands of
// each pipeline.
type pipelineFunc func(cmds []redis.Cmder)

func (f pipelineFunc) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (f pipelineFunc) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (f pipelineFunc) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		f(cmds)
		return next(ctx, cmds)
	}
}

// TestAutoPipelineClient checks that AutoPipeline takes a client or an
// AutoPipeliner, and refuses a Ring, which go-redis cannot autopipeline.
func TestAutoPipelineClient(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ap, err := client.AutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []redis.UniversalClient{client, ap} {
		if _, err := redisstore.New(c, redisstore.Options{AutoPipeline: true}); err != nil {
			t.Errorf("New(%T, AutoPipeline) = %v", c, err)
		}
	}
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": srv.Addr}})
	defer ring.Close()
	if _, err := redisstore.New(ring, redisstore.Options{AutoPipeline: true}); err == nil || !strings.Contains(err.Error(), "AutoPipeline on *redis.Ring") {
		t.Errorf("New(Ring, AutoPipeline) = %v, want an error", err)
	}
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPhalconVectors checks every Redis session a real Phalcon 5.18.1
// wrote: Go writes the same key, bytes and TTL, and reads the payload back
// from Phalcon's bytes.
func TestPhalconVectors(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	for _, layout := range []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutPhalcon4} {
		s := newStore(t, client, redisstore.Options{Layout: layout})
		for _, v := range vectors.MustFilter(t, vectors.MustLoad(t), "redis", "") {
			t.Run(layout.String()+"/"+v.Handler+"/"+v.Scenario, func(t *testing.T) {
				stored, payload := v.Stored, v.Payload
				if got := s.Key(v.ID); got != v.Key {
					t.Errorf("Key(%q) = %q, want %q", v.ID, got, v.Key)
				}
				// Go writes what Phalcon wrote.
				if err := s.Write(ctx, v.ID, payload, 0); err != nil {
					t.Fatalf("Write = %v", err)
				}
				got, err := client.Get(ctx, v.Key).Bytes()
				if err != nil || string(got) != string(stored) {
					t.Fatalf("GET %s after Write = %q, %v\nwant %q", v.Key, got, err, stored)
				}
				ttl, err := client.TTL(ctx, v.Key).Result()
				if err != nil || v.TTL == nil || ttl != time.Duration(*v.TTL)*time.Second {
					t.Errorf("TTL %s = %v, %v; want %ds", v.Key, ttl, err, *v.TTL)
				}
				// Go reads what Phalcon wrote.
				if err := client.Set(ctx, v.Key, stored, time.Hour).Err(); err != nil {
					t.Fatal(err)
				}
				data, found, err := s.Read(ctx, v.ID)
				if err != nil || !found || string(data) != string(payload) {
					t.Fatalf("Read = %q, %v, %v; want %q, true, nil", data, found, err, payload)
				}
			})
		}
	}
}

// TestValueBytes checks the exact key, value and TTL of each layout.
func TestValueBytes(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	tests := []struct {
		name     string
		opts     redisstore.Options
		data     string
		ttl      time.Duration
		wantKey  string
		wantVal  string
		wantTTL  time.Duration
		wantLock string
	}{
		{"phalcon5", redisstore.Options{}, `a|i:1;`, 0, "sess-reds-ID", `s:6:"a|i:1;";`, time.Hour, "sess-reds-ID-lock"},
		{"phalcon4", redisstore.Options{Layout: adapters.LayoutPhalcon4}, `a|i:1;`, 0, "sess-reds-ID", `s:6:"a|i:1;";`, time.Hour, "sess-reds-ID-lock"},
		{"native", redisstore.Options{Layout: adapters.LayoutNative}, `a|i:1;`, 0, "PHPREDIS_SESSION:ID", `a|i:1;`, 1440 * time.Second, "PHPREDIS_SESSION:ID_LOCK"},
		{"empty", redisstore.Options{}, ``, 0, "sess-reds-ID", `s:0:"";`, time.Hour, "sess-reds-ID-lock"},
		{"multibyte", redisstore.Options{}, `u|s:2:"ß";`, 0, "sess-reds-ID", `s:11:"u|s:2:"ß";";`, time.Hour, "sess-reds-ID-lock"},
		{"custom prefix and lifetime", redisstore.Options{Prefix: "my-custom-prefix-", Lifetime: 90 * time.Second}, `x`, 0, "my-custom-prefix-ID", `s:1:"x";`, 90 * time.Second, "my-custom-prefix-ID-lock"},
		{"ttl rounded up", redisstore.Options{}, `x`, 1500 * time.Millisecond, "sess-reds-ID", `s:1:"x";`, 2 * time.Second, "sess-reds-ID-lock"},
		{"prefixed id is not stripped", redisstore.Options{}, `x`, 0, "sess-reds-sess-reds-ID", `s:1:"x";`, time.Hour, "sess-reds-sess-reds-ID-lock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := storetest.NewID()
			if strings.HasPrefix(tt.wantKey, "sess-reds-sess-reds-") {
				id = "sess-reds-" + id
			}
			key := strings.Replace(tt.wantKey, "sess-reds-sess-reds-ID", "sess-reds-"+id, 1)
			key = strings.Replace(key, "ID", id, 1)
			lockKey := strings.Replace(strings.Replace(tt.wantLock, "sess-reds-sess-reds-ID", "sess-reds-"+id, 1), "ID", id, 1)
			s := newStore(t, client, tt.opts)
			if got := s.Key(id); got != key {
				t.Errorf("Key(%q) = %q, want %q", id, got, key)
			}
			if got := s.LockKey(id); got != lockKey {
				t.Errorf("LockKey(%q) = %q, want %q", id, got, lockKey)
			}
			if err := s.Write(ctx, id, []byte(tt.data), tt.ttl); err != nil {
				t.Fatalf("Write = %v", err)
			}
			got, err := client.Get(ctx, key).Result()
			if err != nil || got != tt.wantVal {
				t.Errorf("GET %s = %q, %v; want %q", key, got, err, tt.wantVal)
			}
			if ttl := client.TTL(ctx, key).Val(); ttl != tt.wantTTL {
				t.Errorf("TTL %s = %v, want %v", key, ttl, tt.wantTTL)
			}
			data, found, err := s.Read(ctx, id)
			if err != nil || !found || string(data) != tt.data {
				t.Errorf("Read = %q, %v, %v; want %q, true, nil", data, found, err, tt.data)
			}
		})
	}
}

// TestReadForeignValue checks what each layout makes of a value that is
// not s:N:"...";: Phalcon 4 reads the raw string (phpredis's fallback);
// under Phalcon 5, which would read an empty session and overwrite the
// value, Read refuses it with ErrNotWrapped.
func TestReadForeignValue(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	tests := []struct {
		layout adapters.Layout
		stored string
		want   string
	}{
		{adapters.LayoutPhalcon5, `a|i:1;`, ``},
		{adapters.LayoutPhalcon5, `s:9:"a|i:1;";`, ``}, // wrong length
		{adapters.LayoutPhalcon5, `i:5;`, ``},
		{adapters.LayoutPhalcon4, `a|i:1;`, `a|i:1;`},
		{adapters.LayoutPhalcon4, `s:6:"a|i:1;";`, `a|i:1;`},
		{adapters.LayoutNative, `s:6:"a|i:1;";`, `s:6:"a|i:1;";`},
		{adapters.LayoutNative, ``, ``},
	}
	for _, tt := range tests {
		s := newStore(t, client, redisstore.Options{Layout: tt.layout})
		id := storetest.NewID()
		if err := client.Set(ctx, s.Key(id), tt.stored, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		data, found, err := s.Read(ctx, id)
		if tt.layout == adapters.LayoutPhalcon5 {
			if !errors.Is(err, adapters.ErrNotWrapped) || found {
				t.Errorf("%v: Read of %q = %q, %v, %v; want an error wrapping ErrNotWrapped", tt.layout, tt.stored, data, found, err)
			}
			continue
		}
		if err != nil || !found || string(data) != tt.want {
			t.Errorf("%v: Read of %q = %q, %v, %v; want %q, true, nil", tt.layout, tt.stored, data, found, err, tt.want)
		}
	}
}

// countingConn counts the bytes a client reads from the server.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// TestReadTooLarge checks that a value over MaxSize is refused before it
// is transferred whole: a 200 MiB value (made on the server with SETRANGE)
// costs the reader its first MiB, not 200 MiB as a plain GET does, which
// the test measures and logs. Values up to MaxSize are read, in every layout, also
// by ReadVersion.
func TestReadTooLarge(t *testing.T) {
	srv := testenv.StartRedis(t)
	ctx := ctxFor(t)
	var read atomic.Int64
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, ReadTimeout: 30 * time.Second,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{c, &read}, nil
		}})
	t.Cleanup(func() { client.Close() })

	t.Run("limit", func(t *testing.T) {
		for _, layout := range layouts {
			id := storetest.NewID()
			w := newStore(t, client, redisstore.Options{Layout: layout})
			if err := w.Write(ctx, id, []byte(`a|s:5:"hello";`), 0); err != nil {
				t.Fatal(err)
			}
			stored, err := client.Get(ctx, w.Key(id)).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			for _, max := range []int64{int64(len(stored)), int64(len(stored)) - 1} {
				s := newStore(t, client, redisstore.Options{Layout: layout, MaxSize: max})
				_, found, err := s.Read(ctx, id)
				_, vfound, _, verr := s.ReadVersion(ctx, id)
				if max < int64(len(stored)) {
					if !errors.Is(err, redisstore.ErrTooLarge) || !errors.Is(verr, redisstore.ErrTooLarge) {
						t.Errorf("%v: Read, ReadVersion of a %d-byte value with MaxSize %d = %v, %v; want ErrTooLarge", layout, len(stored), max, err, verr)
					}
					continue
				}
				if err != nil || !found || verr != nil || !vfound {
					t.Errorf("%v: Read, ReadVersion of a %d-byte value with MaxSize %d = %v, %v, %v, %v; want found", layout, len(stored), max, found, err, vfound, verr)
				}
			}
		}
		s := newStore(t, client, redisstore.Options{Layout: adapters.LayoutNative})
		if _, found, err := s.Read(ctx, storetest.NewID()); err != nil || found {
			t.Errorf("Read of a missing id = %v, %v; want not found", found, err)
		}
		empty := storetest.NewID()
		if err := client.Set(ctx, s.Key(empty), "", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if data, found, err := s.Read(ctx, empty); err != nil || !found || len(data) != 0 {
			t.Errorf("Read of an empty value = %q, %v, %v; want an empty session", data, found, err)
		}
		if _, err := redisstore.New(client, redisstore.Options{MaxSize: -1}); err == nil {
			t.Error("New with a negative MaxSize = nil error")
		}
	})

	t.Run("200MiB", func(t *testing.T) {
		const size = 200 << 20
		s := newStore(t, client, redisstore.Options{Layout: adapters.LayoutNative})
		id := storetest.NewID()
		if err := client.SetRange(ctx, s.Key(id), size-1, "x").Err(); err != nil {
			t.Fatal(err)
		}
		read.Store(0)
		start := time.Now()
		_, _, err := s.Read(ctx, id)
		took, refused := time.Since(start), read.Load()
		if !errors.Is(err, redisstore.ErrTooLarge) {
			t.Fatalf("Read of a %d-byte value = %v, want ErrTooLarge", size, err)
		}
		if !strings.Contains(err.Error(), strconv.Itoa(size)+" bytes") {
			t.Errorf("Read error %q does not give the size %d", err, size)
		}
		read.Store(0)
		start = time.Now()
		raw, err := client.Get(ctx, s.Key(id)).Bytes()
		tookGet, got := time.Since(start), read.Load()
		if err != nil || len(raw) != size {
			t.Fatalf("GET = %d bytes, %v", len(raw), err)
		}
		t.Logf("a %d MiB value: Read refused it after reading %d bytes from the server in %v; a plain GET reads %d bytes in %v",
			size>>20, refused, took.Round(time.Microsecond), got, tookGet.Round(time.Millisecond))
		if refused > 1<<20+1<<10 {
			t.Errorf("Read refused the value after reading %d bytes, want at most its first MiB", refused)
		}
	})

	t.Run("around1MiB", func(t *testing.T) {
		// The first command reads up to 1 MiB - 1 bytes whole; a longer
		// value within MaxSize is read whole in a second round trip.
		s := newStore(t, client, redisstore.Options{Layout: adapters.LayoutNative})
		for _, n := range []int{1<<20 - 1, 1 << 20, 3 << 20} {
			id := storetest.NewID()
			want := make([]byte, n)
			for i := range want {
				want[i] = byte(i % 251)
			}
			if err := client.Set(ctx, s.Key(id), want, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			got, found, err := s.Read(ctx, id)
			if err != nil || !found || !bytes.Equal(got, want) {
				t.Errorf("Read of a %d-byte value = %d bytes, %v, %v; want the bytes stored", n, len(got), found, err)
			}
		}
	})
}

func TestWriteErrors(t *testing.T) {
	srv := testenv.StartRedis(t)
	s := newStore(t, newClient(t, srv.Addr), redisstore.Options{})
	ctx := ctxFor(t)
	err := s.Write(ctx, storetest.NewID(), []byte("x"), -time.Second)
	var opErr *redisstore.OpError
	if !errors.As(err, &opErr) || opErr.Op != "write" || !strings.Contains(err.Error(), "negative ttl") {
		t.Errorf("Write with a negative ttl = %v, want an *OpError about the negative ttl", err)
	}
	err = s.WriteIfVersion(ctx, storetest.NewID(), []byte("x"), 0, "not a version")
	if !errors.As(err, &opErr) || !strings.Contains(err.Error(), "string is not from a redisstore.Store") {
		t.Errorf("WriteIfVersion with a foreign version = %v, want an *OpError", err)
	}
	err = s.Write(ctx, "bad id", nil, 0)
	if !errors.Is(err, adapters.ErrInvalidID) || !errors.As(err, &opErr) || err.Error() != `redisstore: write "bad id": adapters: invalid session id: byte ' ' at offset 3` {
		t.Errorf("Write with a bad id = %v", err)
	}
}

func TestTouch(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	for _, layout := range layouts {
		s := newStore(t, client, redisstore.Options{Layout: layout, Lifetime: 100 * time.Second})
		id := storetest.NewID()
		if err := s.Write(ctx, id, []byte("t|i:1;"), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		before := client.Get(ctx, s.Key(id)).Val()
		if err := s.Touch(ctx, id, 0); err != nil {
			t.Fatalf("%v: Touch = %v", layout, err)
		}
		if ttl := client.TTL(ctx, s.Key(id)).Val(); ttl != 100*time.Second {
			t.Errorf("%v: TTL after Touch(0) = %v, want the lifetime 100s", layout, ttl)
		}
		if after := client.Get(ctx, s.Key(id)).Val(); after != before {
			t.Errorf("%v: Touch changed the value from %q to %q", layout, before, after)
		}
	}
}

// setCalls returns how many SET commands the server has run.
func setCalls(t *testing.T, client *redis.Client) int {
	t.Helper()
	info, err := client.Info(ctxFor(t), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`cmdstat_set:calls=(\d+)`).FindStringSubmatch(info)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestLockProtocol checks the lock keys, values, TTLs, attempt counts and
// release scripts against Phalcon's and phpredis's protocols.
func TestLockProtocol(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	host, _ := os.Hostname()
	tests := []struct {
		name         string
		opts         redisstore.Options
		wantValue    *regexp.Regexp
		wantTTL      time.Duration // PTTL right after Lock; -1 (go-redis's "no TTL") for none
		wantAttempts int
	}{
		{"phalcon", redisstore.Options{Locking: true, LockRetries: 3, LockWait: time.Millisecond},
			regexp.MustCompile(`^[0-9a-f]{32}$`), 30 * time.Second, 3},
		{"phalcon expiry", redisstore.Options{Locking: true, LockRetries: 2, LockWait: time.Millisecond, LockExpiry: 1500 * time.Millisecond},
			regexp.MustCompile(`^[0-9a-f]{32}$`), 2 * time.Second, 2},
		{"native", redisstore.Options{Layout: adapters.LayoutNative, Locking: true, LockRetries: 3, LockWait: time.Millisecond},
			regexp.MustCompile(`^` + regexp.QuoteMeta(host+"|"+strconv.Itoa(os.Getpid())) + `\|[0-9a-f]{16}$`), 30 * time.Second, 4},
		{"native no expiry", redisstore.Options{Layout: adapters.LayoutNative, Locking: true, LockRetries: 1, LockWait: time.Millisecond, LockExpiry: -1},
			regexp.MustCompile(`^` + regexp.QuoteMeta(host) + `\|`), -1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, client, tt.opts)
			id := storetest.NewID()
			unlock, err := s.Lock(ctx, id)
			if err != nil {
				t.Fatalf("Lock = %v", err)
			}
			key := s.LockKey(id)
			value := client.Get(ctx, key).Val()
			if !tt.wantValue.MatchString(value) {
				t.Errorf("lock value %q, want %v", value, tt.wantValue)
			}
			pttl := client.PTTL(ctx, key).Val()
			if tt.wantTTL < 0 && pttl != tt.wantTTL || tt.wantTTL > 0 && (pttl > tt.wantTTL || pttl < tt.wantTTL-5*time.Second) {
				t.Errorf("PTTL %s = %v, want %v", key, pttl, tt.wantTTL)
			}

			// A second holder tries exactly as often as PHP would, then
			// fails with Phalcon's message.
			calls := setCalls(t, client)
			_, err = s.Lock(ctx, id)
			if got := setCalls(t, client) - calls; got != tt.wantAttempts {
				t.Errorf("second Lock sent SET %d times, want %d", got, tt.wantAttempts)
			}
			var lockErr *redisstore.LockError
			want := fmt.Sprintf("redisstore: could not acquire the session lock with key: %s (%d attempts)", key, tt.wantAttempts)
			if !errors.Is(err, adapters.ErrLockTimeout) || !errors.As(err, &lockErr) || err.Error() != want {
				t.Errorf("second Lock = %v\nwant %s", err, want)
			}

			// Someone else's lock survives our release.
			if err := client.Set(ctx, key, "someone-else", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if err := unlock(ctx); !errors.Is(err, redisstore.ErrLockLost) {
				t.Errorf("Unlock of a lock taken over = %v, want ErrLockLost", err)
			}
			if got := client.Get(ctx, key).Val(); got != "someone-else" {
				t.Errorf("after Unlock the lock holds %q, want the new holder's value", got)
			}
			if err := unlock(ctx); err != nil {
				t.Errorf("second Unlock = %v, want nil", err)
			}
			client.Del(ctx, key)

			// Locked again, the release deletes the key.
			unlock, err = s.Lock(ctx, id)
			if err != nil {
				t.Fatalf("Lock after release = %v", err)
			}
			if err := unlock(ctx); err != nil {
				t.Fatalf("Unlock = %v", err)
			}
			if n := client.Exists(ctx, key).Val(); n != 0 {
				t.Errorf("lock key %s still exists after Unlock", key)
			}
		})
	}
}

func TestLockingDisabled(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	s := newStore(t, client, redisstore.Options{})
	id := storetest.NewID()
	for range 2 { // no lock, so a second Lock does not wait
		unlock, err := s.Lock(ctx, id)
		if err != nil {
			t.Fatalf("Lock with locking off = %v", err)
		}
		if n := client.DBSize(ctx).Val(); n != 0 {
			t.Errorf("Lock with locking off created %d keys", n)
		}
		if err := unlock(ctx); err != nil {
			t.Errorf("Unlock = %v", err)
		}
	}
}

// TestSessions checks that listing skips lock keys and other prefixes, and
// escapes glob characters in the prefix.
func TestSessions(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	for _, layout := range layouts {
		for _, prefix := range []string{"", `we*ird?[p]\re^fix-`} {
			s := newStore(t, client, redisstore.Options{Layout: layout, Prefix: prefix, Locking: true})
			var want []string
			for range 3 {
				id := storetest.NewID()
				want = append(want, id)
				if err := s.Write(ctx, id, []byte("x"), 0); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Lock(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			// Keys that the pattern would match if the prefix were not
			// escaped.
			client.Set(ctx, "weXirdY[p]\\re^fix-zzz", "x", time.Minute)
			client.Set(ctx, "wexxirdzpre^fix-zzz", "x", time.Minute)
			var got []string
			if err := s.Sessions(ctx, func(id string) bool { got = append(got, id); return true }); err != nil {
				t.Fatalf("Sessions = %v", err)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%v prefix %q: Sessions = %q, want %q", layout, prefix, got, want)
			}
			client.FlushDB(ctx)
		}
	}
}

// TestServerGone stops the server under a store: every call returns an
// error and nothing panics.
func TestServerGone(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: time.Second, DialerRetries: 1})
	defer client.Close()
	s := newStore(t, client, redisstore.Options{Locking: true, LockWait: time.Millisecond})
	ctx := ctxFor(t)
	id := storetest.NewID()
	if err := s.Write(ctx, id, []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.Lock(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	_, _, ver, err := s.ReadVersion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// A Lock waits for a lock someone else holds when the server goes.
	waiter := newStore(t, client, redisstore.Options{Locking: true, LockWait: time.Millisecond, LockRetries: -1})
	waiting := make(chan error, 1)
	go func() {
		_, err := waiter.Lock(ctx, id)
		waiting <- err
	}()
	time.Sleep(20 * time.Millisecond) // let it retry a few times; not needed for correctness

	// SHUTDOWN closes the connection without a reply, hence the error.
	client.ShutdownNoSave(ctx)
	if err := testenv.WaitForTCP(srv.Addr, 0); err == nil {
		// Wait until the port is closed.
		deadline := time.Now().Add(5 * time.Second)
		for testenv.WaitForTCP(srv.Addr, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}

	wantErr := func(op string, err error) {
		t.Helper()
		var opErr *redisstore.OpError
		if !errors.As(err, &opErr) {
			t.Errorf("%s with the server gone = %v, want an *OpError", op, err)
		}
	}
	wantErr("Lock waiting while the server went away", <-waiting)
	_, found, err := s.Read(ctx, id)
	wantErr("Read", err)
	if found {
		t.Errorf("Read with the server gone found a session")
	}
	wantErr("Write", s.Write(ctx, id, []byte("y"), 0))
	wantErr("Destroy", s.Destroy(ctx, id))
	wantErr("Touch", s.Touch(ctx, id, 0))
	_, err = s.Exists(ctx, id)
	wantErr("Exists", err)
	_, err = s.Lock(ctx, storetest.NewID())
	wantErr("Lock", err)
	wantErr("Unlock", unlock(ctx))
	_, _, _, err = s.ReadVersion(ctx, id)
	wantErr("ReadVersion", err)
	wantErr("WriteIfVersion", s.WriteIfVersion(ctx, id, []byte("z"), 0, ver))
	wantErr("Sessions", s.Sessions(ctx, func(string) bool { return true }))
}

func TestOptions(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	bad := []redisstore.Options{
		{Layout: adapters.Layout(7)},
		{Lifetime: -time.Second},
		{LockWait: -time.Second},
	}
	for _, o := range bad {
		if _, err := redisstore.New(client, o); err == nil {
			t.Errorf("New(%+v) = nil error", o)
		}
	}
	if _, err := redisstore.New(nil, redisstore.Options{}); err == nil {
		t.Error("New(nil client) = nil error")
	}
	badConn := []redisstore.Options{
		{SentinelMaster: "m", ClusterAddrs: []string{"a:1"}, SentinelAddrs: []string{"b:1"}},
		{SentinelMaster: "m"},
		{SentinelAddrs: []string{"b:1"}},
		{ClusterAddrs: []string{"a:1"}, Index: 1},
		{Index: -1},
		{Port: 70000},
	}
	for _, o := range badConn {
		if c, err := redisstore.NewClient(o); err == nil {
			c.Close()
			t.Errorf("NewClient(%+v) = nil error", o)
		}
	}
	// The caller's Options are not changed by the defaults.
	o := redisstore.Options{Layout: adapters.LayoutNative}
	s := newStore(t, client, o)
	if o.Prefix != "" || o.Lifetime != 0 {
		t.Errorf("New changed the caller's options: %+v", o)
	}
	if got := s.Key("x"); got != "PHPREDIS_SESSION:x" {
		t.Errorf("native Key = %q", got)
	}
}

// TestOpen connects with Phalcon-style options: password, database index
// and a Unix socket.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	sock := dir + "/redis.sock"
	srv := testenv.StartRedis(t, "requirepass s3cret", "unixsocket "+sock, "unixsocketperm 700")
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr, Password: "s3cret", DB: 2})
	defer admin.Close()
	ctx := ctxFor(t)
	tests := []struct {
		name string
		opts redisstore.Options
	}{
		{"tcp", redisstore.Options{Port: srv.Port, Password: "s3cret", Index: 2, Timeout: time.Second, ReadTimeout: time.Second, RetryInterval: 10 * time.Millisecond}},
		{"socket", redisstore.Options{Socket: sock, Username: "default", Password: "s3cret", Index: 2}},
		{"url", *mustParseURL(t, fmt.Sprintf("tcp://127.0.0.1:%d?auth=s3cret&database=2&timeout=1", srv.Port))},
		{"socket url", *mustParseURL(t, "unix://"+sock+"?auth[]=default&auth[]=s3cret&database=2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := redisstore.Open(tt.opts)
			if err != nil {
				t.Fatalf("Open = %v", err)
			}
			defer s.Close()
			id := storetest.NewID()
			if err := s.Write(ctx, id, []byte("o|i:1;"), 0); err != nil {
				t.Fatalf("Write = %v", err)
			}
			if got := admin.Get(ctx, "sess-reds-"+id).Val(); got != `s:6:"o|i:1;";` {
				t.Errorf("database 2 holds %q", got)
			}
		})
	}
	s, err := redisstore.Open(redisstore.Options{Port: srv.Port, Password: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Read(ctx, storetest.NewID()); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("Read with a wrong password = %v, want WRONGPASS", err)
	}
}

func mustParseURL(t *testing.T, u string) *redisstore.Options {
	t.Helper()
	o, err := redisstore.ParseURL(u)
	if err != nil {
		t.Fatalf("ParseURL(%q) = %v", u, err)
	}
	return o
}

// TestAutoPipelineReads reads values of every kind from 32 goroutines at
// once through a store with AutoPipeline, so that the reads go through the
// AutoPipeliner, their second round trip too: each read returns what is
// stored, a missing key is not found, a value over MaxSize is refused.
func TestAutoPipelineReads(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	ctx := ctxFor(t)
	var shared atomic.Int64 // batches of more than one read
	client.AddHook(pipelineFunc(func(cmds []redis.Cmder) {
		if len(cmds) > 3 {
			shared.Add(1)
		}
	}))
	s := newStore(t, client, redisstore.Options{Layout: adapters.LayoutNative, AutoPipeline: true, MaxSize: 2 << 20})
	big := make([]byte, 2<<20+1)
	for i := range big {
		big[i] = byte(i % 251)
	}
	values := map[string][]byte{ // id: value, nil for none
		storetest.NewID(): nil,
		storetest.NewID(): {},
		storetest.NewID(): big[:1000],
		storetest.NewID(): big[:1<<20],
		storetest.NewID(): big[:2<<20],
		storetest.NewID(): big,
	}
	for id, v := range values {
		if v != nil {
			if err := client.Set(ctx, s.Key(id), v, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				for id, want := range values {
					got, found, err := s.Read(ctx, id)
					switch {
					case len(want) > 2<<20:
						if !errors.Is(err, redisstore.ErrTooLarge) {
							t.Errorf("Read of a %d-byte value = %v, want ErrTooLarge", len(want), err)
						}
					case err != nil || found != (want != nil) || !bytes.Equal(got, want):
						t.Errorf("Read of a %d-byte value = %d bytes, %v, %v; want the bytes stored", len(want), len(got), found, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if shared.Load() == 0 {
		t.Error("no read shared a batch with another")
	}
}

// TestReadRoundTrips counts the round trips of reads on a standalone server
// (see readRoundTrips).
func TestReadRoundTrips(t *testing.T) {
	srv := testenv.StartRedis(t)
	readRoundTrips(t, newClient(t, srv.Addr))
}

// readRoundTrips counts, with a go-redis hook on client, the round trips
// of Read, ReadVersion and LockRead of values of every kind: one for a
// missing key, an empty value, any value under 1 MiB, and a value over
// MaxSize, whose length STRLEN gives in the same pipeline; two for a value
// of 1 MiB or more within MaxSize. LockRead adds its SET NX to the read's
// pipeline, except on a Cluster or Ring, where it goes first, alone.
func readRoundTrips(t *testing.T, client redis.UniversalClient) {
	log := &redishook.RoundTrips{}
	client.AddHook(log)
	ctx := ctxFor(t)
	ordered := true
	switch client.(type) {
	case *redis.ClusterClient, *redis.Ring:
		ordered = false
	}
	const read = "pipeline(exists,strlen,getrange)"
	lockRead := []string{"pipeline(set,exists,strlen,getrange)"}
	if !ordered {
		lockRead = []string{"set", read}
	}
	big := bytes.Repeat([]byte("x"), 1<<20)
	tests := []struct {
		name    string
		value   []byte // nil: no key
		maxSize int64
		want    []string // Read's and ReadVersion's round trips
		wantErr error
	}{
		{name: "missing", want: []string{read}},
		{name: "empty", value: []byte{}, want: []string{read}},
		{name: "1KB", value: big[:1<<10], want: []string{read}},
		{name: "1MiB-1", value: big[:1<<20-1], want: []string{read}},
		{name: "1MiB", value: big, want: []string{read, read}},
		{name: "over MaxSize under 1MiB", value: big[:2000], maxSize: 1999, want: []string{read}, wantErr: redisstore.ErrTooLarge},
		{name: "over MaxSize over 1MiB", value: big, maxSize: 1<<20 - 1, want: []string{read}, wantErr: redisstore.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, client, redisstore.Options{Layout: adapters.LayoutNative, Locking: true, MaxSize: tt.maxSize})
			id := storetest.NewID()
			if tt.value != nil {
				if err := client.Set(ctx, s.Key(id), tt.value, time.Minute).Err(); err != nil {
					t.Fatal(err)
				}
			}
			log.Take()
			for _, call := range []string{"Read", "ReadVersion", "LockRead"} {
				var (
					data  []byte
					found bool
					err   error
					held  adapters.Held
				)
				want := tt.want
				switch call {
				case "Read":
					data, found, err = s.Read(ctx, id)
				case "ReadVersion":
					data, found, _, err = s.ReadVersion(ctx, id)
				case "LockRead":
					data, found, held, err = s.LockRead(ctx, id)
					want = append(slices.Clone(lockRead), want[1:]...)
				}
				got := log.Take()
				if held != nil {
					if err := held.Unlock(ctx); err != nil {
						t.Fatal(err)
					}
				} else if call == "LockRead" {
					// The release of the lock after the read failed.
					for len(got) > 0 && (got[len(got)-1] == "evalsha" || got[len(got)-1] == "eval") {
						got = got[:len(got)-1]
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s of a %s value: round trips %q, want %q", call, tt.name, got, want)
				}
				switch {
				case tt.wantErr != nil:
					if !errors.Is(err, tt.wantErr) {
						t.Errorf("%s of a %s value = %v, want %v", call, tt.name, err, tt.wantErr)
					}
				case err != nil || found != (tt.value != nil) || !bytes.Equal(data, tt.value):
					t.Errorf("%s of a %s value = %d bytes, %v, %v; want the %d bytes stored", call, tt.name, len(data), found, err, len(tt.value))
				}
				log.Take()
			}
		})
	}
}

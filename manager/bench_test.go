package manager

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

// benchPayload is a logged-in Phalcon session (testdata's login scenario).
const benchPayload = `auth|a:3:{s:2:"id";i:42;s:4:"name";s:11:"Dark Helmet";s:5:"roles";a:2:{i:0;s:5:"admin";i:1;s:4:"user";}}csrf|s:6:"a1b2c3";hits|i:0;`

const benchID = "0123456789abcdef0123456789abcdef"

func benchRedis(b *testing.B) (*redis.Client, *redisstore.Store, string) {
	b.Helper()
	srv := testenv.StartRedis(b)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	b.Cleanup(func() { client.Close() })
	store, err := redisstore.New(client, redisstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := store.Write(context.Background(), benchID, []byte(benchPayload), 0); err != nil {
		b.Fatal(err)
	}
	return client, store, srv.Addr
}

// BenchmarkRequestCycle is one request through LoadAndSave on Redis: load,
// read the user, increment a counter, save; against bare go-redis doing a
// GET and a SETEX of the same key per request (no decoding at all).
func BenchmarkRequestCycle(b *testing.B) {
	client, store, _ := benchRedis(b)
	for _, mode := range []struct {
		name string
		save SaveMode
	}{{"manager/merge-cas", SaveMerge}, {"manager/replace", SaveReplace}} {
		b.Run(mode.name, func(b *testing.B) {
			m, err := New(store, Config{Save: mode.save})
			if err != nil {
				b.Fatal(err)
			}
			h := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := m.Session(r.Context())
				if err := s.Start(r.Context()); err != nil {
					b.Fatal(err)
				}
				if !s.Get("auth", phpsession.Value{}).IsValid() {
					b.Fatal("no auth")
				}
				n, _ := s.Get("hits", phpsession.IntValue(0)).Int()
				s.Set("hits", phpsession.IntValue(n+1))
			}))
			r := httptest.NewRequest("GET", "/", nil)
			r.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: benchID})
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
		// Many requests at once, each goroutine on its own session, as a
		// server handles its clients: throughput rather than latency.
		b.Run(mode.name+"-parallel", func(b *testing.B) {
			m, err := New(store, Config{Save: mode.save})
			if err != nil {
				b.Fatal(err)
			}
			h := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := m.Session(r.Context())
				if err := s.Start(r.Context()); err != nil {
					b.Error(err)
					return
				}
				n, _ := s.Get("hits", phpsession.IntValue(0)).Int()
				s.Set("hits", phpsession.IntValue(n+1))
			}))
			var next atomic.Int64
			b.SetParallelism(8)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				id := fmt.Sprintf("%032d", next.Add(1))
				if err := store.Write(context.Background(), id, []byte(benchPayload), 0); err != nil {
					b.Error(err)
					return
				}
				r := httptest.NewRequest("GET", "/", nil)
				r.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: id})
				for pb.Next() {
					h.ServeHTTP(httptest.NewRecorder(), r)
				}
			})
		})
	}
	// The same request handled by hand: cookie, GET, SET EX (SETEX) of the
	// bytes read, no decoding.
	b.Run("bare-goredis-get-setex", func(b *testing.B) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := r.Cookie("PHPSESSID")
			if err != nil {
				b.Fatal(err)
			}
			key := store.Key(c.Value)
			v, err := client.Get(r.Context(), key).Bytes()
			if err != nil {
				b.Fatal(err)
			}
			if err := client.Set(r.Context(), key, v, time.Hour).Err(); err != nil {
				b.Fatal(err)
			}
		})
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: benchID})
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
		}
	})
}

// BenchmarkPHPRequestCycle is PHP doing the same cycle on the same Redis
// through Phalcon's Redis adapter (compat/phpapp/bench.php: session_start,
// read, change, session_write_close) in one process, b.N times.
func BenchmarkPHPRequestCycle(b *testing.B) {
	php := testenv.PHP(b, "redis")
	_, _, addr := benchRedis(b)
	cmd := exec.Command(php, filepath.Join(phpAppDir(b), "bench.php"), benchID, strconv.Itoa(b.N))
	cmd.Env = append(os.Environ(), storeEnv{kind: "redis", addr: addr}.vars(phpsession.FormatPHP)...)
	b.ResetTimer()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
}

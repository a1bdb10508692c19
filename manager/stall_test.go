//go:build unix

package manager

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

// TestStalledRedis stops the Redis server the test owns (SIGSTOP) while a
// request holds its session lock (LockRequests), then checks that nothing
// waits longer than its bound: a store call with a 500 ms context returns
// well before the client's 3 s ReadTimeout (the slack is for a loaded
// machine), a write whose reply never came says its outcome is unknown
// (adapters.ErrOutcomeUnknown), the request's commit returns soon after
// CommitTimeout, and a second request gives up on the lock within its
// context. After the server resumes (SIGCONT) and runs what it had
// queued, no lock key outlives the lock expiry.
func TestStalledRedis(t *testing.T) {
	srv := testenv.StartRedis(t)
	const lockExpiry = time.Second
	store, err := redisstore.Open(redisstore.Options{Host: "127.0.0.1", Port: srv.Port, Locking: true, LockExpiry: lockExpiry, LockWait: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	stop := func() { testenv.Stop(t, srv.Process) }
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			srv.Process.Signal(syscall.SIGCONT)
		}
	}
	t.Cleanup(resume)

	const commitTimeout = 300 * time.Millisecond
	var commitErr error
	m, err := New(store, Config{LockRequests: true, CommitTimeout: commitTimeout,
		ErrorFunc: func(w http.ResponseWriter, r *http.Request, err error) { commitErr = err }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, s := started(t, m, "")
	s.Set("n", phpsession.IntValue(1))
	id := commit(t, m, ctx)

	// within runs f and fails the test if it takes longer than bound.
	within := func(what string, bound time.Duration, f func()) {
		t.Helper()
		begin := time.Now()
		f()
		took := time.Since(begin)
		t.Logf("%s returned after %v", what, took.Round(time.Millisecond))
		if took > bound {
			t.Errorf("%s took %v, want at most %v", what, took, bound)
		}
	}

	var committed time.Duration
	h := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		if err := s.Start(r.Context()); err != nil {
			t.Fatal(err)
		}
		s.Set("n", phpsession.IntValue(2))
		stop()

		bg := context.Background()
		within("Read with a 500ms context", 1500*time.Millisecond, func() {
			c, cancel := context.WithTimeout(bg, 500*time.Millisecond)
			defer cancel()
			if _, _, err := store.Read(c, id); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Read on a stopped server = %v, want the context's deadline", err)
			}
		})
		within("Write with a 500ms context", 1500*time.Millisecond, func() {
			c, cancel := context.WithTimeout(bg, 500*time.Millisecond)
			defer cancel()
			if err := store.Write(c, "other", []byte("x|i:1;"), 0); !errors.Is(err, adapters.ErrOutcomeUnknown) {
				t.Errorf("Write on a stopped server = %v, want adapters.ErrOutcomeUnknown", err)
			}
		})
		within("a second request's Start with a 500ms context", 1500*time.Millisecond, func() {
			c, cancel := context.WithTimeout(bg, 500*time.Millisecond)
			defer cancel()
			c = m.Load(c, id)
			var lerr *LockError
			if err := m.Session(c).Start(c); !errors.As(err, &lerr) {
				t.Errorf("Start on a stopped server = %v, want a *LockError", err)
			}
		})
		begin := time.Now()
		w.WriteHeader(http.StatusOK) // commits
		committed = time.Since(begin)
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: id})
	h.ServeHTTP(httptest.NewRecorder(), r)
	t.Logf("the stalled commit returned after %v (CommitTimeout %v): %v", committed.Round(time.Millisecond), commitTimeout, commitErr)
	if committed > commitTimeout+time.Second { // slack for a loaded machine; unbounded, it waits ReadTimeout (3 s)
		t.Errorf("the stalled commit took %v, want at most CommitTimeout %v", committed, commitTimeout)
	}
	if !errors.Is(commitErr, adapters.ErrOutcomeUnknown) {
		t.Errorf("the stalled commit's error = %v, want adapters.ErrOutcomeUnknown", commitErr)
	}

	resume()
	resumedAt := time.Now()
	client := store.Client()
	lockKey := store.LockKey(id)
	for {
		n, err := client.Exists(context.Background(), lockKey).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Logf("lock key gone %v after the server resumed", time.Since(resumedAt).Round(time.Millisecond))
			break
		}
		// PTTL answers -2 when the key went between EXISTS and PTTL: the
		// next turn sees it gone. -1 (no expiry) or more than the expiry fails.
		if ttl, err := client.PTTL(context.Background(), lockKey).Result(); err == nil && ttl != -2 && (ttl < 0 || ttl > lockExpiry) {
			t.Fatalf("lock key %s has TTL %v after the server resumed, want at most %v", lockKey, ttl, lockExpiry)
		}
		if time.Since(resumedAt) > lockExpiry+500*time.Millisecond {
			t.Fatalf("lock key %s still there %v after the server resumed; lock expiry %v", lockKey, time.Since(resumedAt), lockExpiry)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The session is then free: a new request locks it at once.
	ctx, _ = started(t, m, id)
	commit(t, m, ctx)
}

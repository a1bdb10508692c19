package manager

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/noopstore"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

// TestNewLockRequests: New refuses LockRequests on a store that cannot
// lock, or whose lock is switched off, and names the store.
func TestNewLockRequests(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { client.Close() })
	unlocked, err := redisstore.New(client, redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	locked, err := redisstore.New(client, redisstore.Options{Locking: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		store   adapters.Store
		wantErr string // "" for none
	}{
		{"noop", noopstore.New(), "(*noopstore.Store cannot)"},
		{"redis without Locking", unlocked, "(*redisstore.Store has its locking option off)"},
		{"redis with Locking", locked, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.store, Config{LockRequests: true})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New = %v, want no error", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New = %v, want ErrInvalidConfig naming %s", err, tt.wantErr)
			}
		})
	}
}

// TestLockRequestsExclude: on every store, a request holding the session
// lock (Start, not yet committed) makes a second request wait; after
// LockTimeout the second gets a *LockError (503 with Retry-After through
// LoadAndSave). Once the first commits, the second gets the lock and sees
// the first's change. A handler that panics releases the lock.
func TestLockRequestsExclude(t *testing.T) {
	for _, kind := range testStores {
		t.Run(kind, func(t *testing.T) {
			store, _ := openShared(t, kind, true)
			m, err := New(store, Config{LockRequests: true, LockTimeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ctx, s := started(t, m, "")
			s.Set("n", phpsession.IntValue(1))
			id := commit(t, m, ctx)

			first, s1 := started(t, m, id) // holds the lock
			second := m.Load(context.Background(), id)
			begin := time.Now()
			err = m.Session(second).Start(second)
			waited := time.Since(begin)
			var lerr *LockError
			if !errors.As(err, &lerr) || !errors.Is(err, adapters.ErrLockTimeout) || lerr.ID != id {
				t.Fatalf("second Start = %v, want a *LockError for %s wrapping adapters.ErrLockTimeout", err, id)
			}
			if waited < 150*time.Millisecond || waited > 2*time.Second {
				t.Errorf("second Start gave up after %v, want about the LockTimeout of 200ms", waited)
			}

			h := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := m.Session(r.Context()).Start(r.Context()); err != nil {
					m.Config().ErrorFunc(w, r, err)
				}
			}))
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/", nil)
			r.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: id})
			h.ServeHTTP(w, r)
			if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
				t.Errorf("locked request: %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
			}

			s1.Set("n", phpsession.IntValue(2))
			commit(t, m, first)
			third, s3 := started(t, m, id)
			if n, _ := s3.Get("n", phpsession.Value{}).Int(); n != 2 {
				t.Errorf("after the first commit n = %d, want 2", n)
			}
			commit(t, m, third)

			// A handler that panics with the lock held releases it.
			panicky := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := m.Session(r.Context()).Start(r.Context()); err != nil {
					t.Error(err)
				}
				panic(http.ErrAbortHandler)
			}))
			func() {
				defer func() { recover() }()
				panicky.ServeHTTP(httptest.NewRecorder(), r)
			}()
			fourth, _ := started(t, m, id)
			commit(t, m, fourth)
		})
	}
}

// TestLockRequestsClientGone: when the client goes away (the request's
// context is cancelled) after Start, LoadAndSave still saves the session,
// on a context of its own, and releases the lock.
func TestLockRequestsClientGone(t *testing.T) {
	for _, kind := range testStores {
		t.Run(kind, func(t *testing.T) {
			store, _ := openShared(t, kind, true)
			m, err := New(store, Config{LockRequests: true, LockTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			ctx, s := started(t, m, "")
			s.Set("n", phpsession.IntValue(1))
			id := commit(t, m, ctx)

			reqCtx, cancel := context.WithCancel(context.Background())
			defer cancel()
			h := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := m.Session(r.Context())
				if err := s.Start(r.Context()); err != nil {
					t.Error(err)
					return
				}
				s.Set("n", phpsession.IntValue(2))
				cancel() // the client leaves
			}))
			r := httptest.NewRequest("GET", "/", nil).WithContext(reqCtx)
			r.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: id})
			h.ServeHTTP(httptest.NewRecorder(), r)

			next, s2 := started(t, m, id) // fails after 1 s if the lock was kept
			if n, _ := s2.Get("n", phpsession.Value{}).Int(); n != 2 {
				t.Errorf("after the client left n = %d, want 2", n)
			}
			commit(t, m, next)
		})
	}
}

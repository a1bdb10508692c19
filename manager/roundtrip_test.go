package manager

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/internal/redishook"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

// TestRedisRoundTrips counts the Redis round trips of one request through
// LoadAndSave, as a go-redis hook sees them. With the default SaveMerge a
// changed session costs one pipeline of EXISTS, STRLEN and GETRANGE to load
// (a GET that transfers at most 1 MiB, see redisstore's Read) and one
// EVALSHA (the compare-and-swap) to save, the same two round trips as a
// bare GET and SETEX; only when
// someone else changed the session meanwhile does the save read it again and
// retry. A cookie whose session is gone (expired) costs one round trip to
// find it missing, as an existing one does. With LockRequests the lock goes
// in one pipeline with the read, and the write and the release in one
// script: two round trips again. The session as stored afterwards holds
// every change.
func TestRedisRoundTrips(t *testing.T) {
	const read = "pipeline(exists,strlen,getrange)"
	const lockedRead = "pipeline(set,exists,strlen,getrange)" // SET NX of the lock, then the read
	srv := testenv.StartRedis(t)
	log := &redishook.RoundTrips{}
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { client.Close() })
	client.AddHook(log)
	// other writes behind the hook's back, as PHP would.
	other := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { other.Close() })
	store, err := redisstore.New(client, redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	otherStore, err := redisstore.New(other, redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lockingStore, err := redisstore.New(client, redisstore.Options{Locking: true})
	if err != nil {
		t.Fatal(err)
	}
	const base = `user|s:4:"dark";hits|i:1;`

	// setFirstHit is the handler of a request that counts the first hit.
	setFirstHit := func(t *testing.T, r *http.Request, s *Session) { s.Set("hits", phpsession.IntValue(1)) }
	tests := []struct {
		name      string
		save      SaveMode
		lock      bool // LockRequests, on a store with Locking
		noCookie  bool
		missing   bool // the cookie's session is not stored
		handler   func(t *testing.T, r *http.Request, s *Session)
		want      []string
		wantStore map[string]string // key: PHP serialize() of the value; "" = absent
	}{
		{
			name: "merge/changed",
			handler: func(t *testing.T, r *http.Request, s *Session) {
				s.Set("hits", phpsession.IntValue(2))
			},
			want:      []string{read, "evalsha"},
			wantStore: map[string]string{"user": `s:4:"dark";`, "hits": "i:2;"},
		},
		{
			name: "merge/removed",
			handler: func(t *testing.T, r *http.Request, s *Session) {
				s.Remove("user")
			},
			want:      []string{read, "evalsha"},
			wantStore: map[string]string{"user": "", "hits": "i:1;"},
		},
		{
			name:      "merge/unchanged",
			handler:   func(t *testing.T, r *http.Request, s *Session) { s.Get("user", phpsession.Value{}) },
			want:      []string{read, "expire"},
			wantStore: map[string]string{"user": `s:4:"dark";`, "hits": "i:1;"},
		},
		{
			name:      "merge/new",
			noCookie:  true,
			handler:   setFirstHit,
			want:      []string{"setex"},
			wantStore: map[string]string{"user": "", "hits": "i:1;"},
		},
		{
			name:      "merge/missing",
			missing:   true,
			handler:   setFirstHit,
			want:      []string{read, "evalsha"},
			wantStore: map[string]string{"user": "", "hits": "i:1;"},
		},
		{
			name:      "locked/missing",
			lock:      true,
			missing:   true,
			handler:   setFirstHit,
			want:      []string{lockedRead, "evalsha"},
			wantStore: map[string]string{"user": "", "hits": "i:1;"},
		},
		{
			name: "merge/conflict",
			handler: func(t *testing.T, r *http.Request, s *Session) {
				// PHP changes another key after this request loaded the session.
				err := otherStore.Write(r.Context(), s.ID(), []byte(`user|s:4:"dark";hits|i:1;php|b:1;`), 0)
				if err != nil {
					t.Fatal(err)
				}
				s.Set("hits", phpsession.IntValue(2))
			},
			want:      []string{read, "evalsha", read, "evalsha"},
			wantStore: map[string]string{"user": `s:4:"dark";`, "hits": "i:2;", "php": "b:1;"},
		},
		{
			name: "replace/changed",
			save: SaveReplace,
			handler: func(t *testing.T, r *http.Request, s *Session) {
				s.Set("hits", phpsession.IntValue(2))
			},
			want:      []string{read, "setex"},
			wantStore: map[string]string{"user": `s:4:"dark";`, "hits": "i:2;"},
		},
		{
			name: "locked/changed",
			lock: true,
			handler: func(t *testing.T, r *http.Request, s *Session) {
				s.Set("hits", phpsession.IntValue(2))
			},
			want:      []string{lockedRead, "evalsha"},
			wantStore: map[string]string{"user": `s:4:"dark";`, "hits": "i:2;"},
		},
		{
			// The commit writes under the request's lock: SaveMergeLocked
			// does not lock again.
			name: "locked/merge-locked",
			save: SaveMergeLocked,
			lock: true,
			handler: func(t *testing.T, r *http.Request, s *Session) {
				s.Set("hits", phpsession.IntValue(2))
			},
			want:      []string{lockedRead, "evalsha"},
			wantStore: map[string]string{"user": `s:4:"dark";`, "hits": "i:2;"},
		},
		{
			name:      "locked/unchanged",
			lock:      true,
			handler:   func(t *testing.T, r *http.Request, s *Session) { s.Get("user", phpsession.Value{}) },
			want:      []string{lockedRead, "pipeline(expire,eval)"},
			wantStore: map[string]string{"user": `s:4:"dark";`, "hits": "i:1;"},
		},
		{
			name:      "locked/new",
			lock:      true,
			noCookie:  true,
			handler:   setFirstHit,
			want:      []string{"setex"},
			wantStore: map[string]string{"user": "", "hits": "i:1;"},
		},
		{
			name:      "merge/not started",
			handler:   nil,
			want:      nil,
			wantStore: map[string]string{"user": `s:4:"dark";`, "hits": "i:1;"},
		},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := store
			if tt.lock {
				st = lockingStore
			}
			m, err := New(st, Config{Save: tt.save, LockRequests: tt.lock})
			if err != nil {
				t.Fatal(err)
			}
			id, err := m.NewID()
			if err != nil {
				t.Fatal(err)
			}
			if err := store.Write(ctx, id, []byte(base), 0); err != nil {
				t.Fatal(err)
			}
			h := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.handler == nil {
					return
				}
				s := m.Session(r.Context())
				if err := s.Start(r.Context()); err != nil {
					t.Fatal(err)
				}
				tt.handler(t, r, s)
			}))
			r := httptest.NewRequest("GET", "/", nil)
			if !tt.noCookie {
				r.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: id})
			}
			defer func() {
				if n, err := client.Exists(ctx, store.LockKey(id)).Result(); err != nil || n != 0 {
					t.Errorf("lock key %s left behind (%d, %v)", store.LockKey(id), n, err)
				}
			}()
			// The first EVALSHA on a server is followed by an EVAL
			// (NOSCRIPT); that happens once per server, not per request.
			if _, _, ver, err := store.ReadVersion(ctx, id); err != nil {
				t.Fatal(err)
			} else if err := store.WriteIfVersion(ctx, id, []byte(base), 0, ver); err != nil {
				t.Fatal(err)
			}
			// go-redis may dial a connection more for its first pipelines.
			if _, _, h, err := lockingStore.LockRead(ctx, id); err != nil {
				t.Fatal(err)
			} else if err := h.WriteUnlock(ctx, []byte(base), 0); err != nil {
				t.Fatal(err)
			}
			if tt.missing {
				if err := store.Destroy(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			log.Take()

			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if got := log.Take(); !slices.Equal(got, tt.want) {
				t.Errorf("round trips = %q, want %q", got, tt.want)
			}
			if tt.noCookie {
				c := w.Result().Cookies()
				if len(c) != 1 {
					t.Fatalf("cookies %v, want the new session's", c)
				}
				id = c[0].Value
			}
			sess, found := stored(t, m, id)
			if !found {
				t.Fatalf("session %s not stored", id)
			}
			for k, want := range tt.wantStore {
				v, ok := sess.Raw(k)
				if got := string(v); !ok && want != "" || ok && got != want {
					t.Errorf("stored %s = %q (present %v), want %q", k, got, ok, want)
				}
			}
		})
	}
}

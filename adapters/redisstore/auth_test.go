package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/manager"
)

const (
	authPW   = "right-password"
	authData = `n|i:1;`
)

// startAuthRedis starts a Redis that requires authPW, with ACL users
// "noset" (no SET: no lock) and "noread" (no GET or GETRANGE), both with
// password "pw", and returns it with a client that authenticates.
func startAuthRedis(t *testing.T) (*testenv.Redis, *redis.Client) {
	t.Helper()
	r := testenv.StartRedis(t, "requirepass "+authPW,
		"user noset on >pw ~* +@all -set",
		"user noread on >pw ~* +@all -get -getrange")
	admin := redis.NewClient(&redis.Options{Addr: r.Addr, Password: authPW})
	t.Cleanup(func() { admin.Close() })
	return r, admin
}

// TestAuthErrors checks what each call returns when Redis refuses the
// store's credentials (a wrong or missing password) or its user's ACL
// refuses a command it needs: an error matching ErrAuth that names the
// refusal, never a lock held by someone else or a missing session, and
// the stored session and its lock left as they were.
func TestAuthErrors(t *testing.T) {
	r, admin := startAuthRedis(t)
	ctx := ctxFor(t)
	tests := []struct {
		name, user, pw string
		fail           []string // the calls Redis refuses
		want           string   // in every refusal's message
	}{
		{"wrong password", "", "wrong", []string{"Read", "LockRead", "Lock", "ReadVersion", "Write"}, "WRONGPASS"},
		{"no password", "", "", []string{"Read", "LockRead", "Lock", "ReadVersion", "Write"}, "NOAUTH"},
		{"user without SET", "noset", "pw", []string{"LockRead", "Lock"}, "NOPERM"},
		{"user without GETRANGE", "noread", "pw", []string{"Read", "LockRead", "ReadVersion"}, "NOPERM"},
	}
	for _, tt := range tests {
		for _, autoPipeline := range []bool{false, true} {
			name := tt.name
			if autoPipeline {
				name += " auto_pipeline"
			}
			t.Run(name, func(t *testing.T) {
				s := open(t, redisstore.Options{
					Host: "127.0.0.1", Port: r.Port, Username: tt.user, Password: tt.pw,
					Locking: true, LockRetries: 3, LockWait: 10 * time.Millisecond, AutoPipeline: autoPipeline,
				})
				id := storetest.NewID()
				key, lockKey := s.Key(id), s.Key(id)+"-lock"
				if err := admin.Set(ctx, key, `s:6:"`+authData+`";`, time.Hour).Err(); err != nil {
					t.Fatal(err)
				}
				calls := map[string]func() error{
					"Read": func() error { _, _, err := s.Read(ctx, id); return err },
					"LockRead": func() error {
						data, found, held, err := s.LockRead(ctx, id)
						if err != nil && (held != nil || found || data != nil) {
							t.Errorf("LockRead(%q) = %q, %v, %v, %v; want no data, no lock with the error", id, data, found, held, err)
						}
						if held != nil {
							return held.Unlock(ctx)
						}
						return err
					},
					"Lock": func() error {
						unlock, err := s.Lock(ctx, id)
						if unlock != nil {
							return unlock(ctx)
						}
						return err
					},
					"ReadVersion": func() error { _, _, _, err := s.ReadVersion(ctx, id); return err },
					"Write":       func() error { return s.Write(ctx, id, []byte(authData), 0) },
				}
				for _, call := range tt.fail {
					err := calls[call]()
					var op *redisstore.OpError
					switch {
					case !errors.Is(err, redisstore.ErrAuth) || !errors.As(err, &op):
						t.Errorf("%s(%q) = %v, want an *OpError matching ErrAuth", call, id, err)
					case errors.Is(err, adapters.ErrLockTimeout) || errors.Is(err, redisstore.ErrLockLost):
						t.Errorf("%s(%q) = %v, want an error that says Redis refused, not one about the lock", call, id, err)
					case !containsAll(err.Error(), tt.want, op.Key):
						t.Errorf("%s(%q) = %v, want its message to hold %q and the key", call, id, err, tt.want)
					}
					if call == "LockRead" && tt.user != "noread" && op != nil && op.Key != lockKey {
						// The lock is what failed first: a read reported
						// instead means LockRead took a SET NX that
						// failed for a lock taken.
						t.Errorf("LockRead(%q) = %v, want the error of the lock %s", id, err, lockKey)
					}
				}
				if got, err := admin.Get(ctx, key).Result(); err != nil || got != `s:6:"`+authData+`";` {
					t.Errorf("the session key after the refusals = %q, %v; want it untouched", got, err)
				}
				// A user that may take the lock but not read releases it
				// without GET (setRelease).
				if n, err := admin.Exists(ctx, lockKey).Result(); err != nil || n != 0 {
					t.Errorf("the lock key after the refusals: exists %d, %v; want none", n, err)
				}
			})
		}
	}
}

// TestReadRefusedLeavesNoLock takes a session's lock as an ACL user that
// may SET but not GET: LockRead's SET NX takes the lock, the read then
// fails with NOPERM, and so does the release script, which GETs the lock.
// The lock must be gone all the same (released with SET ... NX GET), so
// that the next request on the session, by a user that may read, takes
// the lock at its first attempt instead of waiting for the lock to
// expire. Another holder's lock must stay.
func TestReadRefusedLeavesNoLock(t *testing.T) {
	r, admin := startAuthRedis(t)
	ctx := ctxFor(t)
	for _, layout := range layouts {
		for _, autoPipeline := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/auto_pipeline=%v", layout, autoPipeline), func(t *testing.T) {
				opts := redisstore.Options{
					Host: "127.0.0.1", Port: r.Port, Layout: layout, Locking: true,
					LockRetries: 1, LockWait: 50 * time.Millisecond, AutoPipeline: autoPipeline,
				}
				noread := opts
				noread.Username, noread.Password = "noread", "pw"
				s := open(t, noread)
				opts.Password = authPW
				allowed := open(t, opts)
				id := storetest.NewID()
				lockKey := allowed.LockKey(id)
				if err := allowed.Write(ctx, id, []byte(authData), 0); err != nil {
					t.Fatal(err)
				}
				_, _, held, err := s.LockRead(ctx, id)
				if held != nil || !errors.Is(err, redisstore.ErrAuth) || !strings.Contains(err.Error(), "NOPERM") {
					t.Fatalf("LockRead(%q) as noread = held %v, %v; want a NOPERM error matching ErrAuth", id, held != nil, err)
				}
				if ttl, err := admin.PTTL(ctx, lockKey).Result(); err != nil || ttl != -2*time.Nanosecond {
					t.Errorf("PTTL %s after the refused read = %v, %v; want -2 (no key)", lockKey, ttl, err)
				}
				// The lock is free: taken at the first attempt (a lock left
				// behind would fail this LockRead, as it lasts 30 s).
				data, found, h, err := allowed.LockRead(ctx, id)
				if err != nil || !found || string(data) != authData {
					t.Fatalf("LockRead(%q) after the refused read = %q, %v, %v", id, data, found, err)
				}
				// The refused user's Lock (SET only) then fails to take it, and
				// its unlock of a lock it took releases only its own.
				if _, err := s.Lock(ctx, id); !errors.Is(err, adapters.ErrLockTimeout) {
					t.Errorf("Lock(%q) as noread while held = %v, want ErrLockTimeout", id, err)
				}
				if err := h.Unlock(ctx); err != nil {
					t.Fatal(err)
				}
				unlock, err := s.Lock(ctx, id)
				if err != nil {
					t.Fatalf("Lock(%q) as noread = %v", id, err)
				}
				if err := admin.Set(ctx, lockKey, "someone-else", time.Minute).Err(); err != nil {
					t.Fatal(err)
				}
				if err := unlock(ctx); !errors.Is(err, redisstore.ErrLockLost) {
					t.Errorf("unlock as noread of a lock taken over = %v, want ErrLockLost", err)
				}
				if got, err := admin.Get(ctx, lockKey).Result(); err != nil || got != "someone-else" {
					t.Errorf("the other holder's lock after the unlock = %q, %v; want it kept", got, err)
				}
				if ttl, err := admin.TTL(ctx, lockKey).Result(); err != nil || ttl <= 0 {
					t.Errorf("TTL of the other holder's lock = %v, %v; want its TTL kept", ttl, err)
				}
				if err := admin.Del(ctx, lockKey).Err(); err != nil {
					t.Fatal(err)
				}
				// A lock that expired before the unlock: nothing to release,
				// and nothing left behind by the SET NX of the release.
				unlock, err = s.Lock(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if err := admin.Del(ctx, lockKey).Err(); err != nil {
					t.Fatal(err)
				}
				if err := unlock(ctx); !errors.Is(err, redisstore.ErrLockLost) {
					t.Errorf("unlock as noread of an expired lock = %v, want ErrLockLost", err)
				}
				if n, err := admin.Exists(ctx, lockKey).Result(); err != nil || n != 0 {
					t.Errorf("the lock key after releasing an expired lock: exists %d, %v; want none", n, err)
				}
			})
		}
	}
}

// replyError is an error reply from Redis, as go-redis returns it.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

// TestOpErrorIsErrAuth checks which causes make an *OpError match ErrAuth:
// Redis refusing the credentials or, for the ACL, a command, also one a
// script runs, in the words of each Redis version; not other errors.
func TestOpErrorIsErrAuth(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{replyError("WRONGPASS invalid username-password pair or user is disabled."), true},
		{replyError("NOAUTH Authentication required."), true},
		{replyError("NOPERM User noread has no permissions to run the 'getrange' command"), true},
		// In a script: Redis 7.0, then 7.2+ and Valkey.
		{replyError("ERR The user executing the script can't run this command or subcommand script: e9f6, on @user_script:1."), true},
		{replyError("ERR ACL failure in script: User noread has no permissions to run the 'get' command script: e9f6, on @user_script:1."), true},
		{replyError("ERR Error running script (call to f_e9f6): @user_script:1: WRONGTYPE Operation against a key holding the wrong kind of value"), false},
		{errors.New("ERR ACL failure in script: not a reply from Redis"), false},
		{context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		err := &redisstore.OpError{Op: "unlock", Key: "sess-reds-x-lock", Err: tt.err}
		if got := errors.Is(err, redisstore.ErrAuth); got != tt.want {
			t.Errorf("errors.Is(%v, ErrAuth) = %v, want %v", err, got, tt.want)
		}
	}
}

// TestAuthErrorsBatched sends 64 LockReads at once with a password Redis
// refuses, with AutoPipeline: most go through the AutoPipeliner (which
// batches from 16 calls under way), and each must fail on its lock with an
// error matching ErrAuth, never hold a lock it did not take.
func TestAuthErrorsBatched(t *testing.T) {
	r, admin := startAuthRedis(t)
	ctx := ctxFor(t)
	s := open(t, redisstore.Options{Host: "127.0.0.1", Port: r.Port, Password: "wrong", Locking: true, LockRetries: 3, LockWait: 10 * time.Millisecond, AutoPipeline: true})
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := storetest.NewID()
			<-start
			_, _, held, err := s.LockRead(ctx, id)
			var op *redisstore.OpError
			if held != nil || !errors.Is(err, redisstore.ErrAuth) || !errors.As(err, &op) || op.Key != s.Key(id)+"-lock" {
				t.Errorf("LockRead(%q) = held %v, %v; want the lock's error, matching ErrAuth", id, held != nil, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n, err := admin.DBSize(ctx).Result(); err != nil || n != 0 {
		t.Errorf("%d keys after the refused LockReads (%v), want none", n, err)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestAuthLostWhileHeld changes the password while a lock is held: the
// pipelined touch-and-release of TouchUnlock then fails on a new
// connection's AUTH, and must say so, not that the lock was lost.
func TestAuthLostWhileHeld(t *testing.T) {
	r, admin := startAuthRedis(t)
	ctx := ctxFor(t)
	s := open(t, redisstore.Options{Host: "127.0.0.1", Port: r.Port, Password: authPW, Locking: true})
	id := storetest.NewID()
	if err := s.Write(ctx, id, []byte(authData), 0); err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"TouchUnlock", "LockRead"} {
		_, _, held, err := s.LockRead(ctx, id)
		if err != nil {
			t.Fatalf("LockRead(%q) = %v", id, err)
		}
		if err := admin.ConfigSet(ctx, "requirepass", "changed").Err(); err != nil {
			t.Fatal(err)
		}
		// Drop the store's connections (not this one), which stay
		// authenticated otherwise.
		if err := admin.ClientKillByFilter(ctx, "TYPE", "normal", "SKIPME", "yes").Err(); err != nil {
			t.Fatal(err)
		}
		switch step {
		case "TouchUnlock":
			err = held.TouchUnlock(ctx, 0)
		case "LockRead":
			var h2 adapters.Held
			_, _, h2, err = s.LockRead(ctx, id+"x")
			if h2 != nil {
				t.Errorf("LockRead(%q) after the password changed took a lock", id+"x")
			}
		}
		if !errors.Is(err, redisstore.ErrAuth) || errors.Is(err, redisstore.ErrLockLost) || errors.Is(err, adapters.ErrLockTimeout) {
			t.Errorf("%s after the password changed = %v, want an error matching ErrAuth, not about the lock", step, err)
		}
		if err := admin.ConfigSet(ctx, "requirepass", authPW).Err(); err != nil {
			t.Fatal(err)
		}
		if err := admin.Del(ctx, s.Key(id)+"-lock").Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestManagerAuthError runs a request through the manager on a store whose
// password Redis refuses: Start fails with an error matching ErrAuth, the
// response sets no cookie, and the session PHP stored stays as it was;
// nothing is created, nothing destroyed. A request without a session
// fails at its commit, still without a cookie.
func TestManagerAuthError(t *testing.T) {
	r, admin := startAuthRedis(t)
	ctx := ctxFor(t)
	for _, lock := range []bool{false, true} {
		s := open(t, redisstore.Options{Host: "127.0.0.1", Port: r.Port, Password: "wrong", Locking: true, LockRetries: 3, LockWait: 10 * time.Millisecond})
		var commitErr error
		m, err := manager.New(s, manager.Config{LockRequests: lock, ErrorFunc: func(w http.ResponseWriter, _ *http.Request, err error) {
			commitErr = err
			http.Error(w, "session unavailable", http.StatusServiceUnavailable)
		}})
		if err != nil {
			t.Fatal(err)
		}
		id := storetest.NewID()
		if err := admin.Set(ctx, s.Key(id), `s:6:"`+authData+`";`, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		before, err := admin.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, cookie := range []bool{true, false} {
			var startErr error
			commitErr = nil
			h := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				sess := m.Session(req.Context())
				if startErr = sess.Start(req.Context()); startErr != nil {
					http.Error(w, "session unavailable", http.StatusServiceUnavailable)
					return
				}
			}))
			req := httptest.NewRequest("GET", "/", nil).WithContext(context.WithoutCancel(ctx))
			if cookie {
				req.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: id})
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			// A session to read fails at Start; a new one has nothing to
			// read and fails when the commit writes it.
			err := startErr
			if !cookie {
				err = commitErr
			}
			if !errors.Is(err, redisstore.ErrAuth) || errors.Is(err, adapters.ErrLockTimeout) {
				t.Errorf("LockRequests %v, cookie %v: Start = %v, commit = %v; want an error matching ErrAuth", lock, cookie, startErr, commitErr)
			}
			if c := w.Result().Header.Values("Set-Cookie"); len(c) != 0 {
				t.Errorf("LockRequests %v, cookie %v: the response sets cookies %q, want none", lock, cookie, c)
			}
		}
		if got, err := admin.Get(ctx, s.Key(id)).Result(); err != nil || got != `s:6:"`+authData+`";` {
			t.Errorf("LockRequests %v: the session after the requests = %q, %v; want it untouched", lock, got, err)
		}
		if after, err := admin.DBSize(ctx).Result(); err != nil || after != before {
			t.Errorf("LockRequests %v: %d keys after the requests (%v), want %d: nothing created", lock, after, err, before)
		}
	}
}

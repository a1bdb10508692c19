package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/adapters/memcachedstore"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

// phpSetup is a PHP-side session set-up of docs/manager.md's concurrency
// table: the PHP handler (internal/phpapp, SB_STORE) and whether it holds
// its session lock from session_start to the write.
type phpSetup struct {
	name  string // the subtest name
	store string // SB_STORE
	locks bool   // PHP locks for the whole request
}

var phpSetups = []phpSetup{
	{"phalcon-stream", "stream", false},
	{"phalcon-stream-locking", "locking-stream", true},
	{"phalcon-redis", "redis", false},
	{"phalcon-redis-locking", "redis-locking", true},
	{"phalcon-libmemcached", "memcached", false},
	{"php-files", "files", true},
	{"phpredis-locking", "phpredis", true},
	{"php-memcached-locking", "php-memcached", true},
}

// openSetup returns the Go store sharing sessions with setup's PHP side,
// with its lock on, and the PHP environment. The Go lock waits as long as
// it takes (up to the manager's LockTimeout), as the PHP workers do.
func openSetup(t *testing.T, setup phpSetup) (adapters.Store, storeEnv) {
	t.Helper()
	env := storeEnv{kind: setup.store}
	switch setup.store {
	case "stream", "locking-stream", "files":
		env.savePath = t.TempDir()
		opts := filestore.Options{Dir: env.savePath}
		if setup.store == "files" {
			opts.Layout = adapters.LayoutNative
		}
		s, err := filestore.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		return s, env
	case "redis", "redis-locking", "phpredis":
		srv := testenv.StartRedis(t)
		env.addr = srv.Addr
		client := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true})
		t.Cleanup(func() { client.Close() })
		opts := redisstore.Options{Locking: true, LockWait: time.Millisecond, LockRetries: -1}
		if setup.store == "phpredis" {
			opts.Layout = adapters.LayoutNative
		}
		s, err := redisstore.New(client, opts)
		if err != nil {
			t.Fatal(err)
		}
		return s, env
	case "memcached", "php-memcached":
		srv := testenv.StartMemcached(t)
		env.addr = srv.Addr
		opts := memcachedstore.Options{
			Servers:     []memcachedstore.Server{{Host: "127.0.0.1", Port: srv.Port}},
			LockRetries: 1 << 20, LockWaitMin: time.Millisecond, LockWaitMax: 5 * time.Millisecond,
		}
		if setup.store == "php-memcached" {
			opts.Layout = adapters.LayoutNative
		}
		s, err := memcachedstore.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, env
	}
	t.Fatalf("unknown PHP set-up %q", setup.store)
	return nil, storeEnv{}
}

// goConfig is a Go-side configuration of the concurrency table.
type goConfig struct {
	name string
	cfg  Config
}

var goConfigs = []goConfig{
	{"SaveMerge", Config{Save: SaveMerge}},
	{"SaveMergeLocked", Config{Save: SaveMergeLocked}},
	{"SaveReplace", Config{Save: SaveReplace}},
	{"LockRequests", Config{LockRequests: true}},
}

const (
	raceWorkers = 3  // PHP processes, and as many Go goroutines
	raceCycles  = 25 // requests per worker
)

// raceResult counts what concurrent writers lost.
type raceResult struct {
	sameLost  int // increments of the one key everyone increments
	ownLost   int // increments of the keys each worker has to itself
	sameTotal int
	ownTotal  int
	refused   int // Go requests that failed cleanly (lock timeout, CAS retries spent)
}

// sameKeyRace runs raceWorkers PHP workers (internal/phpapp/incr.php) and
// raceWorkers Go goroutines at once on one session, each request
// incrementing both the key "n" that every worker increments and a key of
// its own, and counts the increments lost. A Go request that fails with a
// lock timeout or a spent compare-and-swap is refused, not lost: its
// increment is not expected.
func sameKeyRace(t *testing.T, m *Manager, env storeEnv) raceResult {
	t.Helper()
	php := testenv.PHP(t, "redis", "memcached", "igbinary")
	ctx, s := started(t, m, "")
	s.Set("seed", phpsession.IntValue(0))
	id := commit(t, m, ctx)

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		goDone [raceWorkers]int
		res    raceResult
	)
	errs := make(chan error, 2*raceWorkers)
	for i := range raceWorkers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			cmd := exec.Command(php, filepath.Join(phpAppDir(t), "incr.php"), id, fmt.Sprintf("n,php%d", i), strconv.Itoa(raceCycles))
			cmd.Env = append(os.Environ(), env.vars(m.Config().Format)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("php worker %d: %v\n%s", i, err, out)
			}
		}()
		go func() {
			defer wg.Done()
			own := fmt.Sprintf("go%d", i)
			for range raceCycles {
				err := func() error {
					ctx := m.Load(context.Background(), id)
					s := m.Session(ctx)
					defer s.Release(context.Background())
					if err := s.Start(ctx); err != nil {
						return err
					}
					for _, k := range []string{"n", own} {
						n, _ := s.Get(k, phpsession.IntValue(0)).Int()
						if err := s.Set(k, phpsession.IntValue(n+1)); err != nil {
							return err
						}
					}
					_, _, err := m.Commit(ctx)
					return err
				}()
				switch {
				case err == nil:
					goDone[i]++
				case errors.Is(err, adapters.ErrConflict), errors.Is(err, adapters.ErrLockTimeout):
					mu.Lock()
					res.refused++
					mu.Unlock()
				default:
					errs <- fmt.Errorf("go worker %d: %w", i, err)
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
	sess, _ := stored(t, m, id)
	count := func(k string) int {
		v, _ := sess.Get(k)
		n, _ := v.Int()
		return int(n)
	}
	for i := range raceWorkers {
		res.sameTotal += raceCycles + goDone[i]
		res.ownTotal += raceCycles + goDone[i]
		res.ownLost += raceCycles - count(fmt.Sprintf("php%d", i))
		res.ownLost += goDone[i] - count(fmt.Sprintf("go%d", i))
	}
	res.sameLost = res.sameTotal - count("n")
	return res
}

// TestConcurrentWriters backs docs/manager.md's concurrency table: for
// each PHP set-up and each Go configuration, PHP workers and Go requests
// increment one shared key and a key of their own, all at once. Where the
// table says a column survives, nothing may be lost: with LockRequests on
// a set-up whose PHP side locks, not one increment of the shared key (and
// of the own keys), and with SaveMergeLocked the own keys. Elsewhere the
// losses are logged (a lucky run may lose nothing).
func TestConcurrentWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 96 PHP processes")
	}
	testenv.PHP(t, "redis", "memcached", "igbinary")
	for _, setup := range phpSetups {
		for _, gc := range goConfigs {
			t.Run(setup.name+"/"+gc.name, func(t *testing.T) {
				t.Parallel()
				store, env := openSetup(t, setup)
				m, err := New(store, gc.cfg)
				if err != nil {
					t.Fatal(err)
				}
				res := sameKeyRace(t, m, env)
				t.Logf("same key: %d of %d increments lost; own keys: %d of %d lost; %d Go requests refused",
					res.sameLost, res.sameTotal, res.ownLost, res.ownTotal, res.refused)
				sameSafe := setup.locks && gc.cfg.LockRequests
				ownSafe := setup.locks && (gc.cfg.LockRequests || gc.cfg.Save == SaveMergeLocked)
				if sameSafe && res.sameLost != 0 {
					t.Errorf("same key: %d of %d increments lost, want 0", res.sameLost, res.sameTotal)
				}
				if ownSafe && res.ownLost != 0 {
					t.Errorf("own keys: %d of %d increments lost, want 0", res.ownLost, res.ownTotal)
				}
				if (sameSafe || ownSafe) && res.refused != 0 {
					t.Errorf("%d Go requests refused, want 0", res.refused)
				}
			})
		}
	}
}

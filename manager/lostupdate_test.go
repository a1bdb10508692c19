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
	"sync/atomic"
	"testing"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

const (
	lostWorkers = 8   // PHP processes, and as many Go goroutines
	lostCycles  = 200 // increments per worker
)

// incrementRace runs lostWorkers PHP processes and lostWorkers Go goroutines
// at once, each incrementing its own key lostCycles times in one session,
// and returns how many increments PHP and Go lost. A Go save that gives up
// with ErrConflict (MaxRetries exhausted) is not lost silently: it is
// counted in refused, and its increment is not expected.
func incrementRace(t *testing.T, m *Manager, env storeEnv) (phpLost, goLost, refused int) {
	t.Helper()
	php := testenv.PHP(t, "redis", "memcached", "igbinary")
	ctx, s := started(t, m, "")
	s.Set("seed", phpsession.IntValue(0))
	id := commit(t, m, ctx)

	var (
		wg       sync.WaitGroup
		refusals atomic.Int64
		goDone   [lostWorkers]int
	)
	errs := make(chan error, 2*lostWorkers)
	for i := range lostWorkers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			cmd := exec.Command(php, filepath.Join(phpAppDir(t), "incr.php"), id, fmt.Sprintf("php%d", i), strconv.Itoa(lostCycles))
			cmd.Env = append(os.Environ(), env.vars(m.Config().Format)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("php worker %d: %v\n%s", i, err, out)
			}
		}()
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("go%d", i)
			for range lostCycles {
				ctx := m.Load(context.Background(), id)
				s := m.Session(ctx)
				if err := s.Start(ctx); err != nil {
					errs <- err
					return
				}
				n, _ := s.Get(key, phpsession.IntValue(0)).Int()
				if err := s.Set(key, phpsession.IntValue(n+1)); err != nil {
					errs <- err
					return
				}
				if _, _, err := m.Commit(ctx); errors.Is(err, adapters.ErrConflict) {
					refusals.Add(1)
					continue
				} else if err != nil {
					errs <- err
					return
				}
				goDone[i]++
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sess, _ := stored(t, m, id)
	for i := range lostWorkers {
		for _, side := range []string{"php", "go"} {
			v, _ := sess.Get(fmt.Sprintf("%s%d", side, i))
			n, _ := v.Int()
			if side == "php" {
				phpLost += lostCycles - int(n)
			} else {
				goLost += goDone[i] - int(n)
			}
		}
	}
	return phpLost, goLost, int(refusals.Load())
}

// TestNoLostUpdates proves that Go's saves never clobber PHP's changes (nor
// each other's): with PHP holding its session lock for the whole request
// (as PHP's files handler and Phalcon's lockingEnabled Redis adapter do) and
// Go saving with SaveMergeLocked under the same lock, not one of the
// 2 × 8 × 200 increments is lost. The baseline, PHP with Phalcon's default
// adapters (no request-long lock), is logged: there PHP loses its own
// increments (and Go's) however Go saves.
func TestNoLostUpdates(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 16 PHP processes")
	}
	for _, kind := range []string{"stream", "redis"} {
		t.Run(kind, func(t *testing.T) {
			store, env := openShared(t, kind, true)
			m, err := New(store, Config{Save: SaveMergeLocked})
			if err != nil {
				t.Fatal(err)
			}
			phpLost, goLost, refused := incrementRace(t, m, env)
			if phpLost != 0 || goLost != 0 || refused != 0 {
				t.Errorf("locked: PHP lost %d, Go lost %d of %d increments each, %d Go saves refused; want 0", phpLost, goLost, lostWorkers*lostCycles, refused)
			}

			store, env = openShared(t, kind, false)
			m, err = New(store, Config{})
			if err != nil {
				t.Fatal(err)
			}
			phpLost, goLost, refused = incrementRace(t, m, env)
			t.Logf("baseline, PHP without a request lock, Go SaveMerge: PHP lost %d, Go lost %d of %d increments each; %d Go saves refused with ErrConflict", phpLost, goLost, lostWorkers*lostCycles, refused)
		})
	}
}

// TestGoNeverClobbersPHP interleaves by hand: Go starts the session, PHP
// then changes another key and saves, Go saves. With SaveMerge (by
// compare-and-swap on every store here) PHP's change survives; SaveReplace
// loses it, as PHP itself would.
func TestGoNeverClobbersPHP(t *testing.T) {
	php := testenv.PHP(t, "redis", "memcached", "igbinary")
	for _, kind := range testStores {
		for _, mode := range []SaveMode{SaveMerge, SaveReplace} {
			t.Run(kind+"/"+mode.String(), func(t *testing.T) {
				store, env := openShared(t, kind, false)
				m, err := New(store, Config{Save: mode})
				if err != nil {
					t.Fatal(err)
				}
				ctx, s := started(t, m, "")
				s.Set("seed", phpsession.IntValue(1))
				id := commit(t, m, ctx)

				ctx, s = started(t, m, id)
				cmd := exec.Command(php, filepath.Join(phpAppDir(t), "incr.php"), id, "fromPHP", "1")
				cmd.Env = append(os.Environ(), env.vars(m.Config().Format)...)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("php: %v\n%s", err, out)
				}
				s.Set("fromGo", phpsession.IntValue(1))
				commit(t, m, ctx)

				sess, _ := stored(t, m, id)
				kept := sess.Has("fromPHP")
				if !sess.Has("fromGo") || kept != (mode != SaveReplace) {
					t.Errorf("stored keys %q: PHP's change kept %v, want %v", sess.Names(), kept, mode != SaveReplace)
				}
			})
		}
	}
}

package manager

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

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

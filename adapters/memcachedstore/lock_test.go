package memcachedstore

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

// phpProc is a PHP script running in the background; its output is read
// line by line.
type phpProc struct {
	out *bufio.Reader
	cmd *exec.Cmd
}

func startPHP(t *testing.T, script string, req any) *phpProc {
	t.Helper()
	php := testenv.PHP(t, "memcached")
	f := t.TempDir() + "/script.php"
	if err := os.WriteFile(f, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	stdin, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(php, "-d", "display_errors=stderr", f)
	cmd.Stdin = strings.NewReader(string(stdin))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &phpProc{out: bufio.NewReader(out), cmd: cmd}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return p
}

func (p *phpProc) line(t *testing.T) string {
	t.Helper()
	l, err := p.out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading php's output: %v (got %q)", err, l)
	}
	return strings.TrimSuffix(l, "\n")
}

// TestLockPHP checks php-memcached's session lock both ways on three
// servers (the lock key may live on another server than the session).
func TestLockPHP(t *testing.T) {
	t.Parallel()
	script := readScript(t, "lock.php")
	testenv.PHP(t, "memcached")
	servers := startServers(t, 3)
	var savePath []string
	for _, s := range servers {
		savePath = append(savePath, s.String())
	}
	path := strings.Join(savePath, ",")
	s := newStore(t, Options{Servers: servers, Layout: adapters.LayoutNative})
	ctx := context.Background()

	t.Run("PHPHolds", func(t *testing.T) {
		id := storetest.NewID()
		p := startPHP(t, script, map[string]any{"save_path": path, "id": id, "op": "hold", "hold_ms": 1500})
		if l := p.line(t); l != "locked" {
			t.Fatalf("php: %q", l)
		}
		// The lock is where Go looks for it, with PHP's value.
		lockKey := s.Key("lock." + id)
		it, err := memcache.New(s.sel.addrs[s.sel.Index(lockKey)].String()).Get(lockKey)
		if err != nil || string(it.Value) != "1" {
			t.Fatalf("PHP's lock %q on the server the Selector names: %v, %v", lockKey, it, err)
		}
		unlock, err := s.Lock(ctx, id) // 6 attempts 150 ms apart: gives up before PHP ends
		if !errors.Is(err, adapters.ErrLockTimeout) || unlock != nil {
			t.Fatalf("Lock(%q) while PHP holds it = %v, want ErrLockTimeout", id, err)
		}
		if l := p.line(t); l != "done" {
			t.Fatalf("php: %q", l)
		}
		unlock, err = s.Lock(ctx, id)
		if err != nil {
			t.Fatalf("Lock(%q) after PHP released it = %v", id, err)
		}
		data, found, err := s.Read(ctx, id)
		if err != nil || !found || string(data) != "php|i:1;" {
			t.Errorf("Read(%q) = %q, %v, %v; want PHP's session", id, data, found, err)
		}
		if err := unlock(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("GoWaitsForPHP", func(t *testing.T) {
		id := storetest.NewID()
		p := startPHP(t, script, map[string]any{"save_path": path, "id": id, "op": "hold", "hold_ms": 300})
		if l := p.line(t); l != "locked" {
			t.Fatalf("php: %q", l)
		}
		patient := newStore(t, Options{Servers: servers, Layout: adapters.LayoutNative, LockRetries: 40, LockWaitMin: 50 * time.Millisecond})
		unlock, err := patient.Lock(ctx, id)
		if err != nil {
			t.Fatalf("Lock(%q) = %v", id, err)
		}
		// PHP wrote its session before it released the lock.
		if data, _, err := patient.Read(ctx, id); err != nil || string(data) != "php|i:1;" {
			t.Errorf("Read(%q) under Go's lock = %q, %v; want PHP's write", id, data, err)
		}
		if err := unlock(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("GoHolds", func(t *testing.T) {
		id := storetest.NewID()
		if err := s.Write(ctx, id, []byte("go|i:7;"), 0); err != nil {
			t.Fatal(err)
		}
		unlock, err := s.Lock(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// PHP gives up.
		p := startPHP(t, script, map[string]any{"save_path": path, "id": id, "op": "try", "retries": 2, "wait_ms": 50})
		if l := p.line(t); l != "failed" {
			t.Fatalf("PHP session_start while Go holds the lock: %q, want failed", l)
		}
		// PHP waits, and gets in once Go unlocks.
		p = startPHP(t, script, map[string]any{"save_path": path, "id": id, "op": "try", "retries": 100, "wait_ms": 50})
		time.Sleep(300 * time.Millisecond)
		if err := unlock(ctx); err != nil {
			t.Fatal(err)
		}
		want := "started " + base64.StdEncoding.EncodeToString([]byte("go|i:7;"))
		if l := p.line(t); l != want {
			t.Fatalf("PHP session_start after Go unlocked: %q, want %q", l, want)
		}
	})
}

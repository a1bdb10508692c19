//go:build unix

package filestore

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

// sessionScript runs one session action in PHP, with PHP's files handler
// ("native") or the Phalcon Stream replay in compat/ ("phalcon").
//
// argv: action layout savePath serializeHandler id [marker release]
const sessionScript = `<?php
[, $action, $layout, $savePath, $handler, $id] = $argv;
$marker = $argv[6] ?? '';
$release = $argv[7] ?? '';
ini_set('session.use_cookies', '0');
ini_set('session.use_only_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.cache_limiter', '');
ini_set('session.gc_probability', '0');
ini_set('session.gc_maxlifetime', '3600');
ini_set('session.serialize_handler', $handler);
if ($layout === 'phalcon') {
    require 'COMPAT_PATH';
    session_set_save_handler(new PhalconStreamHandler($savePath), true);
    $file = rtrim($savePath, '/') . '/' . $id;
} else {
    ini_set('session.save_handler', 'files');
    session_save_path($savePath);
}
session_id($id);

function start(array $opts = []) {
    if (!session_start($opts)) {
        fwrite(STDERR, "session_start failed\n");
        exit(2);
    }
}
function hold($marker, $release) {
    file_put_contents($marker, 'held');
    $deadline = microtime(true) + 20;
    while (!file_exists($release) && microtime(true) < $deadline) {
        usleep(5000);
    }
}
function out($s) { echo base64_encode($s), "\n"; }

switch ($action) {
case 'write':
    start();
    $_SESSION['user'] = ['id' => 42, 'name' => 'Dark Helmet', 'roles' => ['admin', 'user']];
    $_SESSION['bin'] = "a\0b\xff\"';|{}";
    $_SESSION['float'] = 0.1;
    $_SESSION['null'] = null;
    $_SESSION['bool'] = true;
    $_SESSION['obj'] = (object)['x' => 1, 'y' => [1.5, 'z']];
    $_SESSION['big'] = str_repeat('0123456789', 3000);
    out(session_encode());
    out(serialize($_SESSION));
    session_write_close();
    break;
case 'write-small':
    start();
    $_SESSION = ['small' => 1];
    out(session_encode());
    session_write_close();
    break;
case 'read':
    start(['read_and_close' => true]);
    out(serialize($_SESSION));
    break;
case 'hold':
    start();
    $_SESSION['by'] = 'php';
    hold($marker, $release);
    session_write_close();
    break;
case 'wait':
    file_put_contents($marker, 'started');
    start();
    printf("%.6f\n", microtime(true));
    out(serialize($_SESSION));
    session_write_close();
    break;
case 'flock-ex':
case 'flock-sh':
    $f = fopen($file, 'c');
    flock($f, $action === 'flock-ex' ? LOCK_EX : LOCK_SH);
    hold($marker, $release);
    fclose($f);
    break;
case 'gc':
    if ($layout === 'phalcon') {
        echo (new PhalconStreamHandler($savePath))->gc(3600), "\n";
    } else {
        start();
        echo session_gc(), "\n";
        session_destroy();
    }
    break;
}
`

type phpEnv struct {
	php    string
	script string
}

func newPHPEnv(t *testing.T, extensions ...string) *phpEnv {
	t.Helper()
	php := testenv.PHP(t, extensions...)
	compat, err := filepath.Abs("../../compat/phalcon_stream_handler.php")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "session.php")
	if err := os.WriteFile(script, []byte(strings.ReplaceAll(sessionScript, "COMPAT_PATH", compat)), 0o600); err != nil {
		t.Fatal(err)
	}
	return &phpEnv{php: php, script: script}
}

func (e *phpEnv) command(args ...string) *exec.Cmd {
	return exec.Command(e.php, append([]string{"-d", "display_errors=stderr", "-d", "error_reporting=-1", e.script}, args...)...)
}

// run runs the script and returns its base64 output lines, decoded.
func (e *phpEnv) run(t *testing.T, args ...string) [][]byte {
	t.Helper()
	cmd := e.command(args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("php %q: %v\nstderr: %s", args, err, stderr.Bytes())
	}
	var lines [][]byte
	for _, l := range strings.Fields(string(out)) {
		b, err := base64.StdEncoding.DecodeString(l)
		if err != nil {
			t.Fatalf("php %q: output %q: %v", args, l, err)
		}
		lines = append(lines, b)
	}
	return lines
}

// background starts the script and returns a channel with its result.
func (e *phpEnv) background(t *testing.T, args ...string) (stdout *bytes.Buffer, done <-chan error) {
	t.Helper()
	cmd := e.command(args...)
	stdout = new(bytes.Buffer)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		err := cmd.Wait()
		if err == nil && stderr.Len() > 0 {
			err = errors.New("stderr output")
		}
		if err != nil {
			err = fmt.Errorf("php %q: %v\nstderr: %s", args, err, stderr.Bytes())
		}
		ch <- err
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	return stdout, ch
}

// waitFile waits until the PHP side creates path.
func waitFile(t *testing.T, path string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("php exited before creating %s: %v", path, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("php did not create %s within 10 s", path)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var serializeHandlers = []string{"php", "php_serialize", "php_binary", "igbinary"}

// phpConfig is one way PHP and Go share a directory.
type phpConfig struct {
	name     string
	layout   string // the script's layout argument
	savePath func(dir string) string
	opts     func(dir string) Options
}

var phpConfigs = []phpConfig{
	{
		name:     "Native",
		layout:   "native",
		savePath: func(dir string) string { return dir },
		opts:     func(dir string) Options { return Options{Dir: dir, Layout: adapters.LayoutNative} },
	},
	{
		name:     "NativeDepth2",
		layout:   "native",
		savePath: func(dir string) string { return "2;0640;" + dir },
	},
	{
		name:     "Phalcon",
		layout:   "phalcon",
		savePath: func(dir string) string { return dir },
		opts:     func(dir string) Options { return Options{Dir: dir} },
	},
}

func (c phpConfig) store(t *testing.T, dir string) *Store {
	t.Helper()
	var opts Options
	if c.opts != nil {
		opts = c.opts(dir)
	} else {
		var err error
		if opts, err = ParseSavePath(c.savePath(dir)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// prepare creates the depth directories an id needs.
func prepare(t *testing.T, s *Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		p, err := s.Path(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPHPInterop: PHP writes, Go reads the same bytes; Go writes, PHP reads
// the same $_SESSION; PHP rewrites Go's file in place, Go reads it; for
// each serialize handler and each layout.
func TestPHPInterop(t *testing.T) {
	env := newPHPEnv(t, "igbinary")
	ctx := context.Background()
	for _, c := range phpConfigs {
		for _, handler := range serializeHandlers {
			t.Run(c.name+"/"+handler, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				s := c.store(t, dir)
				phpID, goID := storetest.NewID(), storetest.NewID()
				prepare(t, s, phpID, goID)
				savePath := c.savePath(dir)

				out := env.run(t, "write", c.layout, savePath, handler, phpID)
				payload, want := out[0], out[1]
				got, found, err := s.Read(ctx, phpID)
				if err != nil || !found || !bytes.Equal(got, payload) {
					t.Fatalf("Read(PHP's session) = %s, %v, %v; want PHP's session_encode() %d bytes", show(got), found, err, len(payload))
				}
				phpPath, _ := s.Path(phpID)
				if raw, err := os.ReadFile(phpPath); err != nil || !bytes.Equal(raw, payload) {
					t.Fatalf("PHP's file %s = %d bytes, %v; want the payload", phpPath, len(raw), err)
				}

				if err := s.Write(ctx, goID, payload, 0); err != nil {
					t.Fatal(err)
				}
				if back := env.run(t, "read", c.layout, savePath, handler, goID)[0]; !bytes.Equal(back, want) {
					t.Fatalf("PHP read Go's session as %q, want %q", back, want)
				}
				goPath, _ := s.Path(goID)
				phpFI, _ := os.Stat(phpPath)
				goFI, _ := os.Stat(goPath)
				if phpFI.Mode() != goFI.Mode() {
					t.Errorf("Go created %s with mode %v, PHP created %s with %v", goPath, goFI.Mode(), phpPath, phpFI.Mode())
				}

				// PHP writes a shorter session into Go's file, in place.
				small := env.run(t, "write-small", c.layout, savePath, handler, goID)[0]
				if got, found, err := s.Read(ctx, goID); err != nil || !found || !bytes.Equal(got, small) {
					t.Fatalf("Read after PHP rewrote it = %q, %v, %v; want %q", got, found, err, small)
				}
				// And Go writes the long one back over PHP's.
				if err := s.Write(ctx, goID, payload, 0); err != nil {
					t.Fatal(err)
				}
				if back := env.run(t, "read", c.layout, savePath, handler, goID)[0]; !bytes.Equal(back, want) {
					t.Fatalf("PHP read Go's rewritten session as %q, want %q", back, want)
				}
			})
		}
	}
}

func show(b []byte) string {
	if len(b) <= 64 {
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("%d bytes %q...", len(b), b[:32])
}

// TestPHPHoldsLock: while PHP holds the session (the files handler from
// session_start to the end; a Phalcon-style flock), Go's Lock, and the
// reads and writes the lock excludes, wait and time out.
func TestPHPHoldsLock(t *testing.T) {
	env := newPHPEnv(t)
	tests := []struct {
		name      string
		c         phpConfig
		action    string
		readWaits bool // Go's Read (LOCK_SH) waits too
	}{
		{"NativeSession", phpConfigs[0], "hold", true},
		{"NativeSessionDepth2", phpConfigs[1], "hold", true},
		{"PhalconLockEX", phpConfigs[2], "flock-ex", true},
		{"PhalconLockSH", phpConfigs[2], "flock-sh", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dir := t.TempDir()
			s := tt.c.store(t, dir)
			id := storetest.NewID()
			prepare(t, s, id)
			if err := s.Write(ctx, id, []byte("by|s:2:\"go\";"), 0); err != nil {
				t.Fatal(err)
			}
			tmp := t.TempDir()
			marker, release := filepath.Join(tmp, "marker"), filepath.Join(tmp, "release")
			_, done := env.background(t, tt.action, tt.c.layout, tt.c.savePath(dir), "php", id, marker, release)
			waitFile(t, marker, done)

			short := func() context.Context {
				ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			}
			wantTimeout := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, adapters.ErrLockTimeout) || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("%s while PHP holds the session = %v, want ErrLockTimeout and DeadlineExceeded", op, err)
				}
			}
			unlock, err := s.Lock(short(), id)
			wantTimeout("Lock", err)
			if unlock != nil {
				unlock(ctx)
			}
			wantTimeout("Write", s.Write(short(), id, []byte("lost|b:1;"), 0))
			_, found, err := s.Read(short(), id)
			if tt.readWaits {
				wantTimeout("Read", err)
			} else if err != nil || !found {
				t.Errorf("Read while PHP holds LOCK_SH = %v, %v; want found (shared locks)", found, err)
			}
			// Peek and Inspect never wait: Peek refuses an exclusive holder
			// at once, Inspect tells of it and shows the bytes.
			start := time.Now()
			_, _, err = s.Peek(ctx, id)
			if tt.readWaits != errors.Is(err, adapters.ErrLockTimeout) || time.Since(start) > time.Second {
				t.Errorf("Peek while PHP holds the session = %v after %v, want ErrLockTimeout at once: %v", err, time.Since(start), tt.readWaits)
			}
			in, found, err := s.Inspect(ctx, id)
			wantLock := adapters.LockFree
			if tt.readWaits {
				wantLock = adapters.LockHeld
			}
			if err != nil || !found || in.Lock != wantLock || string(in.Payload) != `by|s:2:"go";` {
				t.Errorf("Inspect while PHP holds the session = %+v, %v, %v; want lock %v and the stored session", in, found, err, wantLock)
			}

			os.WriteFile(release, nil, 0o600)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			unlock = lockOrFail(t, s, id)
			data, _, err := s.Read(ctx, id)
			unlock(ctx)
			want := `by|s:2:"go";`
			if tt.action == "hold" {
				want = `by|s:3:"php";`
			}
			if err != nil || string(data) != want {
				t.Fatalf("Read after PHP released = %q, %v; want %q", data, err, want)
			}
		})
	}
}

func lockOrFail(t *testing.T, s *Store, id string) func(context.Context) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	unlock, err := s.Lock(ctx, id)
	if err != nil {
		t.Fatalf("Lock(%q) = %v", id, err)
	}
	return unlock
}

// TestGoHoldsLock: while Go holds Lock, PHP's session_start (files
// handler) and a Phalcon Stream read wait; PHP gets in only after Unlock,
// and reads what Go wrote under the lock.
func TestGoHoldsLock(t *testing.T) {
	env := newPHPEnv(t)
	for _, c := range phpConfigs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dir := t.TempDir()
			s := c.store(t, dir)
			id := storetest.NewID()
			prepare(t, s, id)
			unlock := lockOrFail(t, s, id)
			if err := s.Write(ctx, id, []byte(`by|s:2:"go";`), 0); err != nil {
				t.Fatal(err)
			}
			marker := filepath.Join(t.TempDir(), "marker")
			stdout, done := env.background(t, "wait", c.layout, c.savePath(dir), "php", id, marker)
			waitFile(t, marker, done)
			// Give PHP ample time to get through session_start if it
			// were not blocked.
			select {
			case err := <-done:
				t.Fatalf("PHP finished while Go held the lock: %v, output %q", err, stdout.String())
			case <-time.After(300 * time.Millisecond):
			}
			unlockedAt := time.Now()
			if err := unlock(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			lines := strings.Fields(stdout.String())
			if len(lines) != 2 {
				t.Fatalf("PHP output %q", stdout.String())
			}
			started, err := strconv.ParseFloat(lines[0], 64)
			if err != nil {
				t.Fatal(err)
			}
			if startedAt := time.UnixMicro(int64(started * 1e6)); startedAt.Before(unlockedAt.Truncate(time.Millisecond)) {
				t.Errorf("PHP's session_start returned at %v, before Go unlocked at %v", startedAt, unlockedAt)
			}
			got, _ := base64.StdEncoding.DecodeString(lines[1])
			if want := `a:1:{s:2:"by";s:2:"go";}`; string(got) != want {
				t.Errorf("PHP read $_SESSION = %s, want %s", got, want)
			}
		})
	}
}

// TestGCMatchesPHP builds the same directory twice, runs PHP's gc on one
// (the files handler's session_gc, or the Phalcon Stream gc) and the
// store's GC on the other, and compares what is left.
func TestGCMatchesPHP(t *testing.T) {
	env := newPHPEnv(t)
	ctx := context.Background()
	old := time.Now().Add(-2 * time.Hour)
	files := []struct {
		name string
		old  bool
	}{
		{"sess_old1", true}, {"sess_new1", false}, {"sess_odd_name", true}, {"sess_", true},
		{"abc", true}, {"def", false}, {"notes.txt", true}, {".hidden", true}, {"x-sess_y", true},
	}
	build := func(t *testing.T) string {
		dir := t.TempDir()
		for _, f := range files {
			p := filepath.Join(dir, f.name)
			os.WriteFile(p, []byte("x"), 0o600)
			if f.old {
				os.Chtimes(p, old, old)
			}
		}
		os.Mkdir(filepath.Join(dir, "sess_dir"), 0o700)
		os.Chtimes(filepath.Join(dir, "sess_dir"), old, old)
		return dir
	}
	list := func(dir string) []string {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		slices.Sort(names)
		return names
	}
	for _, c := range []phpConfig{phpConfigs[0], phpConfigs[2]} {
		t.Run(c.name, func(t *testing.T) {
			phpDir, goDir := build(t), build(t)
			cmd := env.command("gc", c.layout, phpDir, "php", storetest.NewID())
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("php gc: %v\n%s", err, out)
			}
			s := c.store(t, goDir)
			if _, err := s.GC(ctx, time.Hour); err != nil {
				t.Fatal(err)
			}
			if php, gone := list(phpDir), list(goDir); !slices.Equal(php, gone) {
				t.Fatalf("after gc, PHP left %q\nGo left %q", php, gone)
			}
		})
	}
}

// TestPHPWriteConflicts: PHP writes the session between Go's ReadVersion
// and WriteIfVersion; the Go write must lose and leave PHP's session.
func TestPHPWriteConflicts(t *testing.T) {
	env := newPHPEnv(t)
	ctx := context.Background()
	for _, c := range phpConfigs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := c.store(t, dir)
			id := storetest.NewID()
			prepare(t, s, id)
			env.run(t, "write", c.layout, c.savePath(dir), "php", id)
			_, _, v, err := s.ReadVersion(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			small := env.run(t, "write-small", c.layout, c.savePath(dir), "php", id)[0]
			err = s.WriteIfVersion(ctx, id, []byte("go|b:1;"), 0, v)
			if !errors.Is(err, adapters.ErrConflict) {
				t.Fatalf("WriteIfVersion after PHP wrote = %v, want ErrConflict", err)
			}
			if got, _, _ := s.Read(ctx, id); !bytes.Equal(got, small) {
				t.Fatalf("session after the lost write = %q, want PHP's %q", got, small)
			}
		})
	}
}

// Package testenv gives tests the real parts they need: the php binary,
// redis-server and memcached, started on free loopback ports in the test's
// temp dir and stopped when the test ends.
//
// A missing binary skips the test locally and fails it when CI=true, so a
// CI machine without the dependency can never pass by skipping.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// InCI reports whether the tests run under CI (CI=true), where a missing
// dependency is a failure rather than a skip.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1" || v == "yes"
}

// MustHaveExecPath returns the path of the named binary. When it is not on
// PATH the test is skipped, or failed under CI.
func MustHaveExecPath(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		missing(t, fmt.Sprintf("%s not found on PATH: %v (install it with: apt-get install %s)", name, err, debianPackage(name)))
	}
	return path
}

func missing(t testing.TB, msg string) {
	t.Helper()
	if InCI() {
		t.Fatalf("testenv: %s", msg)
	}
	t.Skipf("testenv: %s", msg)
}

func debianPackage(bin string) string {
	switch bin {
	case "php":
		return "php-cli php-igbinary php-redis php-memcached"
	case "redis-server", "redis-cli":
		return "redis-server"
	}
	return bin
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: no free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitForTCP waits until addr accepts TCP connections or the timeout passes.
func WaitForTCP(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testenv: %s did not accept connections within %v: %w", addr, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// StartProcess starts a long-running server process and registers its stop
// (SIGTERM, then SIGKILL after 5 s) with t.Cleanup. Its output goes to
// logPath.
func StartProcess(t testing.TB, logPath string, name string, args ...string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("testenv: start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		resume(cmd.Process) // in case a test stopped it
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	return cmd
}

// Memcached is a memcached server started for one test.
type Memcached struct {
	Addr    string // 127.0.0.1:port
	Port    int
	Process *os.Process // the server, for tests that stop it (SIGSTOP) and resume it (SIGCONT)
}

// StartMemcached starts a memcached on a free loopback port for the test,
// with extra command-line arguments if given ("-I", "2m").
func StartMemcached(t testing.TB, extraArgs ...string) *Memcached {
	t.Helper()
	bin := MustHaveExecPath(t, "memcached")
	for attempt := 0; ; attempt++ {
		port := FreePort(t)
		args := append([]string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-m", "64"}, extraArgs...)
		if os.Geteuid() == 0 {
			args = append(args, "-u", "root")
		}
		cmd := StartProcess(t, fmt.Sprintf("%s/memcached-%d.log", t.TempDir(), port), bin, args...)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if err := WaitForTCP(addr, 5*time.Second); err != nil {
			if attempt < 3 {
				continue
			}
			t.Fatal(err)
		}
		return &Memcached{Addr: addr, Port: port, Process: cmd.Process}
	}
}

// Redis is a redis-server started for one test.
type Redis struct {
	Addr    string // 127.0.0.1:port
	Port    int
	Dir     string      // its working directory
	Process *os.Process // the server, for tests that stop it (SIGSTOP) and resume it (SIGCONT)
}

// StartRedis starts a standalone redis-server on a free loopback port, with
// no persistence, in a temp dir. Extra config lines ("maxmemory 1mb") may be
// given.
func StartRedis(t testing.TB, extraConfig ...string) *Redis {
	t.Helper()
	bin := MustHaveExecPath(t, "redis-server")
	for attempt := 0; ; attempt++ {
		port := FreePort(t)
		dir := t.TempDir()
		conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsave \"\"\nappendonly no\nprotected-mode yes\n%s\n",
			port, dir, strings.Join(extraConfig, "\n"))
		confPath := dir + "/redis.conf"
		if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := StartProcess(t, dir+"/redis.log", bin, confPath)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if err := WaitForTCP(addr, 5*time.Second); err != nil {
			if attempt < 3 {
				continue
			}
			log, _ := os.ReadFile(dir + "/redis.log")
			t.Fatalf("%v\n%s", err, log)
		}
		return &Redis{Addr: addr, Port: port, Dir: dir, Process: cmd.Process}
	}
}

// PHP returns the path of the php CLI, skipping (or failing under CI) when
// it, or any of the named extensions ("redis", "memcached", "igbinary"), is
// missing.
func PHP(t testing.TB, extensions ...string) string {
	t.Helper()
	php := MustHaveExecPath(t, "php")
	if len(extensions) > 0 {
		out, err := exec.Command(php, "-m").Output()
		if err != nil {
			t.Fatalf("testenv: php -m: %v", err)
		}
		have := map[string]bool{}
		for _, l := range strings.Split(string(out), "\n") {
			have[strings.ToLower(strings.TrimSpace(l))] = true
		}
		for _, ext := range extensions {
			if !have[ext] {
				missing(t, fmt.Sprintf("php extension %s missing (install it with: apt-get install php-%s)", ext, ext))
			}
		}
	}
	return php
}

// RunPHP runs a PHP script (the text of a file, starting with <?php) with
// the given stdin and returns its stdout. A non-zero exit fails the test,
// showing stderr.
func RunPHP(t testing.TB, script string, stdin []byte, args ...string) []byte {
	t.Helper()
	out, err := RunPHPErr(t, script, stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// RunPHPErr is RunPHP returning an error instead of failing the test.
func RunPHPErr(t testing.TB, script string, stdin []byte, args ...string) ([]byte, error) {
	t.Helper()
	php := PHP(t)
	f, err := os.CreateTemp(t.TempDir(), "script-*.php")
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(script); err != nil {
		return nil, err
	}
	f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, php, append([]string{"-d", "display_errors=stderr", "-d", "error_reporting=-1", f.Name()}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("testenv: php %s: %v\nstderr:\n%s", f.Name(), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

//go:build unix

package phpsession

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

// TestBenchPHP compares this package with PHP 8 on the benchmark inputs:
// compat/bench_php.php times session_decode() and session_encode(), then
// the Go equivalents run in this process. Both count CPU time (getrusage),
// which a busy machine distorts much less than wall time. It runs only with
// SESSBRIDGE_BENCH_PHP=1, logs the numbers and asserts nothing.
func TestBenchPHP(t *testing.T) {
	if os.Getenv("SESSBRIDGE_BENCH_PHP") == "" {
		t.Skip("set SESSBRIDGE_BENCH_PHP=1 to measure PHP")
	}
	testenv.PHP(t)
	script, err := os.ReadFile(filepath.Join("..", "compat", "bench_php.php"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range benchInputs(&testing.B{}) {
		path := filepath.Join(t.TempDir(), "payload")
		if err := os.WriteFile(path, in.data, 0o600); err != nil {
			t.Fatal(err)
		}
		php := strings.TrimSpace(string(testenv.RunPHP(t, string(script), nil, path, in.format.String(), "1000")))
		full := cpuPerOp(300, func() {
			s, _ := DecodeSession(in.data, in.format)
			for i := range s.entries {
				s.value(i)
			}
		})
		one := cpuPerOp(1000, func() {
			s, _ := DecodeSession(in.data, in.format)
			s.Get(in.key)
		})
		look := cpuPerOp(1000, func() { Lookup(in.data, in.format, in.key) })
		s, _ := DecodeSession(in.data, in.format)
		for i := range s.entries {
			v, _ := s.value(i)
			s.entries[i].val, s.entries[i].touched = &v, true
		}
		s.changed = true
		var out []byte
		enc := cpuPerOp(300, func() { out, _ = s.AppendEncode(out[:0]) })
		t.Logf("%s (%d bytes):\n\t%s\n\tgo: full decode %d ns/op, read one key %d ns/op (Lookup %d ns/op), encode %d ns/op (CPU)",
			in.name, len(in.data), php, full.Nanoseconds(), one.Nanoseconds(), look.Nanoseconds(), enc.Nanoseconds())
	}
}

// cpuPerOp returns the CPU time (user and system) f takes per call.
func cpuPerOp(n int, f func()) time.Duration {
	f()
	t0 := cpuTime()
	for range n {
		f()
	}
	return (cpuTime() - t0) / time.Duration(n)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

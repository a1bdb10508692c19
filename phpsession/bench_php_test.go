//go:build unix

package phpsession

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/internal/vectors"
)

// TestBenchPHP compares this package with PHP 8 on the benchmark inputs
// (benchPHPCases: each one payload, and 100KB-varied, several taken in
// turn): compat/bench_php.php times session_decode() and session_encode(),
// then the Go equivalents run in this process. Both count CPU time (getrusage),
// which a busy machine distorts much less than wall time, and each figure
// is taken over at least benchPHPTime of it, whatever the payload's size, by
// doubling the number of runs as testing.B does (a few hundred runs of a
// sub-microsecond decode are too short a stretch to time). The two sides
// take turns for SESSBRIDGE_BENCH_ROUNDS rounds (default 5), so that a
// slow spell of the machine hits both; the log gives the median of each
// figure and of each ratio. It runs only with SESSBRIDGE_BENCH_PHP=1, logs
// the numbers and asserts nothing.
//
// Run it pinned to one CPU (taskset -c 1), as docs/benchmarks.md does: PHP
// and Go then share that core, and Go (GOMAXPROCS 1) runs its garbage
// collector there too, all of it counted. Unpinned, the scheduler moves PHP
// between cores and Go's collector runs on the other one, and the figures
// of either side swing by up to 2x from one run to the next.
func TestBenchPHP(t *testing.T) {
	if os.Getenv("SESSBRIDGE_BENCH_PHP") == "" {
		t.Skip("set SESSBRIDGE_BENCH_PHP=1 to measure PHP")
	}
	testenv.PHP(t)
	rounds := 5
	if n, err := strconv.Atoi(os.Getenv("SESSBRIDGE_BENCH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	script, err := os.ReadFile(filepath.Join("..", "compat", "bench_php.php"))
	if err != nil {
		t.Fatal(err)
	}
	phpOut := regexp.MustCompile(`decode (\d+) ns/op, encode (\d+) ns/op`)
	for _, c := range benchPHPCases(t) {
		var paths []string
		for i, data := range c.payloads {
			path := filepath.Join(t.TempDir(), "payload"+strconv.Itoa(i))
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, path)
		}
		// Which payload a call takes: each in turn.
		k := 0
		turn := func() int {
			i := k
			if k++; k == len(c.payloads) {
				k = 0
			}
			return i
		}
		// Figures per round, in ns/op.
		var phpDec, phpEnc, full, one, look, enc []float64
		for range rounds {
			out := testenv.RunPHP(t, string(script), nil, strings.Join(paths, ","), c.format.String(), strconv.Itoa(int(benchPHPTime/time.Millisecond))+"ms")
			m := phpOut.FindSubmatch(out)
			if m == nil {
				t.Fatalf("bench_php.php printed %q", out)
			}
			d, _ := strconv.ParseFloat(string(m[1]), 64)
			e, _ := strconv.ParseFloat(string(m[2]), 64)
			phpDec, phpEnc = append(phpDec, d), append(phpEnc, e)
			full = append(full, cpuPerOp(func() {
				s, _ := DecodeSession(c.payloads[turn()], c.format)
				for i := range s.entries {
					s.value(i)
				}
			}))
			one = append(one, cpuPerOp(func() {
				s, _ := DecodeSession(c.payloads[turn()], c.format)
				s.Get(c.key)
			}))
			look = append(look, cpuPerOp(func() { Lookup(c.payloads[turn()], c.format, c.key) }))
			// Each payload decoded, with every value changed, for the
			// encodes, and let go after them: decoded sessions kept alive
			// would give the decodes above more for the garbage collector
			// to mark.
			sessions := make([]*Session, len(c.payloads))
			for j, data := range c.payloads {
				s, err := DecodeSession(data, c.format)
				if err != nil {
					t.Fatal(err)
				}
				for i := range s.entries {
					v, _ := s.value(i)
					s.setVal(&s.entries[i], v)
					s.entries[i].touched = true
				}
				s.changed = true
				sessions[j] = s
			}
			var buf []byte
			enc = append(enc, cpuPerOp(func() {
				buf, _ = sessions[turn()].AppendEncode(buf[:0])
			}))
		}
		size := 0
		for _, data := range c.payloads {
			size += len(data)
		}
		t.Logf("%s (%d bytes, %s, medians of %d rounds, CPU ns/op, GOMAXPROCS %d):\n"+
			"\tPHP session_decode %.0f, Go full decode %.0f (PHP/Go %.2f)\n"+
			"\tGo read one key: DecodeSession+Get %.0f (PHP decode/Go %.1f), Lookup %.0f (PHP decode/Go %.1f)\n"+
			"\tPHP session_encode %.0f, Go encode %.0f (PHP/Go %.2f)",
			c.name, size/len(c.payloads), c.format, rounds, runtime.GOMAXPROCS(0),
			median(phpDec), median(full), medianRatio(phpDec, full),
			median(one), medianRatio(phpDec, one), median(look), medianRatio(phpDec, look),
			median(phpEnc), median(enc), medianRatio(phpEnc, enc))
	}
}

// benchPHPCase is an input of TestBenchPHP: payloads, which each side
// decodes in turn, one a call.
type benchPHPCase struct {
	benchInput
	payloads [][]byte
}

// benchPHPCases returns the vector sessions of the scenarios login,
// scalars, arrays, objects and big in the three text formats and the 100KB
// benchmark session, each one payload decoded over and over, and
// 100KB-varied: benchVariedSessions, each decoded in turn (its size is the
// payloads' average).
func benchPHPCases(tb testing.TB) []benchPHPCase {
	cases := []benchPHPCase{{benchInput{name: "100KB", data: benchSession(tb, 100<<10), format: FormatPHP, key: "key150"}, nil}}
	vs, fs := serializeVectors(tb)
	for _, scenario := range []string{"login", "scalars", "arrays", "objects", "big"} {
		for i, v := range vs {
			if v.Adapter != "stream" || v.Scenario != scenario {
				continue
			}
			s, err := DecodeSession(v.Payload, fs[i])
			if err != nil {
				tb.Fatal(err)
			}
			names := s.Names()
			cases = append(cases, benchPHPCase{benchInput{name: v.Scenario + "-" + v.Handler, data: v.Payload, format: fs[i], key: names[len(names)/2]}, nil})
		}
	}
	for i := range cases {
		cases[i].payloads = [][]byte{cases[i].data}
	}
	varied := benchVariedSessions(tb)
	cases = append(cases, benchPHPCase{benchInput{name: "100KB-varied", data: varied[0], format: FormatPHP, key: "key150"}, varied})
	return append(cases, benchIgbinaryCases(tb)...)
}

// benchIgbinaryCases returns the igbinary inputs of TestBenchPHP: the
// igbinary vectors of the stream adapter, and the 100KB session written
// with igbinary.
func benchIgbinaryCases(tb testing.TB) []benchPHPCase {
	var cases []benchPHPCase
	add := func(name string, data []byte) {
		s, err := DecodeSession(data, FormatIgbinary)
		if err != nil {
			tb.Fatal(err)
		}
		names := s.Names()
		key := ""
		if len(names) > 0 {
			key = names[len(names)/2]
		}
		cases = append(cases, benchPHPCase{benchInput{name: name, data: data, format: FormatIgbinary, key: key}, [][]byte{data}})
	}
	for _, v := range vectors.MustLoad(tb) {
		if v.Handler == "igbinary" && v.Adapter == "stream" && v.Scenario != "empty" {
			add(v.Scenario+"-igbinary", v.Payload)
		}
	}
	add("100KB-igbinary", benchIgbinarySession(tb, 100<<10))
	return cases
}

// benchPHPTime is the least CPU time each figure of TestBenchPHP is taken
// over, on both sides.
const benchPHPTime = 50 * time.Millisecond

// cpuPerOp returns the CPU time (user and system) f takes per call, in ns:
// it runs f n times, with n doubled, or raised to what the last run says
// takes 20 % more than benchPHPTime (at most 100 times more), until a run
// takes at least benchPHPTime. compat/bench_php.php does the same.
func cpuPerOp(f func()) float64 {
	for n := 1; ; {
		t0 := cpuTime()
		for range n {
			f()
		}
		t := cpuTime() - t0
		if t >= benchPHPTime || n >= 1e9 {
			return float64(t) / float64(n)
		}
		want := float64(benchPHPTime) * 1.2 / float64(max(t, 1)) * float64(n)
		n = int(min(max(float64(2*n), want), float64(100*n)))
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// median returns the median of xs.
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medianRatio returns the median over rounds of a[i]/b[i].
func medianRatio(a, b []float64) float64 {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = a[i] / b[i]
	}
	return median(r)
}

//go:build linux

package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    result
		wantErr bool
	}{
		{
			name: "done line among wrk's own",
			out:  "Running 10s test @ http://127.0.0.1:1/\n  8065 requests in 3.05s\nSBRESULT 8065 3049439 3 700 168746 1342184 1659809\nRequests/sec: 2644.75\n",
			want: result{requests: 8065, secs: 3.049439, errors: 3, p50: 700, p90: 168746, p99: 1342184},
		},
		{name: "no done line", out: "Requests/sec: 2644.75\n", wantErr: true},
		{name: "no requests", out: "SBRESULT 0 3049439 0 0 0 0 0\n", wantErr: true},
		{name: "bad number", out: "SBRESULT 12 x 0 0 0 0 0\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWrk(tt.out)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseWrk(%q) = %+v, %v, want %+v, error %v", tt.out, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestTreeCPU checks that the CPU time read from /proc grows by what this
// process spends, as getrusage counts it.
func TestTreeCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	pid := []int{os.Getpid()}
	used := func() float64 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	before, usedBefore := treeCPU(pid), used()
	// Spin until 100 ms of CPU are spent, however busy the machine is.
	for deadline := time.Now().Add(30 * time.Second); used()-usedBefore < 0.1 && time.Now().Before(deadline); {
	}
	got, want := treeCPU(pid)-before, used()-usedBefore
	// /proc counts in 10 ms ticks, and both figures in each thread.
	if got < want-0.03 || got > want+0.03 {
		t.Errorf("treeCPU grew by %.3f s while getrusage counted %.3f s", got, want)
	}
	if got := treeCPU([]int{-1}); got != 0 {
		t.Errorf("treeCPU of no process = %v, want 0", got)
	}
}

func TestMedian(t *testing.T) {
	rs := []result{{requests: 3, secs: 1}, {requests: 1, secs: 1}, {requests: 2, secs: 1}, {requests: 10, secs: 1}}
	if got := median(rs, result.rps); got != 2.5 {
		t.Errorf("median of 3, 1, 2, 10 = %v, want 2.5", got)
	}
	if got := median(rs[:3], result.rps); got != 2 {
		t.Errorf("median of 3, 1, 2 = %v, want 2", got)
	}
}

// TestPrintTableLocked checks the comparisons under the table: every Go
// variant against PHP's fastest on its store, then the Go variants that
// lock against PHP's fastest that locks too, and nothing of the second
// kind where either side has no lock.
func TestPrintTableLocked(t *testing.T) {
	res := func(rps float64) []result {
		return []result{{requests: int64(rps), secs: 1, serverCPU: 1, storeCPU: 1, wrkCPU: 1}}
	}
	vs := []*variant{
		{name: "php-fast", php: "persistent", keys: keysPHPRedis, res: res(300)},
		{name: "php-locking", php: "locking", keys: keysPHPRedis, lock: true, res: res(200)},
		{name: "go-merge", keys: keysPhalcon, res: res(900)},
		{name: "go-lock", keys: keysPhalcon, lock: true, res: res(800)},
		{name: "php-mc", php: "memcached", keys: keysMemcached, lock: true, res: res(100)},
		{name: "go-mc", keys: keysMemcached, res: res(400)},
	}
	var b strings.Builder
	printTable(&b, options{rounds: 1, duration: time.Second, threads: 1, conns: 1, sessions: 1}, vs)
	out := b.String()
	for _, want := range []string{
		"Against PHP's best on redis, php-fast:\n\n- go-merge: 3.00× the requests per second",
		"- go-lock: 2.67× the requests per second",
		"Against PHP's best with a lock held from read to save on redis, php-locking:\n\n- go-lock: 4.00× the requests per second",
		"Against PHP's best on memcached, php-mc:\n\n- go-mc: 4.00×",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "with a lock held") != 1 {
		t.Errorf("want one comparison of locking variants (redis only: memcached has no Go variant that locks):\n%s", out)
	}
	if i := strings.Index(out, "with a lock held"); strings.Contains(out[i:], "go-merge:") {
		t.Errorf("go-merge, which holds no lock, is compared with PHP's locking variant:\n%s", out)
	}
}

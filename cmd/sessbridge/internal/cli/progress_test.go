package cli

import (
	"strings"
	"testing"
	"time"
)

// TestProgressPlain: off a terminal, progress is a plain line now and
// then, with the rate and, once the total is known, the time left.
func TestProgressPlain(t *testing.T) {
	ios, _, stderr := testStreams("", false)
	p := newProgress(ios, "migrate", true)
	p.start = time.Now().Add(-10 * time.Second)
	p.last = p.start
	p.setTotal(300)
	p.update(100, "100 copied, 0 failed")
	p.update(101, "101 copied, 0 failed") // within the interval: no line
	want := "migrate: 100 of 300 sessions, 10/s, about 20s left, 100 copied, 0 failed\n"
	if got := stderr.String(); got != want {
		t.Errorf("progress lines = %q, want %q", got, want)
	}
	p.finish()
}

// TestProgressTerminal: on a terminal, a bar that is cleared at the end.
func TestProgressTerminal(t *testing.T) {
	ios, _, stderr := testStreams("", false)
	ios.ErrIsTTY = true
	p := newProgress(ios, "gc", false)
	p.update(5, "")
	time.Sleep(150 * time.Millisecond)
	p.update(10, "")
	p.finish()
	if !strings.Contains(stderr.String(), "gc") || !strings.Contains(stderr.String(), "sessions") {
		t.Errorf("bar = %q, want the command and a count of sessions", stderr)
	}
}

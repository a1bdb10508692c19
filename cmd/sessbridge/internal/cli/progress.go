package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Intervals of the plain progress lines printed when stderr is not a
// terminal: every plainEvery, or every forcedEvery with --progress. A run
// shorter than the interval prints none.
const (
	plainEvery  = 10 * time.Second
	forcedEvery = time.Second
)

// progress shows how a long command (migrate, gc, ls) advances on
// stderr: a bar with the count, rate and, once the total is known, the
// time left, on a terminal; otherwise a plain line now and then. It is
// safe for concurrent use.
type progress struct {
	mu    sync.Mutex
	what  string // "migrate: 1200 sessions": the command's name
	bar   *progressbar.ProgressBar
	w     io.Writer
	every time.Duration // plain lines; 0: none
	start time.Time
	last  time.Time
	total int
	done  int
}

// newProgress returns the progress of the command what on ios.ErrOut: a
// bar on a terminal, plain lines otherwise (every second when forced).
func newProgress(ios *IOStreams, what string, forced bool) *progress {
	p := &progress{what: what, w: ios.ErrOut, start: time.Now(), total: -1}
	p.last = p.start
	switch {
	case ios.ErrIsTTY:
		p.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(ios.ErrOut),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("sessions"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	case forced:
		p.every = forcedEvery
	default:
		p.every = plainEvery
	}
	return p
}

// setTotal gives the number of sessions the run will have seen at the
// end, for the time left.
func (p *progress) setTotal(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = n
	if p.bar != nil {
		p.bar.ChangeMax(n)
	}
}

// update reports done sessions seen so far; detail ("3 failed") goes at
// the end of a plain line.
func (p *progress) update(done int, detail string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = done
	if p.bar != nil {
		_ = p.bar.Set(done)
		return
	}
	now := time.Now()
	if p.every == 0 || now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	fmt.Fprintln(p.w, p.line(now, detail))
}

// line returns a plain progress line.
func (p *progress) line(now time.Time, detail string) string {
	elapsed := now.Sub(p.start)
	rate := float64(p.done) / max(elapsed.Seconds(), 1e-3)
	s := fmt.Sprintf("%s: %d", p.what, p.done)
	if p.total >= 0 {
		s += fmt.Sprintf(" of %d", p.total)
	}
	s += fmt.Sprintf(" sessions, %.0f/s", rate)
	if p.total > p.done && rate > 0 {
		left := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
		s += ", about " + left.Round(time.Second).String() + " left"
	}
	if detail != "" {
		s += ", " + detail
	}
	return s
}

// clear removes the bar so that a message can be printed.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Clear()
	}
}

// finish removes the bar; the command prints its summary after.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Exit()
		_ = p.bar.Clear()
	}
}

//go:build unix

package testenv

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

// resume continues a process a test may have stopped (SIGSTOP).
func resume(p *os.Process) { p.Signal(syscall.SIGCONT) }

// Stop stops p with SIGSTOP and returns once it is stopped. kill(2) returns
// before the signal takes effect, so a request sent right after it could
// still be answered; where /proc exists, Stop waits (at most 2 s) until
// the process's state is T. The caller resumes it with SIGCONT; the servers
// this package starts are also resumed when the test ends.
func Stop(t testing.TB, p *os.Process) {
	t.Helper()
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	statPath := fmt.Sprintf("/proc/%d/stat", p.Pid)
	deadline := time.Now().Add(2 * time.Second)
	for {
		stat, err := os.ReadFile(statPath)
		if err != nil { // no /proc: give the signal a moment
			time.Sleep(50 * time.Millisecond)
			return
		}
		// The state follows the command name, which is in parentheses.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'T' {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d not stopped 2 s after SIGSTOP: %s", p.Pid, stat)
		}
		time.Sleep(time.Millisecond)
	}
}

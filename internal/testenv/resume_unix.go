//go:build unix

package testenv

import (
	"os"
	"syscall"
)

// resume continues a process a test may have stopped (SIGSTOP).
func resume(p *os.Process) { p.Signal(syscall.SIGCONT) }

//go:build !unix

package testenv

import "os"

// resume does nothing: without Unix signals no test stops a process.
func resume(p *os.Process) {}

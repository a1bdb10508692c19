package cli

import (
	"context"
	"errors"
	"fmt"
)

// exitCode is the status sessbridge exits with.
type exitCode int

// The exit codes, listed in docs/cli.md.
const (
	exitOK       exitCode = 0   // success
	exitError    exitCode = 1   // the command failed: bad input, I/O error, what PHP cannot store
	exitUsage    exitCode = 2   // bad flags or arguments; usage is printed
	exitMismatch exitCode = 3   // a check ran and found a difference (demo: Go and Phalcon disagree)
	exitCancel   exitCode = 130 // interrupted (Ctrl-C), as a shell reports SIGINT
)

// FlagError is a usage error: a bad flag or argument. Main prints it with
// the command's usage and exits with exitUsage.
type FlagError struct {
	err error
}

func (e *FlagError) Error() string { return e.err.Error() }

// Unwrap returns the underlying error.
func (e *FlagError) Unwrap() error { return e.err }

// flagErrorf returns a *FlagError with a formatted message.
func flagErrorf(format string, args ...any) error {
	return &FlagError{err: fmt.Errorf(format, args...)}
}

// errMismatch is wrapped by the errors of checks that found a difference;
// they end with exitMismatch.
var errMismatch = errors.New("check failed")

// exitCodeOf maps the error a command returned to the exit code.
func exitCodeOf(err error) exitCode {
	var fe *FlagError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &fe):
		return exitUsage
	case errors.Is(err, errMismatch):
		return exitMismatch
	case errors.Is(err, context.Canceled):
		return exitCancel
	}
	return exitError
}

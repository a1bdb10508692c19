package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// defaultMaxFailures is how many store failures in a row stop migrate and
// gc (--max-failures): a dead or full store fails every session, and
// going on would only fill the screen.
const defaultMaxFailures = 10

// maxReported is how many failures a run prints on stderr; --failures FILE
// keeps every one.
const maxReported = 20

// errTooManyFailures is wrapped by the error of a run that stopped after
// --max-failures failures in a row.
var errTooManyFailures = errors.New("too many failures in a row")

// failures counts the failures of a run over many sessions: it prints the
// first maxReported on stderr, writes every one to the --failures file,
// and tells when a run of them should stop the command.
type failures struct {
	errOut io.Writer
	cmd    string // the command's name, which starts each message
	max    int    // failures in a row that stop the run
	inRow  int
	total  int
	last   error
	f      *os.File // the --failures file, or nil
	w      *bufio.Writer
	before func() // called before a message, to end a progress line
}

// newFailures returns the failure count of the command cmd, writing every
// failure to the file path when it is not "".
func newFailures(errOut io.Writer, cmd, path string, max int) (*failures, error) {
	fs := &failures{errOut: errOut, cmd: cmd, max: max, before: func() {}}
	if path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("--failures: %w", err)
		}
		fs.f, fs.w = f, bufio.NewWriter(f)
	}
	return fs, nil
}

// ok records a success, which ends a run of failures.
func (fs *failures) ok() { fs.inRow = 0 }

// add records the failure err of session id and reports whether the run
// must stop: max failures in a row.
func (fs *failures) add(id string, err error) (stop bool) {
	fs.total++
	fs.inRow++
	fs.last = err
	msg := redact(err.Error())
	if fs.w != nil {
		fmt.Fprintf(fs.w, "%s\t%s\n", id, strings.ReplaceAll(msg, "\n", " "))
	}
	if fs.total <= maxReported {
		fs.before()
		fmt.Fprintf(fs.errOut, "sessbridge: %s: session %s: %s\n", fs.cmd, quoteName(id), msg)
		if fs.total == maxReported && fs.f == nil {
			fmt.Fprintf(fs.errOut, "sessbridge: %s: not showing more failures (--failures FILE keeps them all)\n", fs.cmd)
		}
	}
	return fs.max > 0 && fs.inRow >= fs.max
}

// stopped returns the error of a run that add stopped.
func (fs *failures) stopped() error {
	return fmt.Errorf("stopped after %w (%d, --max-failures); the last: %w", errTooManyFailures, fs.inRow, fs.last)
}

// close flushes and closes the --failures file.
func (fs *failures) close() error {
	if fs.f == nil {
		return nil
	}
	err := fs.w.Flush()
	if cerr := fs.f.Close(); err == nil {
		err = cerr
	}
	fs.f = nil
	if err != nil {
		return fmt.Errorf("--failures: %w", err)
	}
	return nil
}

// addFailureFlags adds --max-failures and --failures to a command that
// works on many sessions.
func addFailureFlags(cmd *cobra.Command, max *int, file *string) {
	cmd.Flags().IntVar(max, "max-failures", defaultMaxFailures, "stop after this many store failures in a row (0: never stop)")
	cmd.Flags().StringVar(file, "failures", "", "write every failure to this file, one \"ID<tab>error\" line each")
}

// interrupted says, for an error that ends a run, whether it was Ctrl-C
// (the context canceled).
func interrupted(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) || ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled)
}

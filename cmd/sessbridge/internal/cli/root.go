// Package cli implements the sessbridge commands, one file per command.
//
// Every command has the same parts: an xxxOptions struct (the IO streams and
// the parsed flags), newCmdXxx(f, runF), which only parses and validates
// flags into the options, and xxxRun(opts), which does the work. Tests
// replace runF to check parsing, and call xxxRun on in-memory streams.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/spf13/cobra"
)

// IOStreams are the standard streams a command uses.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutIsTTY reports whether Out is a terminal: commands then print
	// aligned tables for people instead of tab-separated lines for scripts.
	OutIsTTY bool
	// ErrIsTTY reports whether ErrOut is a terminal: commands then show
	// progress bars.
	ErrIsTTY bool
}

// Factory holds what every command shares: the streams and the root
// command's persistent flags.
type Factory struct {
	IO *IOStreams
	// Output is the root --output flag: "" (the command's usual output),
	// "table" or "json".
	Output outputFormat
	// Args are the command-line arguments, shown to resume a command.
	Args []string
}

// commandLine returns the command line as a shell would take it back.
func (f *Factory) commandLine() string {
	words := []string{"sessbridge"}
	for _, a := range f.Args {
		if a == "" || strings.ContainsFunc(a, func(r rune) bool {
			return !(r == '-' || r == '_' || r == '/' || r == '.' || r == ':' || r == '=' || r == ',' || r == '@' || r == '+' ||
				'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		}) {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// Main runs sessbridge with the process's arguments and streams and returns
// the exit code. An interrupt (Ctrl-C) cancels the context commands run
// with (cmd.Context()).
func Main() exitCode {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return run(ctx, os.Args[1:], &IOStreams{
		In:       os.Stdin,
		Out:      os.Stdout,
		ErrOut:   os.Stderr,
		OutIsTTY: isTerminal(os.Stdout),
		ErrIsTTY: isTerminal(os.Stderr),
	})
}

// run runs sessbridge with the arguments args on the streams ios.
func run(ctx context.Context, args []string, ios *IOStreams) exitCode {
	// No password reaches the screen: stderr goes through redact, stdout
	// (session data, which must stay as it is) through maskSecrets.
	addURLSecrets(args)
	// go-redis logs every failed dial of its pool (at Warn, through
	// LogGoRedis): the error the command returns says it once, on one
	// line, so those lines are discarded.
	redisstore.LogGoRedis(slog.New(slog.DiscardHandler))
	ios = &IOStreams{
		In:       ios.In,
		Out:      &redactWriter{w: ios.Out, hide: maskSecrets},
		ErrOut:   &redactWriter{w: ios.ErrOut, hide: redact},
		OutIsTTY: ios.OutIsTTY,
		ErrIsTTY: ios.ErrIsTTY,
	}
	f := &Factory{IO: ios, Args: args}
	root := newCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCodeOf(err)
	msg := err.Error()
	if code == exitCancel && !strings.Contains(msg, "interrupted") {
		msg = "interrupted (" + msg + ")"
	}
	fmt.Fprintf(ios.ErrOut, "sessbridge: %s\n", redact(msg))
	if code == exitUsage {
		fmt.Fprintf(ios.ErrOut, "\n%s", cmd.UsageString())
	}
	return code
}

// newCmdRoot returns the root command with every subcommand registered.
func newCmdRoot(f *Factory) *cobra.Command {
	cmd := newRootShell(f)
	cmd.AddCommand(newCmdDecode(f, nil))
	cmd.AddCommand(newCmdEncode(f, nil))
	cmd.AddCommand(newCmdDemo(f, nil))
	cmd.AddCommand(newCmdGet(f, nil))
	cmd.AddCommand(newCmdSet(f, nil))
	cmd.AddCommand(newCmdRm(f, nil))
	cmd.AddCommand(newCmdLs(f, nil))
	cmd.AddCommand(newCmdInspect(f, nil))
	cmd.AddCommand(newCmdGC(f, nil))
	cmd.AddCommand(newCmdMigrate(f, nil))
	cmd.AddCommand(newCmdCompat(f, nil))
	cmd.AddCommand(newCmdGenDocs(f, nil))
	registerCompletions(cmd)
	return cmd
}

// newRootShell returns the root command without subcommands: its help and
// the persistent flags every command shares.
func newRootShell(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessbridge <command> [flags]",
		Short: "Share live sessions between Go services and PHP (Phalcon) apps",
		Long: `sessbridge reads and writes PHP session payloads byte for byte as PHP and
Phalcon do, so a Go service can share a session with a Phalcon app.

decode turns a payload into a lossless JSON document and encode turns the
document back into the exact bytes. get, set, rm, ls, inspect, gc and migrate
work on live stores named by a URL (--store, or $SESSBRIDGE_STORE): file://,
redis://, memcached://, phpredis://, phpmemcached://. compat checks that PHP
and Go agree on your stores; demo runs a PHP app and a Go app sharing live
sessions.

Exit codes: 0 success, 1 failure, 2 bad flags or arguments, 3 a check found
a difference, 130 interrupted.`,
		Example: `  sessbridge demo
  sessbridge decode --handler php sess_e3ea125e2e80
  sessbridge decode --handler php_serialize < payload | sessbridge encode`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return flagErrorf("unknown command %q%s", args[0], suggestCommand(cmd, args[0]))
			}
			return nil
		},
		Version: version(),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.PersistentFlags().Var(&f.Output, "output", `output format: "table" or "json" (default: the command's usual output)`)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if hint := suggestFlag(c, err); hint != "" {
			err = fmt.Errorf("%w%s", err, hint)
		}
		return &FlagError{err: err}
	})
	cmd.SetVersionTemplate("sessbridge {{.Version}}\n")
	return cmd
}

// maxArgs is cobra.MaximumNArgs returning a *FlagError.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return flagErrorf("%s: too many arguments: want at most %d, got %d", cmd.Name(), n, len(args))
		}
		return nil
	}
}

// maxInput is the largest input a command reads: more than any session
// store keeps in one value.
const maxInput = 64 << 20

// readInput returns the contents of the file name, or of in when name is ""
// or "-", with the name to show in messages.
func readInput(in io.Reader, name string) (data []byte, shown string, err error) {
	shown = name
	if name == "" || name == "-" {
		shown = "stdin"
	} else {
		fh, err := os.Open(name)
		if err != nil {
			return nil, shown, err
		}
		defer fh.Close()
		in = fh
	}
	data, err = io.ReadAll(io.LimitReader(in, maxInput+1))
	if err != nil {
		return nil, shown, fmt.Errorf("read %s: %w", shown, err)
	}
	if len(data) > maxInput {
		return nil, shown, fmt.Errorf("%s: larger than %d MiB", shown, maxInput>>20)
	}
	return data, shown, nil
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

var errNoInput = errors.New("no input")

// checkStdin returns a *FlagError wrapping errNoInput when the command would
// read stdin (name is "" or "-") and stdin is a terminal: the user most
// likely forgot the FILE argument.
func checkStdin(in io.Reader, name string) error {
	if name != "" && name != "-" {
		return nil
	}
	if f, ok := in.(*os.File); ok && isTerminal(f) {
		return flagErrorf("%w: give a FILE or pipe a payload on stdin", errNoInput)
	}
	return nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
)

// getOptions are the inputs of the get command.
type getOptions struct {
	IO     *IOStreams
	Output outputFormat
	storeFlags
	ID  string
	Key string // "" with HasKey false: the whole session
	// HasKey is true when a KEY argument was given (it may be "").
	HasKey bool
	// LockTimeout bounds the wait for a session a request holds locked.
	LockTimeout time.Duration
}

// defaultLockTimeout is how long get waits for a locked session, whatever
// the store: as long as a file store waits for a flock by default
// (Options.LockTimeout of adapters/filestore).
const defaultLockTimeout = 30 * time.Second

// lockNotice is how long a read waits before get says it is waiting.
const lockNotice = time.Second

// newCmdGet returns the get command. runF replaces getRun in tests.
func newCmdGet(f *Factory, runF func(context.Context, *getOptions) error) *cobra.Command {
	opts := &getOptions{IO: f.IO}
	var handler string
	cmd := &cobra.Command{
		Use:   "get ID [KEY]",
		Short: "Print a stored session, or one of its keys",
		Long: `Get reads the session ID from the store and prints it as the JSON document
of "sessbridge decode" (docs/json.md), or, with --output table, one line per
key with a summary of its value. With KEY it prints only that key's value:
its JSON form, or a one-line summary with --output table.
` + storeHelp + `

A session that a PHP request holds (its file's flock) is read once the
request is done; get says when it waits, and gives up after --lock-timeout.

Exit codes: 0 printed, 1 no such session or key, or the store failed, 2 bad
flags or arguments.`,
		Example: `  sessbridge get --store file:///var/lib/php/sessions e3ea125e2e80
  sessbridge get --store redis://10.0.0.5/2 e3ea125e2e80 auth --output table
  SESSBRIDGE_STORE=phpredis://10.0.0.5 sessbridge get e3ea125e2e80 | jq .entries`,
		Args: rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := parseStoreFlags(cmd, &opts.storeFlags, handler); err != nil {
				return err
			}
			if opts.LockTimeout <= 0 {
				return flagErrorf("--lock-timeout: want a positive time, got %s", opts.LockTimeout)
			}
			opts.Output = f.Output
			opts.ID = args[0]
			if len(args) > 1 {
				opts.Key, opts.HasKey = args[1], true
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return getRun(cmd.Context(), opts)
		},
	}
	addStoreFlags(cmd, &opts.storeFlags, &handler)
	opts.LockTimeout = defaultLockTimeout
	cmd.Flags().Var(secondsFlag{&opts.LockTimeout}, "lock-timeout", "give up on a session a request holds locked after this, in seconds or as a duration (default 30)")
	return cmd
}

// getRun reads the session and prints it or its key.
func getRun(ctx context.Context, opts *getOptions) error {
	cfg, fm, err := storeConfig(opts.storeFlags)
	if err != nil {
		return err
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = defaultLockTimeout
	}
	if cfg.File != nil {
		cfg.File.LockTimeout = timeout
	}
	st, err := openConfig(ctx, cfg, fm)
	if err != nil {
		return err
	}
	defer st.Close()
	// A file store bounds its own wait for the flock (and says so); the
	// context bounds the others.
	bound := timeout
	if cfg.File != nil {
		bound += lockNotice
	}
	rctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	read, noticed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(noticed)
		select {
		case <-time.After(lockNotice):
			fmt.Fprintf(opts.IO.ErrOut, "sessbridge: get: waiting for session %s: a request holds it locked (giving up after %v, --lock-timeout)\n", quoteName(opts.ID), timeout)
		case <-read:
		}
	}()
	s, _, err := readSession(rctx, st, opts.ID)
	close(read)
	<-noticed
	if err != nil {
		if ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, adapters.ErrLockTimeout)) {
			return fmt.Errorf("session %s: still locked after %v (--lock-timeout): %w", quoteName(opts.ID), timeout, err)
		}
		return err
	}
	if opts.HasKey {
		v, ok := s.Get(opts.Key)
		if !ok {
			return fmt.Errorf("session %s: key %s: %w", quoteName(opts.ID), quoteName(opts.Key), errNotFound)
		}
		if opts.Output == outputTable {
			t := newTablePrinter(opts.IO, "KEY", "KIND", "VALUE")
			t.addRow(quoteName(opts.Key), v.Kind().String(), summarize(v, summaryWidth, slotPaths(s)))
			return t.render()
		}
		b, err := v.MarshalJSON()
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(opts.IO.Out, "%s\n", b)
		return err
	}
	if opts.Output == outputTable {
		return printSessionTable(opts.IO, s)
	}
	doc, err := s.MarshalJSON()
	if err != nil {
		return err
	}
	return writeDocument(opts.IO, doc)
}

// printSessionTable prints one line per key of s: its name, kind and a
// summary of its value.
func printSessionTable(ios *IOStreams, s *phpsession.Session) error {
	t := newTablePrinter(ios, "KEY", "KIND", "VALUE")
	paths := slotPaths(s)
	for _, n := range s.Names() {
		v, _ := s.Get(n)
		t.addRow(quoteName(n), v.Kind().String(), summarize(v, summaryWidth, paths))
	}
	return t.render()
}

package cli

import (
	"context"
	"fmt"

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
}

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
	return cmd
}

// getRun reads the session and prints it or its key.
func getRun(ctx context.Context, opts *getOptions) error {
	st, err := openStore(ctx, opts.storeFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	s, _, err := readSession(ctx, st, opts.ID)
	if err != nil {
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

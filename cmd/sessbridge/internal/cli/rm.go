package cli

import (
	"context"
	"fmt"

	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
)

// rmOptions are the inputs of the rm command.
type rmOptions struct {
	IO     *IOStreams
	Output outputFormat
	storeFlags
	ID  string
	Key string
	// HasKey is true when a KEY argument was given: remove only that key.
	HasKey bool
}

// newCmdRm returns the rm command. runF replaces rmRun in tests.
func newCmdRm(f *Factory, runF func(context.Context, *rmOptions) error) *cobra.Command {
	opts := &rmOptions{IO: f.IO}
	var handler string
	cmd := &cobra.Command{
		Use:   "rm ID [KEY]",
		Short: "Destroy a stored session, or remove one of its keys",
		Long: `Rm destroys the session ID, as session_destroy() does; destroying a session
that is not there does nothing. With KEY it removes only that key, as
unset($_SESSION[KEY]) does, and writes every other key back byte for byte,
with the same care for concurrent writers as "sessbridge set".
` + storeHelp + `

Exit codes: 0 done, 1 no such session or key (with KEY), or the store
failed, 2 bad flags or arguments.`,
		Example: `  sessbridge rm --store file:///var/lib/php/sessions e3ea125e2e80
  sessbridge rm --store redis://10.0.0.5/2 e3ea125e2e80 cart`,
		Args: rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := parseStoreFlags(cmd, &opts.storeFlags, handler); err != nil {
				return err
			}
			opts.ID = args[0]
			if len(args) > 1 {
				opts.Key, opts.HasKey = args[1], true
			}
			opts.Output = f.Output
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return rmRun(cmd.Context(), opts)
		},
	}
	addStoreFlags(cmd, &opts.storeFlags, &handler)
	return cmd
}

// rmRun destroys the session or removes the key.
func rmRun(ctx context.Context, opts *rmOptions) error {
	st, err := openStore(ctx, opts.storeFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	if !opts.HasKey {
		if err := st.Destroy(ctx, opts.ID); err != nil {
			return err
		}
		return printChange(opts.IO, opts.Output, change{ID: opts.ID, Action: "destroyed"})
	}
	err = modifySession(ctx, st, opts.ID, false, func(s *phpsession.Session) error {
		if !s.Remove(opts.Key) {
			return fmt.Errorf("session %s: key %s: %w", quoteName(opts.ID), quoteName(opts.Key), errNotFound)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return printChange(opts.IO, opts.Output, change{ID: opts.ID, Key: &opts.Key, Action: "removed"})
}

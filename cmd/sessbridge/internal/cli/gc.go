package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// gcOptions are the inputs of the gc command.
type gcOptions struct {
	IO     *IOStreams
	Output outputFormat
	storeFlags
	MaxLifetime time.Duration
}

// defaultMaxLifetime is PHP's default session.gc_maxlifetime.
const defaultMaxLifetime = 1440 * time.Second

// newCmdGC returns the gc command. runF replaces gcRun in tests.
func newCmdGC(f *Factory, runF func(context.Context, *gcOptions) error) *cobra.Command {
	opts := &gcOptions{IO: f.IO}
	var handler string
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Remove expired sessions from the store",
		Long: `Gc removes the sessions not written or touched for --max-lifetime, as PHP's
session garbage collector does, and prints how many it removed. Only file
stores need it: Redis and memcached expire sessions themselves, and gc
removes nothing from them.
` + storeHelp + `

Exit codes: 0 done, 1 the store failed, 2 bad flags or arguments.`,
		Example: `  sessbridge gc --store file:///var/lib/php/sessions?layout=php --max-lifetime 24m`,
		Args:    maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := parseStoreFlags(cmd, &opts.storeFlags, handler); err != nil {
				return err
			}
			if opts.MaxLifetime <= 0 {
				return flagErrorf("--max-lifetime: want a positive duration, got %s", opts.MaxLifetime)
			}
			opts.Output = f.Output
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return gcRun(cmd.Context(), opts)
		},
	}
	addStoreFlags(cmd, &opts.storeFlags, &handler)
	cmd.Flags().DurationVar(&opts.MaxLifetime, "max-lifetime", defaultMaxLifetime, "remove sessions older than this (session.gc_maxlifetime)")
	return cmd
}

// gcRun runs the store's garbage collection.
func gcRun(ctx context.Context, opts *gcOptions) error {
	st, err := openStore(ctx, opts.storeFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.GC(ctx, opts.MaxLifetime)
	if err != nil {
		return err
	}
	if opts.Output == outputJSON {
		return writeJSON(opts.IO.Out, struct {
			Removed int `json:"removed"`
		}{n})
	}
	_, err = fmt.Fprintf(opts.IO.Out, "removed %d sessions\n", n)
	return err
}

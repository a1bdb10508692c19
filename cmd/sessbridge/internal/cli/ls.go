package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
)

// lsOptions are the inputs of the ls command.
type lsOptions struct {
	IO     *IOStreams
	Output outputFormat
	storeFlags
	Keys bool // --keys: decode each session to list its keys
	// Now returns the time ages are measured from. Default: time.Now.
	Now func() time.Time
}

// errCannotList means a store has no way to enumerate its sessions.
var errCannotList = errors.New("store cannot list its sessions")

// newCmdLs returns the ls command. runF replaces lsRun in tests.
func newCmdLs(f *Factory, runF func(context.Context, *lsOptions) error) *cobra.Command {
	opts := &lsOptions{IO: f.IO}
	var handler string
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the sessions in a store",
		Long: `Ls lists every session in the store: its id, its size in bytes, its time to
live where the store keeps one (Redis) and its age where the store tells it
(files: the time since the last write, which PHP's GC compares with
gc_maxlifetime). With --keys it decodes each session and lists its keys.

It streams (Redis SCAN, never KEYS; directory reads in batches), in the
store's order. On a terminal it prints an aligned table, sorted by id;
piped, one tab-separated line per session; with --output json, one JSON
object per line:

  {"id":"e3ea125e2e80","size":61,"ttl":3599,"age":null,"keys":["auth","csrf"]}

where ttl and age are in seconds (keys is null without --keys), null when the store cannot tell, and ttl
is -1 for a session that never expires. Ls never waits for a session's
lock: a session file PHP holds is read without it and marked "locked":true.
Memcached cannot enumerate its keys: ls fails on it. A progress bar on
stderr shows how far a long listing is when stderr is a terminal (a plain
line every 10 s otherwise).
` + storeHelp + `

Exit codes: 0 listed, 1 the store failed or cannot list, 2 bad flags or
arguments.`,
		Example: `  sessbridge ls --store file:///var/lib/php/sessions
  sessbridge ls --store redis://10.0.0.5/2 --keys | awk -F'\t' '$2 > 4096'
  sessbridge ls --php-ini /etc/php/8.2/fpm/php.ini --output json`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := parseStoreFlags(cmd, &opts.storeFlags, handler); err != nil {
				return err
			}
			opts.Output = f.Output
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return lsRun(cmd.Context(), opts)
		},
	}
	addStoreFlags(cmd, &opts.storeFlags, &handler)
	cmd.Flags().BoolVar(&opts.Keys, "keys", false, "decode each session and list its keys")
	return cmd
}

// lsEntry is one session of ls --output json.
type lsEntry struct {
	ID   string   `json:"id"`
	Size int      `json:"size"`
	TTL  *int64   `json:"ttl"`
	Age  *int64   `json:"age"`
	Keys []string `json:"keys"` // null without --keys
	// Error says why the keys could not be listed (--keys).
	Error string `json:"error,omitempty"`
	// Locked is true when a process (PHP, for its whole request) held the
	// session's lock: its bytes were read without waiting for the lock,
	// and may be those of a write in progress.
	Locked bool `json:"locked,omitempty"`
}

// lsRun lists the sessions.
func lsRun(ctx context.Context, opts *lsOptions) error {
	st, err := openStore(ctx, opts.storeFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	lister, ok := st.Store.(adapters.Lister)
	if !ok {
		return fmt.Errorf("%s: %w", st.Config, errCannotList)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	header := []string{"ID", "SIZE", "TTL", "AGE"}
	if opts.Keys {
		header = append(header, "KEYS")
	}
	var (
		t       *tablePrinter
		enc     *json.Encoder
		loopErr error
	)
	switch {
	case opts.Output == outputJSON:
		enc = json.NewEncoder(opts.IO.Out)
		enc.SetEscapeHTML(false)
	case opts.IO.OutIsTTY:
		t = newTablePrinter(opts.IO, header...)
	}
	prog := newProgress(opts.IO, "ls", false)
	seen := 0
	err = lister.Sessions(ctx, func(id string) bool {
		seen++
		prog.update(seen, "")
		e, found, err := lsSession(ctx, st, id, opts.Keys, now())
		if err != nil {
			loopErr = err
			return false
		}
		if !found { // expired or destroyed since it was listed
			return true
		}
		switch {
		case enc != nil:
			err = enc.Encode(e)
		case t != nil:
			t.addRow(lsRow(e, opts.Keys)...)
		default:
			_, err = fmt.Fprintln(opts.IO.Out, strings.Join(lsRow(e, opts.Keys), "\t"))
		}
		if err != nil {
			loopErr = err
			return false
		}
		return true
	})
	prog.finish()
	if err = errors.Join(err, loopErr); err != nil {
		return err
	}
	if t != nil {
		slices.SortFunc(t.rows[1:], func(a, b []string) int { return strings.Compare(a[0], b[0]) })
		return t.render()
	}
	return nil
}

// lsSession reads what ls shows of one session.
func lsSession(ctx context.Context, st *openedStore, id string, keys bool, now time.Time) (e lsEntry, found bool, err error) {
	data, found, err := peekSession(ctx, st.Store, id)
	locked := false
	if ins, ok := st.Store.(adapters.Inspector); ok && errors.Is(err, adapters.ErrLockTimeout) {
		// Held: show what is stored, without waiting, and say so.
		var in adapters.Inspection
		in, found, err = ins.Inspect(ctx, id)
		data, locked = in.Payload, in.Lock == adapters.LockHeld
	}
	if err != nil || !found {
		return e, false, err
	}
	ex, err := sessionExpiry(ctx, st.Store, id, now)
	if err != nil {
		return e, false, err
	}
	e = lsEntry{ID: id, Size: len(data), TTL: seconds(ex.TTL, ex.HasTTL), Age: seconds(ex.Age, ex.HasAge), Locked: locked}
	if keys {
		s, err := phpsession.DecodeSession(data, st.Format)
		if err != nil {
			e.Error = err.Error()
		} else {
			e.Keys = s.Names()
			if e.Keys == nil {
				e.Keys = []string{}
			}
		}
	}
	return e, true, nil
}

// lsRow returns the table row of a session.
func lsRow(e lsEntry, keys bool) []string {
	dur := func(s *int64) string {
		if s == nil {
			return "-"
		}
		if *s < 0 {
			return "none"
		}
		return (time.Duration(*s) * time.Second).String()
	}
	row := []string{quoteName(e.ID), strconv.Itoa(e.Size), dur(e.TTL), dur(e.Age)}
	if keys {
		if e.Error != "" {
			row = append(row, "(cannot decode: "+strings.Join(strings.Fields(e.Error), " ")+")")
		} else {
			names := make([]string, len(e.Keys))
			for i, k := range e.Keys {
				names[i] = quoteName(k)
			}
			row = append(row, strings.Join(names, ","))
		}
	}
	return row
}

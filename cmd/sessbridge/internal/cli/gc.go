package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
)

// gcOptions are the inputs of the gc command.
type gcOptions struct {
	IO     *IOStreams
	Output outputFormat
	storeFlags
	// MaxLifetime is --max-lifetime; zero takes a php.ini's
	// session.gc_maxlifetime, or else defaultMaxLifetime.
	MaxLifetime time.Duration
	DryRun      bool
	MaxFailures int
	Failures    string // --failures FILE
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
		Long: `Gc removes the sessions not written or touched for --max-lifetime, and prints
how many it removed and what it left alone. Only file stores need it: Redis
and memcached expire sessions themselves, and gc removes nothing from them.

Gc is more careful than PHP's own garbage collector, which removes every old
file whose name starts with the prefix (with Phalcon's empty prefix, every
old file of the directory). Gc removes only files named as a session of the
layout (the prefix, then an id of the characters PHP gives ids: a-z, A-Z,
0-9, "," and "-"); with Phalcon's empty prefix the file must also hold a
session (a payload of one of the handlers, or nothing under a name at least
22 characters long, as PHP's ids are). It never removes a session a request
holds (its flock) or one written since it was listed. --dry-run lists the
ids it would remove, one a line, and removes nothing.

--max-lifetime takes seconds (1440, PHP's unit) or a duration (24m); with
--php-ini it defaults to the file's session.gc_maxlifetime.

A store failure on one session is reported and gc goes on; --max-failures
failures in a row stop it (a dead disk fails every file). Running gc again
goes on where it stopped. A progress bar on stderr shows how far it is when
stderr is a terminal (a plain line every 10 s otherwise).
` + storeHelp + `

Exit codes: 0 done, 1 the store failed, 2 bad flags or arguments, 130
interrupted.`,
		Example: `  sessbridge gc --store 'file:///var/lib/php/sessions?layout=php' --max-lifetime 1440
  sessbridge gc --php-ini /etc/php/8.2/fpm/php.ini --dry-run`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := parseStoreFlags(cmd, &opts.storeFlags, handler); err != nil {
				return err
			}
			if !cmd.Flags().Changed("max-lifetime") {
				opts.MaxLifetime = 0
			} else if opts.MaxLifetime <= 0 {
				return flagErrorf("--max-lifetime: want a positive time, got %s", opts.MaxLifetime)
			}
			if opts.MaxFailures < 0 {
				return flagErrorf("--max-failures: want 0 or more, got %d", opts.MaxFailures)
			}
			opts.Output = f.Output
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return gcRun(cmd.Context(), opts)
		},
	}
	addStoreFlags(cmd, &opts.storeFlags, &handler)
	opts.MaxLifetime = defaultMaxLifetime
	cmd.Flags().Var(secondsFlag{&opts.MaxLifetime}, "max-lifetime", "remove sessions idle longer than this, in seconds or as a duration (default: the php.ini's session.gc_maxlifetime, or 1440)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "list the ids gc would remove, remove nothing")
	addFailureFlags(cmd, &opts.MaxFailures, &opts.Failures)
	return cmd
}

// secondsFlag is a duration flag that also takes a bare number of seconds,
// PHP's unit for lifetimes.
type secondsFlag struct{ d *time.Duration }

func (f secondsFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

// Set reads seconds ("1440", "0.5") or a Go duration ("24m").
func (f secondsFlag) Set(s string) error {
	if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 0 && n < float64(1<<62)/float64(time.Second) {
		*f.d = time.Duration(n * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want seconds (1440) or a duration (24m), got %q", s)
	}
	*f.d = d
	return nil
}

func (f secondsFlag) Type() string { return "seconds" }

// gcSummary is the result of gc, and its --output json shape.
type gcSummary struct {
	// Removed is how many sessions gc removed (would remove, with
	// --dry-run), and IDs their ids, sorted.
	Removed int      `json:"removed"`
	IDs     []string `json:"ids"`
	// Fresh is how many sessions were left because they are not old
	// enough, and InUse how many because a request held them or they
	// were written while gc ran.
	Fresh int `json:"fresh"`
	InUse int `json:"in_use"`
	// NotSessions are the files gc left alone because they are not
	// sessions, sorted.
	NotSessions []string `json:"not_sessions"`
	// SelfExpiring is true for a store that expires sessions itself
	// (Redis, memcached), where gc has nothing to do.
	SelfExpiring bool `json:"self_expiring"`
	Failed       int  `json:"failed"`
	DryRun       bool `json:"dry_run"`
	// MaxLifetime is the lifetime used, in seconds.
	MaxLifetime int64 `json:"max_lifetime"`
}

// gcRun runs the store's garbage collection.
func gcRun(ctx context.Context, opts *gcOptions) error {
	cfg, fm, err := storeConfig(opts.storeFlags)
	if err != nil {
		return err
	}
	maxLifetime := opts.MaxLifetime
	if maxLifetime == 0 {
		maxLifetime = cfg.GCMaxLifetime
	}
	if maxLifetime == 0 {
		maxLifetime = defaultMaxLifetime
	}
	st, err := openConfig(ctx, cfg, fm)
	if err != nil {
		return err
	}
	defer st.Close()
	sum := gcSummary{DryRun: opts.DryRun, MaxLifetime: int64(maxLifetime / time.Second), IDs: []string{}, NotSessions: []string{}}
	lister, canList := st.Store.(adapters.Lister)
	destroyer, canDestroy := st.Store.(adapters.IdleDestroyer)
	if !canList || !canDestroy {
		// Redis and memcached expire sessions themselves.
		sum.SelfExpiring = true
		if !opts.DryRun {
			if sum.Removed, err = st.GC(ctx, maxLifetime); err != nil {
				return err
			}
		}
		return printGC(opts, sum)
	}
	fails, err := newFailures(opts.IO.ErrOut, "gc", opts.Failures, opts.MaxFailures)
	if err != nil {
		return err
	}
	defer fails.close()
	prefix := ""
	if st.Config.File != nil && st.Config.File.Layout != adapters.LayoutNative {
		prefix = st.Config.File.Prefix
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stopErr error
	now := time.Now()
	prog := newProgress(opts.IO, "gc", false)
	fails.before = prog.clear
	seen := 0
	listErr := lister.Sessions(ctx, func(id string) bool {
		seen++
		prog.update(seen, fmt.Sprintf("%d removed", sum.Removed))
		err := gcSession(ctx, st, destroyer, id, prefix == "", maxLifetime, now, opts.DryRun, &sum)
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			sum.Failed++
			if fails.add(id, err) {
				stopErr = fails.stopped()
				return false
			}
			return true
		}
		fails.ok()
		return true
	})
	prog.finish()
	slices.Sort(sum.IDs)
	slices.Sort(sum.NotSessions)
	if err := fails.close(); err != nil && stopErr == nil {
		stopErr = err
	}
	if perr := printGC(opts, sum); perr != nil {
		return perr
	}
	switch {
	case stopErr != nil:
		return fmt.Errorf("gc: %w\nrun the same command again to go on", stopErr)
	case interrupted(ctx, listErr):
		return fmt.Errorf("gc: interrupted (%w)\nrun the same command again to go on", context.Canceled)
	case listErr != nil:
		return listErr
	case sum.Failed > 0:
		where := "listed above"
		if opts.Failures != "" {
			where = "listed in " + opts.Failures
		}
		return fmt.Errorf("gc: %d sessions failed (%s)", sum.Failed, where)
	}
	return nil
}

// gcSession collects session id if it is a session and idle for
// maxLifetime, counting what it did in sum. checkContent asks for the file to hold
// a session (Phalcon's empty prefix, where any file has a session's name).
func gcSession(ctx context.Context, st *openedStore, d adapters.IdleDestroyer, id string, checkContent bool, maxLifetime time.Duration, now time.Time, dryRun bool, sum *gcSummary) error {
	name := id
	if st.Config.File != nil {
		if st.Config.File.Layout == adapters.LayoutNative {
			name = "sess_" + id
		} else {
			name = st.Config.File.Prefix + id
		}
	}
	if !isPHPID(id) {
		sum.NotSessions = append(sum.NotSessions, name)
		return nil
	}
	ex, err := sessionExpiry(ctx, st.Store, id, now)
	if err != nil {
		return err
	}
	if !ex.HasAge || ex.Age < maxLifetime {
		sum.Fresh++
		return nil
	}
	if checkContent {
		data, found, err := peekSession(ctx, st.Store, id)
		if err != nil {
			return err
		}
		if !found {
			return nil
		}
		if !isSessionData(id, data) {
			sum.NotSessions = append(sum.NotSessions, name)
			return nil
		}
	}
	if dryRun {
		sum.Removed++
		sum.IDs = append(sum.IDs, id)
		return nil
	}
	removed, err := d.DestroyIdle(ctx, id, maxLifetime)
	if err != nil {
		return err
	}
	if !removed {
		sum.InUse++
		return nil
	}
	sum.Removed++
	sum.IDs = append(sum.IDs, id)
	return nil
}

// minPHPIDLength is the shortest id PHP generates (session.sid_length).
const minPHPIDLength = 22

// isPHPID reports whether id has only the bytes PHP's files handler and
// Phalcon 5.15+ accept in an id: a-z, A-Z, 0-9, "," and "-".
func isPHPID(id string) bool {
	return id != "" && !strings.ContainsFunc(id, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == ',' || r == '-')
	})
}

// isSessionData reports whether data, the file of session id, holds a
// session: a payload one of the handlers decodes, or nothing under an id
// as long as PHP makes them.
func isSessionData(id string, data []byte) bool {
	if len(data) == 0 {
		return len(id) >= minPHPIDLength
	}
	for _, f := range phpsession.Formats() {
		if _, err := phpsession.DecodeSession(data, f); err == nil {
			return true
		}
	}
	return false
}

// printGC prints the summary of gc: with --dry-run, the ids on stdout and
// the summary on stderr.
func printGC(opts *gcOptions, sum gcSummary) error {
	if opts.Output == outputJSON {
		return writeJSON(opts.IO.Out, sum)
	}
	w := opts.IO.Out
	verb := "removed"
	if opts.DryRun {
		for _, id := range sum.IDs {
			fmt.Fprintln(opts.IO.Out, id)
		}
		w, verb = opts.IO.ErrOut, "would remove"
	}
	msg := fmt.Sprintf("%s %s idle for %s", verb, plural(sum.Removed, "session"), time.Duration(sum.MaxLifetime)*time.Second)
	if sum.SelfExpiring {
		msg = fmt.Sprintf("%s %s: the store expires sessions itself", verb, plural(sum.Removed, "session"))
	}
	var left []string
	if sum.Fresh > 0 {
		left = append(left, plural(sum.Fresh, "fresh session"))
	}
	if sum.InUse > 0 {
		left = append(left, plural(sum.InUse, "session")+" in use")
	}
	if n := len(sum.NotSessions); n > 0 {
		what := "that are not sessions"
		if n == 1 {
			what = "that is not a session"
		}
		left = append(left, fmt.Sprintf("%s %s (%s)", plural(n, "file"), what, strings.Join(sum.NotSessions, ", ")))
	}
	if len(left) > 0 {
		msg += "; left " + strings.Join(left, ", ")
	}
	if sum.Failed > 0 {
		msg += fmt.Sprintf("; %d failed", sum.Failed)
	}
	_, err := fmt.Fprintln(w, msg)
	return err
}

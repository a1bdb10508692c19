package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/storeurl"
	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
)

// migrateOptions are the inputs of the migrate command.
type migrateOptions struct {
	IO     *IOStreams
	Output outputFormat
	From   storeFlags // --from, --from-handler
	To     storeFlags // --to, --to-handler
	// DryRun reads and converts every session but writes nothing.
	DryRun bool
	// DeleteSource destroys each source session once its copy is verified.
	DeleteSource bool
	// ResumeFile is the checkpoint: the ids already copied, one a line.
	ResumeFile string
	Workers    int
	// Progress forces the progress line on stderr; it is on anyway when
	// stderr is a terminal.
	Progress bool
	// MaxFailures is how many failures in a row stop the run (0: never).
	MaxFailures int
	// Failures is the file every failure is written to ("": none).
	Failures string
	// Command is the command line, shown to resume an interrupted run.
	Command string
}

// defaultWorkers is how many sessions migrate copies at once by default.
const defaultWorkers = 8

// newCmdMigrate returns the migrate command. runF replaces migrateRun in
// tests.
func newCmdMigrate(f *Factory, runF func(context.Context, *migrateOptions) error) *cobra.Command {
	opts := &migrateOptions{IO: f.IO}
	var fromHandler, toHandler string
	cmd := &cobra.Command{
		Use:   "migrate --from URL --to URL",
		Short: "Copy every session from one store to another",
		Long: `Migrate copies every session of the --from store into the --to store: between
backends (files, Redis, memcached as a target), layouts (Phalcon 5, Phalcon 4,
PHP's own handlers) and serialize handlers. When both handlers are the same
the payload is copied byte for byte; otherwise each session is decoded with
--from-handler and encoded with --to-handler (references included). The
source needs to list its sessions (files, Redis; memcached cannot).

Each copy is read back from the target and compared before it counts as
done. A session keeps the time to live it has left in the source when the
source tells it (Redis); otherwise it gets the target's default lifetime.
An existing session of the same id in the target is overwritten. The source
is never changed unless --delete-source is given: then each session is
destroyed in the source once its copy is verified.

With --resume-file, every copied id is appended to the file (synced to disk
every 1000 sessions and at the end), and a later run with the same file
skips them: an interrupted migration (Ctrl-C, a crash) is resumed by running
the same command again, and no session is copied twice or lost. A session
that disappears from the source while migrating is counted as vanished.

Progress goes to stderr: on a terminal a bar with the count, the rate and the
time left (the source is counted beside the copy); otherwise a plain line
every 10 s, or every second with --progress. The summary goes to stdout
(--output json for a JSON object).

Store URLs are those of the other commands (see "sessbridge help get").

The source and target may not hold the same keys or files, however their
URLs are spelled (127.0.0.1 and localhost, a trailing "/", layout=php and
phpredis://, an added ?lifetime=): migrate refuses them before it opens
either.

A session that fails is reported on stderr (the first 20; --failures FILE
keeps every one) and migrate goes on; --max-failures failures in a row (a
dead or full target) stop it, with the command that resumes it. Ctrl-C stops
it too, says what was done, and exits with 130.

Exit codes: 0 every session copied, 1 some sessions failed (run again to
retry them) or a store failed, 2 bad flags or arguments, 130 interrupted.`,
		Example: `  sessbridge migrate --from file:///var/lib/php/sessions --to redis://10.0.0.5/2 --resume-file done.txt
  sessbridge migrate --from phpredis://old:6379 --to redis://new:6379 --from-handler php --to-handler php_serialize --dry-run
  sessbridge migrate --from redis://10.0.0.5/2 --to file:///srv/sess?layout=php --delete-source --workers 32`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.From.Store == "" || opts.To.Store == "" {
				return flagErrorf("give both --from URL and --to URL")
			}
			fm, err := phpsession.ParseFormat(fromHandler)
			if err != nil {
				return flagErrorf("--from-handler: %w", err)
			}
			opts.From.Handler, opts.From.HasHandler = fm, true
			opts.To.Handler, opts.To.HasHandler = fm, true
			if cmd.Flags().Changed("to-handler") {
				if opts.To.Handler, err = phpsession.ParseFormat(toHandler); err != nil {
					return flagErrorf("--to-handler: %w", err)
				}
			}
			if opts.Workers < 1 || opts.Workers > 1024 {
				return flagErrorf("--workers: want 1 to 1024, got %d", opts.Workers)
			}
			if opts.DryRun && opts.DeleteSource {
				return flagErrorf("--dry-run and --delete-source: give one")
			}
			if opts.MaxFailures < 0 {
				return flagErrorf("--max-failures: want 0 or more, got %d", opts.MaxFailures)
			}
			opts.Output, opts.Command = f.Output, f.commandLine()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return migrateRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.From.Store, "from", "", "store URL to copy from")
	fl.StringVar(&opts.To.Store, "to", "", "store URL to copy to")
	fl.StringVar(&fromHandler, "from-handler", "php", "session.serialize_handler of the source sessions")
	fl.StringVar(&toHandler, "to-handler", "", "session.serialize_handler to write (default: --from-handler)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "read and convert every session, write nothing")
	fl.BoolVar(&opts.DeleteSource, "delete-source", false, "destroy each source session once its copy is verified")
	fl.StringVar(&opts.ResumeFile, "resume-file", "", "checkpoint file of copied ids: skip those, append new ones")
	fl.IntVar(&opts.Workers, "workers", defaultWorkers, "sessions copied at once")
	fl.BoolVar(&opts.Progress, "progress", false, "show progress on stderr even when it is not a terminal")
	addFailureFlags(cmd, &opts.MaxFailures, &opts.Failures)
	return cmd
}

// migrateSummary is the result of a migration, and its --output json
// shape.
type migrateSummary struct {
	Copied   int  `json:"copied"`   // copied and verified (or converted, with --dry-run)
	Skipped  int  `json:"skipped"`  // already in the resume file
	Vanished int  `json:"vanished"` // gone from the source before they were read
	Failed   int  `json:"failed"`
	DryRun   bool `json:"dry_run"`
}

// errMigrateFailed is wrapped by the error of a migration in which some
// sessions failed.
var errMigrateFailed = errors.New("sessions failed to migrate")

// migrateResult is the outcome of one session.
type migrateResult struct {
	id       string
	vanished bool
	err      error
}

// migrateRun copies the sessions.
func migrateRun(ctx context.Context, opts *migrateOptions) error {
	srcCfg, srcFormat, err := storeConfig(opts.From)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	dstCfg, dstFormat, err := storeConfig(opts.To)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if err := checkDistinct(ctx, srcCfg, dstCfg); err != nil {
		return err
	}
	src, err := openConfig(ctx, srcCfg, srcFormat)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer src.Close()
	dst, err := openConfig(ctx, dstCfg, dstFormat)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()
	if err := checkSameServer(ctx, src, dst); err != nil {
		return err
	}
	lister, ok := src.Store.(adapters.Lister)
	if !ok {
		return fmt.Errorf("--from %s: %w", src.Config, errCannotList)
	}
	var cp *checkpoint
	seen := map[string]struct{}{}
	if opts.ResumeFile != "" && !opts.DryRun {
		if cp, err = openCheckpoint(opts.ResumeFile, seen); err != nil {
			return err
		}
		defer cp.close()
	}
	sum := migrateSummary{Skipped: len(seen), DryRun: opts.DryRun}
	fails, err := newFailures(opts.IO.ErrOut, "migrate", opts.Failures, opts.MaxFailures)
	if err != nil {
		return err
	}
	defer fails.close()

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ids := make(chan string, opts.Workers*4)
	results := make(chan migrateResult, opts.Workers*4)
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				vanished, err := migrateSession(ctx, src, dst, id, opts)
				results <- migrateResult{id: id, vanished: vanished, err: err}
			}
		}()
	}
	listErr := make(chan error, 1)
	go func() {
		defer close(ids)
		listErr <- lister.Sessions(ctx, func(id string) bool {
			if _, dup := seen[id]; dup { // done before, or listed twice (SCAN may)
				return true
			}
			seen[id] = struct{}{}
			select {
			case ids <- id:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	go func() { wg.Wait(); close(results) }()

	prog := newProgress(opts.IO, "migrate", opts.Progress)
	copiedWord := "copied"
	if opts.DryRun {
		copiedWord = "converted (dry run)"
	}
	fails.before = prog.clear
	go func() { // the total, for the time left
		n := 0
		err := lister.Sessions(ctx, func(string) bool { n++; return true })
		if err == nil {
			prog.setTotal(n)
		}
	}()
	var firstErr, stopErr error
	for r := range results {
		switch {
		case r.err != nil && ctx.Err() != nil:
			// Interrupted or stopped: not done, the next run redoes it.
		case r.err != nil:
			sum.Failed++
			if fails.add(r.id, r.err) && stopErr == nil {
				stopErr = fails.stopped()
				cancel()
			}
		case r.vanished:
			sum.Vanished++
			fails.ok()
		default:
			sum.Copied++
			fails.ok()
			if cp != nil {
				if err := cp.add(r.id); err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
			}
		}
		prog.update(sum.Copied+sum.Skipped+sum.Vanished+sum.Failed, fmt.Sprintf("%d %s, %d failed", sum.Copied, copiedWord, sum.Failed))
	}
	prog.finish()
	if cp != nil {
		if err := cp.close(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if err := fails.close(); err != nil && firstErr == nil {
		firstErr = err
	}
	if err := <-listErr; err != nil && firstErr == nil && stopErr == nil && parent.Err() == nil {
		firstErr = fmt.Errorf("--from %s: %w", src.Config, err)
	}
	if opts.Output == outputJSON {
		if err := writeJSON(opts.IO.Out, sum); err != nil {
			return err
		}
	} else {
		verb := "copied"
		if opts.DryRun {
			verb = "would copy"
		}
		fmt.Fprintf(opts.IO.Out, "%s %d sessions, skipped %d already copied, %d vanished, %d failed\n", verb, sum.Copied, sum.Skipped, sum.Vanished, sum.Failed)
	}
	switch {
	case firstErr != nil:
		return firstErr
	case stopErr != nil:
		return fmt.Errorf("migrate: %w\ncopied %d sessions before it stopped; %s", stopErr, sum.Copied, resumeHint(opts))
	case parent.Err() != nil:
		return fmt.Errorf("migrate: interrupted (%w)\ncopied %d sessions before it stopped; %s", parent.Err(), sum.Copied, resumeHint(opts))
	case sum.Failed > 0:
		where := "listed above"
		if opts.Failures != "" {
			where = "listed in " + opts.Failures
		}
		return fmt.Errorf("%d %w (%s; run again to retry them)", sum.Failed, errMigrateFailed, where)
	}
	return nil
}

// resumeHint says how to resume an interrupted or stopped migration.
func resumeHint(opts *migrateOptions) string {
	cmd := opts.Command
	if cmd == "" {
		cmd = "the same command"
	}
	if opts.ResumeFile != "" {
		return "resume with the same command, which skips the sessions " + opts.ResumeFile + " lists:\n  " + cmd
	}
	return "resume with the same command (add --resume-file FILE to skip what is copied next time):\n  " + cmd
}

// errSameStore is wrapped by the error of a migration whose source and
// target can hold the same keys or files: copying a session onto itself
// gains nothing, and --delete-source would then destroy it.
var errSameStore = errors.New("--from and --to are the same store")

// checkDistinct refuses a source and target whose key spaces overlap,
// however their URLs are spelled (see storeurl.Identity).
func checkDistinct(ctx context.Context, src, dst *storeurl.Config) error {
	from, err := src.Identity(ctx)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	to, err := dst.Identity(ctx)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if !from.Overlaps(to) {
		return nil
	}
	if from.Prefix == to.Prefix {
		return fmt.Errorf("%w: both are %s; give another --to", errSameStore, from)
	}
	return fmt.Errorf("%w or overlap: %s and %s can hold the same keys; give another --to or prefix", errSameStore, from, to)
}

// redisClienter is a store on a Redis server (redisstore.Store).
type redisClienter interface {
	Client() redis.UniversalClient
}

// checkSameServer refuses two Redis stores that reach the same server
// under addresses checkDistinct cannot tell apart (a forwarded port, a
// second name or address of the host): the same run_id, database and
// overlapping prefixes.
func checkSameServer(ctx context.Context, src, dst *openedStore) error {
	a, aok := src.Store.(redisClienter)
	b, bok := dst.Store.(redisClienter)
	if !aok || !bok || src.Config.Redis == nil || dst.Config.Redis == nil || src.Config.Redis.Index != dst.Config.Redis.Index {
		return nil
	}
	ida, erra := runID(ctx, a.Client())
	idb, errb := runID(ctx, b.Client())
	if erra != nil || errb != nil || ida == "" || ida != idb {
		return nil // a server that does not say (a cluster, a proxy): the addresses decided
	}
	from, err := src.Config.Identity(ctx)
	if err != nil {
		return nil
	}
	to, err := dst.Config.Identity(ctx)
	if err != nil {
		return nil
	}
	if !strings.HasPrefix(from.Prefix, to.Prefix) && !strings.HasPrefix(to.Prefix, from.Prefix) {
		return nil
	}
	return fmt.Errorf("%w: %s and %s reach the same Redis server (run_id %s), database %d; give another --to", errSameStore, src.Config, dst.Config, ida, src.Config.Redis.Index)
}

// runID returns the run_id of the Redis server c talks to ("" for a
// cluster, whose nodes each have their own).
func runID(ctx context.Context, c redis.UniversalClient) (string, error) {
	if _, ok := c.(*redis.ClusterClient); ok {
		return "", nil
	}
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "run_id:"); ok {
			return v, nil
		}
	}
	return "", nil
}

// migrateSession copies one session, verifies the copy and, when asked,
// destroys the source. vanished is true when the source no longer has it.
func migrateSession(ctx context.Context, src, dst *openedStore, id string, opts *migrateOptions) (vanished bool, err error) {
	data, found, err := src.Read(ctx, id)
	if err != nil {
		return false, err
	}
	if !found {
		return true, nil
	}
	var ttl time.Duration
	ex, err := sessionExpiry(ctx, src.Store, id, time.Now())
	if err != nil {
		return false, err
	}
	if ex.HasTTL && ex.TTL > 0 {
		ttl = max(ex.TTL.Round(time.Second), time.Second)
	}
	out := data
	if src.Format != dst.Format {
		if out, err = convertPayload(data, src.Format, dst.Format); err != nil {
			return false, err
		}
	}
	if opts.DryRun {
		return false, nil
	}
	if err := dst.Write(ctx, id, out, ttl); err != nil {
		return false, err
	}
	back, found, err := dst.Read(ctx, id)
	if err != nil {
		return false, fmt.Errorf("verify: %w", err)
	}
	if !found || !bytes.Equal(back, out) {
		return false, fmt.Errorf("verify: the target holds %d other bytes than the %d written (found: %v)", len(back), len(out), found)
	}
	if opts.DeleteSource {
		if err := src.Destroy(ctx, id); err != nil {
			return false, fmt.Errorf("delete source: %w", err)
		}
	}
	return false, nil
}

// convertPayload re-encodes a session payload from one format to another.
func convertPayload(data []byte, from, to phpsession.Format) ([]byte, error) {
	s, err := phpsession.DecodeSession(data, from)
	if err != nil {
		return nil, fmt.Errorf("decode as %s: %w", from, err)
	}
	if s, err = convertSession(s, to); err != nil {
		return nil, fmt.Errorf("convert to %s: %w", to, err)
	}
	out, err := s.Encode()
	if err != nil {
		return nil, fmt.Errorf("encode as %s: %w", to, err)
	}
	return out, nil
}

// checkpointSync is how many ids the checkpoint appends between fsyncs.
const checkpointSync = 1000

// checkpoint is the append-only file of the ids a migration has copied.
type checkpoint struct {
	f       *os.File
	w       *bufio.Writer
	pending int
	closed  bool
}

// openCheckpoint opens (or creates) the checkpoint file and adds the ids it
// lists to done. A last line cut short by a crash is dropped.
func openCheckpoint(path string, done map[string]struct{}) (*checkpoint, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("resume file: %w", err)
	}
	// Lines are ids of at most adapters.MaxIDLength bytes: a longer one
	// fills the buffer and is refused.
	r := bufio.NewReaderSize(f, adapters.MaxIDLength+16)
	var good int64
	for {
		line, err := r.ReadSlice('\n')
		if err == io.EOF {
			break // line, if any, was cut short: dropped below
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("resume file %s: line %d: %w", path, len(done)+1, err)
		}
		good += int64(len(line))
		id := string(line[:len(line)-1])
		if err := adapters.ValidID(id); err != nil {
			f.Close()
			return nil, fmt.Errorf("resume file %s: line %d: %w", path, len(done)+1, err)
		}
		done[id] = struct{}{}
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, fmt.Errorf("resume file %s: %w", path, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("resume file %s: %w", path, err)
	}
	return &checkpoint{f: f, w: bufio.NewWriter(f)}, nil
}

// add records id as copied.
func (c *checkpoint) add(id string) error {
	c.w.WriteString(id)
	c.w.WriteByte('\n')
	if c.pending++; c.pending >= checkpointSync {
		return c.sync()
	}
	return nil
}

// sync writes the buffered ids and flushes them to disk.
func (c *checkpoint) sync() error {
	c.pending = 0
	if err := c.w.Flush(); err != nil {
		return fmt.Errorf("resume file %s: %w", c.f.Name(), err)
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("resume file %s: %w", c.f.Name(), err)
	}
	return nil
}

// close syncs and closes the file; closing twice is a no-op.
func (c *checkpoint) close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	err := c.sync()
	if cerr := c.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("resume file %s: %w", c.f.Name(), cerr)
	}
	return err
}

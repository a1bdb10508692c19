package cli

import (
	"errors"
	"fmt"

	"github.com/sessbridge/sessbridge/compat"
	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
)

// compatOptions are the inputs of the compat command.
type compatOptions struct {
	IO       *IOStreams
	Output   outputFormat
	PHP      string              // --php: the php CLI
	Stores   []string            // --store URLs; none: a Stream store in a temp dir
	Handlers []phpsession.Format // --handler; none: all four
}

// newCmdCompat returns the compat command. runF replaces compatRun in
// tests.
func newCmdCompat(f *Factory, runF func(*compatOptions) error) *cobra.Command {
	opts := &compatOptions{IO: f.IO}
	var handlers []string
	cmd := &cobra.Command{
		Use:   "compat [--php PATH] [--store URL ...] [--handler H ...]",
		Short: "Check that PHP and Go read and write each other's sessions",
		Long: `Compat runs the PHP↔Go compatibility matrix on real stores. For each store
and session.serialize_handler:

  PHP→Go  PHP writes a rich session (every PHP type: objects with private and
          protected properties, Serializable, enums, references, binary
          strings, INF, NAN and -0.0 floats, a value over 2000 bytes) through
          the code path Phalcon uses for the store, and Go reads and decodes
          it to the same values as PHP's own dump of $_SESSION;
  bytes   Go re-encodes the session without a change and writes it: the
          store holds exactly the bytes PHP stored;
  Go→PHP  Go changes a key, adds one and writes: PHP reads the session it
          expects, and untouched keys kept their bytes.

PHP drives Phalcon 5's Stream, Redis and Libmemcached adapters as Phalcon
does (the Phalcon extension itself is not needed), or PHP's files, redis
and memcached save handlers for stores with layout php. The redis and
memcached stores need PHP's redis and memcached extensions; igbinary needs
the igbinary extension.

Without --store, compat uses a Stream store in a temp dir. It prints a
table, and exits with code 3 when a check fails.

Stores (see the storeurl package for every parameter):

  file:///dir[?prefix=P]              Phalcon's Stream adapter
  file:///dir?layout=php              PHP's files handler (depth 0)
  redis://[:pass@]host[:port][/db]    Phalcon's Redis adapter
  phpredis://host[:port][/db]         phpredis's session handler
  memcached://h1[:port][,h2...]       Phalcon's Libmemcached adapter
  phpmemcached://h1[:port][,h2...]    php-memcached's session handler

Each cell writes, then destroys, a session with an id starting "compat".`,
		Example: `  sessbridge compat
  sessbridge compat --store redis://127.0.0.1:6379 --store phpredis://127.0.0.1:6379
  sessbridge compat --store memcached://m1,m2,m3 --handler php --handler igbinary
  sessbridge compat --php /usr/bin/php8.2 --output json`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			opts.Handlers = nil
			for _, h := range handlers {
				fm, err := phpsession.ParseFormat(h)
				if err != nil {
					return flagErrorf("--handler: %w", err)
				}
				opts.Handlers = append(opts.Handlers, fm)
			}
			if runF != nil {
				return runF(opts)
			}
			return compatRun(cmd, opts)
		},
	}
	cmd.Flags().StringVar(&opts.PHP, "php", "php", "the php CLI to run")
	cmd.Flags().StringArrayVar(&opts.Stores, "store", nil, "store URL to test; repeat for several (default: a Stream store in a temp dir)")
	cmd.Flags().StringArrayVar(&handlers, "handler", nil, "session.serialize_handler to test: php, php_serialize, php_binary or igbinary; repeat for several (default: all four)")
	return cmd
}

// compatRun runs the matrix and prints it.
func compatRun(cmd *cobra.Command, opts *compatOptions) error {
	rep, err := compat.Run(cmd.Context(), compat.Config{PHP: opts.PHP, Stores: opts.Stores, Formats: opts.Handlers})
	if errors.Is(err, compat.ErrNoPHP) {
		return fmt.Errorf("%w; or give --php PATH", err)
	}
	if err != nil {
		return err
	}
	if opts.Output == outputJSON {
		if err := writeJSON(opts.IO.Out, rep); err != nil {
			return err
		}
	} else if err := printCompat(opts.IO, rep); err != nil {
		return err
	}
	if n := rep.Failures(); n > 0 {
		return fmt.Errorf("%w: %d of %d cells differ between PHP and Go", errMismatch, n, len(rep.Results))
	}
	return nil
}

// printCompat prints the matrix as a table, and each problem under it.
func printCompat(ios *IOStreams, rep *compat.Report) error {
	t := newTablePrinter(ios, "STORE", "LAYOUT", "FORMAT", "PHP→GO", "GO→PHP", "BYTES")
	for _, r := range rep.Results {
		t.addRow(r.Store, r.Layout.String(), r.Format.String(), mark(r.PHPToGo), mark(r.GoToPHP), mark(r.Bytes))
	}
	if err := t.render(); err != nil {
		return err
	}
	for _, r := range rep.Results {
		for _, c := range []struct {
			name string
			c    compat.Check
		}{{"PHP→Go", r.PHPToGo}, {"Go→PHP", r.GoToPHP}, {"bytes", r.Bytes}} {
			if !c.c.OK {
				fmt.Fprintf(ios.ErrOut, "compat: %s %s %s: %s\n", r.Store, r.Format, c.name, c.c.Problem)
			}
		}
	}
	return nil
}

// mark is "ok" or "FAIL".
func mark(c compat.Check) string {
	if c.OK {
		return "ok"
	}
	return "FAIL"
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
)

// setOptions are the inputs of the set command.
type setOptions struct {
	IO     *IOStreams
	Output outputFormat
	storeFlags
	ID    string
	Key   string
	Value string // JSON form (docs/json.md), or PHP serialized with PHP; "-" or "@FILE" to read it
	PHP   bool   // --php: Value is PHP's serialize() text
}

// newCmdSet returns the set command. runF replaces setRun in tests.
func newCmdSet(f *Factory, runF func(context.Context, *setOptions) error) *cobra.Command {
	opts := &setOptions{IO: f.IO}
	var handler string
	cmd := &cobra.Command{
		Use:   "set ID KEY VALUE",
		Short: "Set one key of a stored session",
		Long: `Set changes one key of the session ID in the store, creating the session if
there is none. VALUE is a value in the JSON form of docs/json.md
({"i":42}, {"s":"text"}, {"a":[["k",{"b":true}]]}), or with --php as PHP's
serialize() writes it (i:42;). VALUE "-" reads the value from stdin, and
"@FILE" from the file FILE (for values too large for the command line).

Every other key is written back byte for byte as it was. Set reads, changes
and writes the session so that no concurrent write is lost: with a
compare-and-swap write where the store has one (Redis, memcached, files),
else under the store's lock. It refuses what PHP could not read back: a key
the handler cannot store (a '|' in the php handler, a numeric key), and
references (r:, R:), whose slots would point elsewhere in the session.
` + storeHelp + `

Exit codes: 0 written, 1 refused or the store failed, 2 bad flags or
arguments.`,
		Example: `  sessbridge set --store file:///var/lib/php/sessions e3ea125e2e80 locale '{"s":"de_DE"}'
  sessbridge set --store redis://10.0.0.5/2 --php e3ea125e2e80 attempts 'i:0;'
  sessbridge set --store redis://10.0.0.5/2 e3ea125e2e80 cart @cart.json`,
		Args: rangeArgs(3, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := parseStoreFlags(cmd, &opts.storeFlags, handler); err != nil {
				return err
			}
			opts.ID, opts.Key, opts.Value = args[0], args[1], args[2]
			opts.Output = f.Output
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return setRun(cmd.Context(), opts)
		},
	}
	addStoreFlags(cmd, &opts.storeFlags, &handler)
	cmd.Flags().BoolVar(&opts.PHP, "php", false, "VALUE is PHP serialized (i:42;) instead of JSON")
	return cmd
}

// setRun parses the value and writes it into the session.
func setRun(ctx context.Context, opts *setOptions) error {
	arg := opts.Value
	if arg == "-" || strings.HasPrefix(arg, "@") {
		data, _, err := readInput(opts.IO.In, strings.TrimPrefix(arg, "@"))
		if err != nil {
			return fmt.Errorf("VALUE: %w", err)
		}
		arg = string(data)
	}
	v, err := parseValueArg(arg, opts.PHP)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, opts.storeFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	err = modifySession(ctx, st, opts.ID, true, func(s *phpsession.Session) error {
		if err := s.CheckName(opts.Key); err != nil {
			return fmt.Errorf("session %s: %w", quoteName(opts.ID), err)
		}
		return s.Set(opts.Key, v)
	})
	if err != nil {
		return err
	}
	return printChange(opts.IO, opts.Output, change{ID: opts.ID, Key: &opts.Key, Action: "set"})
}

// change is what set and rm print with --output json: the session, the key
// (absent when rm destroyed the whole session) and what was done ("set",
// "removed" a key, "destroyed" the session).
type change struct {
	ID     string  `json:"id"`
	Key    *string `json:"key,omitempty"`
	Action string  `json:"action"`
}

// printChange prints c with --output json; otherwise set and rm print
// nothing, as Unix tools do on success.
func printChange(ios *IOStreams, out outputFormat, c change) error {
	if out != outputJSON {
		return nil
	}
	return writeJSON(ios.Out, c)
}

// parseValueArg parses a VALUE argument: JSON form, or PHP serialized when
// php. Values holding references are refused.
func parseValueArg(arg string, php bool) (phpsession.Value, error) {
	var v phpsession.Value
	if php {
		if err := phpsession.Unmarshal([]byte(arg), &v); err != nil {
			var se *phpsession.SyntaxError
			if errors.As(err, &se) {
				return v, &positionError{name: "VALUE", input: []byte(arg), offset: se.Offset, err: err}
			}
			return v, fmt.Errorf("VALUE: %w", err)
		}
	} else if err := v.UnmarshalJSON([]byte(arg)); err != nil {
		if t := strings.TrimSpace(arg); !strings.HasPrefix(t, "{") && t != "null" {
			return v, fmt.Errorf("VALUE %s is not a value in the JSON form: write a string as {\"s\":\"hello\"}, an integer as {\"i\":42}, a boolean as {\"b\":true} (docs/json.md), or give --php and PHP's serialize() text", excerptArg(arg))
		}
		return v, fmt.Errorf("VALUE: %w", err)
	}
	if !v.IsValid() {
		return v, fmt.Errorf("VALUE: null is no value: write {\"N\":null} for PHP's null")
	}
	if path, ok := findRef(v, "VALUE"); ok {
		return v, fmt.Errorf("%s: references (r:, R:) cannot be set from the command line", path)
	}
	return v, nil
}

// excerptArg quotes an argument for a message, cut after 40 bytes.
func excerptArg(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "…"
	}
	return strconv.Quote(s)
}

// findRef returns the path of the first reference in v.
func findRef(v phpsession.Value, path string) (string, bool) {
	switch v.Kind() {
	case phpsession.Ref, phpsession.PHPRef:
		return path, true
	}
	for _, e := range v.Entries() {
		if p, ok := findRef(e.Value, path+"."+keyText(e.Key, v.Kind() == phpsession.Object)); ok {
			return p, true
		}
	}
	return "", false
}

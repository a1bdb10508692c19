package cli

import (
	"encoding/json"
	"fmt"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
)

// encodeOptions are the inputs of the encode command.
type encodeOptions struct {
	IO *IOStreams
	// Handler is the format to write; when HasHandler is false, the
	// document's own "format".
	Handler    phpsession.Format
	HasHandler bool
	Wrap       bool   // write s:N:"payload"; as Phalcon's Redis/Libmemcached adapters store it
	File       string // "" or "-": stdin
}

// newCmdEncode returns the encode command. runF replaces encodeRun in
// tests.
func newCmdEncode(f *Factory, runF func(*encodeOptions) error) *cobra.Command {
	opts := &encodeOptions{IO: f.IO}
	var handler string
	cmd := &cobra.Command{
		Use:   "encode [FILE]",
		Short: "Turn a JSON session document back into the PHP payload bytes",
		Long: `Encode reads a JSON session document (docs/json.md), as "sessbridge decode"
prints it, from FILE or standard input, and writes the session payload PHP
would write for it to standard output, byte for byte.

The payload is written in the document's "format" unless --handler names
another one: then the session is converted (reference slots included).

Encode refuses, with exit code 1, a session PHP cannot store: a key holding
'|' in the php format, a key longer than 127 bytes in php_binary, or an
integer key in either (PHP would silently drop or wipe such sessions).`,
		Example: `  sessbridge decode sess_e3ea125e2e80 | sessbridge encode | cmp - sess_e3ea125e2e80
  sessbridge encode --handler php_serialize session.json > payload
  sessbridge encode --wrap session.json | redis-cli -x SET sess-reds-e3ea125e2e80`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("handler") {
				fm, err := phpsession.ParseFormat(handler)
				if err != nil {
					return flagErrorf("--handler: %w", err)
				}
				opts.Handler, opts.HasHandler = fm, true
			}
			if len(args) > 0 {
				opts.File = args[0]
			}
			if err := checkStdin(opts.IO.In, opts.File); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return encodeRun(opts)
		},
	}
	cmd.Flags().StringVar(&handler, "handler", "", "session.serialize_handler to write: php, php_serialize, php_binary or igbinary (default: the document's format)")
	cmd.Flags().BoolVar(&opts.Wrap, "wrap", false, `write the value Phalcon's Redis and Libmemcached adapters store, s:N:"payload";`)
	return cmd
}

// encodeRun reads the document and writes the payload.
func encodeRun(opts *encodeOptions) error {
	data, name, err := readInput(opts.IO.In, opts.File)
	if err != nil {
		return err
	}
	s, err := readDocument(data, name)
	if err != nil {
		return err
	}
	if opts.HasHandler && opts.Handler != s.Format() {
		if s, err = convertSession(s, opts.Handler); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	payload, err := s.Encode()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if opts.Wrap {
		payload = adapters.Wrap(payload)
	}
	_, err = opts.IO.Out.Write(payload)
	return err
}

// readDocument parses a JSON session document, turning a syntax error into
// a *positionError that shows where.
func readDocument(data []byte, name string) (*phpsession.Session, error) {
	s := new(phpsession.Session)
	if err := s.UnmarshalJSON(data); err != nil {
		// A *SyntaxError returned as is has its offset in data; a wrapped
		// one is about the payload the document makes.
		if se, ok := err.(*phpsession.SyntaxError); ok {
			return nil, &positionError{name: name, input: data, offset: se.Offset, err: err}
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// convertSession returns s in the format to, through its JSON document
// with the references renumbered: PHP numbers reference slots from the
// outer array in php_serialize and igbinary, and from the first value in
// php and php_binary, so they move by one slot between the two families.
// It returns a *phpsession.KeyError for a name the format cannot store.
func convertSession(s *phpsession.Session, to phpsession.Format) (*phpsession.Session, error) {
	doc, err := s.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var d struct {
		Entries [][2]json.RawMessage `json:"entries"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	shift := slotBase(to) - slotBase(s.Format())
	for i := range d.Entries {
		var v phpsession.Value
		if err := v.UnmarshalJSON(d.Entries[i][1]); err != nil {
			return nil, err
		}
		if d.Entries[i][1], err = shiftSlots(v, shift).MarshalJSON(); err != nil {
			return nil, err
		}
	}
	format, _ := json.Marshal(to.String())
	doc, err = json.Marshal(struct {
		Format  json.RawMessage      `json:"format"`
		Entries [][2]json.RawMessage `json:"entries"`
	}{format, d.Entries})
	if err != nil {
		return nil, err
	}
	out := new(phpsession.Session)
	if err := out.UnmarshalJSON(doc); err != nil {
		return nil, err
	}
	return out, nil
}

// slotBase is the slot number of the first entry's value in format f.
func slotBase(f phpsession.Format) int {
	if f == phpsession.FormatPHPSerialize || f == phpsession.FormatIgbinary {
		return 2
	}
	return 1
}

// shiftSlots returns v with every reference slot moved by delta, sharing
// nothing with v.
func shiftSlots(v phpsession.Value, delta int) phpsession.Value {
	if delta == 0 {
		return v
	}
	switch v.Kind() {
	case phpsession.Ref:
		return phpsession.RefValue(v.Slot() + delta)
	case phpsession.PHPRef:
		return phpsession.PHPRefValue(v.Slot() + delta)
	case phpsession.Array, phpsession.Object:
		c := v.Clone()
		for i, e := range c.Entries() {
			c.Entries()[i].Value = shiftSlots(e.Value, delta)
		}
		return c
	}
	return v
}

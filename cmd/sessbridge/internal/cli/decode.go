package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
)

// decodeOptions are the inputs of the decode command.
type decodeOptions struct {
	IO      *IOStreams
	Output  outputFormat
	Handler phpsession.Format
	Unwrap  bool   // the input is a Redis/Libmemcached value s:N:"payload";
	File    string // "" or "-": stdin
}

// newCmdDecode returns the decode command. runF replaces decodeRun in
// tests.
func newCmdDecode(f *Factory, runF func(*decodeOptions) error) *cobra.Command {
	opts := &decodeOptions{IO: f.IO}
	var handler string
	cmd := &cobra.Command{
		Use:   "decode [FILE]",
		Short: "Print a PHP session payload as a lossless JSON document",
		Long: `Decode reads one session payload, as PHP's session_encode() writes it and a
session store keeps it, from FILE or standard input, and prints it as the
JSON document described in docs/json.md:

  {"format":"php","entries":[
    ["auth",{"a":[["id",{"i":42}]]}],
    ["csrf",{"s":"a1b2c3"}]
  ]}

The document is lossless: "sessbridge encode" turns it back into the exact
input bytes. With --output table it prints one line per session key instead.

Phalcon's Redis and Libmemcached adapters store the payload as a serialized
PHP string, s:<length>:"<payload>";. Give --unwrap to read such a value.

A payload that is not valid is reported with its offset and an excerpt.`,
		Example: `  sessbridge decode --handler php /var/lib/php/sessions/sess_e3ea125e2e80
  sessbridge decode --unwrap --handler php_serialize redis-value.bin
  sessbridge decode --handler igbinary --output table < payload`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fm, err := phpsession.ParseFormat(handler)
			if err != nil {
				return flagErrorf("--handler: %w", err)
			}
			opts.Handler = fm
			opts.Output = f.Output
			if len(args) > 0 {
				opts.File = args[0]
			}
			if err := checkStdin(opts.IO.In, opts.File); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return decodeRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Unwrap, "unwrap", false, `the input is a value of Phalcon's Redis or Libmemcached adapter, s:N:"payload";`)
	cmd.Flags().StringVar(&handler, "handler", "php", "session.serialize_handler that wrote the payload: php, php_serialize, php_binary or igbinary")
	return cmd
}

// decodeRun decodes the payload and prints it.
func decodeRun(opts *decodeOptions) error {
	data, name, err := readInput(opts.IO.In, opts.File)
	if err != nil {
		return err
	}
	if opts.Unwrap {
		if data, err = adapters.Unwrap(data); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	s, err := decodePayload(data, name, opts.Handler)
	if err != nil {
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

// decodePayload decodes a session payload, turning a syntax error into a
// *positionError that shows where.
func decodePayload(data []byte, name string, f phpsession.Format) (*phpsession.Session, error) {
	s, err := phpsession.DecodeSession(data, f)
	if err != nil {
		var se *phpsession.SyntaxError
		hint := handlerHint(data, f)
		if errors.As(err, &se) {
			return nil, &positionError{name: name + " (" + f.String() + ")", input: data, offset: se.Offset, err: err, hint: hint}
		}
		if hint != "" {
			hint = "\n" + hint
		}
		return nil, fmt.Errorf("%s: %w%s", name, err, hint)
	}
	return s, nil
}

// handlerHint returns a line naming the handlers that do decode data,
// which f does not, or "" when none does.
func handlerHint(data []byte, f phpsession.Format) string {
	var ok []string
	for _, g := range phpsession.Formats() {
		if g == f {
			continue
		}
		if _, err := phpsession.DecodeSession(data, g); err == nil {
			ok = append(ok, g.String())
		}
	}
	if len(ok) == 0 {
		return ""
	}
	return fmt.Sprintf("it decodes as %s: give --handler %s", joinWords(ok), ok[0])
}

// writeDocument writes a session JSON document with one entry per line, so
// that documents read and diff well:
//
//	{"format":"php","entries":[
//	  ["auth",{"a":[...]}],
//	  ["csrf",{"s":"a1b2c3"}]
//	]}
func writeDocument(ios *IOStreams, doc []byte) error {
	var d struct {
		Format  json.RawMessage   `json:"format"`
		Entries []json.RawMessage `json:"entries"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Errorf("internal error: bad session document: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(`{"format":`)
	b.Write(d.Format)
	b.WriteString(`,"entries":[`)
	for i, e := range d.Entries {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n  ")
		b.Write(e)
	}
	if len(d.Entries) > 0 {
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	_, err := ios.Out.Write(b.Bytes())
	return err
}

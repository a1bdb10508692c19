package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/sessbridge/sessbridge/phpsession"
)

// outputFormat is the value of the root --output flag.
type outputFormat string

// The --output values. The zero value lets each command print its usual
// output (a table for demo, the JSON document for decode).
const (
	outputDefault outputFormat = ""
	outputTable   outputFormat = "table"
	outputJSON    outputFormat = "json"
)

func (o *outputFormat) String() string { return string(*o) }

// Set implements pflag.Value: it accepts "table" and "json".
func (o *outputFormat) Set(s string) error {
	switch outputFormat(s) {
	case outputTable, outputJSON:
		*o = outputFormat(s)
		return nil
	}
	return fmt.Errorf(`want "table" or "json", got %q`, s)
}

// Type implements pflag.Value.
func (o *outputFormat) Type() string { return "format" }

// writeJSON writes v as indented JSON followed by a newline: the shape every
// command prints under --output json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// tablePrinter prints rows as an aligned table with a header on a terminal,
// and as tab-separated lines without a header otherwise (stable for
// scripts: cut -f, awk -F'\t').
type tablePrinter struct {
	out   io.Writer
	tty   bool
	width int // column count
	rows  [][]string
}

// newTablePrinter returns a printer for ios.Out with the given column
// headers.
func newTablePrinter(ios *IOStreams, header ...string) *tablePrinter {
	t := &tablePrinter{out: ios.Out, tty: ios.OutIsTTY, width: len(header)}
	if t.tty {
		t.rows = append(t.rows, header)
	}
	return t
}

// addRow adds a row; fields must not hold tabs or newlines (use
// quoteName and summarize).
func (t *tablePrinter) addRow(fields ...string) { t.rows = append(t.rows, fields) }

// render writes the table.
func (t *tablePrinter) render() error {
	if !t.tty {
		for _, r := range t.rows {
			if _, err := fmt.Fprintln(t.out, strings.Join(r, "\t")); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(t.out, 0, 4, 2, ' ', 0)
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// quoteName returns a session key or property name as it reads best: as is
// when it is printable UTF-8 without spaces at its ends, else Go-quoted.
func quoteName(s string) string {
	if s != "" && utf8.ValidString(s) && strings.TrimSpace(s) == s && !strings.ContainsFunc(s, func(r rune) bool {
		return !strconv.IsPrint(r) || r == '"' || r == '\t'
	}) {
		return s
	}
	return strconv.Quote(s)
}

// summaryWidth is how long a value summary may get before it is cut with
// "…".
const summaryWidth = 96

// summarize returns a one-line, PHP-flavoured view of v, cut at max
// characters: "[\"admin\", \"user\"]", "Account{login: \"lone\", …}".
//
// paths, when not nil, names the values reference slots point at (see
// slotPaths), so that a reference reads "&refs.x" rather than "&slot 5".
func summarize(v phpsession.Value, max int, paths map[int]string) string {
	var b strings.Builder
	s := summarizer{b: &b, budget: max, paths: paths}
	s.value(v)
	out := b.String()
	if s.cut {
		out += "…"
	}
	return out
}

// summarizer writes a summary until its budget runs out.
type summarizer struct {
	b      *strings.Builder
	budget int
	cut    bool
	paths  map[int]string
}

func (s *summarizer) write(str string) bool {
	if s.cut {
		return false
	}
	if len(str) > s.budget {
		// Cut on a rune boundary.
		n := s.budget
		for n > 0 && !utf8.RuneStart(str[n]) {
			n--
		}
		s.b.WriteString(str[:n])
		s.cut = true
		return false
	}
	s.b.WriteString(str)
	s.budget -= len(str)
	return true
}

func (s *summarizer) value(v phpsession.Value) {
	switch v.Kind() {
	case phpsession.Null:
		s.write("null")
	case phpsession.Bool:
		b, _ := v.Bool()
		s.write(strconv.FormatBool(b))
	case phpsession.Int:
		i, _ := v.Int()
		s.write(strconv.FormatInt(i, 10))
	case phpsession.Float:
		s.write(floatText(v))
	case phpsession.String:
		str, _ := v.Str()
		s.write(strconv.Quote(str))
	case phpsession.Array:
		if isList(v) {
			s.write("[")
			for i, e := range v.Entries() {
				if i > 0 && !s.write(", ") {
					return
				}
				s.value(e.Value)
			}
			s.write("]")
			return
		}
		s.entries(v, "{", "}")
	case phpsession.Object:
		s.write(v.Class())
		s.entries(v, "{", "}")
	case phpsession.Custom:
		s.write(v.Class() + "(Serializable " + strconv.Quote(string(v.Payload())) + ")")
	case phpsession.Enum:
		s.write(v.Class() + "::" + v.EnumCase())
	case phpsession.Ref:
		s.write("(same object as " + s.slotName(v.Slot()) + ")")
	case phpsession.PHPRef:
		s.write("&" + s.slotName(v.Slot()))
	default:
		s.write(v.Kind().String())
	}
}

// slotName names the value at a reference slot.
func (s *summarizer) slotName(slot int) string {
	if p, ok := s.paths[slot]; ok {
		return p
	}
	return "slot " + strconv.Itoa(slot)
}

// slotPaths returns the path ("refs.x", "list.0") of the value at each
// reference slot of the session, counting slots as PHP does: every value
// takes one, nested ones too, and so does each r: reference; R: references
// and keys do not. php_serialize and igbinary count the outer array first.
func slotPaths(s *phpsession.Session) map[int]string {
	if s == nil {
		return nil
	}
	paths := map[int]string{}
	slot := 0
	if s.Format() == phpsession.FormatPHPSerialize || s.Format() == phpsession.FormatIgbinary {
		slot = 1
	}
	var walk func(v phpsession.Value, path string)
	walk = func(v phpsession.Value, path string) {
		if v.Kind() == phpsession.PHPRef {
			return
		}
		slot++
		paths[slot] = path
		for _, e := range v.Entries() {
			walk(e.Value, path+"."+keyText(e.Key, v.Kind() == phpsession.Object))
		}
	}
	for _, name := range s.Names() {
		v, _ := s.Get(name)
		walk(v, quoteName(name))
	}
	return paths
}

// entries writes the entries of an array or object between open and close.
func (s *summarizer) entries(v phpsession.Value, open, close string) {
	s.write(open)
	for i, e := range v.Entries() {
		if i > 0 && !s.write(", ") {
			return
		}
		s.write(keyText(e.Key, v.Kind() == phpsession.Object) + ": ")
		s.value(e.Value)
	}
	s.write(close)
}

// keyText shows an array key, or a property name with its visibility.
func keyText(k phpsession.Value, property bool) string {
	if i, ok := k.Int(); ok {
		return strconv.FormatInt(i, 10)
	}
	raw, _ := k.Str()
	if !property {
		if raw != "" && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
			return strconv.Quote(raw) // not to be taken for an int key
		}
		return quoteName(raw)
	}
	name := phpsession.PropertyName(raw)
	switch {
	case name == raw:
		return quoteName(name)
	case strings.HasPrefix(raw, "\x00*\x00"):
		return quoteName(name) + "(protected)"
	}
	return quoteName(name) + "(private)"
}

// isList reports whether the keys of the array v are 0, 1, 2, ...
func isList(v phpsession.Value) bool {
	for i, e := range v.Entries() {
		if k, ok := e.Key.Int(); !ok || k != int64(i) {
			return false
		}
	}
	return true
}

// floatText returns a float as PHP's serialize() wrote it (0.1, 1.0E+25,
// -0, INF), from its JSON form {"d":"<text>"}.
func floatText(v phpsession.Value) string {
	var form struct{ D string }
	if b, err := v.MarshalJSON(); err == nil && json.Unmarshal(b, &form) == nil {
		return form.D
	}
	f, _ := v.Float()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// positionError is an error at a byte offset of an input; its message
// shows the offset, an excerpt of the input and a caret under the offset.
type positionError struct {
	name   string // the input: a file name or "stdin"
	input  []byte
	offset int64
	err    error
	hint   string // a line on what to do, or ""
}

func (e *positionError) Error() string {
	msg := e.name + ": " + e.err.Error() + "\n\n" + excerpt(e.input, e.offset)
	if e.hint != "" {
		msg += "\n" + e.hint
	}
	return msg
}

// Unwrap returns the error found at the offset.
func (e *positionError) Unwrap() error { return e.err }

// excerptContext is how many bytes of input an excerpt shows on each side
// of the offset.
const excerptContext = 32

// excerpt returns the input around off on one line, bytes that do not print
// escaped as in Go strings, indented by four spaces, and under it a caret
// at off with the offset, line and column:
//
//	|    auth|i:42x;csrf|s:6:"a1b2c3";
//	|             ^ offset 9 (line 1, column 10)
func excerpt(input []byte, off int64) string {
	if off < 0 {
		off = 0
	}
	if off > int64(len(input)) {
		off = int64(len(input))
	}
	o := int(off)
	line := 1 + strings.Count(string(input[:o]), "\n")
	lineStart := strings.LastIndexByte(string(input[:o]), '\n') + 1
	col := o - lineStart + 1
	start := max(lineStart, o-excerptContext)
	end := o + excerptContext
	if i := strings.IndexByte(string(input[o:]), '\n'); i >= 0 && o+i < end {
		end = o + i
	}
	end = min(end, len(input))

	var text strings.Builder
	text.WriteString("    ")
	if start > lineStart {
		text.WriteString("…")
	}
	caret := 0
	for i := start; i < end; i++ {
		if i == o {
			caret = utf8.RuneCountInString(text.String())
		}
		text.WriteString(escapeByte(input[i]))
	}
	if o >= end {
		caret = utf8.RuneCountInString(text.String())
	}
	if end < len(input) && input[end] != '\n' {
		text.WriteString("…")
	}
	return fmt.Sprintf("%s\n%s^ offset %d (line %d, column %d)", text.String(), strings.Repeat(" ", caret), off, line, col)
}

// escapeByte shows one input byte: itself when printable ASCII, else a Go
// escape (\n, \t, \x00, \xff).
func escapeByte(c byte) string {
	switch {
	case c >= 0x20 && c < 0x7f:
		return string(rune(c))
	case c == '\n':
		return `\n`
	case c == '\t':
		return `\t`
	case c == '\r':
		return `\r`
	}
	return fmt.Sprintf(`\x%02x`, c)
}

package phpsession

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The JSON form of a Value is a one-key object naming its kind, in the
// style of the typed "dump" of the test vectors (docs/json.md has the whole
// grammar):
//
//	{"N":null}  {"b":true}  {"i":42}  {"d":"1.0E+25"}  {"s":"text"}  {"s64":"AP8="}
//	{"a":[[0,{"s":"x"}],["name",{"i":1}]]}
//	{"O":"Account","p":[["login",{"s":"lone"}],["\u0000*\u0000role",{"s":"admin"}]]}
//	{"C":"LegacyToken","data":"tok=tok"}  {"C":"X","data64":"AP8="}
//	{"E":"Suit:Hearts"}  {"r":3}  {"R":5}
//
// Names (array string keys, property names, class and enum names, session
// entry names) are JSON strings when they are valid UTF-8 and do not start
// with jsonB64Prefix; any other name is written as jsonB64Prefix followed by
// the standard base64 of its bytes, so a name is never ambiguous.

// jsonB64Prefix marks a name written as base64.
const jsonB64Prefix = "b64:"

// MarshalJSON returns the JSON form of v (see docs/json.md): a one-key object
// such as {"i":42}. The zero Value is JSON null. The form is lossless:
// [Value.UnmarshalJSON] gives back a Value that encodes to the same PHP bytes.
// MarshalJSON returns an error wrapping [ErrUnsupportedValue] when v holds
// an invalid (zero) Value inside an array or object, or nests deeper than
// 4096 levels (which a Value whose array contains itself does).
func (v Value) MarshalJSON() ([]byte, error) {
	if v.kind() == Invalid {
		return []byte("null"), nil
	}
	return appendJSONValue(nil, v, 0)
}

// UnmarshalJSON sets *v to the Value whose JSON form data is (see
// docs/json.md). JSON null gives the zero Value. On malformed input it
// returns a [*SyntaxError] wrapping [ErrSyntax] (or [ErrMaxDepth]) whose
// Offset is the byte offset in data. On a nil v it returns an error, as
// json.RawMessage's UnmarshalJSON does.
func (v *Value) UnmarshalJSON(data []byte) error {
	if v == nil {
		return errors.New("phpsession: Value: UnmarshalJSON on nil pointer")
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		*v = Value{}
		return nil
	}
	r := newJSONReader(data)
	val, err := r.value(0)
	if err != nil {
		return err
	}
	if err := r.end(); err != nil {
		return err
	}
	*v = val
	return nil
}

// appendJSONValue appends the JSON form of v, which must be valid, to dst.
func appendJSONValue(dst []byte, v Value, depth int) ([]byte, error) {
	var err error
	switch v.kind() {
	case Null:
		return append(dst, `{"N":null}`...), nil
	case Bool:
		if v.num == 1 {
			return append(dst, `{"b":true}`...), nil
		}
		return append(dst, `{"b":false}`...), nil
	case Int:
		dst = append(dst, `{"i":`...)
		dst = strconv.AppendInt(dst, int64(v.num), 10)
		return append(dst, '}'), nil
	case Float:
		text, err := floatText(v)
		if err != nil {
			return dst, err
		}
		dst = append(dst, `{"d":`...)
		dst = appendJSONString(dst, text)
		if math.IsNaN(math.Float64frombits(v.num)) {
			// serialize() writes every NaN as NAN, igbinary keeps the
			// bits: keep them unless they are those NAN reads as.
			if nan, _ := parseFloatText(floatNaN); v.num != nan.num {
				dst = append(dst, `,"bits":"`...)
				dst = appendHex64(dst, v.num)
				dst = append(dst, '"')
			}
		}
		return append(dst, '}'), nil
	case String:
		if utf8.ValidString(v.str) {
			dst = append(dst, `{"s":`...)
			dst = appendJSONString(dst, v.str)
		} else {
			dst = append(dst, `{"s64":"`...)
			dst = base64.StdEncoding.AppendEncode(dst, []byte(v.str))
			dst = append(dst, '"')
		}
		return append(dst, '}'), nil
	case Array, Object:
		if depth >= defaultMaxDepth {
			return dst, fmt.Errorf("phpsession: cannot write JSON form: %w: more than %d levels (an array containing itself?)", ErrUnsupportedValue, defaultMaxDepth)
		}
		if v.kind() == Array {
			dst = append(dst, `{"a":[`...)
		} else {
			dst = append(dst, `{"O":`...)
			dst = appendJSONName(dst, v.str)
			dst = append(dst, `,"p":[`...)
		}
		for i, e := range v.Entries() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			switch e.Key.kind() {
			case Int:
				dst = strconv.AppendInt(dst, int64(e.Key.num), 10)
			case String:
				dst = appendJSONName(dst, e.Key.str)
			default:
				return dst, fmt.Errorf("phpsession: cannot write JSON form: %w: %s key in %s", ErrUnsupportedValue, e.Key.kind(), v.kind())
			}
			dst = append(dst, ',')
			if e.Value.kind() == Invalid {
				return dst, fmt.Errorf("phpsession: cannot write JSON form: %w: invalid Value in %s", ErrUnsupportedValue, v.kind())
			}
			if dst, err = appendJSONValue(dst, e.Value, depth+1); err != nil {
				return dst, err
			}
			dst = append(dst, ']')
		}
		return append(dst, "]}"...), nil
	case Custom:
		dst = append(dst, `{"C":`...)
		dst = appendJSONName(dst, v.str)
		payload := v.comp.payloadOrEmpty()
		if utf8.ValidString(payload) {
			dst = append(dst, `,"data":`...)
			dst = appendJSONString(dst, payload)
		} else {
			dst = append(dst, `,"data64":"`...)
			dst = base64.StdEncoding.AppendEncode(dst, []byte(payload))
			dst = append(dst, '"')
		}
		return append(dst, '}'), nil
	case Enum:
		dst = append(dst, `{"E":`...)
		dst = appendJSONName(dst, v.str)
		return append(dst, '}'), nil
	case Ref, PHPRef:
		if v.kind() == Ref {
			dst = append(dst, `{"r":`...)
		} else {
			dst = append(dst, `{"R":`...)
		}
		dst = strconv.AppendUint(dst, v.num, 10)
		return append(dst, '}'), nil
	}
	return dst, fmt.Errorf("phpsession: cannot write JSON form: %w: kind %s", ErrUnsupportedValue, v.kind())
}

// floatText returns the text PHP's serialize() writes for the Float v,
// between "d:" and ";".
func floatText(v Value) (string, error) {
	b, err := appendValue(nil, v)
	if err != nil {
		return "", err
	}
	if len(b) < 3 || string(b[:2]) != "d:" || b[len(b)-1] != ';' {
		return "", fmt.Errorf("phpsession: cannot write JSON form: float encoded as %q", b)
	}
	return string(b[2 : len(b)-1]), nil
}

// parseFloatText returns the Float whose serialized text (between "d:" and
// ";") is text, keeping text so that it encodes back exactly.
func parseFloatText(text string) (Value, error) {
	data := make([]byte, 0, len(text)+3)
	data = append(append(append(data, "d:"...), text...), ';')
	v, n, err := decodeValue(data, limits{maxDepth: 1, maxSize: int64(len(data))})
	if err != nil {
		return Value{}, err
	}
	if n != len(data) || v.kind() != Float {
		return Value{}, fmt.Errorf("not a PHP float: %q", text)
	}
	return v, nil
}

// appendJSONName appends a name (key, property, class, session entry) as a
// JSON string: itself if valid UTF-8 and not starting with jsonB64Prefix,
// otherwise jsonB64Prefix and its base64.
func appendJSONName(dst []byte, name string) []byte {
	if utf8.ValidString(name) && !strings.HasPrefix(name, jsonB64Prefix) {
		return appendJSONString(dst, name)
	}
	dst = append(dst, '"')
	dst = append(dst, jsonB64Prefix...)
	dst = base64.StdEncoding.AppendEncode(dst, []byte(name))
	return append(dst, '"')
}

// decodeJSONName reverses appendJSONName on the decoded JSON string s.
func decodeJSONName(s string) (string, error) {
	enc, ok := strings.CutPrefix(s, jsonB64Prefix)
	if !ok {
		return s, nil
	}
	b, err := base64.StdEncoding.Strict().DecodeString(enc)
	if err != nil {
		return "", fmt.Errorf("bad base64 after %q: %v", jsonB64Prefix, err)
	}
	return string(b), nil
}

const hexDigits = "0123456789abcdef"

// appendHex64 appends u as 16 lowercase hex digits.
func appendHex64(dst []byte, u uint64) []byte {
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[u>>uint(shift)&0xf])
	}
	return dst
}

// appendJSONString appends s, which must be valid UTF-8, as a JSON string.
// Only '"', '\\', control characters and U+2028/U+2029 are escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			start = i + size
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsonReader reads the JSON form from a token stream in one pass, so that
// nesting costs no re-scanning.
type jsonReader struct {
	data []byte
	dec  *json.Decoder
	at   int64 // offset of the last token read
}

func newJSONReader(data []byte) *jsonReader {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return &jsonReader{data: data, dec: dec}
}

// errorf returns a *SyntaxError at the start of the last token read.
func (r *jsonReader) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: r.at, Msg: "JSON form: " + fmt.Sprintf(format, args...), Err: ErrSyntax}
}

// token returns the next token, turning JSON syntax errors into
// *SyntaxError.
func (r *jsonReader) token() (json.Token, error) {
	// The token starts after the white space and separators that follow
	// the previous one.
	r.at = r.dec.InputOffset()
	for r.at < int64(len(r.data)) && strings.IndexByte(" \t\r\n,:", r.data[r.at]) >= 0 {
		r.at++
	}
	tok, err := r.dec.Token()
	if err == nil {
		return tok, nil
	}
	if err == io.EOF {
		return nil, &SyntaxError{Offset: r.at, Msg: "JSON form: unexpected end of input", Err: ErrUnexpectedEnd}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// se.Offset counts from where the decoder's buffer starts, not
		// from the start of data: point at the token instead.
		return nil, &SyntaxError{Offset: r.at, Msg: "JSON form: " + se.Error(), Err: ErrSyntax}
	}
	return nil, r.errorf("%v", err)
}

// end checks that nothing but white space follows.
func (r *jsonReader) end() error {
	if _, err := r.token(); err != nil {
		if errors.Is(err, ErrUnexpectedEnd) {
			return nil
		}
		return err
	}
	return r.errorf("unexpected data after the value")
}

// delim reads the delimiter want.
func (r *jsonReader) delim(want json.Delim) error {
	tok, err := r.token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return r.errorf("want %q, got %s", want, describeToken(tok))
	}
	return nil
}

// str reads a JSON string.
func (r *jsonReader) str(what string) (string, error) {
	tok, err := r.token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", r.errorf("%s: want a string, got %s", what, describeToken(tok))
	}
	return s, nil
}

// name reads a name written by appendJSONName.
func (r *jsonReader) name(what string) (string, error) {
	s, err := r.str(what)
	if err != nil {
		return "", err
	}
	n, err := decodeJSONName(s)
	if err != nil {
		return "", r.errorf("%s: %v", what, err)
	}
	return n, nil
}

// bytes64 reads a base64 JSON string.
func (r *jsonReader) bytes64(what string) (string, error) {
	s, err := r.str(what)
	if err != nil {
		return "", err
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return "", r.errorf("%s: bad base64: %v", what, err)
	}
	return string(b), nil
}

// int reads a JSON integer that fits int64.
func (r *jsonReader) int(what string) (int64, error) {
	tok, err := r.token()
	if err != nil {
		return 0, err
	}
	n, ok := tok.(json.Number)
	if !ok {
		return 0, r.errorf("%s: want an integer, got %s", what, describeToken(tok))
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, r.errorf("%s: want an integer that fits 64 bits, got %s", what, n)
	}
	return i, nil
}

// more reports whether the current array or object has more elements.
func (r *jsonReader) more() bool { return r.dec.More() }

// value reads the JSON form of one Value.
func (r *jsonReader) value(depth int) (Value, error) {
	if err := r.delim('{'); err != nil {
		return Value{}, err
	}
	var (
		v        Value
		tag      string // the kind key seen: "N", "b", ...
		props    []Entry
		hasProps bool
		payload  string
		hasData  bool
		bits     uint64 // "bits" of a NaN
		hasBits  bool
	)
	for r.more() {
		key, err := r.str("object key")
		if err != nil {
			return Value{}, err
		}
		switch key {
		case "p":
			if hasProps {
				return Value{}, r.errorf(`duplicate key "p"`)
			}
			hasProps = true
			if props, err = r.entries(depth, "property"); err != nil {
				return Value{}, err
			}
			continue
		case "bits":
			if hasBits {
				return Value{}, r.errorf(`duplicate key "bits"`)
			}
			hasBits = true
			text, err := r.str(`"bits"`)
			if err != nil {
				return Value{}, err
			}
			if bits, err = strconv.ParseUint(text, 16, 64); err != nil || len(text) != 16 || !math.IsNaN(math.Float64frombits(bits)) {
				return Value{}, r.errorf(`"bits": want the 16 hex digits of a NaN, got %q`, text)
			}
			continue
		case "data", "data64":
			if hasData {
				return Value{}, r.errorf(`more than one of "data" and "data64"`)
			}
			hasData = true
			if key == "data" {
				payload, err = r.str(`"data"`)
			} else {
				payload, err = r.bytes64(`"data64"`)
			}
			if err != nil {
				return Value{}, err
			}
			continue
		}
		if tag != "" {
			return Value{}, r.errorf("kind keys %q and %q in one value", tag, key)
		}
		tag = key
		if v, err = r.kindValue(key, depth); err != nil {
			return Value{}, err
		}
	}
	if err := r.delim('}'); err != nil {
		return Value{}, err
	}
	switch {
	case tag == "":
		return Value{}, r.errorf(`object without a kind key ("N", "b", "i", "d", "s", "s64", "a", "O", "C", "E", "r" or "R")`)
	case hasProps != (tag == "O"):
		return Value{}, r.errorf(`"p" goes with "O" only (and "O" needs it)`)
	case hasData != (tag == "C"):
		return Value{}, r.errorf(`"data" or "data64" goes with "C" only (and "C" needs one)`)
	case hasBits && !(tag == "d" && math.IsNaN(math.Float64frombits(v.num))):
		return Value{}, r.errorf(`"bits" goes with a NaN "d" only`)
	}
	if hasBits {
		v = FloatValue(math.Float64frombits(bits))
	}
	switch tag {
	case "O":
		v.comp = &composite{kind: Object, entries: props}
	case "C":
		v = customValue(v.str, payload)
	}
	return v, nil
}

// kindValue reads the value of the kind key tag.
func (r *jsonReader) kindValue(tag string, depth int) (Value, error) {
	what := strconv.Quote(tag)
	switch tag {
	case "N":
		tok, err := r.token()
		if err != nil {
			return Value{}, err
		}
		if tok != nil {
			return Value{}, r.errorf(`"N": want null, got %s`, describeToken(tok))
		}
		return NullValue(), nil
	case "b":
		tok, err := r.token()
		if err != nil {
			return Value{}, err
		}
		b, ok := tok.(bool)
		if !ok {
			return Value{}, r.errorf(`"b": want true or false, got %s`, describeToken(tok))
		}
		return BoolValue(b), nil
	case "i":
		i, err := r.int(what)
		return IntValue(i), err
	case "d":
		tok, err := r.token()
		if err != nil {
			return Value{}, err
		}
		switch t := tok.(type) {
		case string:
			f, err := parseFloatText(t)
			if err != nil {
				return Value{}, r.errorf(`"d": %q is not a float as PHP writes it`, t)
			}
			return f, nil
		case json.Number:
			f, err := strconv.ParseFloat(string(t), 64)
			if err != nil && !math.IsInf(f, 0) {
				return Value{}, r.errorf(`"d": %s`, err)
			}
			return FloatValue(f), nil
		}
		return Value{}, r.errorf(`"d": want a string such as "0.1", "1.0E+25" or "INF", got %s`, describeToken(tok))
	case "s":
		s, err := r.str(what)
		return StringValue(s), err
	case "s64":
		s, err := r.bytes64(what)
		return StringValue(s), err
	case "a":
		es, err := r.entries(depth, "array")
		if err != nil {
			return Value{}, err
		}
		return Value{comp: &composite{kind: Array, entries: es}}, nil
	case "O", "C", "E":
		name, err := r.name(what)
		if err != nil {
			return Value{}, err
		}
		switch tag {
		case "O":
			return Value{str: name}, nil // its composite is made below
		case "C":
			return Value{str: name}, nil
		}
		if !strings.Contains(name, ":") {
			return Value{}, r.errorf(`"E": want "Enum:Case", got %q`, name)
		}
		return Value{comp: scalarComp(Enum), str: name}, nil
	case "r", "R":
		slot, err := r.int(what)
		if err != nil {
			return Value{}, err
		}
		if slot < 1 || slot > math.MaxInt32 {
			return Value{}, r.errorf("%s: slot %d out of range", what, slot)
		}
		if tag == "r" {
			return RefValue(int(slot)), nil
		}
		return PHPRefValue(int(slot)), nil
	}
	return Value{}, r.errorf("unknown kind key %q", tag)
}

// entries reads [[key, value], ...] of an array ("array") or object
// ("property"). Keys are JSON integers or names. Array keys are kept as
// written, so that a string key "5" PHP never writes stays a string and the
// form stays lossless.
func (r *jsonReader) entries(depth int, what string) ([]Entry, error) {
	if err := r.delim('['); err != nil {
		return nil, err
	}
	if depth >= defaultMaxDepth {
		return nil, &SyntaxError{Offset: r.at, Msg: fmt.Sprintf("JSON form: more than %d nested arrays and objects", defaultMaxDepth), Err: ErrMaxDepth}
	}
	var es []Entry
	for r.more() {
		if err := r.delim('['); err != nil {
			return nil, err
		}
		tok, err := r.token()
		if err != nil {
			return nil, err
		}
		var key Value
		switch t := tok.(type) {
		case json.Number:
			i, err := strconv.ParseInt(string(t), 10, 64)
			if err != nil {
				return nil, r.errorf("%s key: want an integer that fits 64 bits, got %s", what, t)
			}
			key = IntValue(i)
		case string:
			name, err := decodeJSONName(t)
			if err != nil {
				return nil, r.errorf("%s key: %v", what, err)
			}
			key = StringValue(name)
		default:
			return nil, r.errorf("%s key: want an integer or a string, got %s", what, describeToken(tok))
		}
		val, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := r.delim(']'); err != nil {
			return nil, err
		}
		es = append(es, Entry{Key: key, Value: val})
	}
	if err := r.delim(']'); err != nil {
		return nil, err
	}
	return es, nil
}

// describeToken names a JSON token for error messages.
func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		return strconv.Quote(t.String())
	case string:
		return "string " + strconv.Quote(t)
	case json.Number:
		return "number " + string(t)
	case bool:
		return strconv.FormatBool(t)
	}
	return fmt.Sprintf("%v", tok)
}

// MarshalJSON returns the JSON document of the session (see docs/json.md):
//
//	{"format":"php","entries":[["auth",{"a":[...]}],["csrf",{"s":"a1b2c3"}]]}
//
// with the entries in [Session.Names] order, each name written as names in
// the JSON form of a Value are, and reference slots numbered as in the
// payload. [Session.UnmarshalJSON] reads it back, and [Session.Encode] of
// the result gives the bytes PHP writes. It returns an error only when an
// entry holds a Value that [Value.MarshalJSON] refuses.
func (s *Session) MarshalJSON() ([]byte, error) {
	dst := append([]byte(nil), `{"format":`...)
	dst = appendJSONString(dst, s.Format().String())
	dst = append(dst, `,"entries":[`...)
	for i, name := range s.Names() {
		v, ok := s.Get(name)
		if !ok {
			return nil, fmt.Errorf("phpsession: cannot write JSON form: entry %q has no value", name)
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		if s.format == FormatIgbinary && s.entries[s.find(name)].intKey {
			// An int key, which igbinary tells from a numeric string.
			dst = append(dst, name...)
		} else {
			dst = appendJSONName(dst, name)
		}
		dst = append(dst, ',')
		var err error
		if dst, err = appendJSONValue(dst, v, 0); err != nil {
			return nil, fmt.Errorf("%w (session entry %q)", err, name)
		}
		dst = append(dst, ']')
	}
	return append(dst, "]}"...), nil
}

// UnmarshalJSON replaces s with the session whose JSON document data is
// (see docs/json.md). The document must name its "format"; a name may be
// given once only. Reference slots are those of the payload the document
// describes, as MarshalJSON writes them, so the result is the session
// [DecodeSession] gives for that payload.
//
// UnmarshalJSON returns a [*SyntaxError] whose Offset is the byte offset in
// data for malformed JSON, a [*KeyError] (wrapping [ErrUnstorableKey]) for
// a name the format cannot store, an error wrapping [ErrUnsupportedValue]
// for a value PHP cannot hold, and a *SyntaxError wrapping [ErrBadReference]
// (or another sentinel) whose Offset is that of the entry in data for values
// PHP could not read back, such as a reference to a slot that does not
// exist (for igbinary, wrapped, with the offset in the payload). On error,
// s is left unchanged. On a nil s it returns an error, as
// json.RawMessage's UnmarshalJSON does.
func (s *Session) UnmarshalJSON(data []byte) error {
	if s == nil {
		return errors.New("phpsession: Session: UnmarshalJSON on nil pointer")
	}
	r := newJSONReader(data)
	if err := r.delim('{'); err != nil {
		return err
	}
	var (
		format    Format
		hasFormat bool
		entries   []Entry
		offsets   []int64 // where each entry starts in data
		hasList   bool
	)
	for r.more() {
		key, err := r.str("document key")
		if err != nil {
			return err
		}
		switch {
		case key == "format" && !hasFormat:
			hasFormat = true
			name, err := r.str(`"format"`)
			if err != nil {
				return err
			}
			if format, err = ParseFormat(name); err != nil {
				return r.errorf(`"format": %v`, err)
			}
		case key == "entries" && !hasList:
			hasList = true
			if entries, offsets, err = r.sessionEntries(); err != nil {
				return err
			}
		default:
			return r.errorf(`session document: unexpected key %q (want "format" and "entries", once each)`, key)
		}
	}
	if err := r.delim('}'); err != nil {
		return err
	}
	if err := r.end(); err != nil {
		return err
	}
	if !hasFormat {
		return r.errorf(`session document: no "format"`)
	}
	payload, starts, err := appendSessionPayload(nil, format, entries)
	if err != nil {
		return err
	}
	ns, err := DecodeSession(payload, format)
	if err != nil {
		// Point at the entry whose value PHP could not read, in data.
		var se *SyntaxError
		if format == FormatIgbinary || !errors.As(err, &se) {
			return fmt.Errorf("phpsession: session document: %w", err)
		}
		i := max(0, sort.SearchInts(starts, int(se.Offset)+1)-1)
		if i >= len(entries) {
			return err
		}
		return &SyntaxError{Offset: offsets[i], Msg: fmt.Sprintf("session entry %q: %s (offset %d of the payload)", jsonEntryName(entries[i].Key), se.Msg, se.Offset), Err: se.Err}
	}
	*s = *ns
	return nil
}

// jsonEntryName returns the name of a session document's entry: a String
// key's text, an Int key's decimal text.
func jsonEntryName(k Value) string {
	if k.kind() == Int {
		return strconv.FormatInt(int64(k.num), 10)
	}
	return k.str
}

// appendSessionPayload appends the payload of a session in format f with
// the entries (names as String keys, or Int keys for names given as JSON
// integers) to dst, the values written as they are, reference slots
// included. It also returns the offset in dst where each entry starts (for
// igbinary, where the payload starts).
//
// igbinary keeps both kinds of key as they are: an Int key is what PHP
// writes for $_SESSION[7] (its session decoder skips it on read), a String
// key, numeric or not, one that PHP reads back (see
// decodeIgbinarySession). The other formats check names with CheckName.
func appendSessionPayload(dst []byte, f Format, entries []Entry) ([]byte, []int, error) {
	if f != FormatIgbinary {
		check := NewSession(f)
		for _, e := range entries {
			if err := check.CheckName(jsonEntryName(e.Key)); err != nil {
				return dst, nil, err
			}
		}
	}
	starts := make([]int, len(entries))
	switch f {
	case FormatIgbinary:
		dst, err := appendIgbinaryEntries(dst, entries)
		return dst, starts, err
	case FormatPHPSerialize:
		dst = append(dst, tokArray, tokColon)
		dst = strconv.AppendInt(dst, int64(len(entries)), 10)
		dst = append(dst, tokColon, tokOpen)
		var err error
		for i, e := range entries {
			starts[i] = len(dst)
			if dst, err = appendValue(dst, normalizeKey(e.Key)); err != nil {
				return dst, nil, err
			}
			if dst, err = appendValue(dst, e.Value); err != nil {
				return dst, nil, fmt.Errorf("phpsession: session entry %q: %w", jsonEntryName(e.Key), err)
			}
		}
		return append(dst, tokClose), starts, nil
	case FormatPHP, FormatPHPBinary:
		var err error
		for i, e := range entries {
			starts[i] = len(dst)
			if f == FormatPHP {
				dst = append(append(dst, e.Key.str...), tokSessionName)
			} else {
				dst = append(append(dst, byte(len(e.Key.str))), e.Key.str...)
			}
			if dst, err = appendValue(dst, e.Value); err != nil {
				return dst, nil, fmt.Errorf("phpsession: session entry %q: %w", e.Key.str, err)
			}
		}
		return dst, starts, nil
	}
	return dst, nil, fmt.Errorf("phpsession: %w %s", ErrUnknownFormat, f)
}

// sessionEntries reads the [[name, value], ...] of a session document, with
// the offset of each entry. A name may be a JSON integer (an int key of
// php_serialize or igbinary).
func (r *jsonReader) sessionEntries() (es []Entry, offsets []int64, err error) {
	if err := r.delim('['); err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for r.more() {
		if err := r.delim('['); err != nil {
			return nil, nil, err
		}
		offsets = append(offsets, r.at)
		tok, err := r.token()
		if err != nil {
			return nil, nil, err
		}
		var name string
		switch t := tok.(type) {
		case string:
			if name, err = decodeJSONName(t); err != nil {
				return nil, nil, r.errorf("entry name: %v", err)
			}
		case json.Number:
			i, err := strconv.ParseInt(string(t), 10, 64)
			if err != nil {
				return nil, nil, r.errorf("entry name: want a string or an integer that fits 64 bits, got %s", t)
			}
			name = strconv.FormatInt(i, 10)
		default:
			return nil, nil, r.errorf("entry name: want a string, got %s", describeToken(tok))
		}
		if seen[name] {
			return nil, nil, r.errorf("entry name %q given twice", name)
		}
		seen[name] = true
		v, err := r.value(0)
		if err != nil {
			return nil, nil, err
		}
		if err := r.delim(']'); err != nil {
			return nil, nil, err
		}
		k := StringValue(name)
		if _, isNum := tok.(json.Number); isNum {
			k = normalizeKey(k)
		}
		es = append(es, Entry{Key: k, Value: v})
	}
	if err := r.delim(']'); err != nil {
		return nil, nil, err
	}
	return es, offsets, nil
}

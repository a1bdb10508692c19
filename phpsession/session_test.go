package phpsession

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/internal/vectors"
)

// phpSessionScript decodes each input line ("<handler> <base64 payload>")
// with session_decode() and answers "ok <base64 of session_encode()>" or
// "fail". With a third field "check", it also runs the reference checks of
// TestSessionReferencesPHP and answers "refs ok" or what failed.
const phpSessionScript = `<?php
ob_start();
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.save_path', sys_get_temp_dir());
ini_set('session.cache_limiter', '');
class Account { public $login = 'lone'; protected $role = 'admin'; private $secret = "s\0x"; }
enum Suit: string { case Hearts = 'H'; case Spades = 'S'; }
$out = [];
while (($line = fgets(STDIN)) !== false) {
    $f = explode(' ', trim($line));
    ini_set('session.serialize_handler', $f[0]);
    session_id('h1t' . count($out));
    session_start();
    $ok = @session_decode(base64_decode($f[1] ?? ''));
    if (!$ok) {
        $out[] = 'fail';
    } elseif (($f[2] ?? '') === 'check') {
        $errs = [];
        if (!is_object($_SESSION['o1']) || $_SESSION['o2'] !== $_SESSION['o1']) { $errs[] = 'o2 is not o1'; }
        $_SESSION['refs']['x'] = 99;
        if ($_SESSION['refs']['y'] !== 99) { $errs[] = 'refs.y is not a reference to refs.x'; }
        $_SESSION['o1']->n = 7;
        if ($_SESSION['o2']->n !== 7) { $errs[] = 'o2 does not share o1'; }
        $out[] = $errs ? implode('; ', $errs) : 'refs ok';
    } else {
        $out[] = 'ok ' . base64_encode(session_encode());
    }
    session_abort();
}
ob_end_clean();
echo implode("\n", $out), "\n";
`

// phpSessions runs phpSessionScript on the payloads and returns its answers.
func phpSessions(t *testing.T, f Format, check bool, payloads ...[]byte) []string {
	t.Helper()
	var in bytes.Buffer
	for _, p := range payloads {
		in.WriteString(f.String() + " " + base64.StdEncoding.EncodeToString(p))
		if check {
			in.WriteString(" check")
		}
		in.WriteByte('\n')
	}
	out := strings.Split(strings.TrimSuffix(string(testenv.RunPHP(t, phpSessionScript, in.Bytes())), "\n"), "\n")
	if len(out) != len(payloads) {
		t.Fatalf("php answered %d times for %d sessions: %q", len(out), len(payloads), out)
	}
	return out
}

var textFormats = []Format{FormatPHP, FormatPHPBinary, FormatPHPSerialize}

// TestSessionEncodeLikePHP builds sessions in Go and checks that PHP decodes
// them and writes back exactly the same bytes.
func TestSessionEncodeLikePHP(t *testing.T) {
	testenv.PHP(t)
	build := []func(*Session) error{
		func(s *Session) error { return nil },
		func(s *Session) error { return s.Set("user", StringValue("bob")) },
		func(s *Session) error {
			for _, e := range []Entry{
				{StringValue("int"), IntValue(math.MinInt64)},
				{StringValue("floats"), ListValue(FloatValue(0.1), FloatValue(1e25), FloatValue(math.Copysign(0, -1)), FloatValue(1.5e-7), FloatValue(math.Inf(-1)), FloatValue(1e15))},
				{StringValue("bin"), StringValue("a\x00b\xff\";|}")},
				{StringValue("we;ird\"k!"), BoolValue(true)},
				{StringValue(""), NullValue()},
				{StringValue("arr"), ArrayValue(Entry{IntValue(5), StringValue("a")}, Entry{StringValue("07"), IntValue(-3)}, Entry{StringValue("8"), ListValue()})},
				{StringValue("acct"), ObjectValue("Account", Entry{StringValue("login"), StringValue("lone")}, Entry{StringValue("\x00*\x00role"), StringValue("admin")}, Entry{StringValue("\x00Account\x00secret"), StringValue("s\x00x")})},
				{StringValue("suit"), EnumValue("Suit", "Hearts")},
				{StringValue("std"), ObjectValue("stdClass", Entry{StringValue("a"), IntValue(1)})},
			} {
				if err := s.Set(e.Key.str, e.Value); err != nil {
					return err
				}
			}
			return nil
		},
	}
	for _, f := range textFormats {
		t.Run(f.String(), func(t *testing.T) {
			var payloads [][]byte
			for i, b := range build {
				s := NewSession(f)
				if err := b(s); err != nil {
					t.Fatalf("session %d: %v", i, err)
				}
				p, err := s.Encode()
				if err != nil {
					t.Fatalf("session %d: Encode() = %v", i, err)
				}
				payloads = append(payloads, p)
			}
			for i, got := range phpSessions(t, f, false, payloads...) {
				want := "ok " + base64.StdEncoding.EncodeToString(payloads[i])
				if got != want {
					t.Errorf("session %d: Go wrote %q; php: %s", i, payloads[i], got)
				}
			}
		})
	}
}

func TestSessionSetRemove(t *testing.T) {
	in := `a|i:1;f|d:1e25;b|i:2;c|s:1:"x";`
	s, err := DecodeSession([]byte(in), FormatPHP)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"untouched", func() error { return nil }, in},
		{"set existing keeps place", func() error { return s.Set("b", ListValue(IntValue(7))) }, `a|i:1;f|d:1e25;b|a:1:{i:0;i:7;}c|s:1:"x";`},
		{"set new appends", func() error { return s.Set("d", NullValue()) }, `a|i:1;f|d:1e25;b|a:1:{i:0;i:7;}c|s:1:"x";d|N;`},
		{"remove", func() error {
			if !s.Remove("a") || s.Remove("nope") {
				return errors.New("Remove reported wrongly")
			}
			return nil
		}, `f|d:1e25;b|a:1:{i:0;i:7;}c|s:1:"x";d|N;`},
		{"set raw", func() error { return s.SetRaw("c", RawValue(`d:0.10000000000000001;`)) }, `f|d:1e25;b|a:1:{i:0;i:7;}c|d:0.10000000000000001;d|N;`},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got, err := s.Encode(); err != nil || string(got) != st.want {
			t.Fatalf("%s: Encode() = %q, %v; want %q", st.name, got, err, st.want)
		}
	}
	if got, want := s.Names(), []string{"f", "b", "c", "d"}; !slices.Equal(got, want) || s.Len() != 4 {
		t.Errorf("Names() = %q, Len() = %d; want %q", got, s.Len(), want)
	}
	if v, ok := s.Get("c"); !ok || v.str != "0.10000000000000001" {
		t.Errorf(`Get("c") = %v, %v`, v, ok)
	}
	if raw, ok := s.Raw("b"); !ok || string(raw) != `a:1:{i:0;i:7;}` {
		t.Errorf(`Raw("b") = %q, %v`, raw, ok)
	}
	if _, ok := s.Get("a"); ok || s.Has("a") {
		t.Errorf(`Get("a") found a removed entry`)
	}
	if err := s.SetRaw("e", RawValue(`i:1;x`)); !errors.Is(err, ErrSyntax) {
		t.Errorf(`SetRaw("e", "i:1;x") = %v, want ErrSyntax`, err)
	}
	if err := s.Set("e", Value{}); !errors.Is(err, ErrUnsupportedValue) {
		t.Errorf(`Set("e", Value{}) = %v, want ErrUnsupportedValue`, err)
	}
}

func TestSessionFormats(t *testing.T) {
	tests := []struct {
		format Format
		in     string
		names  []string
		get    string
		want   Value
		set    string // payload after Set("n", IntValue(1))
	}{
		{FormatPHP, "", nil, "", Value{}, `n|i:1;`},
		{FormatPHP, `|i:1;we;ird"k|b:1;`, []string{"", `we;ird"k`}, `we;ird"k`, BoolValue(true), `|i:1;we;ird"k|b:1;n|i:1;`},
		// A repeated name is one entry, as PHP 8.2's session_decode()
		// leaves $_SESSION: its first place, its last value. A reference
		// to a value it replaced gets that value (what PHP writes).
		{FormatPHP, `a|i:1;b|i:2;a|i:3;`, []string{"a", "b"}, "a", IntValue(3), `a|i:3;b|i:2;n|i:1;`},
		{FormatPHP, `a|a:1:{i:0;i:5;}b|R:2;a|i:3;`, []string{"a", "b"}, "a", IntValue(3), `a|i:3;b|i:5;n|i:1;`},
		{FormatPHP, `a|i:1;b|R:1;a|i:3;c|R:1;`, []string{"a", "b", "c"}, "a", IntValue(3), `a|i:3;b|i:1;c|R:2;n|i:1;`},
		{FormatPHP, `a|i:1;b|i:2;a|i:3;c|R:3;`, []string{"a", "b", "c"}, "a", IntValue(3), `a|i:3;b|i:2;c|R:1;n|i:1;`},
		{FormatPHP, `5|i:1;`, []string{"5"}, "5", IntValue(1), `5|i:1;n|i:1;`},
		{FormatPHPBinary, "", nil, "", Value{}, "\x01ni:1;"},
		{FormatPHPBinary, "\x81ai:1;\x00s:0:\"\";", []string{"a", ""}, "a", IntValue(1), "\x81ai:1;\x00s:0:\"\";\x01ni:1;"},
		{FormatPHPBinary, "\x01ai:1;\x01bi:2;\x01ai:3;", []string{"a", "b"}, "a", IntValue(3), "\x01ai:3;\x01bi:2;\x01ni:1;"},
		{FormatPHPSerialize, "", nil, "", Value{}, `a:1:{s:1:"n";i:1;}`},
		{FormatPHPSerialize, `a:0:{}`, nil, "", Value{}, `a:1:{s:1:"n";i:1;}`},
		{FormatPHPSerialize, `a:3:{i:7;s:1:"x";s:1:"7";N;s:3:"a|b";i:2;}`, []string{"7", "a|b"}, "7", NullValue(), `a:3:{i:7;N;s:3:"a|b";i:2;s:1:"n";i:1;}`},
		{FormatPHPSerialize, `a:3:{s:1:"a";a:1:{i:0;i:5;}s:1:"b";R:3;s:1:"a";i:3;}`, []string{"a", "b"}, "a", IntValue(3), `a:3:{s:1:"a";i:3;s:1:"b";i:5;s:1:"n";i:1;}`},
		// igbinary_serialize(['a' => 1, 'b' => 2, 'c' => 3]) with "c" made "a".
		{FormatIgbinary, "\x00\x00\x00\x02\x14\x03\x11\x01a\x06\x01\x11\x01b\x06\x02\x11\x01a\x06\x03", []string{"a", "b"}, "a", IntValue(3), "\x00\x00\x00\x02\x14\x03\x11\x01a\x06\x03\x11\x01b\x06\x02\x11\x01n\x06\x01"},
	}
	for _, tt := range tests {
		s, err := DecodeSession([]byte(tt.in), tt.format)
		if err != nil {
			t.Errorf("DecodeSession(%q, %s) = %v", tt.in, tt.format, err)
			continue
		}
		if out, err := s.Encode(); err != nil || string(out) != tt.in {
			t.Errorf("DecodeSession(%q, %s).Encode() = %q, %v", tt.in, tt.format, out, err)
		}
		if got := s.Names(); !slices.Equal(got, tt.names) || s.Len() != len(tt.names) {
			t.Errorf("DecodeSession(%q, %s).Names() = %q, Len() = %d; want %q", tt.in, tt.format, got, s.Len(), tt.names)
		}
		if got, _ := s.Get(tt.get); !got.Equal(tt.want) {
			t.Errorf("DecodeSession(%q, %s).Get(%q) = %v, want %v", tt.in, tt.format, tt.get, got, tt.want)
		}
		if err := s.Set("n", IntValue(1)); err != nil {
			t.Fatal(err)
		}
		if out, err := s.Encode(); err != nil || string(out) != tt.set {
			t.Errorf("DecodeSession(%q, %s), Set(n, 1): Encode() = %q, %v; want %q", tt.in, tt.format, out, err, tt.set)
		}
	}
	// php_serialize: a reference to a name's earlier value reaches the
	// outer array's element, which the repeat overwrote in place. What
	// PHP 8.2 writes after session_decode() and $_SESSION['n'] = 1, or
	// that it refuses the payload.
	elems := []struct{ in, want string }{
		{`a:3:{s:1:"a";O:8:"stdClass":0:{}s:1:"a";O:3:"Foo":0:{}s:1:"b";r:2;}`, `a:3:{s:1:"a";O:3:"Foo":0:{}s:1:"b";r:2;s:1:"n";i:1;}`},
		{`a:3:{s:1:"a";O:8:"stdClass":0:{}s:1:"a";i:1;s:1:"b";R:2;}`, `a:3:{s:1:"a";i:1;s:1:"b";R:2;s:1:"n";i:1;}`},
		{`a:4:{s:1:"a";i:1;s:1:"a";i:2;s:1:"b";R:2;s:1:"a";i:3;}`, `a:3:{s:1:"a";i:3;s:1:"b";i:2;s:1:"n";i:1;}`},
		{`a:3:{i:5;i:1;s:1:"5";i:2;s:1:"b";R:2;}`, `a:3:{i:5;i:2;s:1:"b";R:2;s:1:"n";i:1;}`},
		{`a:2:{s:1:"a";i:1;s:1:"a";a:1:{i:0;R:2;}}`, `a:2:{s:1:"a";a:1:{i:0;R:2;}s:1:"n";i:1;}`},
		{`a:4:{s:1:"a";O:8:"stdClass":0:{}s:1:"c";O:3:"Foo":0:{}s:1:"a";r:3;s:1:"b";r:2;}`, `a:4:{s:1:"a";O:3:"Foo":0:{}s:1:"c";r:2;s:1:"b";r:2;s:1:"n";i:1;}`},
		{`a:3:{s:1:"a";O:8:"stdClass":0:{}s:1:"a";i:1;s:1:"b";r:2;}`, ""},
		{`a:2:{s:1:"a";O:8:"stdClass":0:{}s:1:"a";a:1:{i:0;r:2;}}`, ""},
		{`a:2:{s:1:"a";i:1;s:1:"a";R:2;}`, ""},
	}
	for _, tt := range elems {
		s, err := DecodeSession([]byte(tt.in), FormatPHPSerialize)
		if tt.want == "" {
			if !errors.Is(err, ErrBadReference) {
				t.Errorf("DecodeSession(%q, php_serialize) = %v, want ErrBadReference (PHP refuses it)", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("DecodeSession(%q, php_serialize) = %v", tt.in, err)
			continue
		}
		s.Set("n", IntValue(1))
		if out, err := s.Encode(); err != nil || string(out) != tt.want {
			t.Errorf("DecodeSession(%q, php_serialize), Set(n, 1): Encode() = %q, %v; PHP writes %q", tt.in, out, err, tt.want)
		}
	}
	// An igbinary session that repeats a name and holds references is
	// refused: the references could point into the value the repeat
	// replaces. (PHP reads it: $arr['b'] = &$arr['a'][0], then "c" made
	// "a", writes b as a reference to a copy of 5.)
	ig := "\x00\x00\x00\x02\x14\x03\x11\x01a\x14\x01\x06\x00\x25\x06\x05\x11\x01b\x25\x01\x02\x11\x01a\x06\x03"
	if _, err := DecodeSession([]byte(ig), FormatIgbinary); !errors.Is(err, ErrSyntax) {
		t.Errorf("DecodeSession(%q, igbinary) = %v, want ErrSyntax", ig, err)
	}
	// A repeated name is written once, in its first place, when it is set.
	s, _ := DecodeSession([]byte(`a|i:1;b|i:2;a|i:3;`), FormatPHP)
	s.Set("a", IntValue(9))
	if out, _ := s.Encode(); string(out) != `a|i:9;b|i:2;` {
		t.Errorf("Set of a repeated name: Encode() = %q, want %q", out, `a|i:9;b|i:2;`)
	}
	// So is a php_serialize int key set through its decimal name.
	s, _ = DecodeSession([]byte(`a:1:{i:7;N;}`), FormatPHPSerialize)
	s.Set("7", IntValue(1))
	if out, _ := s.Encode(); string(out) != `a:1:{i:7;i:1;}` {
		t.Errorf(`Set("7") on php_serialize: Encode() = %q`, out)
	}
	// NewSession encodes the empty session as PHP writes it.
	for f, want := range map[Format]string{FormatPHP: "", FormatPHPBinary: "", FormatPHPSerialize: "a:0:{}"} {
		if out, err := NewSession(f).Encode(); err != nil || string(out) != want {
			t.Errorf("NewSession(%s).Encode() = %q, %v; want %q", f, out, err, want)
		}
	}
}

func TestSessionKeyErrors(t *testing.T) {
	long := strings.Repeat("k", 128)
	tests := []struct {
		format Format
		name   string
		want   *KeyError // nil: storable
	}{
		{FormatPHP, "a|b", &KeyError{Key: "a|b", Format: FormatPHP, Reason: "contains '|'"}},
		{FormatPHP, "7", &KeyError{Key: "7", Format: FormatPHP, Reason: "numeric keys are skipped by PHP"}},
		{FormatPHP, "-3", &KeyError{Key: "-3", Format: FormatPHP, Reason: "numeric keys are skipped by PHP"}},
		{FormatPHP, "07", nil},
		{FormatPHP, "!b", nil},
		{FormatPHP, long, nil},
		{FormatPHPBinary, long, &KeyError{Key: long, Format: FormatPHPBinary, Reason: "longer than 127 bytes"}},
		{FormatPHPBinary, long[:127], nil},
		{FormatPHPBinary, "a|b", nil},
		{FormatPHPBinary, "7", &KeyError{Key: "7", Format: FormatPHPBinary, Reason: "numeric keys are skipped by PHP"}},
		{FormatPHPSerialize, "7", nil},
		{FormatPHPSerialize, "a|b", nil},
		{FormatPHPSerialize, long, nil},
		{FormatIgbinary, "7", &KeyError{Key: "7", Format: FormatIgbinary, Reason: "numeric keys are skipped by PHP"}},
		{FormatIgbinary, "-3", &KeyError{Key: "-3", Format: FormatIgbinary, Reason: "numeric keys are skipped by PHP"}},
		{FormatIgbinary, "07", nil},
		{FormatIgbinary, "-0", nil},
		{FormatIgbinary, "9223372036854775808", nil},
		{FormatIgbinary, "a|b", nil},
		{FormatIgbinary, long, nil},
	}
	for _, tt := range tests {
		s := NewSession(tt.format)
		err := s.Set(tt.name, IntValue(1))
		if tt.want == nil {
			if err != nil {
				t.Errorf("%s: Set(%q) = %v, want nil", tt.format, tt.name, err)
			}
			continue
		}
		var ke *KeyError
		if !errors.As(err, &ke) || !reflect.DeepEqual(ke, tt.want) || !errors.Is(err, ErrUnstorableKey) {
			t.Errorf("%s: Set(%q) = %v, want %v", tt.format, tt.name, err, tt.want)
		}
		if err := s.SetRaw(tt.name, RawValue("N;")); !errors.Is(err, ErrUnstorableKey) {
			t.Errorf("%s: SetRaw(%q) = %v, want ErrUnstorableKey", tt.format, tt.name, err)
		}
		if s.Len() != 0 {
			t.Errorf("%s: Set(%q) stored the key", tt.format, tt.name)
		}
	}
}

func TestDecodeSessionErrors(t *testing.T) {
	tests := []struct {
		format Format
		in     string
		want   *SyntaxError
	}{
		{FormatPHP, `a|i:1;garbage`, &SyntaxError{Offset: 6, Msg: "session entry name without '|'", Err: ErrSyntax}},
		{FormatPHP, `a|i:1;x|`, &SyntaxError{Offset: 8, Msg: "expected a value", Err: ErrUnexpectedEnd}},
		{FormatPHP, `a|i:1;b|r:1;`, &SyntaxError{Offset: 10, Msg: "r: reference to slot 1, which holds no object", Err: ErrBadReference}},
		{FormatPHP, `a|i:1;b|R:3;`, &SyntaxError{Offset: 10, Msg: "R: reference to slot 3, only 1 before it", Err: ErrBadReference}},
		{FormatPHP, `!foo|`, &SyntaxError{Offset: 5, Msg: "expected a value", Err: ErrUnexpectedEnd}},
		{FormatPHPBinary, "\x01ai:1;\x00", &SyntaxError{Offset: 6, Msg: "session entry name of 0 bytes and its value run past the end", Err: ErrUnexpectedEnd}},
		{FormatPHPBinary, "\x01a", &SyntaxError{Offset: 0, Msg: "session entry name of 1 bytes and its value run past the end", Err: ErrUnexpectedEnd}},
		{FormatPHPSerialize, `i:5;`, &SyntaxError{Offset: 0, Msg: "php_serialize session is not an array", Err: ErrSyntax}},
		{FormatPHPSerialize, `a:1:{s:1:"a";i:1;}x`, &SyntaxError{Offset: 18, Msg: "bytes after the session array", Err: ErrSyntax}},
		{FormatPHPSerialize, `a:2:{s:1:"a";O:8:"stdClass":0:{}s:1:"b";r:1;}`, &SyntaxError{Offset: 42, Msg: "r: reference to slot 1, which holds no object", Err: ErrBadReference}},
	}
	for _, tt := range tests {
		_, err := DecodeSession([]byte(tt.in), tt.format)
		var se *SyntaxError
		if !errors.As(err, &se) || !reflect.DeepEqual(se, tt.want) {
			t.Errorf("DecodeSession(%q, %s) = %#v, want %#v", tt.in, tt.format, err, tt.want)
		}
	}
	if _, err := DecodeSession(nil, Format(9)); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("DecodeSession(nil, Format(9)) = %v, want ErrUnknownFormat", err)
	}
}

// TestDecodeSessionLikePHP checks that DecodeSession accepts the payloads
// PHP's session_decode() accepts and refuses those it refuses.
func TestDecodeSessionLikePHP(t *testing.T) {
	testenv.PHP(t)
	inputs := map[Format][]string{
		FormatPHP: {`a|i:1;garbage`, `a|i:1;x|`, `a|i:1;|i:2;`, `a|i:1;b|i:2;a|i:3;`, `a|i:1;b|r:1;`, `a|O:8:"stdClass":0:{}b|r:1;`,
			`a|i:1;b|R:1;`, `a|i:1;b|R:2;`, `5|i:1;`, `!foo|`, `!b|i:2;`, ``, `|N;`, `a|a:1:{i:0;R:1;}`},
		FormatPHPBinary: {"\x01ai:1;", "\x81ai:1;", "\x01ai:1;\x00", "\x00i:1;", "\x01a", "\x02abi:1;\x01cr:1;", "\x7f" + strings.Repeat("k", 127) + "N;"},
		FormatPHPSerialize: {``, `a:0:{}`, `a:1:{s:1:"a";i:1;}`, `a:1:{i:5;i:1;}`, `a:2:{s:1:"a";O:8:"stdClass":0:{}s:1:"b";r:2;}`,
			`a:2:{s:1:"a";O:8:"stdClass":0:{}s:1:"b";r:1;}`, `a:1:{s:1:"a";R:1;}`, `a:1:{s:1:"a";R:2;}`},
	}
	for f, ins := range inputs {
		var payloads [][]byte
		for _, in := range ins {
			payloads = append(payloads, []byte(in))
		}
		for i, got := range phpSessions(t, f, false, payloads...) {
			_, err := DecodeSession(payloads[i], f)
			if (err == nil) != strings.HasPrefix(got, "ok") {
				t.Errorf("DecodeSession(%q, %s) = %v; php session_decode(): %s", payloads[i], f, err, got)
			}
		}
	}
}

// The reference scenario of the Phalcon vectors, with an entry before it
// that a change makes smaller, moving every slot after it.
var refSessions = map[Format]string{
	FormatPHP:          `pre|a:2:{i:0;i:1;i:1;i:2;}o1|O:8:"stdClass":1:{s:1:"n";i:1;}o2|r:4;refs|a:2:{s:1:"x";i:1;s:1:"y";R:8;}post|s:1:"z";`,
	FormatPHPBinary:    "\x03prea:2:{i:0;i:1;i:1;i:2;}\x02o1O:8:\"stdClass\":1:{s:1:\"n\";i:1;}\x02o2r:4;\x04refsa:2:{s:1:\"x\";i:1;s:1:\"y\";R:8;}\x04posts:1:\"z\";",
	FormatPHPSerialize: `a:5:{s:3:"pre";a:2:{i:0;i:1;i:1;i:2;}s:2:"o1";O:8:"stdClass":1:{s:1:"n";i:1;}s:2:"o2";r:5;s:4:"refs";a:2:{s:1:"x";i:1;s:1:"y";R:9;}s:4:"post";s:1:"z";}`,
}

func TestSessionReferences(t *testing.T) {
	for _, f := range textFormats {
		t.Run(f.String(), func(t *testing.T) {
			decode := func() *Session {
				s, err := DecodeSession([]byte(refSessions[f]), f)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			base := 0
			if f == FormatPHPSerialize {
				base = 1
			}
			s := decode()
			if v, _ := s.Get("o2"); !v.Equal(RefValue(base + 4)) {
				t.Errorf(`Get("o2") = %v, want r:%d`, v, base+4)
			}
			if refs, _ := s.Get("refs"); !refs.Entries()[1].Value.Equal(PHPRefValue(base + 8)) {
				v := refs.Entries()[1].Value
				t.Errorf(`Lookup("refs", "y") = %v, want R:%d`, v, base+8)
			}
			// pre shrinks from 3 slots to 1: the references move down by 2.
			s.Set("pre", IntValue(0))
			out, err := s.Encode()
			if err != nil {
				t.Fatalf("Encode() after Set(pre) = %v", err)
			}
			for _, want := range []string{"r:" + strconv.Itoa(base+2) + ";", "R:" + strconv.Itoa(base+6) + ";"} {
				if !bytes.Contains(out, []byte(want)) {
					t.Errorf("Encode() after Set(pre) = %q, want it to hold %s", out, want)
				}
			}
			// The same after removing pre.
			s = decode()
			s.Remove("pre")
			if out, err := s.Encode(); err != nil || !bytes.Contains(out, []byte("r:"+strconv.Itoa(base+1)+";")) {
				t.Errorf("Encode() after Remove(pre) = %q, %v", out, err)
			}
			// A set value that points into itself is refused: its slots
			// are those of the decoded payload, where it is not.
			s = decode()
			if v, _ := s.Get("refs"); s.Set("refs", v) == nil {
				if out, err := s.Encode(); !errors.Is(err, ErrBadReference) {
					t.Errorf("set refs: Encode() = %q, %v; want ErrBadReference", out, err)
				}
			}
			// Replacing or removing a referenced value: the reference gets
			// a copy (TestSessionMaterializePHP checks it against PHP).
			for name, change := range map[string]func(*Session){
				"set o1":    func(s *Session) { s.Set("o1", IntValue(1)) },
				"remove o1": func(s *Session) { s.Remove("o1") },
			} {
				s := decode()
				change(s)
				out, err := s.Encode()
				if err != nil || !bytes.Contains(out, []byte(`O:8:"stdClass":1:{s:1:"n";i:1;}`)) {
					t.Errorf("%s: Encode() = %q, %v; want o2 to hold the object", name, out, err)
				}
			}
			// A set value may point into an unchanged entry.
			s = decode()
			s.Set("pre", IntValue(0))
			s.Set("o3", RefValue(base+4))
			if out, err := s.Encode(); err != nil || !bytes.Contains(out, []byte("r:"+strconv.Itoa(base+2)+";")) {
				t.Errorf("Encode() with o3 = r:%d = %q, %v", base+4, out, err)
			}
			// But not at a non-object for r:.
			s = decode()
			s.Set("o3", RefValue(base+1))
			if out, err := s.Encode(); !errors.Is(err, ErrBadReference) {
				t.Errorf("Encode() with o3 = r:%d (an array) = %q, %v; want ErrBadReference", base+1, out, err)
			}
		})
	}
}

// TestSessionReferencesPHP: PHP reads a session with references that Go
// changed (moving slots), and its references still hold.
func TestSessionReferencesPHP(t *testing.T) {
	testenv.PHP(t)
	for _, f := range textFormats {
		var payloads [][]byte
		payloads = append(payloads, []byte(refSessions[f]))
		for _, change := range []func(*Session){
			func(s *Session) { s.Set("pre", IntValue(0)) },
			func(s *Session) { s.Remove("pre") },
			func(s *Session) { s.Set("pre", ListValue(ListValue(NullValue()), StringValue("x"))) },
			func(s *Session) { s.Set("post", IntValue(1)); s.Set("new", NullValue()) },
		} {
			s, err := DecodeSession([]byte(refSessions[f]), f)
			if err != nil {
				t.Fatal(err)
			}
			change(s)
			out, err := s.Encode()
			if err != nil {
				t.Fatalf("%s: Encode() = %v", f, err)
			}
			payloads = append(payloads, out)
		}
		for i, got := range phpSessions(t, f, true, payloads...) {
			if got != "refs ok" {
				t.Errorf("%s: php reading %q: %s", f, payloads[i], got)
			}
		}
	}
}

// TestSessionLazy checks that DecodeSession decodes no value and Get decodes
// only the entry it reads.
func TestSessionLazy(t *testing.T) {
	s, err := DecodeSession([]byte(`a|a:1:{i:0;s:1:"x";}b|a:1:{i:0;s:1:"y";}`), FormatPHP)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range s.entries {
		if e.decoded() {
			t.Fatalf("entry %q decoded by DecodeSession", s.name(&e))
		}
	}
	s.Get("b")
	if s.entries[0].decoded() || !s.entries[1].decoded() {
		t.Errorf("after Get(b): decoded = %v, %v; want false, true", s.entries[0].decoded(), s.entries[1].decoded())
	}
}

// TestSessionReadOrders reads the entries of a large session in random
// orders, with sets, removes and clones in between, and checks every value
// against a decode of the entry's own bytes: Session.value must serve each
// entry its own bytes and memory, whatever the order.
func TestSessionReadOrders(t *testing.T) {
	data := benchSession(t, 30<<10)
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 20 {
		s, err := DecodeSession(data, FormatPHP)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]Value{} // what each name must read as
		for _, e := range s.entries {
			v, _, err := decodeValue(data[e.start:e.end], limits{})
			if err != nil {
				t.Fatal(err)
			}
			want[s.name(&e)] = v
		}
		names := s.Names()
		for i := range 3 * len(names) {
			name := names[r.IntN(len(names))]
			switch k := r.IntN(20); {
			case k == 0:
				v := IntValue(int64(i))
				s.Set(name, v)
				want[name] = v
			case k == 1:
				s.Remove(name)
				delete(want, name)
			case k == 2:
				s = s.Clone()
			}
			got, ok := s.Get(name)
			w, wantOK := want[name]
			if ok != wantOK || ok && !equalEncoding(got, w) {
				t.Fatalf("round %d, step %d: Get(%q) = %v, %v; want %v, %v", round, i, name, got, ok, w, wantOK)
			}
		}
		// What was read is still what it was (no memory reused).
		for name, w := range want {
			if got, _ := s.Get(name); !equalEncoding(got, w) {
				t.Fatalf("round %d, at the end: Get(%q) = %v, want %v", round, name, got, w)
			}
		}
	}
}

// TestSessionSharesPayload checks that DecodeSession takes the payload
// over as documented: decoded strings are the payload's own bytes, not a
// copy, and nothing the Session does writes to them.
func TestSessionSharesPayload(t *testing.T) {
	for _, f := range []Format{FormatPHP, FormatPHPBinary, FormatPHPSerialize} {
		t.Run(f.String(), func(t *testing.T) {
			src := NewSession(f)
			src.Set("name", StringValue("Lone Starr"))
			src.Set("cart", ListValue(StringValue("helmet"), IntValue(3)))
			data, err := src.Encode()
			if err != nil {
				t.Fatal(err)
			}
			orig := bytes.Clone(data)
			s, err := DecodeSession(data, f)
			if err != nil {
				t.Fatal(err)
			}
			v, _ := s.Get("name")
			str, _ := v.Str()
			at := unsafe.StringData(str)
			if first := unsafe.SliceData(data); uintptr(unsafe.Pointer(at)) < uintptr(unsafe.Pointer(first)) ||
				uintptr(unsafe.Pointer(at))+uintptr(len(str)) > uintptr(unsafe.Pointer(first))+uintptr(len(data)) {
				t.Errorf("Get(name) = %q, a copy; want the payload's own bytes", str)
			}
			var into struct {
				Cart []any `php:"cart"`
			}
			if err := s.Unmarshal("cart", &into); err != nil {
				t.Fatal(err)
			}
			c := s.Clone()
			s.Set("name", StringValue("Vespa"))
			s.Remove("cart")
			for _, x := range []*Session{s, c} {
				if _, err := x.Encode(); err != nil {
					t.Fatal(err)
				}
				if _, err := x.MarshalJSON(); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(data, orig) {
				t.Errorf("the payload changed: %q, was %q", data, orig)
			}
		})
	}
}

func TestSessionClone(t *testing.T) {
	s, _ := DecodeSession([]byte(`a|a:1:{i:0;i:1;}`), FormatPHP)
	a, _ := s.Get("a")
	s.Set("a", a)
	c := s.Clone()
	a.Set(IntValue(0), IntValue(2)) // changes s's value, not c's
	so, _ := s.Encode()
	co, _ := c.Encode()
	if string(so) != `a|a:1:{i:0;i:2;}` || string(co) != `a|a:1:{i:0;i:1;}` {
		t.Errorf("after changing the original: Encode() = %q, clone's = %q", so, co)
	}
}

// TestSessionIgbinary checks the igbinary path of Session on the Phalcon
// vectors: the payload decodes whole, reads like the dump and, untouched or
// after a Set, encodes to what PHP reads.
func TestSessionIgbinary(t *testing.T) {
	for _, v := range vectors.MustLoad(t) {
		if v.Handler != "igbinary" {
			continue
		}
		s, err := DecodeSession(v.Payload, FormatIgbinary)
		if err != nil {
			t.Errorf("%v: DecodeSession = %v", v, err)
			continue
		}
		want, err := dumpValue(v.Dump)
		if err != nil {
			t.Fatal(err)
		}
		if s.Len() != want.Len() {
			t.Errorf("%v: Len() = %d, want %d", v, s.Len(), want.Len())
		}
		if out, err := s.Encode(); err != nil || (len(v.Payload) > 0 && !bytes.Equal(out, v.Payload)) {
			t.Errorf("%v: untouched Encode() = %q, %v; want %q", v, out, err, v.Payload)
		}
		if err := s.Set("h1-new", IntValue(1)); err != nil {
			t.Fatal(err)
		}
		out, err := s.Encode()
		if err != nil {
			t.Errorf("%v: Encode() after Set = %v", v, err)
			continue
		}
		d, err := DecodeSession(out, FormatIgbinary)
		if err != nil {
			t.Errorf("%v: DecodeSession(Encode() after Set) = %v", v, err)
			continue
		}
		if got, _ := d.Get("h1-new"); !got.Equal(IntValue(1)) || d.Len() != want.Len()+1 {
			t.Errorf("%v: after Set and Encode: Get(h1-new) = %v, Len() = %d", v, got, d.Len())
		}
	}
}

func TestSessionZero(t *testing.T) {
	var s Session
	if out, err := s.Encode(); err != nil || len(out) != 0 || s.Len() != 0 || s.Format() != FormatPHP {
		t.Errorf("zero Session: Encode() = %q, %v; Len() = %d; Format() = %v", out, err, s.Len(), s.Format())
	}
	if err := s.SetRaw("a", RawValue(`a:1:{i:0;i:1;}`)); err != nil {
		t.Fatal(err)
	}
	if out, err := s.Encode(); err != nil || string(out) != `a|a:1:{i:0;i:1;}` {
		t.Errorf("zero Session after SetRaw: Encode() = %q, %v", out, err)
	}
	if err := s.Unmarshal("missing", new(int)); err == nil {
		t.Error(`Unmarshal("missing") = nil, want an error`)
	}
}

// TestSessionUnmarshalVectors unmarshals every entry of every Phalcon
// vector, all formats, into a Value: references resolve across the whole
// session, as PHP resolves them, to what PHP's $_SESSION held.
func TestSessionUnmarshalVectors(t *testing.T) {
	for _, v := range vectors.MustLoad(t) {
		f, err := ParseFormat(v.Handler)
		if err != nil {
			t.Fatal(err)
		}
		s, err := DecodeSession(v.Payload, f)
		if err != nil {
			t.Fatalf("%v: DecodeSession = %v", v, err)
		}
		want, err := dumpValue(v.Dump)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range want.Entries() {
			name, ok := e.Key.Str()
			if !ok {
				name = strconv.FormatInt(int64(e.Key.num), 10)
			}
			var got Value
			if err := s.Unmarshal(name, &got); err != nil {
				t.Errorf("%v: Unmarshal(%q) = %v", v, name, err)
				continue
			}
			if hasRefs(got) {
				t.Errorf("%v: Unmarshal(%q) = %v, holds references", v, name, got)
			}
			if d := sameAsDump(got, e.Value, nil, 0); d != "" {
				t.Errorf("%v: Unmarshal(%q): %s", v, name, d)
			}
		}
		if v.Scenario != "references" {
			continue
		}
		var o2 struct{ N int }
		var refs map[string]int
		if err := s.Unmarshal("o2", &o2); err != nil || o2.N != 1 {
			t.Errorf("%v: Unmarshal(o2) = %+v, %v; want {N:1}", v, o2, err)
		}
		if err := s.Unmarshal("refs", &refs); err != nil || !reflect.DeepEqual(refs, map[string]int{"x": 1, "y": 1}) {
			t.Errorf("%v: Unmarshal(refs) = %v, %v; want x:1 y:1", v, refs, err)
		}
	}
}

// TestSessionUnmarshalAfterChange: references keep pointing where they did
// in the decoded payload when entries before or at their target change, as
// they do in PHP's $_SESSION.
func TestSessionUnmarshalAfterChange(t *testing.T) {
	for _, f := range textFormats {
		for name, change := range map[string]func(*Session){
			"set pre":    func(s *Session) { s.Set("pre", IntValue(0)) },
			"remove pre": func(s *Session) { s.Remove("pre") },
			"set o1":     func(s *Session) { s.Set("o1", IntValue(5)) },
			"remove o1":  func(s *Session) { s.Remove("o1") },
			"add new":    func(s *Session) { s.Set("new", ListValue(NullValue())) },
		} {
			s, err := DecodeSession([]byte(refSessions[f]), f)
			if err != nil {
				t.Fatal(err)
			}
			change(s)
			var o2 map[string]any
			if err := s.Unmarshal("o2", &o2); err != nil || !reflect.DeepEqual(o2, map[string]any{"n": int64(1)}) {
				t.Errorf("%s, %s: Unmarshal(o2) = %v, %v; want n:1", f, name, o2, err)
			}
			var refs map[string]int
			if err := s.Unmarshal("refs", &refs); err != nil || !reflect.DeepEqual(refs, map[string]int{"x": 1, "y": 1}) {
				t.Errorf("%s, %s: Unmarshal(refs) = %v, %v; want x:1 y:1", f, name, refs, err)
			}
		}
		// A set value's references count in the decoded payload too.
		s, err := DecodeSession([]byte(refSessions[f]), f)
		if err != nil {
			t.Fatal(err)
		}
		base := 0
		if f == FormatPHPSerialize {
			base = 1
		}
		s.Remove("pre")
		s.Set("o3", RefValue(base+4))
		var o3 map[string]any
		if err := s.Unmarshal("o3", &o3); err != nil || !reflect.DeepEqual(o3, map[string]any{"n": int64(1)}) {
			t.Errorf("%s: Unmarshal(o3 = r:%d) = %v, %v; want n:1", f, base+4, o3, err)
		}
		// Nothing to point at in a new session: an error, never a value.
		n := NewSession(f)
		n.Set("o3", RefValue(1))
		if err := n.Unmarshal("o3", &o3); !errors.Is(err, ErrBadReference) {
			t.Errorf("%s: new session: Unmarshal(o3 = r:1) = %v, want ErrBadReference", f, err)
		}
	}
}

// phpRefsScript writes, for each handler given as an argument, a session
// whose entries reference each other (r: and R:, across entries, at the
// top level and nested) as one line: "<base64 payload> <json of $_SESSION>".
const phpRefsScript = `<?php
ob_start();
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.save_path', sys_get_temp_dir());
ini_set('session.cache_limiter', '');
$out = [];
foreach (array_slice($argv, 1) as $i => $h) {
    ini_set('session.serialize_handler', $h);
    session_id('h14r' . $i);
    session_start();
    $o = new stdClass; $o->n = 1; $o->tags = ['a', 'b'];
    $p = new stdClass; $p->o = $o;
    $x = 5;
    $_SESSION['pre'] = [1, [2, 3]];
    $_SESSION['o1'] = $o;
    $_SESSION['o2'] = $o;
    $_SESSION['list'] = [$o, $p, $o];
    $_SESSION['refs'] = ['x' => &$x, 'y' => &$x, 'z' => 'zz'];
    $_SESSION['kid'] = &$_SESSION['pre'][1];
    $_SESSION['alias'] = &$_SESSION['pre'];
    $q = new stdClass; $q->inner = new stdClass; $q->inner->v = 'i';
    $_SESSION['qs'] = [$q, 'tail'];
    $_SESSION['qi'] = $q->inner;
    $_SESSION['qq'] = &$_SESSION['qs'][0];
    $_SESSION['deep'] = ['p' => $p, 'again' => [$p, $o]];
    $_SESSION['refs2'] = ['w' => &$x];
    $enc = session_encode();
    $_SESSION = [];
    session_decode($enc);
    $out[] = base64_encode($enc) . ' ' . json_encode($_SESSION);
    session_abort();
}
ob_end_clean();
echo implode("\n", $out), "\n";
`

// TestSessionUnmarshalPHP: for sessions PHP wrote with references across
// entries, in every format, Unmarshal of each entry gives what PHP's
// $_SESSION holds after session_decode (compared as JSON).
func TestSessionUnmarshalPHP(t *testing.T) {
	testenv.PHP(t, "igbinary")
	formats := append(slices.Clone(textFormats), FormatIgbinary)
	var args []string
	for _, f := range formats {
		args = append(args, f.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(testenv.RunPHP(t, phpRefsScript, nil, args...)), "\n"), "\n")
	if len(lines) != len(formats) {
		t.Fatalf("php wrote %d sessions, want %d: %q", len(lines), len(formats), lines)
	}
	for i, f := range formats {
		b64, js, _ := strings.Cut(lines[i], " ")
		payload, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]any
		if err := json.Unmarshal([]byte(js), &want); err != nil {
			t.Fatalf("%s: php json %q: %v", f, js, err)
		}
		s, err := DecodeSession(payload, f)
		if err != nil {
			t.Fatalf("%s: DecodeSession(%q) = %v", f, payload, err)
		}
		if s.Len() != len(want) {
			t.Errorf("%s: Len() = %d, PHP has %d entries", f, s.Len(), len(want))
		}
		for name, w := range want {
			var got any
			if err := s.Unmarshal(name, &got); err != nil {
				t.Errorf("%s: Unmarshal(%q) = %v", f, name, err)
				continue
			}
			if g := jsonRoundTrip(t, got); !reflect.DeepEqual(g, w) {
				t.Errorf("%s: Unmarshal(%q) = %v, PHP has %v", f, name, g, w)
			}
		}
		type obj struct {
			N    int
			Tags []string
		}
		var deep struct {
			P     struct{ O obj }
			Again []map[string]any
		}
		if err := s.Unmarshal("deep", &deep); err != nil || deep.P.O.N != 1 || len(deep.P.O.Tags) != 2 || len(deep.Again) != 2 {
			t.Errorf("%s: Unmarshal(deep) into a struct = %+v, %v", f, deep, err)
		}
	}
}

// jsonRoundTrip returns v as encoding/json decodes its JSON into an any.
func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// phpIgbinaryKeysScript writes an igbinary session holding int and string
// keys and answers "<base64 payload> <json of the keys session_decode()
// reads back>".
const phpIgbinaryKeysScript = `<?php
ob_start();
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.save_path', sys_get_temp_dir());
ini_set('session.cache_limiter', '');
ini_set('session.serialize_handler', 'igbinary');
session_id('h14k');
session_start();
$_SESSION = ['a' => 1, 5 => 'five', '-3' => 'm', '05' => 'z', '-0' => 'n', 'b' => 2];
$enc = session_encode();
$_SESSION = [];
session_decode($enc);
$keys = array_map('strval', array_keys($_SESSION));
session_abort();
ob_end_clean();
echo base64_encode($enc), ' ', json_encode($keys), "\n";
`

// phpIgbinaryReadKeysScript reads base64 igbinary session payloads, one a
// line, and answers the json of the keys session_decode() reads from each.
const phpIgbinaryReadKeysScript = `<?php
ob_start();
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.save_path', sys_get_temp_dir());
ini_set('session.cache_limiter', '');
ini_set('session.serialize_handler', 'igbinary');
session_id('h14r');
session_start();
$out = [];
while (($l = fgets(STDIN)) !== false) {
    $_SESSION = [];
    session_decode(base64_decode(trim($l)));
    $out[] = json_encode(array_map('strval', array_keys($_SESSION)));
}
session_abort();
ob_end_clean();
echo implode("\n", $out), "\n";
`

// TestSessionIgbinaryIntKeysPHP: PHP's igbinary session handler writes int
// keys but skips them on read, so Set refuses a numeric name (PHP's
// $_SESSION['5'] is the int key 5), while keys that stay strings are kept.
// The JSON form tells an int key (a JSON number) from a numeric string
// key, which PHP writes and reads back too.
func TestSessionIgbinaryIntKeysPHP(t *testing.T) {
	testenv.PHP(t, "igbinary")
	b64, js, _ := strings.Cut(strings.TrimSpace(string(testenv.RunPHP(t, phpIgbinaryKeysScript, nil))), " ")
	payload, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	var read []string
	if err := json.Unmarshal([]byte(js), &read); err != nil {
		t.Fatalf("php json %q: %v", js, err)
	}
	s, err := DecodeSession(payload, FormatIgbinary)
	if err != nil {
		t.Fatal(err)
	}
	written := s.Names()
	for _, name := range written {
		kept := slices.Contains(read, name)
		fresh := NewSession(FormatIgbinary)
		err := fresh.Set(name, IntValue(1))
		if kept && err != nil {
			t.Errorf("Set(%q) = %v; PHP reads the key back", name, err)
		}
		if !kept && !errors.Is(err, ErrUnstorableKey) {
			t.Errorf("Set(%q) = %v; PHP skips the key on read, want ErrUnstorableKey", name, err)
		}
	}
	// Through the JSON form and back, byte for byte.
	doc, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Session
	if err := back.UnmarshalJSON(doc); err != nil {
		t.Fatalf("UnmarshalJSON(%s): %v", doc, err)
	}
	if got, err := back.Encode(); err != nil || !bytes.Equal(got, payload) {
		t.Errorf("UnmarshalJSON(%s).Encode() = %x, %v; want %x", doc, got, err, payload)
	}
	// Every name given as a JSON string is a string key, which PHP reads.
	var strDoc strings.Builder
	strDoc.WriteString(`{"format":"igbinary","entries":[`)
	for i, name := range written {
		if i > 0 {
			strDoc.WriteString(",")
		}
		fmt.Fprintf(&strDoc, `[%q,{"i":1}]`, name)
	}
	strDoc.WriteString(`]}`)
	if err := back.UnmarshalJSON([]byte(strDoc.String())); err != nil {
		t.Fatalf("UnmarshalJSON(%s): %v", strDoc.String(), err)
	}
	enc, err := back.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.TrimSpace(string(testenv.RunPHP(t, phpIgbinaryReadKeysScript, []byte(base64.StdEncoding.EncodeToString(enc)+"\n"))))
	if want, _ := json.Marshal(written); got != string(want) {
		t.Errorf("PHP reads the names of %s as %s, want %s", strDoc.String(), got, want)
	}
	if len(read) >= len(written) || len(read) < 3 {
		t.Errorf("PHP wrote keys %q and read back %q: want some, not all, dropped", written, read)
	}
}

// phpChangeScript decodes each input line ("<handler> <base64 payload>
// <op> <name>"), applies the op to $_SESSION (unset, or set to the int 0)
// and answers with base64 of session_encode().
const phpChangeScript = `<?php
ob_start();
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '0');
ini_set('session.save_path', sys_get_temp_dir());
ini_set('session.cache_limiter', '');
$out = [];
while (($line = fgets(STDIN)) !== false) {
    [$h, $p, $op, $name] = explode(' ', trim($line));
    ini_set('session.serialize_handler', $h);
    session_id('h14c' . count($out));
    session_start();
    session_decode(base64_decode($p));
    if ($op === 'unset') { unset($_SESSION[$name]); } else { $_SESSION[$name] = 0; }
    $out[] = base64_encode(session_encode());
    session_abort();
}
ob_end_clean();
echo implode("\n", $out), "\n";
`

// TestSessionMaterializePHP removes or replaces, in Go and in PHP, entries
// that other entries reference (r: and R:, nested and at the top level) in
// sessions PHP wrote, and checks that Go writes exactly what PHP writes.
// Set is compared only on entries that are not & references, where PHP's
// assignment replaces the value as Set does.
func TestSessionMaterializePHP(t *testing.T) {
	testenv.PHP(t, "igbinary")
	formats := append(slices.Clone(textFormats), FormatIgbinary)
	var args []string
	for _, f := range formats {
		args = append(args, f.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(testenv.RunPHP(t, phpRefsScript, nil, args...)), "\n"), "\n")
	if len(lines) != len(formats) {
		t.Fatalf("php wrote %d sessions, want %d", len(lines), len(formats))
	}
	type change struct {
		f       Format
		payload []byte
		op      string
		name    string
	}
	var changes []change
	var in bytes.Buffer
	for i, f := range formats {
		b64, _, _ := strings.Cut(lines[i], " ")
		payload, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		s, err := DecodeSession(payload, f)
		if err != nil {
			t.Fatal(err)
		}
		var cs []change
		for _, n := range s.Names() {
			cs = append(cs, change{f, payload, "unset", n})
		}
		// refs2 and a new name change nothing before them: references are
		// written as they are (igKeptBelow).
		for _, n := range []string{"o1", "o2", "list", "deep", "refs2", "_new"} {
			cs = append(cs, change{f, payload, "set", n})
		}
		for _, c := range cs {
			fmt.Fprintf(&in, "%s %s %s %s\n", f, b64, c.op, c.name)
		}
		changes = append(changes, cs...)
	}
	out := strings.Split(strings.TrimSuffix(string(testenv.RunPHP(t, phpChangeScript, in.Bytes())), "\n"), "\n")
	if len(out) != len(changes) {
		t.Fatalf("php answered %d times for %d changes", len(out), len(changes))
	}
	for i, c := range changes {
		want, err := base64.StdEncoding.DecodeString(out[i])
		if err != nil {
			t.Fatal(err)
		}
		s, err := DecodeSession(c.payload, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if c.op == "unset" {
			s.Remove(c.name)
		} else if err := s.Set(c.name, IntValue(0)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Encode()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s, %s %s: Encode() = %q, %v;\nPHP writes     %q", c.f, c.op, c.name, got, err, want)
		}
	}
}

// FuzzSessionRemove removes each entry of a session in turn and checks
// that Encode never fails on a session PHP wrote, and that every other
// entry keeps the value PHP sees (references followed) in what it writes.
func FuzzSessionRemove(f *testing.F) {
	for _, v := range vectors.MustLoad(f) {
		fm, _ := ParseFormat(v.Handler)
		f.Add(v.Payload, uint8(fm))
	}
	for fm, p := range refSessions {
		f.Add([]byte(p), uint8(fm))
	}
	f.Fuzz(func(t *testing.T, payload []byte, format uint8) {
		fm := Format(format % 4)
		s, err := DecodeSession(payload, fm)
		if err != nil || s.Len() > 64 {
			return
		}
		names := s.Names()
		for _, gone := range names {
			c, _ := DecodeSession(payload, fm)
			c.Remove(gone)
			out, err := c.Encode()
			if err != nil {
				t.Fatalf("%s %q without %q: Encode() = %v", fm, payload, gone, err)
			}
			back, err := DecodeSession(out, fm)
			if err != nil {
				t.Fatalf("%s %q without %q: Encode() = %q, which does not decode: %v", fm, payload, gone, out, err)
			}
			for _, n := range names {
				if n == gone {
					continue
				}
				var want, got Value
				if s.Unmarshal(n, &want) != nil {
					continue // a recursive value: no standalone form
				}
				if err := back.Unmarshal(n, &got); err != nil || !got.Equal(want) {
					t.Fatalf("%s %q without %q: %q holds %v, %v; want %v (wrote %q)", fm, payload, gone, n, got, err, want, out)
				}
			}
		}
	})
}

// TestDecodeSessionEntryCounts decodes sessions with entry counts around
// the number of entries Session.find searches one by one (indexMin), of
// scalars only and with arrays, whole and with their last byte cut off: DecodeSession accepts what PHP's
// session_decode accepts, lists the names in order, and encodes as PHP's
// session_encode does.
func TestDecodeSessionEntryCounts(t *testing.T) {
	testenv.PHP(t)
	counts := []int{0, 1, 2, 3, 8, indexMin - 1, indexMin, indexMin + 1, 2 * indexMin, 5*indexMin + 3}
	for _, f := range textFormats {
		var payloads [][]byte
		var names [][]string
		for k := range 2 * len(counts) {
			// Each count twice: of scalars, and with arrays.
			n, arrays := counts[k/2], k%2 == 1
			s := NewSession(f)
			var want []string
			for i := range n {
				name := "k" + strconv.Itoa(i)
				v := IntValue(int64(i))
				switch {
				case i%2 == 1:
					v = StringValue(strings.Repeat("v", i))
				case arrays:
					v = ArrayValue()
					v.Set(IntValue(0), StringValue(strings.Repeat("a", i)))
				}
				if err := s.Set(name, v); err != nil {
					t.Fatal(err)
				}
				want = append(want, name)
			}
			data, err := s.Encode()
			if err != nil {
				t.Fatal(err)
			}
			payloads = append(payloads, data)
			names = append(names, want)
			if len(data) > 0 {
				payloads = append(payloads, data[:len(data)-1])
				names = append(names, nil)
			}
		}
		for i, php := range phpSessions(t, f, false, payloads...) {
			s, err := DecodeSession(payloads[i], f)
			if (err == nil) != strings.HasPrefix(php, "ok") {
				t.Errorf("DecodeSession(%q, %s) = %v; php session_decode(): %s", payloads[i], f, err, php)
				continue
			}
			if err != nil {
				continue
			}
			if got := s.Names(); !slices.Equal(got, names[i]) && len(got)+len(names[i]) > 0 {
				t.Errorf("%s session %q: Names() = %q, want %q", f, payloads[i], got, names[i])
			}
			enc, err := s.Encode()
			want, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(php, "ok "))
			if err != nil || !bytes.Equal(enc, want) {
				t.Errorf("%s session %q: Encode() = %q, %v; php session_encode(): %q", f, payloads[i], enc, err, want)
			}
			// Grown past the room it was allocated with, and shrunk, it is
			// the session built with the same changes.
			grown := NewSession(f)
			for _, name := range s.Names()[min(1, s.Len()):] {
				v, _ := s.Get(name)
				if err := grown.Set(name, v); err != nil {
					t.Fatal(err)
				}
			}
			s.Remove("k0")
			for j := range 3 {
				name, v := "new"+strconv.Itoa(j), StringValue(strings.Repeat("n", j))
				if err1, err2 := s.Set(name, v), grown.Set(name, v); err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
			}
			got, err1 := s.Encode()
			want, err2 := grown.Encode()
			if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
				t.Errorf("%s session %q with k0 removed and 3 entries set: Encode() = %q, %v; want %q, %v", f, payloads[i], got, err1, want, err2)
			}
		}
	}
}

// TestSessionNameIndex checks Get, Has, Len and Names of a session larger
// than indexMin, with repeated names, through Sets and Removes, against a
// map of what PHP's $_SESSION holds.
func TestSessionNameIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	const universe = 60
	var payload []byte
	want := map[string]int64{}
	var order []string
	for i := range 3 * indexMin {
		name := fmt.Sprintf("n%d", r.IntN(universe/2))
		payload = fmt.Appendf(payload, "%s|i:%d;", name, i)
		if _, ok := want[name]; !ok {
			order = append(order, name)
		}
		want[name] = int64(i)
	}
	s, err := DecodeSession(payload, FormatPHP)
	if err != nil {
		t.Fatal(err)
	}
	for step := range 300 {
		name := fmt.Sprintf("n%d", r.IntN(universe))
		switch r.IntN(3) {
		case 0:
			if err := s.Set(name, IntValue(int64(1000+step))); err != nil {
				t.Fatal(err)
			}
			if _, ok := want[name]; !ok {
				order = append(order, name)
			}
			want[name] = int64(1000 + step)
		case 1:
			_, had := want[name]
			if got := s.Remove(name); got != had {
				t.Fatalf("step %d: Remove(%q) = %v, want %v", step, name, got, had)
			}
			delete(want, name)
			order = slices.DeleteFunc(order, func(n string) bool { return n == name })
		}
		for i := range universe {
			name := fmt.Sprintf("n%d", i)
			w, ok := want[name]
			v, got := s.Get(name)
			if got != ok || s.Has(name) != ok {
				t.Fatalf("step %d: Get(%q) found %v, Has %v, want %v", step, name, got, s.Has(name), ok)
			}
			if n, _ := v.Int(); ok && n != w {
				t.Fatalf("step %d: Get(%q) = %d, want %d", step, name, n, w)
			}
		}
		if s.Len() != len(want) || !slices.Equal(s.Names(), order) {
			t.Fatalf("step %d: Len() = %d, Names() = %q, want %d, %q", step, s.Len(), s.Names(), len(want), order)
		}
	}
}

// TestSessionEntriesRoom checks how DecodeSession grows its list of entries
// (entriesRoom): to about the entries of a session whose entries are alike,
// little for a few small entries before a large value, and at most twice
// the distinct names once repeats fold.
func TestSessionEntriesRoom(t *testing.T) {
	// Sessions of a thousand entries of strings and ints of random
	// lengths: the list grows once or twice past the 8 entries a Session
	// has room for, where growing it as append does takes 7 allocations.
	r := rand.New(rand.NewPCG(1, 2))
	allocs := func(data []byte) float64 {
		return testing.AllocsPerRun(10, func() {
			if _, err := DecodeSession(data, FormatPHP); err != nil {
				t.Fatal(err)
			}
		})
	}
	var b strings.Builder
	for i := range 8 {
		b.Reset()
		for k := range 1000 {
			if r.IntN(2) == 0 {
				fmt.Fprintf(&b, "k%d|i:%d;", k, r.Int64N(1<<40))
			} else {
				n := r.IntN(100)
				fmt.Fprintf(&b, "k%d|s:%d:\"%s\";", k, n, strings.Repeat("x", n))
			}
		}
		data := []byte(b.String())
		s, err := DecodeSession(data, FormatPHP)
		if err != nil {
			t.Fatal(err)
		}
		first8 := data[:s.entries[7].end]
		if grown := allocs(data) - allocs(first8); grown > 2 {
			t.Errorf("session %d: its list of %d entries took %.0f allocations", i, len(s.entries), grown)
		}
	}

	b.Reset()
	for i := range 8 {
		fmt.Fprintf(&b, "k%d|i:%d;", i, i)
	}
	fmt.Fprintf(&b, "big|s:%d:\"%s\";", 1<<20, strings.Repeat("x", 1<<20))
	s, err := DecodeSession([]byte(b.String()), FormatPHP)
	if err != nil {
		t.Fatal(err)
	}
	if n, c := len(s.entries), cap(s.entries); n != 9 || c > 256 { // 8 + 16×8, rounded up by the allocator
		t.Errorf("8 small entries before a large one: %d entries in a list of %d", n, c)
	}

	b.Reset()
	for i := range foldMin {
		fmt.Fprintf(&b, "k%d|N;", i)
	}
	b.WriteString(strings.Repeat("k0|N;", 1<<18))
	s, err = DecodeSession([]byte(b.String()), FormatPHP)
	if err != nil {
		t.Fatal(err)
	}
	if n, c := len(s.entries), cap(s.entries); n != foldMin || c > 2*foldMin {
		t.Errorf("%d names, then one repeated: %d entries in a list of %d", foldMin, n, c)
	}
}

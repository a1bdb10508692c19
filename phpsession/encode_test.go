package phpsession

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

func TestAppendValue(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{NullValue(), `N;`},
		{BoolValue(true), `b:1;`},
		{BoolValue(false), `b:0;`},
		{IntValue(math.MinInt64), `i:-9223372036854775808;`},
		{FloatValue(1e25), `d:1.0E+25;`},
		{FloatValue(math.NaN()), `d:NAN;`},
		{StringValue("it's \"x\"\n\\"), "s:10:\"it's \"x\"\n\\\";"},
		{BytesValue([]byte{0, 0xff}), "s:2:\"\x00\xff\";"},
		{ListValue(), `a:0:{}`},
		{ArrayValue(Entry{StringValue("5"), IntValue(1)}, Entry{StringValue("05"), IntValue(2)}, Entry{StringValue("-3"), IntValue(3)}), `a:3:{i:5;i:1;s:2:"05";i:2;i:-3;i:3;}`},
		{ArrayValue(Entry{IntValue(1), IntValue(1)}, Entry{StringValue("1"), IntValue(2)}), `a:1:{i:1;i:2;}`},
		{ObjectValue("stdClass"), `O:8:"stdClass":0:{}`},
		{ObjectValue(`App\User`, Entry{StringValue("\x00*\x00id"), IntValue(1)}), "O:8:\"App\\User\":1:{s:5:\"\x00*\x00id\";i:1;}"},
		{CustomValue("C", []byte("a}b")), `C:1:"C":3:{a}b}`},
		{EnumValue("Suit", "Hearts"), `E:11:"Suit:Hearts";`},
		{RefValue(2), `r:2;`},
		{PHPRefValue(3), `R:3;`},
	}
	for _, tt := range tests {
		got, err := appendValue([]byte("x"), tt.v)
		if err != nil || string(got) != "x"+tt.want {
			t.Errorf("appendValue(%v) = %q, %v; want %q", tt.v, got, err, tt.want)
		}
	}
}

func TestAppendValueErrors(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{Value{}, "phpsession: cannot encode a value of kind invalid: unsupported value"},
		{ListValue(Value{}), "phpsession: cannot encode a value of kind invalid: unsupported value"},
		{ObjectValue("a-b"), `phpsession: cannot encode object of class "a-b": invalid class name: unsupported value`},
		{ObjectValue(""), `phpsession: cannot encode object of class "": invalid class name: unsupported value`},
		{CustomValue("", nil), `phpsession: cannot encode custom object of class "": invalid class name: unsupported value`},
		{EnumValue("Suit", ""), `phpsession: cannot encode enum "Suit:" has an empty case name: unsupported value`},
		{Value{str: "stdClass", comp: &composite{kind: Object, entries: []Entry{{NullValue(), IntValue(1)}}}}, "phpsession: cannot encode object key of kind null (want int or string): unsupported value"},
		{RefValue(0), "phpsession: cannot encode ref to slot 0: unsupported value"},
		{PHPRefValue(-1), "phpsession: cannot encode phpref to slot -1: unsupported value"},
	}
	for _, tt := range tests {
		_, err := appendValue(nil, tt.v)
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("appendValue(%v) = %v, want %q", tt.v, err, tt.want)
		}
	}
	deep := NullValue()
	for range defaultMaxDepth + 1 {
		deep = ListValue(deep)
	}
	if _, err := appendValue(nil, deep); !errors.Is(err, ErrUnsupportedValue) {
		t.Errorf("appendValue(%d nested arrays) = %v, want ErrUnsupportedValue", defaultMaxDepth+1, err)
	}
}

// TestAppendValueLikePHP checks that what appendValue writes is what PHP's
// serialize() writes for the value PHP's unserialize() reads from it.
func TestAppendValueLikePHP(t *testing.T) {
	testenv.PHP(t)
	vals := []Value{
		IntValue(math.MaxInt64), IntValue(-1), FloatValue(0.1), FloatValue(-1.5e-300), StringValue(""),
		StringValue("a\x00b\xff\"';|\\"), ListValue(IntValue(1), ListValue(), NullValue()),
		ArrayValue(Entry{IntValue(-5), BoolValue(true)}, Entry{StringValue("07"), FloatValue(2)}, Entry{StringValue("x y"), StringValue("z")}),
		ObjectValue("stdClass", Entry{StringValue("a"), ListValue(ObjectValue("Missing\\Klass"))}),
		ObjectValue("Account", Entry{StringValue("login"), StringValue("lone")}, Entry{StringValue("\x00*\x00role"), StringValue("admin")}, Entry{StringValue("\x00Account\x00secret"), StringValue("s\x00x")}),
		EnumValue("Suit", "Spades"),
		ListValue(ObjectValue("stdClass"), RefValue(2), PHPRefValue(2)),
		ListValue(IntValue(1), PHPRefValue(2)),
	}
	var in bytes.Buffer
	for _, v := range vals {
		b, err := appendValue(nil, v)
		if err != nil {
			t.Fatalf("appendValue(%v) = %v", v, err)
		}
		in.WriteString(base64.StdEncoding.EncodeToString(b) + "\n")
	}
	const script = `<?php
class Account { public $login = 'lone'; protected $role = 'admin'; private $secret = "s\0x"; }
enum Suit: string { case Hearts = 'H'; case Spades = 'S'; }
while (($line = fgets(STDIN)) !== false) {
    $in = base64_decode(trim($line));
    $v = unserialize($in);
    echo base64_encode(serialize($v)), "\n";
}`
	out := strings.Fields(string(testenv.RunPHP(t, script, in.Bytes())))
	lines := strings.Fields(in.String())
	if len(out) != len(lines) {
		t.Fatalf("php answered %d times for %d values", len(out), len(lines))
	}
	for i := range lines {
		if out[i] != lines[i] {
			got, _ := base64.StdEncoding.DecodeString(lines[i])
			want, _ := base64.StdEncoding.DecodeString(out[i])
			t.Errorf("appendValue(%v) = %q; php serialize(unserialize()) = %q", vals[i], got, want)
		}
	}
}

func TestDecoder(t *testing.T) {
	in := `i:1;s:3:"a;b";a:1:{i:0;O:8:"stdClass":0:{}}d:0.5;`
	want := []Value{IntValue(1), StringValue("a;b"), ListValue(ObjectValue("stdClass")), FloatValue(0.5)}
	for name, r := range map[string]func() *Decoder{
		"whole":    func() *Decoder { return NewDecoder(strings.NewReader(in)) },
		"one byte": func() *Decoder { return NewDecoder(iotest.OneByteReader(strings.NewReader(in))) },
	} {
		d := r()
		for i, w := range want {
			var v Value
			if err := d.Decode(&v); err != nil || !v.Equal(w) {
				t.Errorf("%s: Decode #%d = %v, %v; want %v", name, i, v, err, w)
			}
		}
		var v Value
		if err := d.Decode(&v); err == nil || err.Error() != "EOF" {
			t.Errorf("%s: Decode at the end = %v, want io.EOF", name, err)
		}
	}
	// Errors carry the offset in the stream.
	d := NewDecoder(iotest.OneByteReader(strings.NewReader(`i:1;i:x;`)))
	var v Value
	d.Decode(&v)
	var se *SyntaxError
	if err := d.Decode(&v); !errors.As(err, &se) || se.Offset != 6 || !errors.Is(err, ErrSyntax) {
		t.Errorf("Decode(i:x;) = %#v, want a SyntaxError at offset 6", err)
	}
	// Input that ends inside a value.
	d = NewDecoder(strings.NewReader(`s:10:"abc`))
	if err := d.Decode(&v); !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrUnexpectedEnd) {
		t.Errorf("Decode(truncated) = %v, want ErrUnexpectedEnd or ErrTooLarge", err)
	}
	// Limits.
	d = NewDecoder(strings.NewReader(`a:1:{i:0;a:1:{i:0;N;}}`))
	d.SetMaxDepth(1)
	if err := d.Decode(&v); !errors.Is(err, ErrMaxDepth) {
		t.Errorf("Decode with SetMaxDepth(1) = %v, want ErrMaxDepth", err)
	}
	d = NewDecoder(iotest.OneByteReader(strings.NewReader(`s:20:"01234567890123456789";`)))
	d.SetMaxSize(16)
	if err := d.Decode(&v); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Decode with SetMaxSize(16) = %v, want ErrTooLarge", err)
	}
	// A reader error is returned as is.
	d = NewDecoder(iotest.ErrReader(errors.New("boom")))
	if err := d.Decode(&v); err == nil || err.Error() != "boom" {
		t.Errorf("Decode from a failing reader = %v, want boom", err)
	}
}

func TestDecoderDecodeSession(t *testing.T) {
	d := NewDecoder(iotest.HalfReader(strings.NewReader(`a|i:1;b|s:1:"x";`)))
	s, err := d.DecodeSession(FormatPHP)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("b"); !v.Equal(StringValue("x")) {
		t.Errorf(`Get("b") = %v`, v)
	}
	d = NewDecoder(strings.NewReader(`a|i:1;b|s:1:"x";`))
	d.SetMaxSize(8)
	if _, err := d.DecodeSession(FormatPHP); !errors.Is(err, ErrTooLarge) {
		t.Errorf("DecodeSession with SetMaxSize(8) = %v, want ErrTooLarge", err)
	}
}

func TestEncoder(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	v := IntValue(2)
	for _, x := range []any{IntValue(1), &v, StringValue("x")} {
		if err := e.Encode(x); err != nil {
			t.Fatal(err)
		}
	}
	if buf.String() != `i:1;i:2;s:1:"x";` {
		t.Errorf("Encoder wrote %q", buf.String())
	}
	if err := e.Encode(Value{}); !errors.Is(err, ErrUnsupportedValue) {
		t.Errorf("Encode(Value{}) = %v, want ErrUnsupportedValue", err)
	}
}

func TestRawValue(t *testing.T) {
	var r RawValue
	src := []byte(`i:1;`)
	if err := r.UnmarshalPHP(src); err != nil || string(r) != `i:1;` {
		t.Fatalf("UnmarshalPHP = %q, %v", r, err)
	}
	src[0] = 'x'
	if string(r) != `i:1;` {
		t.Errorf("UnmarshalPHP kept the caller's bytes")
	}
	if b, err := RawValue(nil).MarshalPHP(); err != nil || string(b) != `N;` {
		t.Errorf("RawValue(nil).MarshalPHP() = %q, %v", b, err)
	}
	if b, err := r.MarshalPHP(); err != nil || string(b) != `i:1;` {
		t.Errorf("MarshalPHP() = %q, %v", b, err)
	}
}

package phpsession

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

func TestDecodeValue(t *testing.T) {
	tests := []struct {
		in   string
		want Value
	}{
		{`N;`, NullValue()},
		{`b:0;`, BoolValue(false)},
		{`b:1;`, BoolValue(true)},
		{`i:0;`, IntValue(0)},
		{`i:-7;`, IntValue(-7)},
		{`i:9223372036854775807;`, IntValue(math.MaxInt64)},
		{`i:-9223372036854775808;`, IntValue(math.MinInt64)},
		{`d:0.1;`, FloatValue(0.1)},
		{`d:1;`, FloatValue(1)},
		{`d:-0;`, FloatValue(math.Copysign(0, -1))},
		{`d:1.0E+25;`, FloatValue(1e25)},
		{`d:INF;`, FloatValue(math.Inf(1))},
		{`d:-INF;`, FloatValue(math.Inf(-1))},
		{`d:1e25;`, Value{comp: scalarComp(Float), num: math.Float64bits(1e25), str: "1e25"}},
		{`d:.5;`, Value{comp: scalarComp(Float), num: math.Float64bits(0.5), str: ".5"}},
		{`d:0.10000000000000001;`, Value{comp: scalarComp(Float), num: math.Float64bits(0.1), str: "0.10000000000000001"}},
		{`s:0:"";`, StringValue("")},
		{"s:8:\"a\x00b\xff\";|\\\";", StringValue("a\x00b\xff\";|\\")},
		{`a:0:{}`, ArrayValue()},
		{`a:2:{i:0;s:1:"a";s:1:"k";N;}`, ArrayValue(Entry{IntValue(0), StringValue("a")}, Entry{StringValue("k"), NullValue()})},
		{`a:1:{s:1:"5";i:1;}`, Value{comp: &composite{kind: Array, entries: []Entry{{StringValue("5"), IntValue(1)}}}}},
		{`a:2:{i:0;i:1;i:0;i:2;}`, Value{comp: &composite{kind: Array, entries: []Entry{{IntValue(0), IntValue(1)}, {IntValue(0), IntValue(2)}}}}},
		{`O:8:"stdClass":1:{s:1:"a";i:1;}`, ObjectValue("stdClass", Entry{StringValue("a"), IntValue(1)})},
		{`O:8:"stdClass":1:{i:0;i:1;}`, ObjectValue("stdClass", Entry{IntValue(0), IntValue(1)})},
		{"O:7:\"Account\":1:{s:15:\"\x00Account\x00secret\";s:1:\"x\";}", ObjectValue("Account", Entry{StringValue("\x00Account\x00secret"), StringValue("x")})},
		{`O:3:"A\b":0:{}`, ObjectValue(`A\b`)},
		{`C:11:"LegacyToken":7:{tok=tok}`, CustomValue("LegacyToken", []byte("tok=tok"))},
		{`C:1:"C":0:{}`, CustomValue("C", nil)},
		{`E:11:"Suit:Hearts";`, EnumValue("Suit", "Hearts")},
		{`a:2:{i:0;O:8:"stdClass":0:{}i:1;r:2;}`, ListValue(ObjectValue("stdClass"), RefValue(2))},
		{`O:8:"stdClass":1:{s:4:"self";r:1;}`, ObjectValue("stdClass", Entry{StringValue("self"), RefValue(1)})},
		{`a:4:{i:0;i:1;i:1;R:2;i:2;O:8:"stdClass":0:{}i:3;r:3;}`, ListValue(IntValue(1), PHPRefValue(2), ObjectValue("stdClass"), RefValue(3))},
		{`a:1:{i:0;R:1;}`, ListValue(PHPRefValue(1))},
	}
	for _, tt := range tests {
		got, n, err := decodeValue([]byte(tt.in), limits{})
		if err != nil || n != len(tt.in) || !got.Equal(tt.want) || got.str != tt.want.str {
			t.Errorf("decodeValue(%q) = %v, %d, %v; want %v, %d, nil", tt.in, got, n, err, tt.want, len(tt.in))
			continue
		}
		if out, err := appendValue(nil, got); err != nil || string(out) != tt.in {
			t.Errorf("appendValue(decodeValue(%q)) = %q, %v", tt.in, out, err)
		}
		// Trailing bytes are not part of the value.
		if _, n, err := decodeValue([]byte(tt.in+"i:1;"), limits{}); err != nil || n != len(tt.in) {
			t.Errorf("decodeValue(%q + more) = %d, %v; want %d, nil", tt.in, n, err, len(tt.in))
		}
		if !Valid([]byte(tt.in)) || Valid([]byte(tt.in+" ")) {
			t.Errorf("Valid(%q) = %v, Valid(%q + \" \") = %v; want true, false", tt.in, Valid([]byte(tt.in)), tt.in, Valid([]byte(tt.in+" ")))
		}
	}
}

func TestDecodeValueErrors(t *testing.T) {
	tests := []struct {
		in   string
		lim  limits
		want *SyntaxError
	}{
		{``, limits{}, &SyntaxError{Offset: 0, Msg: "expected a value", Err: ErrUnexpectedEnd}},
		{`x`, limits{}, &SyntaxError{Offset: 0, Msg: "unknown value type 'x'", Err: ErrSyntax}},
		{`S:1:"\61";`, limits{}, &SyntaxError{Offset: 0, Msg: "unknown value type 'S'", Err: ErrSyntax}},
		{`N`, limits{}, &SyntaxError{Offset: 1, Msg: "expected ';' after N", Err: ErrUnexpectedEnd}},
		{`N:`, limits{}, &SyntaxError{Offset: 1, Msg: "expected ';' after N", Err: ErrSyntax}},
		{`b:2;`, limits{}, &SyntaxError{Offset: 2, Msg: "expected 0 or 1 after b:", Err: ErrSyntax}},
		{`b:01;`, limits{}, &SyntaxError{Offset: 3, Msg: "expected ';' after bool", Err: ErrSyntax}},
		{`b;`, limits{}, &SyntaxError{Offset: 1, Msg: "expected ':' after b", Err: ErrSyntax}},
		{`i:1`, limits{}, &SyntaxError{Offset: 3, Msg: "expected ';' after int", Err: ErrUnexpectedEnd}},
		{`i:;`, limits{}, &SyntaxError{Offset: 2, Msg: "invalid int", Err: ErrSyntax}},
		{`i:+5;`, limits{}, &SyntaxError{Offset: 2, Msg: "invalid int", Err: ErrSyntax}},
		{`i:05;`, limits{}, &SyntaxError{Offset: 2, Msg: "non-canonical or out-of-range int", Err: ErrSyntax}},
		{`i:-0;`, limits{}, &SyntaxError{Offset: 2, Msg: "non-canonical or out-of-range int", Err: ErrSyntax}},
		{`i:9223372036854775808;`, limits{}, &SyntaxError{Offset: 2, Msg: "non-canonical or out-of-range int", Err: ErrSyntax}},
		{`i:-9223372036854775809;`, limits{}, &SyntaxError{Offset: 2, Msg: "non-canonical or out-of-range int", Err: ErrSyntax}},
		{`i:9999999999999999999;`, limits{}, &SyntaxError{Offset: 2, Msg: "non-canonical or out-of-range int", Err: ErrSyntax}},
		{`i:18446744073709551617;`, limits{}, &SyntaxError{Offset: 2, Msg: "non-canonical or out-of-range int", Err: ErrSyntax}},
		{`i:-09223372036854775808;`, limits{}, &SyntaxError{Offset: 2, Msg: "non-canonical or out-of-range int", Err: ErrSyntax}},
		{`i:1-;`, limits{}, &SyntaxError{Offset: 3, Msg: "invalid int", Err: ErrSyntax}},
		{`i:1_0;`, limits{}, &SyntaxError{Offset: 3, Msg: "invalid int", Err: ErrSyntax}},
		{`d:;`, limits{}, &SyntaxError{Offset: 2, Msg: "invalid float", Err: ErrSyntax}},
		{`d:1e;`, limits{}, &SyntaxError{Offset: 2, Msg: "invalid float", Err: ErrSyntax}},
		{`d:+INF;`, limits{}, &SyntaxError{Offset: 2, Msg: "invalid float", Err: ErrSyntax}},
		{`d:NaN;`, limits{}, &SyntaxError{Offset: 2, Msg: "invalid float", Err: ErrSyntax}},
		{`d:0x10;`, limits{}, &SyntaxError{Offset: 2, Msg: "invalid float", Err: ErrSyntax}},
		{`d:1.5`, limits{}, &SyntaxError{Offset: 5, Msg: "expected ';' after float", Err: ErrUnexpectedEnd}},
		{`s:5:"abc";`, limits{}, &SyntaxError{Offset: 5, Msg: "string length 5 exceeds the 3 bytes left", Err: ErrTooLarge}},
		{`s:3:"abc"`, limits{}, &SyntaxError{Offset: 5, Msg: "string length 3 exceeds the 2 bytes left", Err: ErrTooLarge}},
		{`s:3:"abc"x`, limits{}, &SyntaxError{Offset: 9, Msg: "expected ';' after string", Err: ErrSyntax}},
		{`s:3:"abcd";`, limits{}, &SyntaxError{Offset: 8, Msg: "expected '\"' after string", Err: ErrSyntax}},
		{`s:05:"hello";`, limits{}, &SyntaxError{Offset: 2, Msg: "non-canonical string length", Err: ErrSyntax}},
		{`s:+5:"hello";`, limits{}, &SyntaxError{Offset: 2, Msg: "invalid string length", Err: ErrSyntax}},
		{`s:1234567890123456789:"";`, limits{}, &SyntaxError{Offset: 2, Msg: "string length too large", Err: ErrTooLarge}},
		{`s:3:abc;`, limits{}, &SyntaxError{Offset: 4, Msg: "expected '\"' before string", Err: ErrSyntax}},
		{`a:1000000000:{}`, limits{}, &SyntaxError{Offset: 14, Msg: "array count 1000000000 exceeds what the 1 bytes left can hold", Err: ErrTooLarge}},
		{`a:-1:{}`, limits{}, &SyntaxError{Offset: 2, Msg: "invalid array count", Err: ErrSyntax}},
		{`a:1:{i:0;i:1;`, limits{}, &SyntaxError{Offset: 13, Msg: "expected '}' after 1 array entries", Err: ErrUnexpectedEnd}},
		{`a:1:{i:0;i:1;;`, limits{}, &SyntaxError{Offset: 13, Msg: "expected '}' after 1 array entries", Err: ErrSyntax}},
		{`a:1:{N;i:1;}`, limits{}, &SyntaxError{Offset: 5, Msg: "array key must be an int or a string", Err: ErrSyntax}},
		{`a:1:{d:1;i:1;}`, limits{}, &SyntaxError{Offset: 5, Msg: "array key must be an int or a string", Err: ErrSyntax}},
		{`a:1:{i:01;i:1;}`, limits{}, &SyntaxError{Offset: 7, Msg: "non-canonical or out-of-range int key", Err: ErrSyntax}},
		{`a:2:{i:0;i:1;}`, limits{}, &SyntaxError{Offset: 5, Msg: "array count 2 exceeds what the 9 bytes left can hold", Err: ErrTooLarge}},
		{`a:1:{i:0;a:1:{i:0;a:0:{}}}`, limits{maxDepth: 2}, &SyntaxError{Offset: 18, Msg: "nesting deeper than 2", Err: ErrMaxDepth}},
		{`O:3:"a-b":0:{}`, limits{}, &SyntaxError{Offset: 2, Msg: `invalid class name "a-b"`, Err: ErrSyntax}},
		{`O:0:"":0:{}`, limits{}, &SyntaxError{Offset: 2, Msg: `invalid class name ""`, Err: ErrSyntax}},
		{`O:8:"stdClass":1:{N;N;N;N;}`, limits{}, &SyntaxError{Offset: 18, Msg: "object key must be an int or a string", Err: ErrSyntax}},
		{`O:8:"stdClass"1:{}`, limits{}, &SyntaxError{Offset: 14, Msg: "expected ':' after class name", Err: ErrSyntax}},
		{`C:1:"C":5:{abc}`, limits{}, &SyntaxError{Offset: 11, Msg: "custom payload count 5 exceeds what the 4 bytes left can hold", Err: ErrTooLarge}},
		{`C:1:"C":2:{abc}`, limits{}, &SyntaxError{Offset: 13, Msg: "expected '}' after custom payload", Err: ErrSyntax}},
		{`E:4:"Suit";`, limits{}, &SyntaxError{Offset: 2, Msg: `enum "Suit" has no ':' before its case`, Err: ErrSyntax}},
		{`E:5:"Suit:";`, limits{}, &SyntaxError{Offset: 2, Msg: `enum "Suit:" has an empty case name`, Err: ErrSyntax}},
		{`E:6:"Suit:1";`, limits{}, &SyntaxError{Offset: 2, Msg: `invalid enum case name "1"`, Err: ErrSyntax}},
		{`E:6:"Su-t:H";`, limits{}, &SyntaxError{Offset: 2, Msg: `invalid enum name "Su-t"`, Err: ErrSyntax}},
		{`r:1;`, limits{}, &SyntaxError{Offset: 2, Msg: "r: reference to slot 1, only 0 before it", Err: ErrBadReference}},
		{`r:0;`, limits{}, &SyntaxError{Offset: 2, Msg: "reference to slot 0", Err: ErrBadReference}},
		{`R:1;`, limits{}, &SyntaxError{Offset: 2, Msg: "R: reference to slot 1, only 0 before it", Err: ErrBadReference}},
		{`a:1:{i:0;r:1;}`, limits{}, &SyntaxError{Offset: 11, Msg: "r: reference to slot 1, which holds no object", Err: ErrBadReference}},
		{`a:2:{i:0;i:1;i:1;r:2;}`, limits{}, &SyntaxError{Offset: 19, Msg: "r: reference to slot 2, which holds no object", Err: ErrBadReference}},
		{`a:2:{i:0;i:1;i:1;R:3;}`, limits{}, &SyntaxError{Offset: 19, Msg: "R: reference to slot 3, only 2 before it", Err: ErrBadReference}},
		{`a:1:{i:0;R:01;}`, limits{}, &SyntaxError{Offset: 11, Msg: "non-canonical reference", Err: ErrSyntax}},
		{`s:10:"0123456789";`, limits{maxSize: 8}, &SyntaxError{Offset: 8, Msg: "value larger than the 8-byte limit", Err: ErrTooLarge}},
	}
	for _, tt := range tests {
		_, _, err := decodeValue([]byte(tt.in), tt.lim)
		var se *SyntaxError
		if !errors.As(err, &se) || !reflect.DeepEqual(se, tt.want) {
			t.Errorf("decodeValue(%q) = %#v, want %#v", tt.in, err, tt.want)
			continue
		}
		if !errors.Is(err, tt.want.Err) {
			t.Errorf("decodeValue(%q): errors.Is(%v, %v) = false", tt.in, err, tt.want.Err)
		}
		if Valid([]byte(tt.in)) && tt.lim == (limits{}) {
			t.Errorf("Valid(%q) = true", tt.in)
		}
	}
}

func TestDecodeValueLimits(t *testing.T) {
	deep := func(n int) []byte {
		return []byte(strings.Repeat("a:1:{i:0;", n) + "N;" + strings.Repeat("}", n))
	}
	if _, _, err := decodeValue(deep(defaultMaxDepth), limits{}); err != nil {
		t.Errorf("decodeValue(%d nested arrays) = %v", defaultMaxDepth, err)
	}
	if _, _, err := decodeValue(deep(defaultMaxDepth+1), limits{}); !errors.Is(err, ErrMaxDepth) {
		t.Errorf("decodeValue(%d nested arrays) = %v, want ErrMaxDepth", defaultMaxDepth+1, err)
	}
	if Valid(deep(defaultMaxDepth + 1)) {
		t.Errorf("Valid(%d nested arrays) = true", defaultMaxDepth+1)
	}
	// Huge declared sizes never allocate.
	for _, in := range []string{`a:99999999999999999:{`, `s:99999999999999999:"`, `O:8:"stdClass":999999999999:{`, `C:1:"C":99999999999:{`} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := decodeValue([]byte(in), limits{})
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("decodeValue(%q) = %v, want ErrTooLarge", in, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<16 {
			t.Errorf("decodeValue(%q) allocated %d bytes", in, n)
		}
	}
}

// TestDecodeValueLikePHP checks that decodeValue accepts exactly what PHP
// 8's unserialize() accepts, apart from the spellings this package refuses
// on purpose (see the package doc), and that what both accept encodes back
// to the input.
func TestDecodeValueLikePHP(t *testing.T) {
	testenv.PHP(t)
	inputs := []string{
		`N;`, `b:0;`, `b:1;`, `b:2;`, `i:5;`, `i:-5;`, `i:5`, `d:0.5;`, `d:1e25;`, `d:.5;`, `d:5.;`, `d:-.5e-3;`, `d:+1;`,
		`d:INF;`, `d:-INF;`, `d:NAN;`, `d:+INF;`, `d:inf;`, `d:1e;`, `d:1e+;`, `d:-;`, `d:;`, `d:0x10;`, `d:1_0;`,
		`s:3:"abc";`, `s:3:"ab";`, `s:3:"abcd";`, `s:0:"";`, `s:1:""";`, `a:0:{}`, `a:1:{i:0;i:1;}`, `a:1:{s:1:"a";N;}`,
		`a:1:{N;i:1;}`, `a:1:{d:1;i:1;}`, `a:1:{b:1;i:1;}`, `a:2:{i:0;i:1;}`, `a:1:{i:0;i:1;i:1;i:2;}`, `a:-1:{}`,
		`a:2:{i:0;i:1;i:0;i:2;}`, `a:1:{s:1:"5";i:1;}`, `O:8:"stdClass":0:{}`, `O:8:"stdClass":1:{i:0;i:1;}`,
		`O:8:"stdClass":1:{s:1:"a";r:1;}`, `O:3:"a-b":0:{}`, `O:3:"a\b":0:{}`, `O:0:"":0:{}`, `O:1:"1":0:{}`,
		`O:1:"A":0:{}`, `O:8:"stdclass":0:{}`, `O:8:"stdClass":1:{N;N;}`, `C:11:"LegacyToken":7:{tok=tok}`,
		`E:11:"Suit:Hearts";`, `E:4:"Suit";`, `E:5:"Suit:";`, `a:1:{i:0;r:1;}`, `a:1:{i:0;R:1;}`, `a:2:{i:0;i:1;i:1;r:2;}`,
		`a:2:{i:0;i:1;i:1;R:2;}`, `a:2:{i:0;i:1;i:1;R:3;}`, `a:2:{i:0;O:8:"stdClass":0:{}i:1;r:2;}`,
		`a:2:{i:0;O:8:"stdClass":0:{}i:1;r:3;}`, `a:3:{i:0;O:8:"stdClass":0:{}i:1;r:2;i:2;r:3;}`,
		`a:2:{i:0;E:11:"Suit:Hearts";i:1;r:2;}`, `a:2:{i:0;C:11:"LegacyToken":7:{tok=tok}i:1;r:2;}`,
		`a:4:{i:0;i:1;i:1;R:2;i:2;O:8:"stdClass":0:{}i:3;r:3;}`, `r:0;`, `r:1;`, `R:1;`,
		`a:2:{i:0;a:1:{i:0;i:5;}i:1;R:3;}`, `a:2:{i:0;a:1:{i:0;i:5;}i:1;R:4;}`, `a:2:{i:0;R:1;i:1;r:1;}`,
		`a:3:{i:0;O:8:"stdClass":0:{}i:1;R:2;i:2;r:2;}`, `a:2:{i:0;O:8:"stdClass":0:{}i:1;R:2;}`,
		"s:4:\"\x00\xff\"\n\";", `x`, ``, `N`,
		// PHP's unserialize_max_depth (4096) is the default depth limit.
		strings.Repeat("a:1:{i:0;", defaultMaxDepth) + "N;" + strings.Repeat("}", defaultMaxDepth),
		strings.Repeat("a:1:{i:0;", defaultMaxDepth+1) + "N;" + strings.Repeat("}", defaultMaxDepth+1),
	}
	const script = `<?php
class LegacyToken implements Serializable {
    public $t = 'tok';
    public function serialize() { return 'tok=' . $this->t; }
    public function unserialize($d) { $this->t = substr($d, 4); }
    public function __serialize(): array { return ['t' => $this->t]; }
    public function __unserialize(array $a): void { $this->t = $a['t']; }
}
enum Suit: string { case Hearts = 'H'; case Spades = 'S'; }
while (($line = fgets(STDIN)) !== false) {
    $in = base64_decode(trim($line));
    $v = @unserialize($in);
    echo ($v === false && $in !== 'b:0;') ? "0\n" : "1\n";
}`
	var stdin bytes.Buffer
	for _, in := range inputs {
		stdin.WriteString(base64.StdEncoding.EncodeToString([]byte(in)) + "\n")
	}
	out := strings.Fields(string(testenv.RunPHP(t, script, stdin.Bytes())))
	if len(out) != len(inputs) {
		t.Fatalf("php answered %d times for %d inputs", len(out), len(inputs))
	}
	// PHP accepts these; this package refuses them (package doc).
	refused := map[string]bool{`d:1_0;`: false}
	for i, in := range inputs {
		phpOK := out[i] == "1"
		v, n, err := decodeValue([]byte(in), limits{})
		goOK := err == nil
		if goOK != phpOK && !refused[in] {
			t.Errorf("decodeValue(%q) = %v, %v; php unserialize() accepts: %v", in, v, err, phpOK)
		}
		if goOK {
			if enc, err := appendValue(nil, v); err != nil || string(enc) != in[:n] {
				t.Errorf("appendValue(decodeValue(%q)) = %q, %v", in, enc, err)
			}
		}
	}
}

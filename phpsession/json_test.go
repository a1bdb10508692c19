package phpsession_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/vectors"
	"github.com/sessbridge/sessbridge/phpsession"
)

func TestValueJSON(t *testing.T) {
	ps := phpsession.StringValue
	account := phpsession.ObjectValue("Account",
		phpsession.Entry{Key: ps("login"), Value: ps("lone")},
		phpsession.Entry{Key: ps("\x00*\x00role"), Value: ps("admin")},
		phpsession.Entry{Key: ps("\x00Account\x00secret"), Value: ps("s\x00x")},
	)
	tests := []struct {
		name string
		v    phpsession.Value
		json string
	}{
		{"zero", phpsession.Value{}, `null`},
		{"null", phpsession.NullValue(), `{"N":null}`},
		{"true", phpsession.BoolValue(true), `{"b":true}`},
		{"false", phpsession.BoolValue(false), `{"b":false}`},
		{"int", phpsession.IntValue(42), `{"i":42}`},
		{"max int", phpsession.IntValue(math.MaxInt64), `{"i":9223372036854775807}`},
		{"min int", phpsession.IntValue(math.MinInt64), `{"i":-9223372036854775808}`},
		{"2^53+1", phpsession.IntValue(1<<53 + 1), `{"i":9007199254740993}`},
		{"float", phpsession.FloatValue(0.1), `{"d":"0.1"}`},
		{"float one", phpsession.FloatValue(1), `{"d":"1"}`},
		{"float exp", phpsession.FloatValue(1e25), `{"d":"1.0E+25"}`},
		{"float tiny", phpsession.FloatValue(1.5e-7), `{"d":"1.5E-7"}`},
		{"minus zero", phpsession.FloatValue(math.Copysign(0, -1)), `{"d":"-0"}`},
		{"inf", phpsession.FloatValue(math.Inf(1)), `{"d":"INF"}`},
		{"-inf", phpsession.FloatValue(math.Inf(-1)), `{"d":"-INF"}`},
		{"nan", phpsession.FloatValue(math.Float64frombits(0x7ff8000000000000)), `{"d":"NAN"}`}, // PHP's NAN
		{"go nan", phpsession.FloatValue(math.NaN()), `{"d":"NAN","bits":"7ff8000000000001"}`},
		{"nan bits", phpsession.FloatValue(math.Float64frombits(0xfff3dbbd351552a0)), `{"d":"NAN","bits":"fff3dbbd351552a0"}`},
		{"string", ps("Princess Vespa — ß ✓"), `{"s":"Princess Vespa — ß ✓"}`},
		{"string escapes", ps("a\"b\\c\n\x00\x1f<&>\u2028"), `{"s":"a\"b\\c\n\u0000\u001f<&>\u2028"}`},
		{"empty string", ps(""), `{"s":""}`},
		{"binary string", ps("a\x00b\xff\"';|"), `{"s64":"YQBi/yInO3w="}`},
		{"list", phpsession.ListValue(ps("admin"), ps("user")), `{"a":[[0,{"s":"admin"}],[1,{"s":"user"}]]}`},
		{"keys", phpsession.ArrayValue(
			phpsession.Entry{Key: phpsession.IntValue(-3), Value: ps("b")},
			phpsession.Entry{Key: ps("07"), Value: ps("c")},
			phpsession.Entry{Key: ps("8"), Value: ps("d")},
			phpsession.Entry{Key: ps("caf\xe9"), Value: phpsession.NullValue()},
			phpsession.Entry{Key: ps("b64:x"), Value: phpsession.NullValue()},
			phpsession.Entry{Key: ps(""), Value: phpsession.NullValue()},
		), `{"a":[[-3,{"s":"b"}],["07",{"s":"c"}],[8,{"s":"d"}],["b64:Y2Fm6Q==",{"N":null}],["b64:YjY0Ong=",{"N":null}],["",{"N":null}]]}`},
		{"empty array", phpsession.ArrayValue(), `{"a":[]}`},
		{"object", account, `{"O":"Account","p":[["login",{"s":"lone"}],["\u0000*\u0000role",{"s":"admin"}],["\u0000Account\u0000secret",{"s":"s\u0000x"}]]}`},
		{"empty object", phpsession.ObjectValue("stdClass"), `{"O":"stdClass","p":[]}`},
		{"custom", phpsession.CustomValue("LegacyToken", []byte("tok=tok")), `{"C":"LegacyToken","data":"tok=tok"}`},
		{"custom binary", phpsession.CustomValue("X", []byte{0xff}), `{"C":"X","data64":"/w=="}`},
		{"enum", phpsession.EnumValue("Suit", "Hearts"), `{"E":"Suit:Hearts"}`},
		{"ref", phpsession.RefValue(3), `{"r":3}`},
		{"phpref", phpsession.PHPRefValue(5), `{"R":5}`},
		{"nested", phpsession.ListValue(phpsession.ListValue(phpsession.ListValue())), `{"a":[[0,{"a":[[0,{"a":[]}]]}]]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.v.MarshalJSON()
			if err != nil || string(got) != tt.json {
				t.Fatalf("MarshalJSON() = %s, %v, want %s", got, err, tt.json)
			}
			if !json.Valid(got) {
				t.Fatalf("MarshalJSON() = %s: not valid JSON", got)
			}
			var back phpsession.Value
			if err := back.UnmarshalJSON(got); err != nil {
				t.Fatalf("UnmarshalJSON(%s): %v", got, err)
			}
			if !back.Equal(tt.v) {
				t.Errorf("UnmarshalJSON(%s) = %#v, want %#v", got, back, tt.v)
			}
			again, err := back.MarshalJSON()
			if err != nil || string(again) != tt.json {
				t.Errorf("MarshalJSON(UnmarshalJSON(%s)) = %s, %v", got, again, err)
			}
			// Through encoding/json, inside another document.
			wrapped, err := json.Marshal(map[string]phpsession.Value{"v": tt.v})
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			var m map[string]phpsession.Value
			if err := json.Unmarshal(wrapped, &m); err != nil {
				t.Fatalf("json.Unmarshal(%s): %v", wrapped, err)
			}
			if again, _ := m["v"].MarshalJSON(); string(again) != tt.json {
				t.Errorf("json round trip of %s = %s", tt.json, again)
			}
		})
	}
}

func TestValueJSONInput(t *testing.T) {
	// What a reader accepts besides what MarshalJSON writes.
	tests := []struct {
		name, in, want string // want: MarshalJSON of the result
	}{
		{"spaces and key order", ` { "p" : [ ] , "O" : "stdClass" } `, `{"O":"stdClass","p":[]}`},
		{"float as number", `{"d":0.5}`, `{"d":"0.5"}`},
		{"float number exp", `{"d":1e25}`, `{"d":"1.0E+25"}`},
		{"float huge number", `{"d":1e400}`, `{"d":"INF"}`},
		{"float text kept", `{"d":"0.10000000000000001"}`, `{"d":"0.10000000000000001"}`},
		{"float text 1.0", `{"d":"1.0"}`, `{"d":"1.0"}`},
		{"string key kept", `{"a":[["5",{"N":null}]]}`, `{"a":[["5",{"N":null}]]}`},
		{"int property", `{"O":"stdClass","p":[[5,{"N":null}]]}`, `{"O":"stdClass","p":[[5,{"N":null}]]}`},
		{"custom key order", `{"data":"x","C":"Y"}`, `{"C":"Y","data":"x"}`},
		{"escaped name", `{"a":[["\u0062\u0036\u0034:YQ==",{"N":null}]]}`, `{"a":[["a",{"N":null}]]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v phpsession.Value
			if err := v.UnmarshalJSON([]byte(tt.in)); err != nil {
				t.Fatalf("UnmarshalJSON(%s): %v", tt.in, err)
			}
			if got, err := v.MarshalJSON(); err != nil || string(got) != tt.want {
				t.Errorf("UnmarshalJSON(%s) then MarshalJSON() = %s, %v, want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestValueJSONErrors(t *testing.T) {
	deep := strings.Repeat(`{"a":[[0,`, 4097) + `{"N":null}` + strings.Repeat(`]]}`, 4097)
	tests := []struct {
		name, in string
		want     *phpsession.SyntaxError // Msg checked by prefix
	}{
		{"empty", ``, &phpsession.SyntaxError{Offset: 0, Msg: "JSON form: unexpected end of input", Err: phpsession.ErrUnexpectedEnd}},
		{"not an object", `[1]`, &phpsession.SyntaxError{Offset: 0, Msg: `JSON form: want "{", got "["`, Err: phpsession.ErrSyntax}},
		{"no kind", `{}`, &phpsession.SyntaxError{Offset: 1, Msg: `JSON form: object without a kind key`, Err: phpsession.ErrSyntax}},
		{"two kinds", `{"i":1,"b":true}`, &phpsession.SyntaxError{Offset: 7, Msg: `JSON form: kind keys "i" and "b" in one value`, Err: phpsession.ErrSyntax}},
		{"unknown kind", `{"x":1}`, &phpsession.SyntaxError{Offset: 1, Msg: `JSON form: unknown kind key "x"`, Err: phpsession.ErrSyntax}},
		{"int as string", `{"i":"42"}`, &phpsession.SyntaxError{Offset: 5, Msg: `JSON form: "i": want an integer, got string "42"`, Err: phpsession.ErrSyntax}},
		{"int overflow", `{"i":9223372036854775808}`, &phpsession.SyntaxError{Offset: 5, Msg: `JSON form: "i": want an integer that fits 64 bits`, Err: phpsession.ErrSyntax}},
		{"int fraction", `{"i":1.5}`, &phpsession.SyntaxError{Offset: 5, Msg: `JSON form: "i": want an integer that fits 64 bits`, Err: phpsession.ErrSyntax}},
		{"bad float text", `{"d":"1,5"}`, &phpsession.SyntaxError{Offset: 5, Msg: `JSON form: "d": "1,5" is not a float as PHP writes it`, Err: phpsession.ErrSyntax}},
		{"float text injection", `{"d":"1;i:5"}`, &phpsession.SyntaxError{Offset: 5, Msg: `JSON form: "d": "1;i:5" is not a float`, Err: phpsession.ErrSyntax}},
		{"bad base64", `{"s64":"!!"}`, &phpsession.SyntaxError{Offset: 7, Msg: `JSON form: "s64": bad base64`, Err: phpsession.ErrSyntax}},
		{"bad b64 name", `{"a":[["b64:!",{"N":null}]]}`, &phpsession.SyntaxError{Offset: 7, Msg: `JSON form: array key: bad base64`, Err: phpsession.ErrSyntax}},
		{"nested null", `{"a":[[0,null]]}`, &phpsession.SyntaxError{Offset: 9, Msg: `JSON form: want "{", got null`, Err: phpsession.ErrSyntax}},
		{"bool key", `{"a":[[true,{"N":null}]]}`, &phpsession.SyntaxError{Offset: 7, Msg: `JSON form: array key: want an integer or a string`, Err: phpsession.ErrSyntax}},
		{"object without p", `{"O":"X"}`, &phpsession.SyntaxError{Offset: 8, Msg: `JSON form: "p" goes with "O" only`, Err: phpsession.ErrSyntax}},
		{"p without O", `{"a":[],"p":[]}`, &phpsession.SyntaxError{Offset: 14, Msg: `JSON form: "p" goes with "O" only`, Err: phpsession.ErrSyntax}},
		{"custom without data", `{"C":"X"}`, &phpsession.SyntaxError{Offset: 8, Msg: `JSON form: "data" or "data64" goes with "C" only`, Err: phpsession.ErrSyntax}},
		{"enum without case", `{"E":"Suit"}`, &phpsession.SyntaxError{Offset: 5, Msg: `JSON form: "E": want "Enum:Case"`, Err: phpsession.ErrSyntax}},
		{"bits not nan", `{"d":"1","bits":"7ff8000000000001"}`, &phpsession.SyntaxError{Offset: 34, Msg: `JSON form: "bits" goes with a NaN "d" only`, Err: phpsession.ErrSyntax}},
		{"bits of no nan", `{"d":"NAN","bits":"3ff0000000000000"}`, &phpsession.SyntaxError{Offset: 18, Msg: `JSON form: "bits": want the 16 hex digits of a NaN`, Err: phpsession.ErrSyntax}},
		{"slot zero", `{"r":0}`, &phpsession.SyntaxError{Offset: 5, Msg: `JSON form: "r": slot 0 out of range`, Err: phpsession.ErrSyntax}},
		{"trailing", `{"N":null} x`, &phpsession.SyntaxError{Offset: 11, Msg: `JSON form: invalid character 'x'`, Err: phpsession.ErrSyntax}},
		{"second value", `{"N":null} {"N":null}`, &phpsession.SyntaxError{Offset: 11, Msg: `JSON form: unexpected data after the value`, Err: phpsession.ErrSyntax}},
		{"bad json", `{"N":nul}`, &phpsession.SyntaxError{Offset: 5, Msg: `JSON form: invalid character`, Err: phpsession.ErrSyntax}},
		{"too deep", deep, &phpsession.SyntaxError{Offset: 4096*9 + 5, Msg: `JSON form: more than 4096 nested arrays and objects`, Err: phpsession.ErrMaxDepth}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v phpsession.Value
			err := v.UnmarshalJSON([]byte(tt.in))
			var se *phpsession.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("UnmarshalJSON(%.40s) = %v, want %v", tt.in, err, tt.want)
			}
			if se.Offset != tt.want.Offset || !strings.HasPrefix(se.Msg, tt.want.Msg) || !errors.Is(err, tt.want.Err) {
				t.Errorf("UnmarshalJSON(%.40s) = %#v, want %#v", tt.in, se, tt.want)
			}
			if v.IsValid() {
				t.Errorf("UnmarshalJSON(%.40s) changed the Value on error", tt.in)
			}
		})
	}
}

func TestValueJSONCycle(t *testing.T) {
	a := phpsession.ArrayValue()
	a.Set(phpsession.IntValue(0), a) // the array now contains itself
	if _, err := a.MarshalJSON(); !errors.Is(err, phpsession.ErrUnsupportedValue) {
		t.Errorf("MarshalJSON(self-containing array) = %v, want ErrUnsupportedValue", err)
	}
	bad := phpsession.ListValue(phpsession.Value{})
	if _, err := bad.MarshalJSON(); !errors.Is(err, phpsession.ErrUnsupportedValue) {
		t.Errorf("MarshalJSON(array holding the zero Value) = %v, want ErrUnsupportedValue", err)
	}
}

func TestSessionJSON(t *testing.T) {
	tests := []struct {
		name    string
		format  phpsession.Format
		payload string
		json    string
	}{
		{"php", phpsession.FormatPHP, `user|s:3:"bob";n|i:42;`, `{"format":"php","entries":[["user",{"s":"bob"}],["n",{"i":42}]]}`},
		{"php refs", phpsession.FormatPHP, `o1|O:8:"stdClass":0:{}o2|r:1;`, `{"format":"php","entries":[["o1",{"O":"stdClass","p":[]}],["o2",{"r":1}]]}`},
		{"php odd names", phpsession.FormatPHP, "we;ird\"k|N;|i:1;caf\xe9|N;", `{"format":"php","entries":[["we;ird\"k",{"N":null}],["",{"i":1}],["b64:Y2Fm6Q==",{"N":null}]]}`},
		{"php empty", phpsession.FormatPHP, ``, `{"format":"php","entries":[]}`},
		{"php_serialize", phpsession.FormatPHPSerialize, `a:2:{i:7;O:8:"stdClass":0:{}s:3:"x|y";r:2;}`, `{"format":"php_serialize","entries":[["7",{"O":"stdClass","p":[]}],["x|y",{"r":2}]]}`},
		{"php_serialize empty", phpsession.FormatPHPSerialize, `a:0:{}`, `{"format":"php_serialize","entries":[]}`},
		{"php_binary", phpsession.FormatPHPBinary, "\x04users:3:\"bob\";", `{"format":"php_binary","entries":[["user",{"s":"bob"}]]}`},
		{"igbinary", phpsession.FormatIgbinary, "\x00\x00\x00\x02\x14\x01\x11\x04user\x11\x03bob", `{"format":"igbinary","entries":[["user",{"s":"bob"}]]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := phpsession.DecodeSession([]byte(tt.payload), tt.format)
			if err != nil {
				t.Fatalf("DecodeSession(%q): %v", tt.payload, err)
			}
			got, err := s.MarshalJSON()
			if err != nil || string(got) != tt.json {
				t.Fatalf("MarshalJSON() = %s, %v, want %s", got, err, tt.json)
			}
			var back phpsession.Session
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("json.Unmarshal(%s): %v", got, err)
			}
			if enc, err := back.Encode(); err != nil || string(enc) != tt.payload {
				t.Errorf("Encode(UnmarshalJSON(%s)) = %q, %v, want %q", got, enc, err, tt.payload)
			}
		})
	}
}

func TestSessionJSONErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error // sentinel
		msg      string
	}{
		{"no format", `{"entries":[]}`, phpsession.ErrSyntax, `no "format"`},
		{"unknown format", `{"format":"msgpack","entries":[]}`, phpsession.ErrSyntax, `unknown session format "msgpack"`},
		{"unknown key", `{"format":"php","x":1}`, phpsession.ErrSyntax, `unexpected key "x"`},
		{"duplicate name", `{"format":"php","entries":[["a",{"N":null}],["a",{"N":null}]]}`, phpsession.ErrSyntax, `entry name "a" given twice`},
		{"pipe in php", `{"format":"php","entries":[["a|b",{"N":null}]]}`, phpsession.ErrUnstorableKey, `contains '|'`},
		{"numeric in php", `{"format":"php","entries":[[7,{"N":null}]]}`, phpsession.ErrUnstorableKey, `numeric`},
		{"long in php_binary", `{"format":"php_binary","entries":[["` + strings.Repeat("k", 128) + `",{"N":null}]]}`, phpsession.ErrUnstorableKey, `longer than 127`},
		{"dangling ref", `{"format":"php","entries":[["a",{"r":2}]]}`, phpsession.ErrBadReference, ``},
		{"bad value", `{"format":"php","entries":[["a",{"i":true}]]}`, phpsession.ErrSyntax, `"i": want an integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := phpsession.NewSession(phpsession.FormatPHP)
			s.Set("keep", phpsession.IntValue(1))
			err := s.UnmarshalJSON([]byte(tt.in))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("UnmarshalJSON(%s) = %v, want %v containing %q", tt.in, err, tt.want, tt.msg)
			}
			if names := s.Names(); len(names) != 1 || names[0] != "keep" {
				t.Errorf("UnmarshalJSON changed the session on error: names %q", names)
			}
		})
	}
	var ke *phpsession.KeyError
	s := new(phpsession.Session)
	if err := s.UnmarshalJSON([]byte(`{"format":"php","entries":[["a|b",{"N":null}]]}`)); !errors.As(err, &ke) || ke.Key != "a|b" || ke.Format != phpsession.FormatPHP {
		t.Errorf("UnmarshalJSON(a|b) = %#v, want a *KeyError for key a|b in php", err)
	}
}

// TestSessionJSONVectors checks, for every payload a real Phalcon wrote,
// that decode → JSON → encode gives back the exact bytes, through
// encoding/json too.
func TestSessionJSONVectors(t *testing.T) {
	for _, v := range vectors.MustLoad(t) {
		t.Run(v.Scenario+"/"+v.Adapter+"/"+v.Handler, func(t *testing.T) {
			f, err := phpsession.ParseFormat(v.Handler)
			if err != nil {
				t.Fatal(err)
			}
			s, err := phpsession.DecodeSession(v.Payload, f)
			if err != nil {
				t.Fatalf("DecodeSession: %v", err)
			}
			doc, err := json.Marshal(s)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			var back phpsession.Session
			if err := json.Unmarshal(doc, &back); err != nil {
				t.Fatalf("json.Unmarshal(%s): %v", doc, err)
			}
			got, err := back.Encode()
			if err != nil || !bytes.Equal(got, v.Payload) {
				t.Fatalf("decode → JSON → encode = %q, %v\nwant %q\nJSON %s", got, err, v.Payload, doc)
			}
			doc2, err := json.Marshal(&back)
			if err != nil || !bytes.Equal(doc, doc2) {
				t.Errorf("JSON → session → JSON = %s, %v, want %s", doc2, err, doc)
			}
		})
	}
}

func FuzzValueJSON(f *testing.F) {
	for _, s := range []string{`{"N":null}`, `{"a":[[0,{"d":"1.0E+25"}],["b64:YQ==",{"s64":"/w=="}]]}`,
		`{"O":"A","p":[["\u0000*\u0000r",{"r":1}]]}`, `{"C":"X","data":"y"}`, `{"E":"S:H"}`, `{"R":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v phpsession.Value
		if err := v.UnmarshalJSON(data); err != nil {
			return
		}
		out, err := v.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON after UnmarshalJSON(%q): %v", data, err)
		}
		var w phpsession.Value
		if err := w.UnmarshalJSON(out); err != nil {
			t.Fatalf("UnmarshalJSON(MarshalJSON()) = %v for %s", err, out)
		}
		if out2, _ := w.MarshalJSON(); !bytes.Equal(out, out2) {
			t.Fatalf("JSON not stable: %s then %s", out, out2)
		}
	})
}

// TestValueJSONRandom: random Values (those of the PHP differential tests)
// go to JSON and back unchanged, and their JSON goes to a Value and back
// unchanged.
func TestValueJSONRandom(t *testing.T) {
	seed := seedFor(t)
	r := rand.New(rand.NewPCG(seed, 0x150))
	for i := range 2000 {
		g := &valueGen{r: r, refs: i%2 == 1}
		v := g.value(0)
		doc, err := v.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON(%#v): %v", v, err)
		}
		var back phpsession.Value
		if err := back.UnmarshalJSON(doc); err != nil {
			t.Fatalf("UnmarshalJSON(%s): %v", doc, err)
		}
		if !back.Equal(v) {
			t.Fatalf("UnmarshalJSON(MarshalJSON(v)) differs from v for %s", doc)
		}
		if again, _ := back.MarshalJSON(); !bytes.Equal(again, doc) {
			t.Fatalf("JSON → Value → JSON = %s, want %s", again, doc)
		}
	}
}

// BenchmarkSessionJSON measures the JSON form of the Phalcon vectors: the
// bytes are those of the payloads.
func BenchmarkSessionJSON(b *testing.B) {
	type doc struct {
		s    *phpsession.Session
		json []byte
	}
	var docs []doc
	size := 0
	for _, v := range vectors.MustLoad(b) {
		f, _ := phpsession.ParseFormat(v.Handler)
		s, err := phpsession.DecodeSession(v.Payload, f)
		if err != nil {
			b.Fatal(err)
		}
		j, err := s.MarshalJSON()
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, doc{s, j})
		size += len(v.Payload)
	}
	b.Run("Marshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			for _, d := range docs {
				if _, err := d.s.MarshalJSON(); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			for _, d := range docs {
				var s phpsession.Session
				if err := s.UnmarshalJSON(d.json); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// FuzzSessionJSON: whatever payload decodes has a JSON document that reads
// back to a session with the same document, and whose payload decodes to it
// again. (The payload itself may differ only where PHP would write it
// differently: a repeated name, a php_binary length byte with its 0x80 bit.)
// A name PHP reads but cannot write (a numeric php name) is refused.
func FuzzSessionJSON(f *testing.F) {
	for _, v := range vectors.MustLoad(f) {
		fm, _ := phpsession.ParseFormat(v.Handler)
		f.Add(v.Payload, uint8(fm))
	}
	f.Fuzz(func(t *testing.T, payload []byte, format uint8) {
		fm := phpsession.Format(format % 4)
		s, err := phpsession.DecodeSession(payload, fm)
		if err != nil {
			return
		}
		doc, err := s.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON of %s %q: %v", fm, payload, err)
		}
		var back phpsession.Session
		if err := back.UnmarshalJSON(doc); errors.Is(err, phpsession.ErrUnstorableKey) {
			return // a name PHP reads but never writes ("0|b:0;"): refused
		} else if errors.Is(err, phpsession.ErrBadReference) {
			// A repeated name: the document has the last value, and its
			// references may point into the entries PHP dropped
			// ("|O:1:\"A\":0:{}|r:1;"). Without repeated names the
			// document's slots are the payload's.
			return
		} else if err != nil {
			t.Fatalf("UnmarshalJSON(%s) of %s %q: %v", doc, fm, payload, err)
		}
		doc2, err := back.MarshalJSON()
		if err != nil || !bytes.Equal(doc, doc2) {
			t.Fatalf("JSON → session → JSON = %s, %v, want %s", doc2, err, doc)
		}
		enc, err := back.Encode()
		if err != nil {
			t.Fatalf("Encode(UnmarshalJSON(%s)): %v", doc, err)
		}
		again, err := phpsession.DecodeSession(enc, fm)
		if err != nil {
			t.Fatalf("DecodeSession(%q) of the re-encoded %s %q: %v", enc, fm, payload, err)
		}
		if doc3, _ := again.MarshalJSON(); !bytes.Equal(doc, doc3) {
			t.Fatalf("payload → JSON → payload → JSON = %s, want %s", doc3, doc)
		}
	})
}

func ExampleValue_MarshalJSON() {
	v := phpsession.ArrayValue(
		phpsession.Entry{Key: phpsession.StringValue("id"), Value: phpsession.IntValue(9007199254740993)},
		phpsession.Entry{Key: phpsession.StringValue("ratio"), Value: phpsession.FloatValue(1e25)},
		phpsession.Entry{Key: phpsession.IntValue(7), Value: phpsession.StringValue("\xff\x00")},
	)
	doc, err := json.Marshal(v)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(doc))
	// Output:
	// {"a":[["id",{"i":9007199254740993}],["ratio",{"d":"1.0E+25"}],[7,{"s64":"/wA="}]]}
}

func ExampleSession_UnmarshalJSON() {
	doc := `{"format":"php","entries":[
		["o1",{"O":"stdClass","p":[["n",{"i":1}]]}],
		["o2",{"r":1}]
	]}`
	var s phpsession.Session
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		log.Fatal(err)
	}
	payload, err := s.Encode()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(payload))

	err = json.Unmarshal([]byte(`{"format":"php","entries":[["a|b",{"N":null}]]}`), &s)
	fmt.Println(errors.Is(err, phpsession.ErrUnstorableKey), err)
	// Output:
	// o1|O:8:"stdClass":1:{s:1:"n";i:1;}o2|r:1;
	// true phpsession: key "a|b" cannot be stored in php format: contains '|'
}

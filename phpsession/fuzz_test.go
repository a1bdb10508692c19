package phpsession

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeValue checks that decodeValue never panics, that what it
// accepts encodes back to exactly the bytes it took, and that Valid agrees.
func FuzzDecodeValue(f *testing.F) {
	for _, s := range []string{`N;`, `b:1;`, `i:-7;`, `d:0.1;`, `d:1e25;`, `s:3:"a|b";`, `a:1:{i:0;a:0:{}}`,
		`O:8:"stdClass":1:{s:1:"a";r:1;}`, `C:1:"C":3:{abc}`, `E:11:"Suit:Hearts";`,
		`a:4:{i:0;i:1;i:1;R:2;i:2;O:8:"stdClass":0:{}i:3;r:3;}`,
		`a:3:{i:0;C:1:"T":22:{a:2:{i:0;i:1;i:1;i:2;}}i:1;O:8:"stdClass":0:{}i:2;r:6;}`,
		`a:2:{i:0;C:1:"T":27:{C:1:"T":14:{a:1:{i:0;i:1;}}}i:1;R:5;}`,
		`a:2:{i:0;a:1:{s:1:"k";O:1:"A":1:{s:1:"p";d:0.5;}}i:1;a:1:{i:0;a:0:{}}}`} {
		f.Add([]byte(s))
	}
	vs, fs := serializeVectors(f)
	for i, v := range vs {
		if fs[i] == FormatPHPSerialize {
			f.Add(v.Payload)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The builder reads what the parser accepts to the same end (and
		// below, what it builds encodes back to the same bytes).
		lim := limits{maxDepth: 64}.orDefault()
		p := parser{src: string(data), lim: lim}
		if p.value() == nil {
			b := builder{src: p.src, lim: lim}
			if b.value(); b.pos != p.pos {
				t.Fatalf("builder of %q ends at %d, the parser at %d", data, b.pos, p.pos)
			}
		}
		v, n, err := decodeValue(data, limits{maxDepth: 64})
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > int64(len(data)) {
				t.Fatalf("decodeValue(%q) = %v: not a *SyntaxError within the input", data, err)
			}
			return
		}
		out, err := appendValue(nil, v)
		if err != nil {
			t.Fatalf("appendValue(decodeValue(%q)) = %v", data, err)
		}
		if !bytes.Equal(out, data[:n]) {
			t.Fatalf("appendValue(decodeValue(%q)) = %q, want %q", data, out, data[:n])
		}
		if !Valid(data[:n]) {
			t.Fatalf("Valid(%q) = false after decodeValue accepted it", data[:n])
		}
		if w, _, err := decodeValue(out, limits{maxDepth: 64}); err != nil || !w.Equal(v) {
			t.Fatalf("decodeValue(appendValue(%v)) = %v, %v", v, w, err)
		}
	})
}

func FuzzDecodeSessionPHP(f *testing.F)          { fuzzSession(f, FormatPHP) }
func FuzzDecodeSessionPHPBinary(f *testing.F)    { fuzzSession(f, FormatPHPBinary) }
func FuzzDecodeSessionPHPSerialize(f *testing.F) { fuzzSession(f, FormatPHPSerialize) }

// fuzzSession checks, for one format, that DecodeSession never panics, that
// what it accepts encodes back to exactly the input, that every entry reads,
// and that changing the session gives a payload that decodes again, or a
// reference error.
func fuzzSession(f *testing.F, format Format) {
	vs, fs := serializeVectors(f)
	for i, v := range vs {
		if fs[i] == format {
			f.Add(v.Payload)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeSession(data, format, limits{maxDepth: 64})
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("DecodeSession(%q) = %v: not a *SyntaxError", data, err)
			}
			return
		}
		out, err := s.Encode()
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("DecodeSession(%q).Encode() = %q, %v", data, out, err)
		}
		names := s.Names()
		for _, n := range names {
			if _, ok := s.Get(n); !ok {
				t.Fatalf("DecodeSession(%q).Get(%q) found nothing", data, n)
			}
		}
		c := s.Clone()
		if err := c.Set("fuzz", ListValue(StringValue("x"), IntValue(1))); err != nil {
			t.Fatalf("Set(fuzz) = %v", err)
		}
		if len(names) > 0 {
			// Replace the first entry (moving the slots of those after it)
			// with its own value, then remove the last.
			first, _ := s.Get(names[0])
			if err := c.Set(names[0], first); err != nil && !errors.Is(err, ErrUnstorableKey) {
				t.Fatalf("Set(%q) = %v", names[0], err)
			}
			c.Remove(names[len(names)-1])
		}
		out, err = c.Encode()
		if err != nil {
			if !errors.Is(err, ErrBadReference) {
				t.Fatalf("changed session of %q: Encode() = %v", data, err)
			}
			return
		}
		d, err := decodeSession(out, format, limits{maxDepth: 64})
		if err != nil {
			t.Fatalf("changed session of %q: DecodeSession(%q) = %v", data, out, err)
		}
		if got, _ := d.Get("fuzz"); !got.Equal(ListValue(StringValue("x"), IntValue(1))) {
			t.Fatalf("changed session of %q: Get(fuzz) = %v", data, got)
		}
	})
}

// equalEncoding reports whether a and b encode to the same bytes.
func equalEncoding(a, b Value) bool {
	x, errA := appendValue(nil, a)
	y, errB := appendValue(nil, b)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

package phpsession

import (
	"bytes"
	"testing"

	"github.com/sessbridge/sessbridge/internal/vectors"
)

// FuzzDecodeIgbinary checks that decodeIgbinary never panics and that what
// it accepts encodes back to exactly the input, but for the forms PHP
// writes that the Value model cannot tell apart (decodeIgbinaryCanon names
// them): those re-encode to a canonical payload of an Equal Value.
func FuzzDecodeIgbinary(f *testing.F) {
	for _, v := range vectors.MustLoad(f) {
		if v.Handler == "igbinary" {
			f.Add(v.Payload)
		}
	}
	for _, s := range []string{
		"0000000206ff",
		"000000020c7ff8000000000000",
		"000000021402110161250605110162250101",
		"000000021403110161251708737464436c61737314001101622522011101632201",
		"000000021403060014000601010111016b0101",
		"0000000214021101781401060006011101790101",
		"0000000214040600170453756974271106486561727473060122010602",
		"00000002140206001701501402060011017811016b14010600060106010e01",
	} {
		f.Add(igMustHex(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, why, err := decodeIgbinaryCanon(data, limits{maxDepth: 64, maxSize: 1 << 20})
		if err != nil {
			return
		}
		enc, err := appendIgbinary(nil, v)
		if err != nil {
			t.Fatalf("appendIgbinary(decodeIgbinary(%x)): %v", data, err)
		}
		if why == "" {
			if !bytes.Equal(enc, data) {
				t.Fatalf("appendIgbinary(decodeIgbinary(%x)) =\n%x", data, enc)
			}
			return
		}
		again, why2, err := decodeIgbinaryCanon(enc, limits{maxDepth: 64, maxSize: 1 << 22})
		if err != nil || why2 != "" || !again.Equal(v) {
			t.Fatalf("non-canonical %x (%s) re-encodes to %x: %v, %q, equal %v", data, why, enc, err, why2, again.Equal(v))
		}
	})
}

// FuzzIgbinarySessionEncode checks that an igbinary session DecodeSession
// accepts, every value set again (igTouchAll) and, for some, one name
// removed, encodes without panicking to a payload DecodeSession accepts,
// and to the bytes of the same session materialized (the general way,
// which renumbers every reference): the encoder writes the values as they
// are only where that gives the same bytes.
func FuzzIgbinarySessionEncode(f *testing.F) {
	for _, v := range vectors.MustLoad(f) {
		if v.Handler == "igbinary" {
			for remove := range uint8(4) {
				f.Add(v.Payload, remove)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, remove uint8) {
		s, err := DecodeSession(data, FormatIgbinary)
		if err != nil {
			return
		}
		igTouchAll(t, s)
		if names := s.Names(); remove > 0 && len(names) > 0 {
			s.Remove(names[int(remove)%len(names)])
		}
		enc, err := s.Encode()
		if err == nil {
			if _, err := DecodeSession(enc, FormatIgbinary); err != nil {
				t.Fatalf("DecodeSession(Encode()) of %x: %v\n%x", data, err, enc)
			}
		}
		vals, merr := s.materialize()
		if merr != nil {
			return
		}
		mat, merr := appendIgbinarySession(nil, s, vals)
		if merr != nil {
			return
		}
		if err != nil || !bytes.Equal(enc, mat) {
			t.Fatalf("session %x: Encode() =\n%x, %v\nmaterialized:\n%x", data, enc, err, mat)
		}
	})
}

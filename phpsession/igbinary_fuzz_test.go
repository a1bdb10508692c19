package phpsession

import (
	"bytes"
	"testing"

	"github.com/sessbridge/sessbridge/internal/vectors"
)

// FuzzDecodeIgbinary checks that DecodeSession never panics on an igbinary
// payload, and that a session it accepts, encoded again from its values
// (igReencode), decodes to the same names and Values and encodes again to
// the same bytes. It cannot check that those are the input's bytes: the
// forms PHP writes that the Value model cannot tell apart (see
// decodeIgbinarySession) come back otherwise, and the decoder no longer
// says which inputs are in them. The PHP differentials check that instead,
// on what PHP writes: TestIgbinaryFromPHP (where igGenPHP made none of
// those forms), TestIgbinaryShapes, TestIgbinaryVectors and
// TestIgbinarySessionEncodePHP.
//
// The seeds are sessions ['v' => V] (see igWrap) of values V that need
// care.
func FuzzDecodeIgbinary(f *testing.F) {
	for _, v := range vectors.MustLoad(f) {
		if v.Handler == "igbinary" {
			f.Add(v.Payload)
		}
	}
	for _, s := range []string{
		"06ff",
		"0c7ff8000000000000",
		"1402 110161 250605 110162 250102",
		"1403 110161 25 1708737464436c61737314 00 110162 252202 110163 2202",
		"1403 0600 1400 0601 0102 11016b 0102",
		"1402 110178 1401 0600 0601 110179 0102",
		"1404 0600 1704 53756974 27 1106 486561727473 0601 2202 0602",
		"1402 0600 170150 1402 0600 110178 11016b 1401 0600 0601 0601 0e02",
	} {
		f.Add(igV(s))
	}
	lim := limits{maxDepth: 64, maxSize: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeSession(data, FormatIgbinary, lim)
		if err != nil {
			return
		}
		enc, err := igReencode(t, data)
		if err != nil {
			t.Fatalf("encoding DecodeSession(%x) again: %v", data, err)
		}
		again, err := decodeSession(enc, FormatIgbinary, limits{maxDepth: 64, maxSize: 1 << 22})
		if err != nil || !igWhole(again).Equal(igWhole(s)) {
			t.Fatalf("%x re-encodes to %x: %v, equal %v", data, enc, err, err == nil && igWhole(again).Equal(igWhole(s)))
		}
		if enc2, err := igReencode(t, enc); err != nil || !bytes.Equal(enc2, enc) {
			t.Fatalf("%x re-encodes to\n%x, which re-encodes to\n%x, %v", data, enc, enc2, err)
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

package manager

import (
	"strings"
	"testing"
)

func TestBinToReadable(t *testing.T) {
	// Worked by hand from PHP's bin_to_readable: bits are taken from the
	// least significant end of each byte first, and a byte's leftover bits
	// are the low bits of the next character.
	tests := []struct {
		name string
		in   []byte
		n    int
		bits int
		want string
	}{
		{"4 bits low nibble first", []byte{0x12, 0x34}, 4, 4, "2143"},
		{"4 bits all ones", []byte{0xff}, 2, 4, "ff"},
		{"5 bits", []byte{0xff, 0x00}, 3, 5, "v70"},       // 11111 | 111+00 | 00000
		{"5 bits carry", []byte{0x21, 0x84}, 3, 5, "111"}, // 00001; 001 + low 2 bits of 0x84 (00); then 0x84>>2&31 = 1
		{"6 bits", []byte{0xff, 0xff, 0xff}, 4, 6, "----"},
		{"6 bits comma", []byte{0x3e}, 1, 6, ","},
		{"6 bits mixed", []byte{0x00, 0x10, 0x83}, 4, 6, "00Nw"}, // 0, 0, 0x831&63=49 'N', 0x831>>6=32 'w'
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(binToReadable(nil, tt.in, tt.n, tt.bits))
			if got != tt.want {
				t.Errorf("binToReadable(% x, %d, %d) = %q, want %q", tt.in, tt.n, tt.bits, got, tt.want)
			}
		})
	}
}

// TestBinToReadableBitStream checks binToReadable against a second
// formulation of PHP's algorithm: the input is one little-endian bit stream
// (bit k is bit k%8 of byte k/8) cut into bits-wide characters, low bit first.
func TestBinToReadableBitStream(t *testing.T) {
	in := make([]byte, MaxSIDLength)
	for i := range in {
		in[i] = byte(i*167 + 13)
	}
	for bits := 4; bits <= 6; bits++ {
		n := len(in) * 8 / bits
		var want []byte
		for i := range n {
			c := 0
			for j := range bits {
				k := i*bits + j
				c |= int(in[k/8]>>(k%8)&1) << j
			}
			want = append(want, idAlphabet[c])
		}
		if got := binToReadable(nil, in, n, bits); string(got) != string(want) {
			t.Errorf("bits %d: binToReadable = %q, want %q", bits, got, want)
		}
	}
}

func TestNewIDAlphabetAndLength(t *testing.T) {
	alphabets := map[int]string{
		4: "0123456789abcdef",
		5: "0123456789abcdefghijklmnopqrstuv",
		6: idAlphabet,
	}
	for bits, alphabet := range alphabets {
		for _, length := range []int{MinSIDLength, 26, 32, MaxSIDLength} {
			seen := map[rune]bool{}
			for range 200 {
				id, err := newID(length, bits)
				if err != nil {
					t.Fatal(err)
				}
				if len(id) != length {
					t.Fatalf("newID(%d, %d) = %q: length %d", length, bits, id, len(id))
				}
				for _, c := range id {
					if !strings.ContainsRune(alphabet, c) {
						t.Fatalf("newID(%d, %d) = %q: %q not in %q", length, bits, id, c, alphabet)
					}
					seen[c] = true
				}
			}
			if length >= 32 && len(seen) != len(alphabet) {
				t.Errorf("newID(%d, %d): only %d of the %d characters seen", length, bits, len(seen), len(alphabet))
			}
		}
	}
}

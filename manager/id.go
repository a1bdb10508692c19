package manager

import (
	"crypto/rand"
	"fmt"
)

// idAlphabet is PHP's hexconvtab: the characters of a session id, indexed by
// the value of its bits.
const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,-"

// Limits PHP puts on session.sid_length and session.sid_bits_per_character.
const (
	MinSIDLength = 22  // shortest session.sid_length PHP accepts
	MaxSIDLength = 256 // longest (PS_MAX_SID_LENGTH)
)

// newID returns a fresh session id as PHP's php_session_create_id makes one:
// length bytes from the CSPRNG turned into length characters of bits bits
// each.
func newID(length, bits int) (string, error) {
	var buf [MaxSIDLength]byte
	rnd := buf[:length]
	if _, err := rand.Read(rnd); err != nil {
		return "", fmt.Errorf("manager: generating a session id: %w", err)
	}
	return string(binToReadable(make([]byte, 0, length), rnd, length, bits)), nil
}

// binToReadable appends n characters of the alphabet to dst, taking bits bits
// of in for each, least significant bits of each byte first: PHP's
// bin_to_readable. in must hold at least ceil(n*bits/8) bytes.
func binToReadable(dst, in []byte, n, bits int) []byte {
	var w uint16
	have := 0
	mask := uint16(1)<<bits - 1
	for ; n > 0; n-- {
		if have < bits {
			if len(in) == 0 {
				break
			}
			w |= uint16(in[0]) << have
			in = in[1:]
			have += 8
		}
		dst = append(dst, idAlphabet[w&mask])
		w >>= bits
		have -= bits
	}
	return dst
}

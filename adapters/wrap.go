package adapters

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrNotWrapped means a stored value is not the s:N:"...";
// serialized-string wrapper Phalcon 5's Redis and Libmemcached adapters put
// around a session payload.
var ErrNotWrapped = errors.New("value is not a serialized PHP string")

// Wrap returns the payload as PHP's serialize() writes a string:
// s:<byte length>:"<payload>"; . This is what Phalcon 5's Redis and
// Libmemcached session adapters store (their default "php" serializer).
func Wrap(payload []byte) []byte {
	return AppendWrap(make([]byte, 0, len(payload)+16), payload)
}

// AppendWrap appends [Wrap] of payload to dst and returns the extended
// buffer, for callers that reuse buffers.
func AppendWrap(dst, payload []byte) []byte {
	dst = append(dst, 's', ':')
	dst = strconv.AppendInt(dst, int64(len(payload)), 10)
	dst = append(dst, ':', '"')
	dst = append(dst, payload...)
	return append(dst, '"', ';')
}

// Unwrap returns the payload inside a value written by [Wrap] (or by PHP's
// serialize() of a string). It returns an error wrapping [ErrNotWrapped] when
// value is anything else, without copying: the result aliases value.
func Unwrap(value []byte) ([]byte, error) {
	bad := func(why string) ([]byte, error) {
		return nil, fmt.Errorf("adapters: %w: %s", ErrNotWrapped, why)
	}
	if len(value) < 7 || value[0] != 's' || value[1] != ':' {
		return bad(`does not start with s:`)
	}
	i := 2
	n := 0
	for ; i < len(value) && value[i] >= '0' && value[i] <= '9'; i++ {
		if i-2 >= 10 {
			return bad("length too long")
		}
		n = n*10 + int(value[i]-'0')
	}
	if i == 2 || (value[2] == '0' && i > 3) {
		return bad("bad length")
	}
	if i+2 > len(value) || value[i] != ':' || value[i+1] != '"' {
		return bad(`expected :" after the length`)
	}
	start := i + 2
	if len(value)-start != n+2 || value[start+n] != '"' || value[start+n+1] != ';' {
		return bad(fmt.Sprintf("declared length %d does not match the %d bytes stored", n, len(value)))
	}
	return value[start : start+n], nil
}

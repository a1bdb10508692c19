package phpsession

// Temporary stubs of the functions one part of the package provides to
// another while they are being written. Each owner deletes its stub from
// this file when it defines the real function in its own file.

import "errors"

var errNotYet = errors.New("phpsession: not implemented yet")

// limits bounds what a decoder accepts (owner: the codec core).
type limits struct {
	maxDepth int   // deepest nesting of arrays/objects; default 512? (owner decides, documents)
	maxSize  int64 // largest input accepted, in bytes
}

// decodeValue decodes one serialized value at the start of data and returns
// it with the number of bytes it took (owner: the codec core, decode.go).
func decodeValue(data []byte, lim limits) (Value, int, error) { return Value{}, 0, errNotYet }

// appendValue appends the serialized form of v to dst (owner: the codec core,
// encode.go).
func appendValue(dst []byte, v Value) ([]byte, error) { return dst, errNotYet }

// decodeIgbinary decodes a whole igbinary_serialize() output, header
// included (owner: igbinary.go).
func decodeIgbinary(data []byte, lim limits) (Value, error) { return Value{}, errNotYet }

// appendIgbinary appends igbinary_serialize(v), header included, to dst
// (owner: igbinary.go).
func appendIgbinary(dst []byte, v Value) ([]byte, error) { return dst, errNotYet }

// toValue turns a Go value into a PHP Value, as Marshal does (owner:
// marshal.go).
func toValue(v any) (Value, error) { return Value{}, errNotYet }

// fromValue stores a PHP Value into the Go value dst points to, as Unmarshal
// does (owner: unmarshal.go).
func fromValue(val Value, dst any) error { return errNotYet }

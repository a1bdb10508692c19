package phpsession

import (
	"errors"
	"fmt"
	"reflect"
)

// Sentinel errors, for errors.Is. The located errors below wrap them.
var (
	// ErrSyntax means the input is not valid PHP serialized data.
	ErrSyntax = errors.New("invalid serialized data")
	// ErrUnexpectedEnd means the input ended inside a value.
	ErrUnexpectedEnd = errors.New("unexpected end of input")
	// ErrMaxDepth means values are nested deeper than the Decoder's limit.
	ErrMaxDepth = errors.New("nesting too deep")
	// ErrTooLarge means the input, or a length or count declared in it, is
	// larger than the limit or than the bytes left.
	ErrTooLarge = errors.New("too large")
	// ErrBadReference means an r: or R: points at a slot that does not exist
	// (or not yet).
	ErrBadReference = errors.New("bad reference")
	// ErrUnknownFormat means a session format name is not one of the four.
	ErrUnknownFormat = errors.New("unknown session format")
	// ErrUnstorableKey means PHP could not store a session key in the chosen
	// format: a '|' in a php key, a name over 127 bytes in php_binary, a
	// numeric top-level key in php or php_binary.
	ErrUnstorableKey = errors.New("key cannot be stored by PHP")
	// ErrUnsupportedValue means a Go value has no PHP equivalent (a channel,
	// a function, a map with non-string, non-int keys, a cycle).
	ErrUnsupportedValue = errors.New("unsupported value")
)

// SyntaxError is a description of malformed input and where it is.
type SyntaxError struct {
	Offset int64  // byte offset in the input where the problem is
	Msg    string // what is wrong, e.g. `expected ';' after int`
	Err    error  // the sentinel: ErrSyntax, ErrUnexpectedEnd, ErrMaxDepth, ErrTooLarge or ErrBadReference
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("phpsession: %s at offset %d", e.Msg, e.Offset)
}

// Unwrap returns the sentinel error, for errors.Is.
func (e *SyntaxError) Unwrap() error { return e.Err }

// KeyError reports a session key that the format cannot store.
type KeyError struct {
	Key    string // the session key
	Format Format // the format that cannot store it
	Reason string // e.g. `contains '|'`
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("phpsession: key %q cannot be stored in %s format: %s", e.Key, e.Format, e.Reason)
}

// Unwrap returns ErrUnstorableKey.
func (e *KeyError) Unwrap() error { return ErrUnstorableKey }

// UnmarshalTypeError describes a PHP value that was not appropriate for a
// value of a specific Go type.
type UnmarshalTypeError struct {
	Value  string       // description of the PHP value: "string", "array", ...
	Type   reflect.Type // type of the Go value it could not be assigned to
	Offset int64        // byte offset of the PHP value in the input, -1 if unknown
	Field  string       // the full path from the root to the field, dot-separated
}

func (e *UnmarshalTypeError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("phpsession: cannot unmarshal PHP %s into Go struct field %s of type %s", e.Value, e.Field, e.Type)
	}
	return fmt.Sprintf("phpsession: cannot unmarshal PHP %s into Go value of type %s", e.Value, e.Type)
}

// UnsupportedValueError describes a Go value that Marshal cannot turn into
// PHP.
type UnsupportedValueError struct {
	Type reflect.Type // the Go type
	Path string       // where it is, dot-separated
	Msg  string       // why
}

func (e *UnsupportedValueError) Error() string {
	at := ""
	if e.Path != "" {
		at = " at " + e.Path
	}
	return fmt.Sprintf("phpsession: cannot marshal %s%s: %s", e.Type, at, e.Msg)
}

// Unwrap returns ErrUnsupportedValue.
func (e *UnsupportedValueError) Unwrap() error { return ErrUnsupportedValue }

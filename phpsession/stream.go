package phpsession

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// A Decoder reads PHP serialize() values, or a session payload, from an
// input stream. Make one with [NewDecoder] and a non-nil reader: the zero
// Decoder has no input, and its Decode and DecodeSession panic, as those of
// a zero json.Decoder do.
type Decoder struct {
	r   io.Reader
	buf []byte // read but not yet decoded: buf[off:]
	off int
	err error // the read error that ended the input (io.EOF at the end)
	lim limits
	pos int64 // offset of buf[0] in the stream, for error offsets
}

// NewDecoder returns a decoder that reads from r. It reads ahead of the
// value it decodes, as json.Decoder does, and keeps what it read for the
// next call.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: r, lim: limits{}.orDefault()}
}

// SetMaxDepth sets how deep arrays and objects may nest; a top-level array
// is depth 1. n <= 0 means the default, 4096 (PHP's default
// unserialize_max_depth); the most is 65536 (larger n is capped: decoding
// recurses once per level, and far deeper input would overflow the stack).
// Deeper input gives a [*SyntaxError] wrapping [ErrMaxDepth].
func (d *Decoder) SetMaxDepth(n int) {
	d.lim.maxDepth = n
	d.lim = d.lim.orDefault()
}

// SetMaxSize sets the largest value (for Decode) or session (for
// DecodeSession) the decoder reads, in bytes. n <= 0 means the default,
// 64 MiB; the most is 2 GiB - 1 (larger n is capped). Larger input gives a
// [*SyntaxError] wrapping [ErrTooLarge].
func (d *Decoder) SetMaxSize(n int64) {
	d.lim.maxSize = n
	d.lim = d.lim.orDefault()
}

// Decode reads the next serialized value from its input and stores it in the
// value pointed to by v: directly when v is a *Value, otherwise as
// [Unmarshal] does. It reads exactly one value; what follows stays for the
// next call.
//
// Decode returns io.EOF when the input ends before a value starts, a
// [*SyntaxError] for malformed or truncated input (wrapping
// [ErrUnexpectedEnd] when the input ends inside the value) and the reader's
// error when reading fails.
func (d *Decoder) Decode(v any) error {
	val, err := d.decode()
	if err != nil {
		return err
	}
	if p, ok := v.(*Value); ok {
		if p == nil {
			return errors.New("phpsession: Decode(nil *Value)")
		}
		*p = val
		return nil
	}
	return fromValue(val, v)
}

func (d *Decoder) decode() (Value, error) {
	for {
		data := d.buf[d.off:]
		if len(data) == 0 && d.err != nil {
			return Value{}, d.err
		}
		if len(data) > 0 {
			v, n, err := decodeValue(data, d.lim)
			if err == nil {
				d.off += n
				return v, nil
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				return Value{}, err
			}
			// A value cut short by the end of what was read so far, or one
			// whose declared length reaches past it: read more unless the
			// input ended or the limit is reached.
			more := (se.Err == ErrUnexpectedEnd || se.Err == ErrTooLarge) &&
				d.err == nil && int64(len(data)) <= d.lim.maxSize
			if !more {
				se.Offset += d.pos + int64(d.off)
				return Value{}, se
			}
		}
		// Read until the buffered input doubles (or ends), so that a long
		// value arriving in small reads is not rescanned for each one.
		want := max(2*len(data), 1)
		for len(d.buf)-d.off < want && d.err == nil {
			if err := d.fill(); err != nil {
				return Value{}, err
			}
		}
	}
}

// fill reads more input into buf, or sets d.err.
func (d *Decoder) fill() error {
	if d.off > 0 && d.off == len(d.buf) {
		d.pos += int64(d.off)
		d.buf, d.off = d.buf[:0], 0
	} else if d.off > len(d.buf)/2 {
		n := copy(d.buf, d.buf[d.off:])
		d.pos += int64(d.off)
		d.buf, d.off = d.buf[:n], 0
	}
	if cap(d.buf)-len(d.buf) < 512 {
		nb := make([]byte, len(d.buf), 2*cap(d.buf)+4096)
		copy(nb, d.buf)
		d.buf = nb
	}
	n, err := d.r.Read(d.buf[len(d.buf):cap(d.buf)])
	d.buf = d.buf[:len(d.buf)+n]
	if err != nil {
		d.err = err
		if err != io.EOF {
			return err
		}
	}
	return nil
}

// DecodeSession reads the rest of its input as a session payload in format
// f, as [DecodeSession] does, within the decoder's limits.
//
// It returns a [*SyntaxError] wrapping [ErrTooLarge] when the input is
// longer than the size limit, and the reader's error when reading fails.
func (d *Decoder) DecodeSession(f Format) (*Session, error) {
	for d.err == nil && int64(len(d.buf)-d.off) <= d.lim.maxSize {
		if err := d.fill(); err != nil {
			return nil, err
		}
	}
	data := d.buf[d.off:]
	if int64(len(data)) > d.lim.maxSize {
		return nil, &SyntaxError{Offset: d.pos + int64(d.off) + d.lim.maxSize, Msg: "session larger than the " + strconv.FormatInt(d.lim.maxSize, 10) + "-byte limit", Err: ErrTooLarge}
	}
	d.buf, d.off = nil, 0 // the Session keeps data
	s, err := decodeSession(data, f, d.lim)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// An Encoder writes PHP serialize() values to an output stream. Make one
// with [NewEncoder] and a non-nil writer: the zero Encoder has no output,
// and its Encode panics, as that of a zero json.Encoder does.
type Encoder struct {
	w   io.Writer
	buf []byte
}

// NewEncoder returns an encoder that writes to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Encode writes the serialize() form of v to the stream: directly when v is
// a Value or *Value, otherwise as [Marshal] does. Nothing separates
// consecutive values; PHP's grammar delimits each.
//
// Encode returns an error wrapping [ErrUnsupportedValue] for what PHP
// cannot represent, and the writer's error.
func (e *Encoder) Encode(v any) error {
	var val Value
	switch x := v.(type) {
	case Value:
		val = x
	case *Value:
		if x == nil {
			return fmt.Errorf("phpsession: Encode(nil *Value): %w", ErrUnsupportedValue)
		}
		val = *x
	default:
		var err error
		if val, err = toValue(v); err != nil {
			return err
		}
	}
	b, err := appendValue(e.buf[:0], val)
	if err != nil {
		return err
	}
	e.buf = b
	_, err = e.w.Write(b)
	return err
}

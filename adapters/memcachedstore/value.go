package memcachedstore

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// php-memcached's item flags (php_memcached.c, MEMC_VAL_*): the value type
// in bits 0-3, its own flags shifted left by 4, user flags in bits 16-31.
const (
	flagTypeMask   = 0xf
	flagCompressed = 1 << 4
	flagZlib       = 2 << 4
	flagFastLZ     = 4 << 4
	flagZstd       = 8 << 4 // php-memcached ≥ 3.3

	typeString     = 0
	typeLong       = 1
	typeDouble     = 2
	typeBool       = 3
	typeSerialized = 4
	typeIgbinary   = 5
	typeJSON       = 6
	typeMsgpack    = 7
)

var typeNames = [...]string{"string", "long", "double", "bool", "serialized", "igbinary", "json", "msgpack"}

// Compression is how the store compresses the values it writes, as
// php-memcached's memcached.compression_type does. Reading always
// understands FastLZ, zlib and zstd whatever this says.
//
// The zero value is CompressionNone.
type Compression int

// The compressions.
const (
	// CompressionNone writes every value as it is, with flags 0, which
	// every PHP reader accepts.
	CompressionNone Compression = iota
	// CompressionFastLZ is php-memcached's default: values of at least the
	// threshold are FastLZ-compressed (flags 0x50) when that makes them
	// small enough. The bytes are exactly those php-memcached writes.
	CompressionFastLZ
	// CompressionZlib is memcached.compression_type=zlib (flags 0x30): an
	// RFC 1950 stream that PHP reads, though not byte for byte the stream C
	// zlib would make, so the size decision can differ from PHP's for
	// values at the edge of the compression factor.
	CompressionZlib
)

var compressionNames = [...]string{"none", "fastlz", "zlib"}

// String returns "none", "fastlz" or "zlib".
func (c Compression) String() string {
	if c >= 0 && int(c) < len(compressionNames) {
		return compressionNames[c]
	}
	return "Compression(" + strconv.Itoa(int(c)) + ")"
}

// ParseCompression returns the Compression named s ("none", "fastlz",
// "zlib"; "" means none).
func ParseCompression(s string) (Compression, error) {
	if s == "" {
		return CompressionNone, nil
	}
	for c, name := range compressionNames {
		if name == s {
			return Compression(c), nil
		}
	}
	return 0, fmt.Errorf("memcachedstore: unknown compression %q (want none, fastlz or zlib)", s)
}

// Errors reading a value.
var (
	// ErrValueType means a memcached item holds a value that php-memcached
	// stored as something other than a string (an integer, a serialized
	// array, ...), so it is not a session.
	ErrValueType = errors.New("value is not a string")
	// ErrCorrupt means a compressed value could not be decompressed.
	ErrCorrupt = errors.New("corrupt compressed value")
	// ErrTooLarge means a value decompresses to more than the configured
	// maximum.
	ErrTooLarge = errors.New("value too large")
)

// ValueError reports a memcached item that could not be turned into a
// session payload. Err is [ErrValueType], [ErrCorrupt] or [ErrTooLarge].
type ValueError struct {
	Key   string // the memcached key
	Flags uint32 // the item's flags
	Err   error
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("memcachedstore: key %q (flags %#x): %v", e.Key, e.Flags, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// codec turns payloads into php-memcached values and back.
type codec struct {
	compression Compression
	threshold   int     // memcached.compression_threshold
	factor      float64 // memcached.compression_factor
	maxSize     int     // largest decompressed value accepted
}

// encode returns the value and flags php-memcached's Memcached::set writes
// for the string payload (s_zval_to_payload, s_compress_value).
func (c *codec) encode(payload []byte) ([]byte, uint32) {
	if c.compression == CompressionNone || len(payload) == 0 || len(payload) < c.threshold {
		return payload, typeString
	}
	// php-memcached's output buffer: 5% more than the input, plus one.
	bufSize := int(float64(len(payload))*1.05 + 1.0)
	out := make([]byte, 4, 4+bufSize)
	binary.LittleEndian.PutUint32(out, uint32(len(payload)))
	var flags uint32
	switch c.compression {
	case CompressionFastLZ:
		out = fastlzCompress(out, payload)
		flags = flagCompressed | flagFastLZ
	case CompressionZlib:
		w := &limitedBuffer{buf: bytes.NewBuffer(out), limit: 4 + bufSize}
		zw := zlib.NewWriter(w)
		if _, err := zw.Write(payload); err != nil || zw.Close() != nil {
			return payload, typeString // did not fit: compress() fails
		}
		out = w.buf.Bytes()
		flags = flagCompressed | flagZlib
	}
	// Kept only if it saves enough.
	if float64(len(payload)) <= float64(len(out)-4)*c.factor {
		return payload, typeString
	}
	return out, flags
}

// limitedBuffer fails writes past limit, as zlib's compress() fails when
// its output buffer is full.
type limitedBuffer struct {
	buf   *bytes.Buffer
	limit int
}

var errBufferFull = errors.New("buffer full")

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.limit {
		return 0, errBufferFull
	}
	return b.buf.Write(p)
}

// decode returns the string payload of a value php-memcached wrote
// (s_memcached_result_to_zval): uncompressed as needed.
func (c *codec) decode(key string, value []byte, flags uint32) ([]byte, error) {
	fail := func(err error) ([]byte, error) {
		return nil, &ValueError{Key: key, Flags: flags, Err: err}
	}
	if t := flags & flagTypeMask; t != typeString {
		name := "type " + strconv.Itoa(int(t))
		if int(t) < len(typeNames) {
			name = typeNames[t]
		}
		return fail(fmt.Errorf("%w: php-memcached stored a %s", ErrValueType, name))
	}
	if flags&flagCompressed == 0 {
		return value, nil
	}
	if len(value) < 4 {
		return fail(fmt.Errorf("%w: %d bytes, shorter than the length header", ErrCorrupt, len(value)))
	}
	size := binary.LittleEndian.Uint32(value)
	if uint64(size) > uint64(c.maxSize) {
		return fail(fmt.Errorf("%w: decompresses to %d bytes, more than %d", ErrTooLarge, size, c.maxSize))
	}
	body := value[4:]
	// Neither format expands a byte into more than about 1032 (zlib) or
	// 256 (FastLZ level 2) bytes: a larger declared size is a lie that
	// would only make us allocate.
	// (zstd frames declare their size; it is checked below.)
	ratio := uint64(256)
	if flags&flagZlib != 0 {
		ratio = 1100
	}
	if flags&flagZstd == 0 && uint64(size) > uint64(len(body))*ratio+64 {
		return fail(fmt.Errorf("%w: %d bytes cannot decompress to the %d the header says", ErrCorrupt, len(body), size))
	}
	switch {
	case flags&flagZstd != 0:
		out, err := zstdDecode(body, int(size))
		if err != nil {
			return fail(fmt.Errorf("%w: zstd: %w", ErrCorrupt, err))
		}
		return out, nil
	case flags&flagFastLZ != 0:
		out, err := fastlzDecompress(make([]byte, 0, size), body, int(size))
		if err != nil {
			return fail(fmt.Errorf("%w: %w", ErrCorrupt, err))
		}
		return out, nil
	case flags&flagZlib != 0:
		zr, err := zlib.NewReader(bytes.NewReader(body))
		if err != nil {
			return fail(fmt.Errorf("%w: zlib: %w", ErrCorrupt, err))
		}
		out := make([]byte, size)
		if _, err := io.ReadFull(zr, out); err != nil {
			return fail(fmt.Errorf("%w: zlib: %w", ErrCorrupt, err))
		}
		// The stream must end where the header says, checksum included.
		if n, err := zr.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			if err == nil || err == io.EOF {
				err = errors.New("longer than the length header")
			}
			return fail(fmt.Errorf("%w: zlib: %w", ErrCorrupt, err))
		}
		return out, nil
	}
	return fail(fmt.Errorf("%w: compressed with an unknown method", ErrCorrupt))
}

// zstdDecoder decodes the zstd values of php-memcached ≥ 3.3
// (memcached.compression_type=zstd). It is shared: DecodeAll is safe for
// concurrent use.
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<31))
})

// zstdDecode decodes one zstd frame that must declare, and hold, size
// bytes: php-memcached (ZSTD_getFrameContentSize) refuses frames without a
// content size too.
func zstdDecode(body []byte, size int) ([]byte, error) {
	var h zstd.Header
	if err := h.Decode(body); err != nil {
		return nil, err
	}
	if !h.HasFCS || h.FrameContentSize != uint64(size) {
		return nil, fmt.Errorf("frame declares %d bytes (known: %v), the header %d", h.FrameContentSize, h.HasFCS, size)
	}
	d, err := zstdDecoder()
	if err != nil {
		return nil, err
	}
	out, err := d.DecodeAll(body, make([]byte, 0, size))
	if err != nil {
		return nil, err
	}
	if len(out) != size {
		return nil, fmt.Errorf("%d bytes decoded, the header says %d", len(out), size)
	}
	return out, nil
}

package phpsession

import (
	"strings"
	"unsafe"
)

// The builder: parser.value(true) turns bytes into a Value with it. It
// only ever reads bytes that the scanner (parser.value(false)) accepted
// with the same limits, so it checks nothing the scan checked: it reads
// each token by its type byte, its digits up to the byte that ends them,
// and a string by its length, and builds as it goes. Every caller scans
// first: DecodeSession indexes the whole payload before Session.value
// builds an entry, decodeValue, Lookup and Session.SetRaw scan the value
// they then build, and the general code (parser.general, used by
// payloadValues on payloads no scan has read) does not come here.
// FuzzDecodeValue holds the builder to the general code on whatever the
// scan accepts.

// arena is the memory a build takes its composites and their entries from:
// slabs sized by a scan of the same bytes (see parser.slabs), so that a
// whole value costs two allocations. When they run out (a build without
// slabs), each composite is allocated on its own. The slabs are zero when
// made and each part is handed out once: the entries of a new composite
// are zero.
type arena struct {
	comps []composite
	ents  []Entry
}

// composite returns a new composite of kind with n entries, from the slabs
// when they have room.
func (a *arena) composite(kind Kind, n int) *composite {
	var c *composite
	if len(a.comps) > 0 {
		c, a.comps = &a.comps[0], a.comps[1:]
	} else {
		c = new(composite)
	}
	c.kind = kind
	if n == 0 {
		return c
	}
	if len(a.ents) >= n {
		c.entries, a.ents = a.ents[:n:n], a.ents[n:]
	} else {
		c.entries = make([]Entry, n)
	}
	return c
}

// builder builds the value at src[pos], which a scan accepted (see above).
// Strings, class names and float texts are substrings of src.
type builder struct {
	arena
	src   string
	pos   int
	depth int // of the value at pos, as the parser counts it (for custom payloads)
	lim   limits
}

// value builds the value at b.pos and moves past it. The error is that of
// a custom object's payload read by the general code, which cannot fail
// on bytes the scan accepted.
func (b *builder) value() (Value, error) {
	src, i := b.src, b.pos
	switch src[i] {
	case tokString:
		// s:<len>:"<bytes>";
		start, end := quotedAt(src, i+2)
		b.pos = end + 2
		return Value{comp: scalarComp(String), str: src[start:end]}, nil
	case tokInt:
		x, end := intAt(src, i+2)
		b.pos = end
		return Value{comp: scalarComp(Int), num: x}, nil
	case tokArray:
		n, j := countAt(src, i+2)
		b.pos = j
		return b.entries(Array, "", n)
	case tokObject:
		// O:<len>:"<Class>":<n>:{
		start, end := quotedAt(src, i+2)
		n, j := countAt(src, end+2)
		b.pos = j
		return b.entries(Object, src[start:end], n)
	case tokNull:
		b.pos = i + 2
		return Value{comp: scalarComp(Null)}, nil
	case tokBool:
		b.pos = i + 4
		return Value{comp: scalarComp(Bool), num: uint64(src[i+2] - '0')}, nil
	case tokFloat:
		end := i + 2 + strings.IndexByte(src[i+2:], tokEnd)
		b.pos = end + 1
		return floatOfText(src[i+2 : end]), nil
	case tokEnum:
		start, end := quotedAt(src, i+2)
		b.pos = end + 2
		return Value{comp: scalarComp(Enum), str: src[start:end]}, nil
	case tokRef, tokPHPRef:
		kind := PHPRef
		if src[i] == tokRef {
			kind = Ref
		}
		x, end := intAt(src, i+2)
		b.pos = end
		return Value{comp: scalarComp(kind), num: x}, nil
	}
	// A custom object: the general code counts the slots its payload takes.
	p := parser[string]{src: src, pos: i, lim: b.lim, depth: b.depth, looseRefs: true, arena: b.arena}
	v, err := p.anyValue(true)
	b.pos, b.arena = p.pos, p.arena
	return v, err
}

// entries builds the n entries of an array or object at b.pos and the '}'
// after them. Keys and the commonest values are read in its loop; other
// values go to b.value.
func (b *builder) entries(kind Kind, class string, n int) (Value, error) {
	c := b.composite(kind, n)
	b.depth++
	src, i := b.src, b.pos
	for k := range c.entries {
		// The entry is zero (see arena): only the fields that are not are
		// set, which spares the write barrier, while the GC runs, the
		// pointers that stay nil.
		e := &c.entries[k]
		// The key: i:<int>; or s:<len>:"<bytes>";.
		if src[i] == tokInt {
			x, end := intAt(src, i+2)
			e.Key.num, e.Key.comp, i = x, scalarComp(Int), end
		} else {
			start, end := quotedAt(src, i+2)
			e.Key.str, e.Key.comp, i = src[start:end], scalarComp(String), end+2
		}
		switch src[i] {
		case tokString:
			start, end := quotedAt(src, i+2)
			e.Value.str, e.Value.comp, i = src[start:end], scalarComp(String), end+2
		case tokInt:
			x, end := intAt(src, i+2)
			e.Value.num, e.Value.comp, i = x, scalarComp(Int), end
		default:
			b.pos = i
			v, err := b.value()
			if err != nil {
				return Value{}, err
			}
			e.Value, i = v, b.pos
		}
	}
	b.pos = i + 1
	b.depth--
	return Value{str: class, comp: c}, nil
}

// quotedAt returns where the bytes of the <len>:"<bytes>" at src[i] are,
// src[start:end]; what follows them is the closing quote.
func quotedAt(src string, i int) (start, end int) {
	n, start := countAt(src, i) // countAt skips the ':' and the '"' as it does ":{"
	return start, start + n
}

// intAt returns the bits of the int64 or the slot number written at src[i]
// (an optional '-' and digits) and where the ';' after it ends.
func intAt(src string, i int) (x uint64, end int) {
	neg := src[i] == '-'
	if neg {
		i++
	}
	for ; src[i] != tokEnd; i++ {
		x = x*10 + uint64(src[i]-'0')
	}
	if neg {
		x = -x // two's complement: the bits of the negative int64
	}
	return x, i + 1
}

// countAt returns the count (or length) written at src[i] and where what
// follows the two bytes after it (":{" or ":\"") starts.
func countAt(src string, i int) (n, start int) {
	for ; src[i] != tokColon; i++ {
		n = n*10 + int(src[i]-'0')
	}
	return n, i + 2
}

// stringOf returns the bytes of b as a string without copying them; b must
// not change while the string is in use.
func stringOf(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

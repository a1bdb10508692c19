package phpsession

import (
	"unsafe"
)

// The builder turns bytes that the parser checked into a Value, the way
// encoding/json's decoder reads what its scanner checked (checkValid, then
// d.value): it reads each token by its type byte, its digits up to the byte
// that ends them, and a string by its length, and checks nothing. Every
// caller checks first: DecodeSession checks the whole payload before
// Session.value builds an entry; decodeValue, Lookup and Session.SetRaw
// check the value they then build. FuzzDecodeValue holds the builder to the
// parser's own build on whatever the parser accepts.

// arena is the memory a build takes its composites and their entries from:
// slabs sized by a check of the same bytes (parser.ncomp, parser.nent), so that a
// whole value costs two allocations. When they run out (a build without
// slabs), each composite is allocated on its own. The slabs are zero when
// made and each part is handed out once: the entries of a new composite
// are zero. What is handed out is counted (nc, ne), not sliced off the
// slabs: handing it out writes no pointer, which spares the build a write
// barrier per composite while the garbage collector runs. (The counts are
// int32, as the parser's are bounded by maxMaxSize, to keep a Session,
// which holds an arena, in its size class.)
type arena struct {
	comps  []composite
	ents   []Entry
	nc, ne int32 // the composites and entries handed out
}

// newArena returns an arena for ncomp composites and nent entries.
func newArena(ncomp, nent int) arena {
	return arena{comps: make([]composite, ncomp), ents: make([]Entry, nent)}
}

// has reports whether a has room for ncomp composites and nent entries.
func (a *arena) has(ncomp, nent int32) bool {
	return int32(len(a.comps))-a.nc >= ncomp && int32(len(a.ents))-a.ne >= nent
}

// composite returns a new composite of kind with n entries, from the slabs
// when they have room. With no entries, its entries are nil (as
// newComposite makes them), not an empty slice of the slab: the igbinary
// decoder, which sets them once it has read them, then stores that pointer
// once, one write barrier while the garbage collector runs, not two.
func (a *arena) composite(kind Kind, n int) *composite {
	end := int(a.ne) + n
	if int(a.nc) == len(a.comps) || end > len(a.ents) {
		return newComposite(kind, n)
	}
	c := &a.comps[a.nc]
	a.nc++
	c.kind = kind
	if n > 0 {
		c.entries, a.ne = a.ents[a.ne:end:end], int32(end)
	}
	return c
}

// newComposite returns a new composite of kind with n entries, allocated
// on its own.
func newComposite(kind Kind, n int) *composite {
	c := &composite{kind: kind}
	if n > 0 {
		c.entries = make([]Entry, n)
	}
	return c
}

// take returns n zero entries from the slab, or nil when it has no room
// for them.
func (a *arena) take(n int) []Entry {
	end := int(a.ne) + n
	if end > len(a.ents) {
		return nil
	}
	es := a.ents[a.ne:end:end]
	a.ne = int32(end)
	return es
}

// builder builds the value at src[pos], which the parser accepted (see
// above).
// Strings, class names and float texts are substrings of src.
type builder struct {
	arena
	src   string
	pos   int
	depth int // of the value at pos, as the parser counts it (for custom payloads)
	lim   limits
}

// value builds the value at b.pos and moves past it.
func (b *builder) value() Value {
	src, i := b.src, b.pos
	switch src[i] {
	case tokString:
		str, end := stringAt(src, i)
		b.pos = end
		return Value{comp: scalarComp(String), str: str}
	case tokInt:
		x, end := intAt(src, i+2)
		b.pos = end
		return Value{comp: scalarComp(Int), num: x}
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
	case tokCustom:
		// C:<len>:"<Class>":<n>:{<payload>}
		start, end := quotedAt(src, i+2)
		n, j := countAt(src, end+2)
		b.pos = j + n + 1
		c := b.composite(Custom, 0)
		c.payload = src[j : j+n]
		c.payloadSlots = int32(countPayloadSlots(c.payload, b.depth, b.lim))
		return Value{str: src[start:end], comp: c}
	case tokNull:
		b.pos = i + 2
		return Value{comp: scalarComp(Null)}
	case tokBool:
		b.pos = i + 4
		return Value{comp: scalarComp(Bool), num: uint64(src[i+2] - '0')}
	case tokFloat:
		end := i + 2
		for src[end] != tokEnd { // a short text: a loop costs less than strings.IndexByte
			end++
		}
		b.pos = end + 1
		return floatOfText(src[i+2 : end])
	case tokEnum:
		start, end := quotedAt(src, i+2)
		b.pos = end + 2
		return Value{comp: scalarComp(Enum), str: src[start:end]}
	}
	// r:<slot>; or R:<slot>;
	kind := PHPRef
	if src[i] == tokRef {
		kind = Ref
	}
	x, end := intAt(src, i+2)
	b.pos = end
	return Value{comp: scalarComp(kind), num: x}
}

// entries builds the n entries of an array or object at b.pos and the '}'
// after them. It reads the keys, and the commonest values, strings and
// ints, itself; other values go to value.
func (b *builder) entries(kind Kind, class string, n int) Value {
	c := b.composite(kind, n)
	b.depth++
	src, i, es := b.src, b.pos, c.entries
	for k := range es {
		// The entry is zero (see arena): only the fields that are not
		// are set, which spares the pointers that stay nil the write
		// barrier while the garbage collector runs.
		e := &es[k]
		// The key: i:<int>; or s:<len>:"<bytes>";.
		if src[i] == tokInt {
			e.Key.num, i = intAt(src, i+2)
			e.Key.comp = scalarComp(Int)
		} else {
			e.Key.str, i = stringAt(src, i)
			e.Key.comp = scalarComp(String)
		}
		switch src[i] {
		case tokString:
			e.Value.str, i = stringAt(src, i)
			e.Value.comp = scalarComp(String)
		case tokInt:
			e.Value.num, i = intAt(src, i+2)
			e.Value.comp = scalarComp(Int)
		default:
			b.pos = i
			e.Value = b.value()
			i = b.pos
		}
	}
	b.pos = i + 1 // the '}'
	b.depth--
	return Value{str: class, comp: c}
}

// stringAt returns the string s:<len>:"<bytes>"; at src[i] and where it
// ends.
func stringAt(src string, i int) (s string, end int) {
	start, end := quotedAt(src, i+2)
	return src[start:end], end + 2
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
	if src[i+1] == tokEnd { // one digit
		return uint64(src[i] - '0'), i + 2
	}
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
	if src[i+1] == tokColon { // one digit
		return int(src[i] - '0'), i + 3
	}
	for ; src[i] != tokColon; i++ {
		n = n*10 + int(src[i]-'0')
	}
	return n, i + 2
}

// stringOf returns the bytes of b as a string without copying them. It is
// the package's one use of unsafe, under one ownership rule: b does not
// change while the string is in use. The parser only reads; a Session owns
// the payload DecodeSession was given (its documented contract); a string
// that reaches a caller is otherwise always a copy.
func stringOf(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

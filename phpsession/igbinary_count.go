package phpsession

import "encoding/binary"

// igCounter counts the arrays and objects of an igbinary session and their
// entries before it is decoded (but the outermost array or object's
// entries, and the outermost array itself: the session's entries go to its
// entries, not to the arena), so that the decoder takes them from one
// arena sized for all of them, as the text builder takes its own from the
// parser's counts; and the strings and reference ids, so that the
// decoder's tables take one allocation each.
//
// It checks nothing and trusts nothing: it walks the value by its type
// bytes and lengths, and stops at the first byte it does not expect or the
// end of the input, with the counts so far. An array's entries count only
// once the walk has passed all of them, so that what an input claims
// without holding it is never allocated. The decoder, which checks the
// input, allocates one by one whatever the counts missed.
type igCounter struct {
	data     []byte
	off      int
	depth    int
	maxDepth int

	comps, ents int
	strs        int // strings and class names written in full
	strIDs      int // strings and class names written as a string id
	ids         int // arrays, objects and & references to scalars first written here: reference ids
	refs        int // refs and objrefs: ids referred to
}

// width reads a big-endian unsigned integer of w bytes.
func (c *igCounter) width(w int) (uint64, bool) {
	if w > len(c.data)-c.off {
		return 0, false
	}
	b := c.data[c.off : c.off+w]
	c.off += w
	switch w {
	case 1:
		return uint64(b[0]), true
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), true
	case 4:
		return uint64(binary.BigEndian.Uint32(b)), true
	}
	return binary.BigEndian.Uint64(b), true
}

// skip passes the n bytes of a string, class name or payload.
func (c *igCounter) skip(n uint64, ok bool) bool {
	if !ok || n > uint64(len(c.data)-c.off) {
		return false
	}
	c.off += int(n)
	return true
}

// value walks the value at c.off, and reports whether it reached its end.
func (c *igCounter) value() bool {
	if c.off >= len(c.data) {
		return false
	}
	t := c.data[c.off]
	c.off++
	switch t {
	case igString8:
		return c.string8()
	case igNull, igFalse, igTrue, igStringEmpty:
		return true
	case igStringID8, igStringID16, igStringID32:
		c.strIDs++
		return c.skip(uint64(igWidth(t, igStringID8)), true)
	case igRef8, igRef16, igRef32:
		c.refs++
		return c.skip(uint64(igWidth(t, igRef8)), true)
	case igObjRef8, igObjRef16, igObjRef32:
		c.refs++
		return c.skip(uint64(igWidth(t, igObjRef8)), true)
	case igLong8p, igLong8n:
		return c.skip(1, true)
	case igLong16p, igLong16n:
		return c.skip(2, true)
	case igLong32p, igLong32n:
		return c.skip(4, true)
	case igLong64p, igLong64n, igDouble:
		return c.skip(8, true)
	case igString16, igString32:
		c.strs++
		return c.skip(c.width(igWidth(t, igString8)))
	case igString64:
		c.strs++
		return c.skip(c.width(8))
	case igPHPRef:
		if c.off < len(c.data) && c.data[c.off] == igPHPRef {
			return false // the decoder refuses it; a long run must not nest the walk
		}
		if c.off < len(c.data) {
			switch t := c.data[c.off]; {
			case t >= igArray8 && t <= igObjectID32, igIsRef(t), t == igPHPRef:
			default:
				c.ids++ // an array or object takes an id as one
			}
		}
		return c.value()
	case igArray8, igArray16, igArray32:
		c.ids++
		if c.depth > 0 {
			c.comps++ // the top-level array takes no composite
		}
		n, ok := c.width(igWidth(t, igArray8))
		return ok && c.entries(n)
	case igObject8, igObject16, igObject32:
		c.strs++
		return c.skip(c.width(igWidth(t, igObject8))) && c.object()
	case igObjectID8, igObjectID16, igObjectID32:
		c.strIDs++
		return c.skip(uint64(igWidth(t, igObjectID8)), true) && c.object()
	}
	return false
}

// string8 passes the length byte and the bytes of a string8 (the
// commonest form: names, most keys and strings), whose type byte it has
// passed.
func (c *igCounter) string8() bool {
	if c.off >= len(c.data) {
		return false
	}
	c.strs++
	c.off += 1 + int(c.data[c.off])
	return c.off <= len(c.data)
}

// object walks what follows an object's class name.
func (c *igCounter) object() bool {
	c.comps++
	c.ids++
	if c.off >= len(c.data) {
		return false
	}
	t := c.data[c.off]
	c.off++
	switch t {
	case igArray8, igArray16, igArray32:
		n, ok := c.width(igWidth(t, igArray8))
		return ok && c.entries(n)
	case igObjectSer8, igObjectSer16, igObjectSer32:
		return c.skip(c.width(igWidth(t, igObjectSer8)))
	case igEnumCase:
		// The case's name: only a string, so that the walk does not nest
		// where the decoder does not.
		if c.off >= len(c.data) || !igIsString(c.data[c.off]) {
			return false
		}
		return c.value()
	}
	return false
}

// entries walks the n keys and values of an array or object (a null in
// place of a key is padding: see igDecoder.entries), and counts n once it
// has passed them.
func (c *igCounter) entries(n uint64) bool {
	if c.depth++; c.depth > c.maxDepth {
		return false
	}
	for range n {
		if c.off < len(c.data) && c.data[c.off] == igNull {
			c.off++
			continue
		}
		// The commonest key, a short string, in one step.
		if c.off < len(c.data) && c.data[c.off] == igString8 {
			c.off++
			if !c.string8() {
				return false
			}
		} else if !c.value() {
			return false
		}
		if !c.value() {
			return false
		}
	}
	c.depth--
	if c.depth > 0 {
		c.ents += int(n)
	}
	return true
}

// igIsRef reports whether t is the type byte of a ref or an objref.
func igIsRef(t byte) bool {
	return t == igRef8 || t == igRef16 || t == igRef32 || t == igObjRef8 || t == igObjRef16 || t == igObjRef32
}

// igIsString reports whether t is the type byte of a string, written in full
// or as a string id.
func igIsString(t byte) bool {
	return t >= igStringEmpty && t <= igString32 || t == igString64
}

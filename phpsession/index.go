package phpsession

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
	"sync"
)

// entryScanner reads the entries of a php, php_binary or php_serialize
// session payload one at a time, checking each value as it goes, with the
// slot table PHP keeps over the whole payload. DecodeSession indexes a
// session with it, and Lookup reads one entry.
type entryScanner struct {
	p      parser[[]byte]
	format Format
	left   int // php_serialize: entries left in the outer array
	count  int // php_serialize: entries in the outer array
}

// start sets sc, which is zero, to read data, a payload in format f (php,
// php_binary or php_serialize); for php_serialize it reads the outer
// array's header. (A method on a scanner the caller holds, not a
// constructor: the scanner is large, and a return would copy it.)
func (sc *entryScanner) start(data []byte, f Format, lim limits) error {
	p := &sc.p
	p.src, p.lim, sc.format = data, lim, f
	if f != FormatPHPSerialize || len(data) == 0 {
		return nil
	}
	if data[0] != tokArray {
		return p.fail(ErrSyntax, 0, "php_serialize session is not an array")
	}
	p.slots, p.depth = 1, 1 // the outer array
	if err := p.typePrefix(); err != nil {
		return err
	}
	n, err := p.count(minEntryLen, "array")
	if err != nil {
		return err
	}
	sc.left, sc.count = n, n
	return nil
}

// more reports whether an entry is left to read.
func (sc *entryScanner) more() bool {
	if sc.format == FormatPHPSerialize {
		return sc.left > 0
	}
	return sc.p.pos < len(sc.p.src)
}

// scanned is what the entry scanner records of an entry: where its name and
// value are in the payload, and what the value holds. It is smaller than a
// Session's entry, which scanSession makes of it once it has them all.
type scanned struct {
	// The name is data[nameStart:nameEnd]: the bytes it is written with,
	// and for an int key of php_serialize its decimal text, with intKey set.
	nameStart, nameEnd int32
	start, end         int32 // the value's bytes
	first, nslots      int32 // the first slot the value takes, and how many
	ncomp, nent        int32 // composites and entries in the value (see parser.slabs)
	lenByte            byte  // php_binary: the name length byte as read
	intKey             bool  // php_serialize: the key is an int
	refs               bool  // the value holds r: or R: references
}

// next reads the next entry into e.
func (sc *entryScanner) next(e *scanned) error {
	p := &sc.p
	data := p.src
format:
	switch sc.format {
	case FormatPHP:
		end := indexPipe(data, p.pos)
		if end == len(data) {
			return p.fail(ErrSyntax, p.pos, "session entry name without '|'")
		}
		e.nameStart, e.nameEnd = int32(p.pos), int32(end)
		p.pos = end + 1
	case FormatPHPBinary:
		b := data[p.pos]
		n := int(b & binNameMask)
		if p.pos+1+n >= len(data) {
			return p.fail(ErrUnexpectedEnd, p.pos, "session entry name of "+strconv.Itoa(n)+" bytes and its value run past the end")
		}
		e.lenByte = b
		e.nameStart, e.nameEnd = int32(p.pos+1), int32(p.pos+1+n)
		p.pos += 1 + n
	case FormatPHPSerialize:
		at := p.pos
		sc.left--
		// A canonical key, as PHP writes them, is checked in place; any
		// other by the general code, with its errors. An int key's text is
		// its decimal text.
		if at+3 < len(data) {
			switch data[at] {
			case tokString: // s:<len>:"<name>";
				if start, end := quotedEnd(data, at+1, tokEnd); end >= 0 {
					e.nameStart, e.nameEnd, p.pos = int32(start), int32(end-2), end
					break format
				}
			case tokInt:
				if end := intEnd(data, at); end >= 0 {
					e.nameStart, e.nameEnd, e.intKey, p.pos = int32(at+2), int32(end-1), true, end
					break format
				}
			}
		}
		if _, err := p.key(false, "array"); err != nil {
			return err
		}
		if data[at] == tokInt {
			e.nameStart, e.nameEnd, e.intKey = int32(at+2), int32(p.pos-1), true
		} else {
			e.nameStart, e.nameEnd = int32(at+bytes.IndexByte(data[at:], tokQuote)+1), int32(p.pos-2)
		}
	}
	start := p.pos
	if end := scalarEnd(data, start); end >= 0 && !p.general {
		// A scalar, as most entries are: checked without the scanner's
		// loop, which is made for what nests.
		p.pos = end
		p.slots++
		e.start, e.end, e.first, e.nslots = int32(start), int32(end), int32(p.slots), 1
		return nil
	}
	first, nrefs, ncomp, nent := p.slots+1, p.nrefs, p.ncomp, p.nent
	if _, err := p.value(false); err != nil {
		return err
	}
	e.ncomp, e.nent = int32(p.ncomp-ncomp), int32(p.nent-nent)
	e.start, e.end = int32(start), int32(p.pos)
	e.first = int32(first)
	e.nslots = int32(p.slots + 1 - first)
	e.refs = p.nrefs != nrefs
	return nil
}

// indexPipe returns where the first '|' at or after data[i] is, or len(data).
// It looks at eight bytes at a time, without a call: a php entry name is
// short, and a call to bytes.IndexByte costs more than the few bytes it
// would look at. A byte is a '|' when it is zero after an xor with '|'; the
// lowest byte flagged by the zero test is always a true one.
func indexPipe(data []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:]) ^ tokSessionName*ones
		if m := (x - ones) &^ x & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(data) && data[i] != tokSessionName {
		i++
	}
	return i
}

// finish checks what follows the last entry: for php_serialize, the end of
// the outer array and of the payload.
func (sc *entryScanner) finish() error {
	p := &sc.p
	if sc.format != FormatPHPSerialize || len(p.src) == 0 {
		return nil
	}
	if !p.next(tokClose) {
		return p.missing(tokClose, "after "+strconv.Itoa(sc.count)+" array entries")
	}
	if p.pos != len(p.src) {
		return p.fail(ErrSyntax, p.pos, "bytes after the session array")
	}
	return nil
}

// scanSession indexes a php, php_binary or php_serialize payload, which it
// checks in full, and returns the Session over it. The names share data,
// which the Session keeps and the caller leaves unchanged (see
// DecodeSession). A session of up to smallSession entries (most are: a
// login, a token, a few messages) costs one allocation, the Session with
// its entries; a larger one two.
func scanSession(data []byte, f Format, lim limits) (*Session, error) {
	var sc entryScanner
	if err := sc.start(data, f, lim); err != nil {
		return nil, err
	}
	// Collect the entries on the stack, or for a larger session in pooled
	// scratch, then allocate them once. The slots that hold objects are
	// needed only while scanning.
	sc.p.pooled = true
	defer sc.p.releaseScratch()
	var small [smallSession]scanned
	recs, err := sc.collect(small[:0], len(small))
	if err == nil && len(recs) == len(small) && sc.more() {
		scratch := sc.p.takeScratch()
		scratch.recs, err = sc.collect(append(scratch.recs[:0], recs...), -1)
		recs = scratch.recs
	}
	if err != nil {
		return nil, err
	}
	if err := sc.finish(); err != nil {
		return nil, err
	}
	s := newSessionFor(len(recs), sc.p.ncomp > 0)
	s.format, s.orig = f, data
	s.setLimits(lim)
	// The entries are zero: only what is not is set.
	s.entries = s.entries[:len(recs)]
	text := stringOf(data)
	for i := range recs {
		r, e := &recs[i], &s.entries[i]
		e.name = text[r.nameStart:r.nameEnd]
		e.start, e.end, e.first, e.nslots, e.ncomp, e.nent = r.start, r.end, r.first, r.nslots, r.ncomp, r.nent
		e.lenByte, e.intKey, e.refs = r.lenByte, r.intKey, r.refs
	}
	return s, nil
}

// newSessionFor returns a zero Session with room for n entries, and with
// its chunk when chunked (its values hold arrays or objects). Up to
// smallSession entries the room and the chunk are in the same allocation,
// with room in one of four sizes.
func newSessionFor(n int, chunked bool) *Session {
	switch {
	case n == 0:
		return new(Session)
	case n == 1:
		return sessionWithRoom(func(r *[1]entry) []entry { return r[:0] }, chunked)
	case n == 2:
		return sessionWithRoom(func(r *[2]entry) []entry { return r[:0] }, chunked)
	case n <= 4:
		return sessionWithRoom(func(r *[4]entry) []entry { return r[:0] }, chunked)
	case n <= smallSession:
		return sessionWithRoom(func(r *[smallSession]entry) []entry { return r[:0] }, chunked)
	}
	return &Session{entries: make([]entry, 0, n)}
}

// sessionWithRoom allocates a Session together with room, an array of
// entries, and when chunked its chunk, and gives it room as its entries,
// sliced by entries.
func sessionWithRoom[Room any](entries func(*Room) []entry, chunked bool) *Session {
	if chunked {
		x := new(struct {
			s    Session
			c    chunk
			room Room
		})
		x.s.entries, x.s.chunk = entries(&x.room), &x.c
		return &x.s
	}
	x := new(struct {
		s    Session
		room Room
	})
	x.s.entries = entries(&x.room)
	return &x.s
}

// smallSession is the number of entries scanSession collects on the stack.
const smallSession = 8

// collect appends the entries left to dst, up to limit in all (-1: no
// limit).
func (sc *entryScanner) collect(dst []scanned, limit int) ([]scanned, error) {
	for len(dst) != limit && sc.more() {
		dst = append(dst, scanned{})
		if err := sc.next(&dst[len(dst)-1]); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// scanScratch is reused memory for a scan: the entry records of a large
// session, and the object slot list of any pooled parser.
type scanScratch struct {
	recs     []scanned
	objSlots []int32
}

var scratchPool = sync.Pool{New: func() any { return new(scanScratch) }}

// takeScratch returns the parser's scratch, taken from scratchPool when it
// has none yet. The object slot list moves into the scratch's memory when
// it holds none yet.
func (p *parser[T]) takeScratch() *scanScratch {
	if p.scratch == nil {
		p.scratch = scratchPool.Get().(*scanScratch)
		if len(p.objSlots) == 0 {
			p.objSlots = p.scratch.objSlots[:0]
			if p.objSlots == nil {
				p.objSlots = make([]int32, 0, 16) // not nil: skipValue takes objects into it
			}
		}
	}
	return p.scratch
}

// addObjSlot records that slot holds an object. A pooled parser's list
// starts in its scratch. (skipValue appends to the list itself.)
func (p *parser[T]) addObjSlot(slot int) {
	if p.objSlots == nil && p.pooled {
		p.takeScratch()
	}
	p.objSlots = append(p.objSlots, int32(slot))
}

// releaseScratch gives the parser's scratch, if it took one, back to the
// pool, with the object slot list, which the parser no longer holds.
func (p *parser[T]) releaseScratch() {
	if p.scratch == nil {
		return
	}
	if p.objSlots != nil {
		p.scratch.objSlots = p.objSlots
	}
	p.scratch.release()
	p.scratch, p.objSlots = nil, nil
}

// release puts the scratch back in the pool, emptied, unless it grew too
// large to keep.
func (sc *scanScratch) release() {
	if cap(sc.recs) > 4096 || cap(sc.objSlots) > 4096 {
		return
	}
	sc.recs, sc.objSlots = sc.recs[:0], sc.objSlots[:0]
	scratchPool.Put(sc)
}

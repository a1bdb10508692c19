package phpsession

import (
	"strconv"
	"strings"
)

// entryScanner reads the entries of a php, php_binary or php_serialize
// session payload one at a time, checking each value as it goes, with the
// slot table PHP keeps over the whole payload. DecodeSession indexes a
// session with it, and Lookup reads one entry.
type entryScanner struct {
	p      parser
	format Format
	left   int // php_serialize: entries left in the outer array
	count  int // php_serialize: entries in the outer array
	// composites counts the entries read whose values hold an array or
	// object.
	composites int
}

// start sets sc, which is zero, to read data, a payload in format f (php,
// php_binary or php_serialize); for php_serialize it reads the outer
// array's header. The scanner only reads data.
func (sc *entryScanner) start(data []byte, f Format, lim limits) error {
	p := &sc.p
	p.src, p.lim, sc.format = stringOf(data), lim, f
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

// next reads the next entry into e.
func (sc *entryScanner) next(e *entry) error {
	p := &sc.p
	data := p.src
	switch sc.format {
	case FormatPHP:
		end := strings.IndexByte(data[p.pos:], tokSessionName)
		if end < 0 {
			return p.fail(ErrSyntax, p.pos, "session entry name without '|'")
		}
		e.nameStart, e.nameEnd = int32(p.pos), int32(p.pos+end)
		p.pos += end + 1
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
		if err := p.key("array"); err != nil {
			return err
		}
		if data[at] == tokInt { // i:<name>;
			e.nameStart, e.nameEnd, e.intKey = int32(at+2), int32(p.pos-1), true
		} else { // s:<len>:"<name>";, which key checked
			_, start := countAt(data, at+2)
			e.nameStart, e.nameEnd = int32(start), int32(p.pos-2)
			if c := data[e.nameStart]; e.nameEnd > e.nameStart && (c == '-' || c >= '0' && c <= '9') {
				// PHP's array makes "7" the int key 7, and writes it so.
				_, e.intKey = canonicalInt(data[e.nameStart:e.nameEnd])
			}
		}
	}
	start, first := p.pos, p.slots+1
	nrefs, ncomp, nent := p.nrefs, p.ncomp, p.nent
	if err := p.value(); err != nil {
		return err
	}
	e.start, e.end = int32(start), int32(p.pos)
	e.first, e.nslots = int32(first), int32(p.slots+1-first)
	e.ncomp, e.nent = int32(p.ncomp-ncomp), int32(p.nent-nent)
	e.refs = p.nrefs != nrefs
	if e.ncomp > 0 {
		sc.composites++
	}
	return nil
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

// sessionMem is a Session with room for its first entries, so that a
// small session and its list of entries take one allocation, not two. A
// session of more entries moves its list out as append grows it.
type sessionMem struct {
	s       Session
	entries [8]entry
}

// scanSession indexes a php, php_binary or php_serialize payload, which it
// checks in full, and returns the Session over it: one entry for each name
// the payload writes, filled in by the scanner as it goes, which says where
// the name and the value are in data. The Session keeps data, which the
// caller leaves unchanged (see DecodeSession).
//
// From foldMin entries on, it folds each repeated name into its first entry
// as it comes (see Session.distinctNames); with keepRepeats, it keeps an
// entry for every occurrence, for the slots of the payload (slotRoots).
func scanSession(data []byte, f Format, lim limits, keepRepeats bool) (*Session, error) {
	var sc entryScanner
	if err := sc.start(data, f, lim); err != nil {
		return nil, err
	}
	// Occurrences are kept for a payload already checked, or one whose
	// references reach the elements a repeat overwrote (see
	// scanElementRefs), which the caller checks: slot numbers are not.
	sc.p.looseRefs = keepRepeats
	m := new(sessionMem)
	s := &m.s
	s.format, s.orig, s.entries = f, data, m.entries[:0]
	if sc.count > len(m.entries) {
		// The count of a php_serialize session is known: room for it,
		// up to where repeated names would fold.
		s.entries = make([]entry, 0, min(sc.count, foldMin))
	}
	for sc.more() {
		if n := len(s.entries); n == cap(s.entries) {
			grown := make([]entry, n, n+entriesRoom(n, sc.p.pos, len(data)))
			copy(grown, s.entries)
			s.entries = grown
		}
		s.entries = append(s.entries, entry{})
		n := len(s.entries) - 1
		if err := sc.next(&s.entries[n]); err != nil {
			return nil, err
		}
		switch {
		case keepRepeats:
		case s.index != nil:
			if s.addIndexed(n, n) {
				s.entries = s.entries[:n]
			}
		case n+1 == foldMin:
			s.buildIndex()
		}
	}
	if err := sc.finish(); err != nil {
		return nil, err
	}
	s.setLimits(lim)
	s.composites = int32(sc.composites)
	if f == FormatPHPSerialize && sc.p.nrefs > 0 && !keepRepeats {
		if err := checkElementRefs(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// entriesRoom returns how many entries to add to a full list of n entries
// that the first pos bytes of a size-byte payload wrote: as many as the
// bytes left hold at the rate of those read (the entries of a session are
// much alike), and an eighth more. It is at least n/4, so that the list
// grows geometrically whatever the payload, and at most 16n, for a few
// small entries before large ones, and it does not take the list past
// foldMin in one go: from there on, repeated names fold (see scanSession)
// and the bytes left may hold few new names, so the list at most doubles.
// A thousand entries then grow the list two or three times, not seven, and
// take about 1.2 times their bytes (the benchmark sessions), where growing
// it as append does takes 2.2 times.
func entriesRoom(n, pos, size int) int {
	left := (size - pos) / max(pos/n, 1) // pos/n: the bytes of an entry so far
	room := max(left+left/8, n/4, 1)
	if n < foldMin {
		return min(room, 16*n, foldMin-n)
	}
	return min(room, n)
}

// decodeOccurrences decodes a session payload with an entry for every
// occurrence of a repeated name, as PHP's slots count them (see slotRoots).
func decodeOccurrences(data []byte, f Format, lim limits) (*Session, error) {
	if f == FormatIgbinary {
		return decodeIgbinarySession(data, lim.orDefault(), true)
	}
	return scanSession(data, f, lim, true)
}

package phpsession

import "unsafe"

// arena is the memory a build takes its composites and their entries from:
// slabs sized by a check of the same bytes (see parser.slabs), so that a
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

// stringOf returns the bytes of b as a string without copying them. It is
// the package's one use of unsafe, under one ownership rule: b does not
// change while the string is in use. The parser only reads; a Session owns
// the payload DecodeSession was given (its documented contract), and a
// string that escapes to a caller is otherwise always a copy.
func stringOf(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

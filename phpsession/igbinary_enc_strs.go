package phpsession

import "hash/maphash"

// igEncStrs is the encoder's string table: igStrTable's index (igStrSlot
// slots, igStrHash, the in-place index of the first igStrTableScan
// strings), but a string is not kept as a Go string: the table holds where
// its bytes are in the payload being written (in the encoder's buf), and a candidate is compared with the bytes written
// there. Its lists hold no pointers: filling them takes no write barrier,
// and the garbage collector does not scan them.
type igEncStrs struct {
	small [1 << igStrSmallBits]uint8 // the index of few: 1 + the id, 0 for an empty slot
	few   [igStrTableScan]igStrPos   // the first strings
	more  []igStrPos                 // the strings after them
	n     int                        // strings in the table
	index []igStrSlot                // nil while n <= igStrTableScan (unless reserved); a power of two long, at most 3/4 full (igStrMax)
}

// igStrPos is where a string of igEncStrs is in the payload: its bytes
// are buf[off:off+n].
type igStrPos struct{ off, n int }

// igStrSpot is where find left off: the slot of the index (or of the
// in-place index) where a string it did not find goes, and its hash.
type igStrSpot struct {
	i    int
	hash uint32
}

// bytes returns the bytes of string id in buf, the payload being written.
func (t *igEncStrs) bytes(buf []byte, id int) []byte {
	p := t.few[:]
	if id >= len(t.few) {
		p, id = t.more, id-len(t.few)
	}
	return buf[p[id].off : p[id].off+p[id].n]
}

// find returns the id of s and true when buf, the payload being written,
// holds s in full already; else where s goes, for add.
func (t *igEncStrs) find(buf []byte, s string) (uint32, bool, igStrSpot) {
	if t.index == nil {
		mask := len(t.small) - 1
		for i := igStrSmallSlot(s); ; i = (i + 1) & mask {
			id := t.small[i]
			if id == 0 {
				return 0, false, igStrSpot{i: i}
			}
			if string(t.bytes(buf, int(id-1))) == s {
				return uint32(id) - 1, true, igStrSpot{}
			}
		}
	}
	h := igStrHash(s)
	mask := len(t.index) - 1
	for i, step := int(h)&mask, 1; ; i, step = (i+step)&mask, step+1 {
		sl := t.index[i]
		if sl.id == 0 {
			return 0, false, igStrSpot{i: i, hash: h}
		}
		if sl.hash == h && string(t.bytes(buf, int(sl.id-1))) == s {
			return sl.id - 1, true, igStrSpot{}
		}
	}
}

// add gives the next id to the string find did not find, now written in
// full in buf: its bytes are buf[off:off+n].
func (t *igEncStrs) add(buf []byte, off, n int, at igStrSpot) {
	p := igStrPos{off, n}
	if t.n < len(t.few) {
		t.few[t.n] = p
	} else {
		t.more = append(t.more, p)
	}
	t.n++
	switch {
	case t.index != nil:
		t.index[at.i] = igStrSlot{hash: at.hash, id: uint32(t.n)}
		if t.n > igStrMax(len(t.index)) {
			t.resize(buf, 2*len(t.index))
		}
	case t.n <= len(t.few):
		t.small[at.i] = uint8(t.n)
	default:
		t.resize(buf, 2*len(t.small))
	}
}

// reserve makes room for n strings in all, so that the index does not
// grow again and again on its way there.
func (t *igEncStrs) reserve(n int) {
	if n <= len(t.few) {
		return
	}
	size := 2 * len(t.small)
	for igStrMax(size) < n {
		size *= 2
	}
	if size > len(t.index) {
		t.resize(nil, size) // no string yet: nothing to hash from buf
	}
	if t.more == nil {
		t.more = make([]igStrPos, 0, n-len(t.few))
	}
}

// resize makes an index of size slots (a power of two) for the strings in
// the table, which buf holds.
func (t *igEncStrs) resize(buf []byte, size int) {
	old := t.index
	t.index = make([]igStrSlot, size)
	mask := size - 1
	if old == nil {
		for id := range t.n {
			s := t.bytes(buf, id)
			h := uint32(maphash.Bytes(igStrSeed, s)) // igStrHash of the string
			j, step := int(h)&mask, 1
			for t.index[j].id != 0 {
				j, step = (j+step)&mask, step+1
			}
			t.index[j] = igStrSlot{hash: h, id: uint32(id) + 1}
		}
		return
	}
	// Each slot moves to the first empty one of its hash's probe
	// sequence: no string is compared.
	for _, sl := range old {
		if sl.id == 0 {
			continue
		}
		j, step := int(sl.hash)&mask, 1
		for t.index[j].id != 0 {
			j, step = (j+step)&mask, step+1
		}
		t.index[j] = sl
	}
}

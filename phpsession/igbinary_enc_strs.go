package phpsession

import "encoding/binary"

// igEncStrs is the encoder's string table: igStrTable's index (igStrSlot
// slots, igStrHash, the in-place index of the first igStrTableScan
// strings), but a string is not kept as a Go string: the table holds where
// it was written in full in the payload (the offset of its header in the
// encoder's buf), and a candidate is compared with the bytes written
// there. Its lists hold no pointers: filling them takes no write barrier,
// and the garbage collector does not scan them.
type igEncStrs struct {
	small [1 << igStrSmallBits]uint8 // the index of few: 1 + the id, 0 for an empty slot
	few   [igStrTableScan]int        // where the first strings were written
	more  []int                      // where the strings after them were written
	n     int                        // strings in the table
	index []igStrSlot                // nil while n <= igStrTableScan (unless reserved); a power of two long, at most 3/4 full (igStrMax)
	full  int                        // igStrMax(len(index)): the strings it holds before it doubles
}

// intern returns the id of s and true when buf, the payload being written,
// holds s in full already. Else it gives s the next id and returns false:
// the caller writes s in full at the end of buf (a string or class name
// header, then the bytes), where the table will find it.
func (t *igEncStrs) intern(buf []byte, s string) (uint32, bool) {
	off := len(buf)
	if t.index == nil {
		mask := len(t.small) - 1
		i := igStrSmallSlot(s)
		for ; t.small[i] != 0; i = (i + 1) & mask {
			if id := t.small[i] - 1; string(igWritten(buf, t.few[id])) == s {
				return uint32(id), true
			}
		}
		if t.n < len(t.few) {
			t.few[t.n] = off
			t.n++
			t.small[i] = uint8(t.n)
			return 0, false
		}
		t.resize(buf, 2*len(t.small)) // then s goes in the index
	} else if t.n >= t.full {
		t.resize(buf, 2*len(t.index)) // s may be one more
	}
	h := igStrHash(s)
	mask := len(t.index) - 1
	i, step := int(h)&mask, 1
	for ; t.index[i].id != 0; i, step = (i+step)&mask, step+1 {
		if sl := t.index[i]; sl.hash == h && string(t.bytes(buf, int(sl.id-1))) == s {
			return sl.id - 1, true
		}
	}
	if t.n < len(t.few) {
		t.few[t.n] = off
	} else {
		t.more = append(t.more, off)
	}
	t.n++
	t.index[i] = igStrSlot{hash: h, id: uint32(t.n)}
	return 0, false
}

// bytes returns the bytes of string id in buf, the payload being written.
func (t *igEncStrs) bytes(buf []byte, id int) []byte {
	if id < len(t.few) {
		return igWritten(buf, t.few[id])
	}
	return igWritten(buf, t.more[id-len(t.few)])
}

// igWritten returns the bytes of the string (or class name) written in
// full at buf[off]: a string8/16/32/64 or object8/16/32 header, then the
// bytes.
func igWritten(buf []byte, off int) []byte {
	var n uint64
	switch buf[off] {
	case igString8, igObject8:
		n, off = uint64(buf[off+1]), off+2
	case igString16, igObject16:
		n, off = uint64(binary.BigEndian.Uint16(buf[off+1:])), off+3
	case igString32, igObject32:
		n, off = uint64(binary.BigEndian.Uint32(buf[off+1:])), off+5
	default: // igString64
		n, off = binary.BigEndian.Uint64(buf[off+1:]), off+9
	}
	return buf[off : off+int(n)]
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
		t.resize(nil, size) // with no string yet, when the encoder starts
	}
	if t.more == nil {
		t.more = make([]int, 0, n-len(t.few))
	}
}

// resize makes an index of size slots (a power of two) for the strings in
// the table, which buf holds (read only while they are held in place).
func (t *igEncStrs) resize(buf []byte, size int) {
	old := t.index
	if old == nil {
		// The strings held in place, none of them in an index yet.
		var slots [igStrTableScan]igStrSlot
		for id := range t.n {
			// (The bytes written in buf do not change: stringOf's rule.)
			h := igStrHash(stringOf(igWritten(buf, t.few[id])))
			slots[id] = igStrSlot{hash: h, id: uint32(id) + 1}
		}
		old = slots[:t.n]
	}
	t.index = make([]igStrSlot, size)
	t.full = igStrMax(size)
	igStrRehash(t.index, old)
}

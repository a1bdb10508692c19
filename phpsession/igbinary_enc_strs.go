package phpsession

import (
	"encoding/binary"
	"hash/maphash"
	"math/rand/v2"
)

// igEncStrs is the encoder's string table: strings, class names and enum
// case names in the order they were first written in full, their ids
// counting from 0. A hash index finds a string, as igbinary's own table
// (hash_si) does: open addressing, at most 3/4 full (igStrMax), probed by
// steps that grow by one (1, 2, 3, ...: in a table of a power of two they
// reach every slot, and strings whose hashes fall close together do not
// pile up in one run as they do with steps of one). The first strings have
// an index in place, of twice as many slots of one byte each (1 + the id;
// the string is compared directly), so that a small table takes no
// allocation; past those, the index is a slice of slots holding a string's
// hash and id, which is cheap to make and to grow (by doubling, with the
// hashes kept).
//
// A string is not kept as a Go string: the table holds where it was
// written in full in the payload (the offset of its header in the
// encoder's buf), and a candidate is compared with the bytes written
// there. Its lists hold no pointers: filling them takes no write barrier,
// and the garbage collector does not scan them. (The decoder's table is a
// list of igSpan, with no index: it only looks strings up by id.)
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

// igStrSlot is a slot of igEncStrs's index.
type igStrSlot struct {
	hash uint32 // the string's hash: the index of its first slot, and a check before comparing strings
	id   uint32 // 1 + the string's id; 0 for an empty slot
}

// igStrTableScan is the number of strings a table holds in place (once
// searched one by one, now by the in-place index); a table of more has an
// index of its own.
const igStrTableScan = 32

// igStrSmallBits is the log2 of the size of igEncStrs's in-place index,
// twice igStrTableScan: it is at most half full.
const igStrSmallBits = 6

// igStrSeed and igStrKey seed the hashes of igEncStrs's indexes, random
// in each process so that input cannot be crafted to collide.
var (
	igStrSeed = maphash.MakeSeed()
	igStrKey  = rand.Uint32()
)

// igStrRehash puts each slot of old in index, a new and larger index of
// igEncStrs, in the first empty slot of its hash's probe sequence: no
// string is compared, none is hashed again.
func igStrRehash(index, old []igStrSlot) {
	mask := len(index) - 1
	for _, sl := range old {
		if sl.id == 0 {
			continue
		}
		j, step := int(sl.hash)&mask, 1
		for index[j].id != 0 {
			j, step = (j+step)&mask, step+1
		}
		index[j] = sl
	}
}

// igStrMax returns the most strings an index of size slots holds: 3/4 of
// them, as igbinary's own table.
func igStrMax(size int) int { return size / 4 * 3 }

// igStrSmallSlot returns the first slot of s in igEncStrs's in-place
// index: its length, first and last bytes and a random key, multiplied by
// 2^32 divided by the golden ratio, whose top bits spread them (Fibonacci
// hashing). Strings alike in those three collide, and are told apart by
// comparing them; as the index holds at most igStrTableScan strings, a
// search compares that many at most, whatever the input.
func igStrSmallSlot(s string) int {
	x := igStrKey
	if n := len(s); n > 0 {
		x ^= uint32(n)<<16 | uint32(s[0])<<8 | uint32(s[n-1])
	}
	return int(x * 0x9e3779b9 >> (32 - igStrSmallBits))
}

// igStrHash returns the hash of s for igEncStrs's index. It is
// maphash.Comparable, which calls the runtime's string hash directly:
// about 62 instructions for a string of the 100KB session, 9 fewer than
// maphash.String; the encoder pays it for each string it writes.
func igStrHash(s string) uint32 { return uint32(maphash.Comparable(igStrSeed, s)) }

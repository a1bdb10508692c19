package phpsession

import (
	"hash/maphash"
	"math/rand/v2"
	"slices"
)

// The igbinary format (igbinary 3.2, format version 2), as PHP's igbinary
// extension writes it with igbinary_serialize() and with
// session.serialize_handler=igbinary (which serializes $_SESSION exactly as
// igbinary_serialize($_SESSION) does, the empty session included:
// 00 00 00 02 14 00).
//
// A payload is a 4-byte big-endian version header followed by one value.
// Every value starts with a type byte; lengths, counts, ids and integers
// that follow are big-endian and as narrow as the value allows.
//
// Strings, class names and enum case names share one table: the first time
// a non-empty string appears it is written in full and takes the next table
// id; later occurrences are written as string_id (or object_id for a class
// name). A top-level scalar is written without the table.
//
// Arrays, objects (including Serializable, __serialize and enum objects)
// and PHP & references to scalars and arrays take ids in a second table, in
// the order they start. A later occurrence of the same object is an objref;
// a & reference to something already written is 0x25 followed by a ref or
// objref; a copy of an array PHP shares in memory (copy-on-write) is a ref
// without 0x25. The top-level array takes id 0 and is never referenced.
// An object (or enum case) PHP first wrote without 0x25 and & referenced
// later stays out of the reference in PHP: its composite is marked igPlain
// so that it is written without 0x25 again. A copy of an array holding
// objects or references decodes as serialize() writes it (r: and R:
// inside), with the slot of the array it copies in its num, so that it is
// written as a ref again; so do the arrays inside it that hold objects or
// references, and those that hold neither are the array's own (one
// composite, as PHP shares them).
//
// This package's Value model is serialize()'s: the Ref and PHPRef kinds
// count PHP's 1-based slots (every value takes one, in order, except R:
// back-references). The igbinary codec converts between igbinary ids and
// those slots, so that igbinary and serialize() forms of one PHP value
// decode to Equal Values.

// igbinary type bytes.
const (
	igNull        = 0x00
	igRef8        = 0x01
	igRef16       = 0x02
	igRef32       = 0x03
	igFalse       = 0x04
	igTrue        = 0x05
	igLong8p      = 0x06
	igLong8n      = 0x07
	igLong16p     = 0x08
	igLong16n     = 0x09
	igLong32p     = 0x0a
	igLong32n     = 0x0b
	igDouble      = 0x0c
	igStringEmpty = 0x0d
	igStringID8   = 0x0e
	igStringID16  = 0x0f
	igStringID32  = 0x10
	igString8     = 0x11
	igString16    = 0x12
	igString32    = 0x13
	igArray8      = 0x14
	igArray16     = 0x15
	igArray32     = 0x16
	igObject8     = 0x17
	igObject16    = 0x18
	igObject32    = 0x19
	igObjectID8   = 0x1a
	igObjectID16  = 0x1b
	igObjectID32  = 0x1c
	igObjectSer8  = 0x1d
	igObjectSer16 = 0x1e
	igObjectSer32 = 0x1f
	igLong64p     = 0x20
	igLong64n     = 0x21
	igObjRef8     = 0x22
	igObjRef16    = 0x23
	igObjRef32    = 0x24
	igPHPRef      = 0x25
	igString64    = 0x26
	igEnumCase    = 0x27
)

// igVersion is the format version igbinary 2.0 and later write; version 1
// (igbinary 1.x) is read too.
const (
	igVersion   = 2
	igVersion1  = 1
	igHeaderLen = 4
)

// igMaxEncodeDepth bounds nesting on encode, which has no limits, so that
// a Value holding itself is an error rather than a stack overflow.
const igMaxEncodeDepth = 10000

// igStrTable is igbinary's string table: strings, class names and enum case
// names in the order they were first written in full, their ids counting
// from 0. A hash index finds a string, as igbinary's own table (hash_si)
// does: open addressing, at most 3/4 full (igStrMax), probed by steps
// that grow by one (1, 2, 3, ...: in a table of a power of two they reach
// every slot, and strings whose hashes fall close together do not pile up
// in one run as they do with steps of one).
// The first strings are held in place, with an index of twice as many
// slots of one byte each (1 + the id; the string is compared directly), so
// that a small table takes no allocation; past
// those, the index is a slice of slots holding a string's hash and id. Its
// slots hold no pointers, so that it is cheap to make and to grow (by
// doubling, with the hashes kept) and costs the garbage collector nothing to
// scan.
//
// It is the decoder's, for a value that is not a session's: filled by add
// and searched by find (the session decoder keeps where its strings are in
// the payload: igSpan). The encoder has its own, igEncStrs, which finds a
// string in the payload it writes.
type igStrTable struct {
	few   [igStrTableScan]string     // the first strings
	small [1 << igStrSmallBits]uint8 // the index of few: 1 + the id, 0 for an empty slot
	more  []string                   // the strings after them
	n     int                        // strings in the table
	index []igStrSlot                // nil while n <= igStrTableScan (unless reserved); a power of two long, at most 3/4 full (igStrMax)
}

// igStrSlot is a slot of igStrTable's index.
type igStrSlot struct {
	hash uint32 // the string's hash: the index of its first slot, and a check before comparing strings
	id   uint32 // 1 + the string's id; 0 for an empty slot
}

// igStrTableScan is the number of strings a table holds in place (once
// searched one by one, now by the in-place index); a table of more has an
// index of its own.
const igStrTableScan = 32

// igStrSmallBits is the log2 of the size of igStrTable's in-place index,
// twice igStrTableScan: it is at most half full.
const igStrSmallBits = 6

// igStrSeed and igStrKey seed the hashes of igStrTable's indexes, random
// in each process so that input cannot be crafted to collide.
var (
	igStrSeed = maphash.MakeSeed()
	igStrKey  = rand.Uint32()
)

// len returns the number of strings in the table.
func (t *igStrTable) len() int { return t.n }

// at returns the string of id, which is below t.len().
func (t *igStrTable) at(id int) string {
	if id < len(t.few) {
		return t.few[id]
	}
	return t.more[id-len(t.few)]
}

// push gives s the next id, and leaves the index alone (add indexes it).
func (t *igStrTable) push(s string) {
	switch {
	case t.n < len(t.few):
		t.few[t.n] = s
	case t.more == nil:
		t.more = append(make([]string, 0, len(t.few)), s)
	default:
		t.more = append(t.more, s)
	}
	t.n++
}

// find returns an id of s: the first, for the encoder (see add).
func (t *igStrTable) find(s string) (uint32, bool) {
	if t.index == nil {
		i := t.probeSmall(s)
		return uint32(t.small[i]) - 1, t.small[i] != 0
	}
	i := t.probe(s, igStrHash(s))
	return t.index[i].id - 1, t.index[i].id != 0
}

// add gives s the next id. The encoder adds only a string find did not
// find; the decoder may add one again (a string written in full twice),
// and then only needs find to find it, whatever the id.
func (t *igStrTable) add(s string) {
	if t.index == nil {
		i := t.probeSmall(s)
		t.push(s)
		t.insertSmall(i)
		return
	}
	h := igStrHash(s)
	i := t.probe(s, h)
	t.push(s)
	t.insert(i, h)
}

// probeSmall returns the slot of the in-place index that holds s, or else
// the empty slot where s goes.
func (t *igStrTable) probeSmall(s string) int {
	mask := len(t.small) - 1
	for i := igStrSmallSlot(s); ; i = (i + 1) & mask {
		id := t.small[i]
		if id == 0 || t.few[id-1] == s {
			return i
		}
	}
}

// insertSmall puts the last string pushed in slot i of the in-place index
// (which probeSmall gave), and makes the index once the table holds more
// strings than few.
func (t *igStrTable) insertSmall(i int) {
	if t.n > len(t.few) {
		t.resize(2 * len(t.small))
		return
	}
	t.small[i] = uint8(t.n)
}

// resize makes an index of size slots (a power of two) for the strings in
// the table, and room in the list for as many strings as it takes before
// it is full.
func (t *igStrTable) resize(size int) {
	old := t.index
	t.index = make([]igStrSlot, size)
	if room := igStrMax(size) - len(t.few) - len(t.more); room > 0 {
		t.more = slices.Grow(t.more, room)
	}
	if old == nil {
		for id := range t.n {
			s := t.at(id)
			h := igStrHash(s)
			t.index[t.probe(s, h)] = igStrSlot{hash: h, id: uint32(id) + 1}
		}
		return
	}
	igStrRehash(t.index, old)
}

// igStrRehash puts each slot of old in index, a new and larger index of
// igStrTable or igEncStrs, in the first empty slot of its hash's probe
// sequence: no string is compared, none is hashed again.
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

// probe returns the slot of the index that holds s, whose hash is h, or
// else the empty slot where s goes.
func (t *igStrTable) probe(s string, h uint32) int {
	mask := len(t.index) - 1
	for i, step := int(h)&mask, 1; ; i, step = (i+step)&mask, step+1 {
		sl := t.index[i]
		if sl.id == 0 || sl.hash == h && t.at(int(sl.id-1)) == s {
			return i
		}
	}
}

// insert puts the last string pushed, whose hash is h, in slot i of the
// index (which probe gave), and doubles the index once it is full (igStrMax).
func (t *igStrTable) insert(i int, h uint32) {
	t.index[i] = igStrSlot{hash: h, id: uint32(t.n)}
	if t.n > igStrMax(len(t.index)) {
		t.resize(2 * len(t.index))
	}
}

// igStrMax returns the most strings an index of size slots holds: 3/4 of
// them, as igbinary's own table.
func igStrMax(size int) int { return size / 4 * 3 }

// igStrSmallSlot returns the first slot of s in igStrTable's in-place
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

// igStrHash returns the hash of s for igStrTable's and igEncStrs's
// indexes. It is maphash.Comparable, which calls the runtime's string hash
// directly: about 62 instructions for a string of the 100KB session, 9
// fewer than maphash.String; the encoder pays it for each string it writes.
func igStrHash(s string) uint32 { return uint32(maphash.Comparable(igStrSeed, s)) }

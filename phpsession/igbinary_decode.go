package phpsession

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// igRefKind is what an igbinary reference id stands for.
type igRefKind uint8

const (
	igRefArray  igRefKind = iota // a plain array: a later ref8 is a copy of it
	igRefObject                  // an object, enum or Serializable object
	igRefPHP                     // a & reference to a scalar or an array
)

// igRefEntry is one id of the igbinary reference table, as decoded.
type igRefEntry struct {
	// comp is, for an igRefArray, the array's, for copies; for an
	// igRefObject, the object's.
	comp *composite
	slot int // PHP slot of the value (serialize()'s numbering)
	size int // igRefArray: slots the array takes, itself included
	// height is the igRefArray's nesting: 1 for an array of scalars.
	height int32
	kind   igRefKind
	pure   bool // igRefArray: holds no object, reference or & target
	done   bool // igRefArray: fully decoded
	// viaRef is, for an igRefObject, whether its first occurrence was
	// written after 0x25.
	viaRef bool
}

// igDecoder holds the state of one decodeIgbinarySession call.
type igDecoder struct {
	data     []byte
	off      int
	maxDepth int
	depth    int
	deepest  int // deepest nesting reached in the array being decoded

	// spans is the string table: where each string, class name and enum
	// case written in full is in data, by id (the strings are substrings
	// of data). It holds no pointer: adding one takes no write barrier
	// while the garbage collector runs, and the list costs it no scan.
	// It is nil when noStrIDs.
	spans []igSpan
	// noStrIDs is true when the payload refers to no string by id
	// (igCounter walked all of it): most sessions repeat no string, and
	// need no table.
	noStrIDs bool
	// mem holds the value's arrays and objects and their entries, as
	// counted before decoding (see igCounter).
	mem arena

	refs   []igRefEntry
	nids   int  // ids given so far
	noRefs bool // no ref or objref refers to an id (igCounter walked the whole payload): refs is left empty

	slot    int   // last slot taken
	budget  int64 // values the result may still hold, copies included
	impure  int   // objects, references and & targets seen so far
	sources []int // slots written with a 0x25 prefix the first time

	sourceSet map[int]struct{} // sources[:inSet], for recopy
	inSet     int
	sizes     map[*composite]int  // slotsIn results
	enums     map[string]struct{} // enum cases seen ("Enum:Case")

	// sess receives the entries of the top-level array or object, not a
	// composite: made by topEntries, once it knows how many entries the
	// session has.
	sess *Session
	// keepRepeats leaves every occurrence of a repeated name in the
	// session's entries, unfolded (see decodeIgbinarySession).
	keepRepeats bool
	nstrs       int // session: strings and class names written in full (igCounter's count)
	nrefs       int // Ref and PHPRef values made so far, for entry.refs
}

// decodeIgbinarySession decodes a session payload,
// igbinary_serialize($_SESSION): a 4-byte header and one array (or object:
// see below). It returns a *SyntaxError for malformed input and for
// encodings igbinary never writes (integers, lengths, counts or ids wider
// than needed; empty strings written as strings; repeated array keys below
// the top level; numeric-string array keys there; an enum case written
// twice), so that what it accepts re-encodes byte for byte, but for the
// few forms PHP can write that the Value model cannot tell apart:
//   - a string or class name written in full a second time
//     (igbinary.compact_strings=0);
//   - a second empty array written in full (an empty array PHP built by
//     removing elements, not PHP's shared empty array);
//   - a & reference written with 0x25 that nothing else points at (a
//     reference whose other end was outside the serialized value);
//   - a copy (ref8 without 0x25) of an array inside itself, which PHP
//     writes for $a['x']['up'] = &$a and reads as an array holding itself:
//     it decodes as null, as serialize() writes it;
//   - null padding in place of a property: PHP writes it for each
//     uninitialized typed property of an object, which serialize() leaves
//     out (and so does the Value);
//   - a version 1 header.
//
// PHP reads the re-encoding of such a session as the same value:
// serialize() gives the same bytes for both.
//
// The top-level array may have a numeric-string key such as "5". $_SESSION
// keeps the names session_decode() gave it as strings, so PHP writes one
// ("5" from a top-level object's property, or from another handler's
// payload) as a string key, and its igbinary session decoder reads it back
// as "5" (an int key it skips). Such a key stays a String, for
// appendIgbinarySession. Strings, class names and payloads share data's
// memory (DecodeSession's rule: data must not change after the call).
//
// It decodes the session's entries straight from the top-level array (or
// object: PHP's igbinary session decoder takes a top-level object's
// properties as the session's names, and writes the session back as an
// array), each with the slots it takes and whether it holds references, as
// Session keeps them. An empty payload is an empty session.
//
// With keepRepeats, every occurrence of a repeated name keeps an entry, as
// the slots count them (see decodeOccurrences).
func decodeIgbinarySession(data []byte, lim limits, keepRepeats bool) (*Session, error) {
	var s *Session
	if len(data) == 0 {
		s = &Session{distinct: true}
	} else {
		d := igDecoder{keepRepeats: keepRepeats}
		v, err := d.decode(data, lim)
		if err != nil {
			return nil, err
		}
		if v.kind() != Array && v.kind() != Object {
			return nil, &SyntaxError{Offset: 0, Msg: "igbinary session is a " + v.kind().String() + ", not an array or object", Err: ErrSyntax}
		}
		s = d.sess
		s.igStrings = int32(min(d.nstrs, math.MaxInt32))
	}
	s.format, s.orig = FormatIgbinary, data
	s.setLimits(lim)
	return s, nil
}

// igSessionMem is a Session with room for the entries and values of a
// small igbinary session (a login, a flash message and a user are a few
// names), so that they take one allocation, not three (as sessionMem does
// for the text formats). A session of more entries is a Session alone,
// with lists of its own, and an empty one a Session alone (topEntries
// knows which from the count of the top-level array before it makes
// either).
// (A name is where the payload has it, unless it is an int key or written
// by string id: those are in Session.names.)
type igSessionMem struct {
	s       Session
	entries [4]entry
	vals    [4]Value
}

// decode is decodeIgbinarySession's decoding, which leaves the entries in
// d.sess; the Value it returns is the top-level array or object.
func (d *igDecoder) decode(data []byte, lim limits) (Value, error) {
	lim = lim.orDefault()
	if int64(len(data)) > lim.maxSize {
		return Value{}, &SyntaxError{Offset: 0, Msg: fmt.Sprintf("igbinary: input of %d bytes is over the %d-byte limit", len(data), lim.maxSize), Err: ErrTooLarge}
	}
	d.data, d.maxDepth = data, lim.maxDepth
	// A copy of an array is two bytes however big the array: bound what
	// the Value may hold so that nested copies cannot multiply it.
	d.budget = 1<<20 + 16*int64(len(data))
	if len(data) < igHeaderLen+1 {
		return Value{}, d.errEnd(len(data), "header and value")
	}
	switch binary.BigEndian.Uint32(data) {
	case igVersion, igVersion1:
	default:
		return Value{}, d.err(0, fmt.Sprintf("header %x is not version 1 or 2", data[:4]), ErrSyntax)
	}
	c := igCounter{data: data, off: igHeaderLen, maxDepth: d.maxDepth}
	whole := c.value() && c.off == len(data)
	if c.comps > 0 || c.ents > 0 {
		d.mem = newArena(c.comps, c.ents)
	}
	// The string table is only there to be referred to by id: it needs
	// none when no id follows (most sessions repeat no string).
	d.noStrIDs = whole && c.strIDs == 0
	if !d.noStrIDs {
		d.spans = make([]igSpan, 0, c.strs)
	}
	d.nstrs = c.strs
	// Nor does the reference table when no ref or objref follows.
	d.noRefs = whole && c.refs == 0
	if c.ids > 0 && !d.noRefs {
		d.refs = make([]igRefEntry, 0, c.ids)
	}
	d.off = igHeaderLen
	var v Value
	if !d.commonValue(&v) {
		var err error
		if v, err = d.other(); err != nil {
			return Value{}, err
		}
	}
	if d.off != len(d.data) {
		return Value{}, d.err(d.off, fmt.Sprintf("%d bytes after the igbinary value", len(d.data)-d.off), ErrSyntax)
	}
	return v, nil
}

func (d *igDecoder) err(off int, msg string, sentinel error) error {
	return &SyntaxError{Offset: int64(off), Msg: "igbinary: " + msg, Err: sentinel}
}

func (d *igDecoder) errEnd(off int, what string) error {
	return d.err(off, "unexpected end of input in "+what, ErrUnexpectedEnd)
}

// need checks that n more bytes follow the current offset.
func (d *igDecoder) need(n uint64, what string) error {
	if n > uint64(len(d.data)-d.off) {
		return d.errEnd(len(d.data), what)
	}
	return nil
}

// uint reads a big-endian unsigned integer of width bytes (1, 2, 4 or 8)
// and checks that it needed that width: a value that fits in the next
// narrower width is refused, as igbinary never writes one.
func (d *igDecoder) uint(width int, what string) (uint64, error) {
	if width > len(d.data)-d.off {
		return 0, d.errEnd(len(d.data), what)
	}
	b := d.data[d.off:]
	d.off += width
	var n, min uint64
	switch width {
	case 1:
		return uint64(b[0]), nil
	case 2:
		n, min = uint64(binary.BigEndian.Uint16(b)), 0xff
	case 4:
		n, min = uint64(binary.BigEndian.Uint32(b)), 0xffff
	default:
		n, min = binary.BigEndian.Uint64(b), 0xffffffff
	}
	if n <= min {
		return 0, d.err(d.off-width-1, fmt.Sprintf("%s %d written in %d bytes, igbinary writes it narrower", what, n, width), ErrSyntax)
	}
	return n, nil
}

// igWidth returns the width of the number after a type byte that comes in
// 8/16/32-bit variants starting at base.
func igWidth(t, base byte) int { return 1 << (t - base) }

// take counts one more value against the budget and gives it the next slot.
func (d *igDecoder) take(off int) (int, error) {
	return d.takeN(off, 1)
}

func (d *igDecoder) takeN(off, n int) (int, error) {
	d.budget -= int64(n)
	if d.budget < 0 {
		return 0, d.err(off, "value holds too many values (copies of arrays included)", ErrTooLarge)
	}
	d.slot += n
	return d.slot - n + 1, nil
}

// commonValue reads the value at d.off into *v when common can, and gives
// it its slot; it reports whether it did. Inlined, it spares its callers a
// call for most values (they call other for the rest).
func (d *igDecoder) commonValue(v *Value) bool {
	if d.budget > 0 && d.common(v) {
		d.budget--
		d.slot++
		return true
	}
	return false
}

// other decodes the value at the current offset, in a form common does
// not read.
func (d *igDecoder) other() (Value, error) {
	start := d.off
	if start >= len(d.data) {
		return Value{}, d.errEnd(len(d.data), "value")
	}
	t := d.data[start]
	d.off++
	switch t {
	case igPHPRef:
		return d.phpRef(start)
	case igRef8, igRef16, igRef32:
		return d.arrayCopy(start, igWidth(t, igRef8))
	case igObjRef8, igObjRef16, igObjRef32:
		e, err := d.refEntry(start, igWidth(t, igObjRef8))
		if err != nil {
			return Value{}, err
		}
		if e.kind != igRefObject {
			return Value{}, d.err(start, "objref to something that is not an object", ErrBadReference)
		}
		if _, err := d.take(start); err != nil {
			return Value{}, err
		}
		d.impure++
		d.nrefs++
		return RefValue(e.slot), nil
	case igArray8, igArray16, igArray32:
		return d.array(start, t, false)
	case igObject8, igObject16, igObject32, igObjectID8, igObjectID16, igObjectID32:
		return d.object(start, t, false)
	}
	if _, err := d.take(start); err != nil {
		return Value{}, err
	}
	return d.scalar(start, t)
}

// common reads the value at d.off, of type byte t, when it is in one of
// the forms most values take (null, a bool, an int of one byte, a string of
// up to 255 bytes written in full or by a one-byte id), whole and as
// igbinary writes it, and reports whether it did; it takes no slot. It
// reads each form in one step, with one check of the bytes left. Any other
// form, or one of these that is cut short or not minimal, is left to
// other and key (false, d and *v unchanged), which read it the general way
// and say what is wrong.
func (d *igDecoder) common(v *Value) bool {
	data, i := d.data, d.off
	if i >= len(data) {
		return false
	}
	switch t := data[i]; t {
	case igNull:
		*v, d.off = NullValue(), i+1
	case igFalse, igTrue:
		*v, d.off = BoolValue(t == igTrue), i+1
	case igLong8p, igLong8n:
		if i+1 >= len(data) || t == igLong8n && data[i+1] == 0 {
			return false
		}
		n := int64(data[i+1])
		if t == igLong8n {
			n = -n
		}
		*v, d.off = IntValue(n), i+2
	case igString8:
		if i+1 >= len(data) {
			return false
		}
		n := int(data[i+1])
		if n == 0 || n > len(data)-i-2 {
			return false
		}
		*v, d.off = StringValue(d.addStr(i+2, i+2+n)), i+2+n
	case igStringID8:
		if i+1 >= len(data) || int(data[i+1]) >= d.nstrIDs() {
			return false
		}
		*v, d.off = StringValue(d.strAt(int(data[i+1]))), i+2
	default:
		return false
	}
	return true
}

// scalar decodes a null, bool, int, float or string whose type byte t is
// at start.
func (d *igDecoder) scalar(start int, t byte) (Value, error) {
	switch t {
	case igNull:
		return NullValue(), nil
	case igFalse:
		return BoolValue(false), nil
	case igTrue:
		return BoolValue(true), nil
	case igLong8p, igLong8n, igLong16p, igLong16n, igLong32p, igLong32n, igLong64p, igLong64n:
		i, err := d.long(start, t)
		return IntValue(i), err
	case igDouble:
		if err := d.need(8, "double"); err != nil {
			return Value{}, err
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(d.data[d.off:]))
		d.off += 8
		return FloatValue(f), nil
	case igStringEmpty, igStringID8, igStringID16, igStringID32, igString8, igString16, igString32, igString64:
		s, err := d.str(start, t)
		return StringValue(s), err
	}
	return Value{}, d.err(start, fmt.Sprintf("unknown igbinary type 0x%02x", t), ErrSyntax)
}

// long decodes the integer after type byte t.
func (d *igDecoder) long(start int, t byte) (int64, error) {
	var w int
	neg := false
	switch t {
	case igLong8p, igLong8n:
		w, neg = 1, t == igLong8n
	case igLong16p, igLong16n:
		w, neg = 2, t == igLong16n
	case igLong32p, igLong32n:
		w, neg = 4, t == igLong32n
	default:
		w, neg = 8, t == igLong64n
	}
	u, err := d.uint(w, "integer")
	if err != nil {
		return 0, err
	}
	switch {
	case neg && u == 0:
		return 0, d.err(start, "negative zero integer", ErrSyntax)
	case !neg && u > math.MaxInt64, neg && u > 1<<63:
		return 0, d.err(start, "integer out of the int64 range", ErrSyntax)
	}
	if neg {
		return int64(-u), nil
	}
	return int64(u), nil
}

// str decodes a string whose type byte t is at start: empty, in full (it
// joins the string table) or by table id.
func (d *igDecoder) str(start int, t byte) (string, error) {
	switch t {
	case igStringEmpty:
		return "", nil
	case igStringID8, igStringID16, igStringID32:
		return d.strID(start, igWidth(t, igStringID8))
	case igString8, igString16, igString32:
		return d.chars(start, igWidth(t, igString8))
	case igString64:
		return d.chars(start, 8)
	}
	return "", d.err(start, fmt.Sprintf("type 0x%02x where a string was expected", t), ErrSyntax)
}

func (d *igDecoder) strID(start, w int) (string, error) {
	id, err := d.uint(w, "string id")
	if err != nil {
		return "", err
	}
	if id >= uint64(d.nstrIDs()) {
		return "", d.err(start, fmt.Sprintf("string id %d with %d strings so far", id, d.nstrIDs()), ErrBadReference)
	}
	return d.strAt(int(id)), nil
}

// igSpan is where a string is in the payload: data[start:end].
type igSpan struct{ start, end int32 }

// nstrIDs returns the number of string ids given so far: 0 without a
// table (noStrIDs).
func (d *igDecoder) nstrIDs() int { return len(d.spans) }

// strAt returns the string of id, which is below nstrIDs().
func (d *igDecoder) strAt(id int) string {
	sp := d.spans[id]
	return stringOf(d.data[sp.start:sp.end])
}

// chars reads a length of w bytes and that many bytes, and adds them to the
// string table.
func (d *igDecoder) chars(start, w int) (string, error) {
	n, err := d.uint(w, "string length")
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", d.err(start, "empty string written with a length", ErrSyntax)
	}
	if err := d.need(n, "string"); err != nil {
		return "", d.err(start, fmt.Sprintf("string of %d bytes with %d bytes left", n, len(d.data)-d.off), ErrTooLarge)
	}
	s := d.addStr(d.off, d.off+int(n))
	d.off += int(n)
	return s, nil
}

// addStr returns the string written in full at data[start:end], and adds
// it to the string table. Most sessions have no table (noStrIDs): their
// strings are read here, inlined in the callers, without a call.
func (d *igDecoder) addStr(start, end int) string {
	if d.noStrIDs {
		return stringOf(d.data[start:end])
	}
	return d.addToTable(start, end)
}

// addToTable is addStr for a payload that refers to strings by id. The
// table needs no index to find a string: a string written in full twice
// (igbinary.compact_strings=0) takes two ids.
func (d *igDecoder) addToTable(start, end int) string {
	d.spans = append(d.spans, igSpan{int32(start), int32(end)})
	return stringOf(d.data[start:end])
}

// count reads the element count after an array type byte t at start and
// checks it against the bytes left: each element takes at least two.
func (d *igDecoder) count(start int, t byte) (int, error) {
	var n uint64
	if i := d.off; t == igArray8 && i < len(d.data) {
		n, d.off = uint64(d.data[i]), i+1 // the commonest: one byte, always minimal
	} else {
		var err error
		if n, err = d.uint(igWidth(t, igArray8), "array size"); err != nil {
			return 0, err
		}
	}
	// An element takes two bytes at least, but padding for an
	// uninitialized property takes one.
	if n > uint64(len(d.data)-d.off) {
		return 0, d.err(start, fmt.Sprintf("array of %d elements with %d bytes left", n, len(d.data)-d.off), ErrTooLarge)
	}
	return int(n), nil
}

func (d *igDecoder) enter(start int) error {
	d.depth++
	d.deepest = max(d.deepest, d.depth)
	if d.depth > d.maxDepth {
		return d.err(start, fmt.Sprintf("value nested deeper than %d", d.maxDepth), ErrMaxDepth)
	}
	return nil
}

// array decodes an array whose type byte t is at start. asRef is true after
// 0x25: the id then stands for the & reference.
func (d *igDecoder) array(start int, t byte, asRef bool) (Value, error) {
	slot, err := d.take(start)
	if err != nil {
		return Value{}, err
	}
	if err := d.enter(start); err != nil {
		return Value{}, err
	}
	n, err := d.count(start, t)
	if err != nil {
		return Value{}, err
	}
	kind := igRefArray
	if asRef {
		kind = igRefPHP
	}
	id := d.newID(igRefEntry{kind: kind, slot: slot})
	impure := d.impure
	outer := d.deepest
	d.deepest = d.depth
	var a Value
	if d.depth == 1 {
		// The top-level array: its entries are the session's.
		a.comp = &igSessionArray
		err = d.topEntries(n, true)
	} else {
		a.comp = d.mem.composite(Array, 0)
		a.comp.entries, err = d.entries(n, true)
	}
	if err != nil {
		return Value{}, err
	}
	if !d.noRefs {
		e := &d.refs[id]
		e.comp, e.size, e.pure, e.done = a.comp, d.slot-slot+1, d.impure == impure, true
		e.height = int32(d.deepest - d.depth + 1)
	}
	d.deepest = max(outer, d.deepest)
	d.depth-- // (an error ends the decoding: it leaves depth as it is)
	return a, nil
}

// igSessionArray is the composite of a session's top-level array, whose
// entries are the session's (see topEntries): it holds none, and nothing
// writes to it.
var igSessionArray = composite{kind: Array}

// newID gives e the next reference id, and returns it. The reference
// table keeps e only when the payload refers to ids (see noRefs).
func (d *igDecoder) newID(e igRefEntry) int {
	id := d.nids
	d.nids++
	if !d.noRefs {
		d.refs = append(d.refs, e)
	}
	return id
}

// igKeySet finds a repeated key in a big array: string keys by a map;
// int keys by a map only once one does not follow the one before in
// increasing order (as in a PHP list, where none can repeat).
type igKeySet struct {
	strs     map[string]struct{}
	ints     map[int64]struct{}
	last     int64
	someInts bool
}

// add adds k, the next key of es, and reports whether it was there.
func (s *igKeySet) add(k Value, es []Entry) bool {
	if k.kind() == String {
		if s.strs == nil {
			s.strs = make(map[string]struct{}, min(len(es)+1, 1024))
		}
		_, dup := s.strs[k.str]
		s.strs[k.str] = struct{}{}
		return dup
	}
	i := int64(k.num)
	if s.ints == nil {
		if !s.someInts || i > s.last {
			s.someInts, s.last = true, i
			return false
		}
		s.ints = make(map[int64]struct{}, min(len(es)+1, 1024))
		for _, e := range es {
			if e.Key.kind() == Int {
				s.ints[int64(e.Key.num)] = struct{}{}
			}
		}
	}
	_, dup := s.ints[i]
	s.ints[i] = struct{}{}
	return dup
}

// entries decodes n keys (array keys if inArray, else property names) and
// values, refusing an array key that repeats. A property name may repeat:
// PHP writes a name as often as __sleep() returns it (serialize() writes
// it once), and igbinary_unserialize() keeps the last value (the same
// value, read again). The Value keeps every occurrence, so that it encodes
// back byte for byte.
//
// A null in place of a key is padding PHP writes for an uninitialized typed
// property (PHP's serialize() leaves those out): it is skipped.
func (d *igDecoder) entries(n int, inArray bool) ([]Entry, error) {
	if d.depth == 1 {
		return nil, d.topEntries(n, inArray)
	}
	// Each entry is read in its place: es[:m] are read, es[m:] are zero.
	es := d.mem.take(n)
	if es == nil && n > 0 {
		es = make([]Entry, min(n, 1024)) // grows with what is really there
	}
	m := 0
	var seen igKeySet
	for range n {
		koff := d.off
		if d.off < len(d.data) && d.data[d.off] == igNull {
			d.padding()
			continue
		}
		if m == len(es) {
			es = append(es, Entry{})
			es = es[:cap(es)]
		}
		e := &es[m]
		if err := d.key(inArray, &e.Key); err != nil {
			return nil, err
		}
		if inArray {
			var dup bool
			if n > 16 {
				dup = seen.add(e.Key, es[:m])
			} else {
				dup = hasKey(es[:m], e.Key)
			}
			if dup {
				return nil, d.err(koff, "key "+igKeyString(e.Key)+" repeated", ErrSyntax)
			}
		}
		if !d.commonValue(&e.Value) {
			var err error
			if e.Value, err = d.other(); err != nil {
				return nil, err
			}
		}
		m++
	}
	return es[:m], nil
}

// padding passes a null in place of a key, padding for an uninitialized
// typed property (see entries).
func (d *igDecoder) padding() { d.off++ }

// topEntries decodes the n entries of a session's top-level array or
// object (see entries) into d.sess as the session's entries, with no
// Entry in between: an int key's name is its decimal text, and each entry
// knows the slots its value takes and whether it holds references.
//
// A name written twice is kept twice, and folded on first need, as the
// text decoder does (see Session.distinctNames), unless the session has
// foldMin entries or more: then each repeat is folded as it is read, with
// the index, so that a payload of one name written over and over takes no
// more memory than its distinct names.
func (d *igDecoder) topEntries(n int, inArray bool) error {
	var s *Session
	switch size := min(n, 1024); { // grows with what is really there
	case size == 0:
		s = new(Session)
	case size <= len(igSessionMem{}.entries):
		m := new(igSessionMem)
		s = &m.s
		s.entries, s.vals = m.entries[:0], m.vals[:0]
	default:
		s = new(Session)
		s.entries, s.vals = make([]entry, 0, size), make([]Value, 0, size)
	}
	s.orig = d.data // names are read from it as they come
	d.sess = s
	var at igNames // made when the session has foldMin entries or more
	if n >= foldMin && !d.keepRepeats {
		at.strs = make(map[string]int32, 1024)
	}
	ints := false // some key is an int
	for range n {
		koff := d.off
		if d.off < len(d.data) && d.data[d.off] == igNull {
			d.padding()
			continue
		}
		var k Value
		if err := d.key(false, &k); err != nil {
			return err
		}
		e := entry{intKey: k.kind() == Int, touched: true}
		name := k.str
		if e.intKey {
			name = strconv.FormatInt(int64(k.num), 10)
			ints = true
		}
		// A name written in full (not by string id) ends where the key
		// does, in the payload.
		t, nameEnd := d.data[koff], d.off
		inFull := t == igString8 || t == igString16 || t == igString32 || t == igString64
		// The value is read in its place in s.vals (see newVal): a
		// repeated name's, in that of the value it replaces.
		j := at.find(name, e.intKey)
		var v *Value
		if j >= 0 {
			v = &s.vals[s.entries[j].val-1]
		} else {
			v = s.newVal(&e)
		}
		slot, refs := d.slot, d.nrefs
		if !d.commonValue(v) {
			var err error
			if *v, err = d.other(); err != nil {
				return err
			}
		}
		e.first, e.nslots, e.refs = int32(slot+1), int32(d.slot-slot), d.nrefs > refs
		if j >= 0 {
			// A repeated name: PHP's session decoder updates its value
			// in its place (see Session). The slots of the value it
			// replaces are in no entry: references are refused below.
			if d.nrefs > 0 {
				return d.errRepeated(koff, igKeyString(k))
			}
			old := &s.entries[j]
			e.nameStart, e.nameEnd, e.val = old.nameStart, old.nameEnd, old.val
			*old, s.folded = e, true
			continue
		}
		if s.folded && d.nrefs > 0 {
			return d.errRepeated(koff, igKeyString(k))
		}
		if inFull {
			e.nameStart, e.nameEnd = int32(nameEnd-len(name)), int32(nameEnd)
		} else {
			s.setName(&e, name)
		}
		s.entries = append(s.entries, e)
		at.add(name, e.intKey, len(s.entries)-1)
	}
	switch {
	case at.strs != nil:
		// Folded as read. The names of a session of string keys are
		// distinct: at.strs is then the index find would build.
		if at.ints == nil {
			s.index = at.strs
		}
		s.distinct = true
	case ints && !d.keepRepeats:
		// An int key and a string key of the same text are two names
		// (see decodeIgbinarySession), which Session.distinctNames
		// would fold into one: fold them here, apart.
		return d.foldTop()
	case d.nrefs > 0:
		// A repeated name is folded on first need, which a session that
		// holds references cannot be (see above).
		if name, repeats := s.repeatedName(); repeats {
			return d.errRepeated(igHeaderLen, strconv.Quote(name))
		}
	}
	return nil
}

// foldTop folds each repeated name of a session of fewer than foldMin
// entries, some of them int keys, into its first entry, with the value of
// the last, as topEntries does with the index as it reads a larger one.
func (d *igDecoder) foldTop() error {
	s := d.sess
	var at igNames
	at.strs = make(map[string]int32, len(s.entries))
	n := 0
	for i := range s.entries {
		e := s.entries[i]
		name := s.name(&e)
		j := at.find(name, e.intKey)
		if j < 0 {
			s.entries[n] = e
			at.add(name, e.intKey, n)
			n++
			continue
		}
		if d.nrefs > 0 {
			return d.errRepeated(igHeaderLen, strconv.Quote(name))
		}
		old := &s.entries[j]
		e.nameStart, e.nameEnd = old.nameStart, old.nameEnd
		*old, s.folded = e, true
	}
	s.entries, s.distinct = s.entries[:n], true
	return nil
}

// errRepeated returns the error for a key (as igKeyString writes it)
// repeated in a session that holds references, at off: DecodeSession
// refuses it (PHP never writes one, and cannot read some).
func (d *igDecoder) errRepeated(off int, key string) error {
	return d.err(off, "key "+key+" repeated in a session that holds references", ErrSyntax)
}

// igNames finds the entries of a session's top-level array by name, when
// it has foldMin entries or more: its string keys and its int keys (whose
// names are their decimal text) each by a map of the name to the entry.
type igNames struct {
	strs, ints map[string]int32
}

// add adds the entry i of name and intKey, once the maps are made.
func (at *igNames) add(name string, intKey bool, i int) {
	switch {
	case at.strs == nil:
	case !intKey:
		at.strs[name] = int32(i)
	case at.ints == nil:
		at.ints = map[string]int32{name: int32(i)}
	default:
		at.ints[name] = int32(i)
	}
}

// find returns the index of the entry with name and intKey, or -1 (always
// while the maps are not made).
func (at *igNames) find(name string, intKey bool) int {
	if at.strs == nil {
		return -1
	}
	m := at.strs
	if intKey {
		m = at.ints
	}
	if i, ok := m[name]; ok {
		return int(i)
	}
	return -1
}

// key decodes an array key or a property name into *k (an entry's, in
// place). With numCheck (an array key, but for a session's names: see
// decodeIgbinarySession), a string key that reads as an int is refused.
func (d *igDecoder) key(numCheck bool, k *Value) error {
	start := d.off
	if start >= len(d.data) {
		return d.errEnd(len(d.data), "array key")
	}
	switch t := d.data[start]; t {
	case igLong8p, igLong8n, igLong16p, igLong16n, igLong32p, igLong32n, igLong64p, igLong64n:
		if d.common(k) {
			return nil
		}
		d.off++
		i, err := d.long(start, t)
		*k = IntValue(i)
		return err
	case igStringEmpty, igStringID8, igStringID16, igStringID32, igString8, igString16, igString32, igString64:
		if !d.common(k) {
			d.off++
			s, err := d.str(start, t)
			if err != nil {
				return err
			}
			*k = StringValue(s)
		}
	default:
		return d.err(start, fmt.Sprintf("type 0x%02x is not an array key", t), ErrSyntax)
	}
	// A string key that reads as an int is refused (PHP writes it as an
	// int); one that starts with neither '-' nor a digit cannot.
	if s := k.str; numCheck && s != "" && (s[0] == '-' || '0' <= s[0] && s[0] <= '9') {
		if _, isInt := canonicalInt(s); isInt {
			return d.err(start, fmt.Sprintf("array key %q is a numeric string, PHP writes it as an int", k.str), ErrSyntax)
		}
	}
	return nil
}

// hasKey reports whether an entry has key k (same kind and contents: the
// keys are ints and strings, whose Values of one kind share a composite).
func hasKey(es []Entry, k Value) bool {
	for i := range es {
		if es[i].Key == k {
			return true
		}
	}
	return false
}

func igKeyString(k Value) string {
	if k.kind() == Int {
		return fmt.Sprint(int64(k.num))
	}
	return fmt.Sprintf("%q", k.str)
}

// object decodes an object, Serializable object or enum case whose type
// byte t (object8... or object_id8...) is at start; asRef is true after
// 0x25.
//
// Its composite is made before its properties are read, so that a later &
// reference to an object first written without 0x25 can mark it igPlain,
// even from inside it.
func (d *igDecoder) object(start int, t byte, asRef bool) (Value, error) {
	slot, err := d.take(start)
	if err != nil {
		return Value{}, err
	}
	if err := d.enter(start); err != nil {
		return Value{}, err
	}
	v, err := d.objectIn(start, t, slot, asRef)
	d.depth-- // (an error ends the decoding: it leaves depth as it is)
	return v, err
}

// objectIn decodes what follows the type byte t at start of an object at
// slot, once inside it (see object).
func (d *igDecoder) objectIn(start int, t byte, slot int, asRef bool) (Value, error) {
	var class string
	var err error
	if t >= igObjectID8 {
		class, err = d.strID(start, igWidth(t, igObjectID8))
	} else {
		class, err = d.chars(start, igWidth(t, igObject8))
	}
	if err != nil {
		return Value{}, err
	}
	c := d.mem.composite(Object, 0)
	d.newID(igRefEntry{kind: igRefObject, slot: slot, comp: c, viaRef: asRef})
	d.impure++
	inner := d.off
	if err := d.need(1, "object"); err != nil {
		return Value{}, err
	}
	t = d.data[d.off]
	d.off++
	switch t {
	case igArray8, igArray16, igArray32:
		n, err := d.count(inner, t)
		if err != nil {
			return Value{}, err
		}
		if c.entries, err = d.entries(n, false); err != nil {
			return Value{}, err
		}
		return Value{str: class, comp: c}, nil
	case igObjectSer8, igObjectSer16, igObjectSer32:
		n, err := d.uint(igWidth(t, igObjectSer8), "serialized object length")
		if err != nil {
			return Value{}, err
		}
		if err := d.need(n, "serialized object"); err != nil {
			return Value{}, d.err(inner, fmt.Sprintf("serialized object of %d bytes with %d bytes left", n, len(d.data)-d.off), ErrTooLarge)
		}
		c.kind, c.payload = Custom, stringOf(d.data[d.off:d.off+int(n)])
		d.off += int(n)
		return Value{str: class, comp: c}, nil
	case igEnumCase:
		coff := d.off
		if err := d.need(1, "enum case"); err != nil {
			return Value{}, err
		}
		ct := d.data[d.off]
		d.off++
		if ct == igStringEmpty {
			return Value{}, d.err(coff, "enum case with an empty name", ErrSyntax)
		}
		name, err := d.str(coff, ct)
		if err != nil {
			return Value{}, err
		}
		if strings.IndexByte(class, ':') >= 0 {
			return Value{}, d.err(start, fmt.Sprintf("enum name %q holds a ':'", class), ErrSyntax)
		}
		// An enum case gets a composite of its own, not the shared one
		// of scalars, as it may be marked igPlain.
		c.kind = Enum
		v := Value{comp: c, str: class + ":" + name}
		if _, dup := d.enums[v.str]; dup {
			return Value{}, d.err(start, "enum case "+v.str+" written twice (PHP writes an objref to the first)", ErrSyntax)
		}
		if d.enums == nil {
			d.enums = make(map[string]struct{})
		}
		d.enums[v.str] = struct{}{}
		return v, nil
	}
	return Value{}, d.err(inner, fmt.Sprintf("type 0x%02x after a class name", t), ErrSyntax)
}

// refEntry reads a reference id of width w and returns its entry.
func (d *igDecoder) refEntry(start, w int) (*igRefEntry, error) {
	id, err := d.uint(w, "reference id")
	if err != nil {
		return nil, err
	}
	if id >= uint64(len(d.refs)) {
		return nil, d.err(start, fmt.Sprintf("reference id %d with %d ids so far", id, len(d.refs)), ErrBadReference)
	}
	return &d.refs[id], nil
}

// phpRef decodes what follows a 0x25 at start: a & reference, either to a
// value written here for the first time or (ref/objref) to one before.
func (d *igDecoder) phpRef(start int) (Value, error) {
	if err := d.need(1, "reference"); err != nil {
		return Value{}, err
	}
	t := d.data[d.off]
	d.off++
	switch t {
	case igRef8, igRef16, igRef32, igObjRef8, igObjRef16, igObjRef32:
		base, want := byte(igRef8), igRefPHP
		if t >= igObjRef8 {
			base, want = igObjRef8, igRefObject
		}
		e, err := d.refEntry(start, igWidth(t, base))
		if err != nil {
			return Value{}, err
		}
		if e.kind != want {
			return Value{}, d.err(start, "& reference to an id of the wrong kind", ErrBadReference)
		}
		if want == igRefObject && !e.viaRef {
			// The object was first written without 0x25: PHP keeps
			// that occurrence out of the reference.
			e.comp.igPlain = true
		}
		d.impure++
		d.nrefs++
		return PHPRefValue(e.slot), nil
	case igArray8, igArray16, igArray32:
		slot := d.slot + 1
		v, err := d.array(d.off-1, t, true)
		if err == nil {
			d.sources = append(d.sources, slot)
			d.impure++
		}
		return v, err
	case igObject8, igObject16, igObject32, igObjectID8, igObjectID16, igObjectID32:
		slot := d.slot + 1
		v, err := d.object(d.off-1, t, true)
		if err == nil {
			d.sources = append(d.sources, slot)
		}
		return v, err
	case igPHPRef:
		return Value{}, d.err(start, "& reference to a & reference", ErrSyntax)
	}
	slot, err := d.take(start)
	if err != nil {
		return Value{}, err
	}
	v, err := d.scalar(d.off-1, t)
	if err != nil {
		return Value{}, err
	}
	d.newID(igRefEntry{kind: igRefPHP, slot: slot})
	d.sources = append(d.sources, slot)
	d.impure++
	return v, nil
}

// arrayCopy decodes a ref8/16/32 without 0x25: a copy of an array PHP
// shared in memory.
func (d *igDecoder) arrayCopy(start, w int) (Value, error) {
	e, err := d.refEntry(start, w)
	if err != nil {
		return Value{}, err
	}
	if e.kind != igRefArray {
		return Value{}, d.err(start, "array ref to something that is not a plain array", ErrBadReference)
	}
	if !e.done {
		// PHP writes this for an array that holds a & reference to an
		// array holding it ($a['x']['up'] = &$a), and reads it as an array
		// holding itself, which serialize() writes as N;: so does the
		// Value.
		if _, err := d.take(start); err != nil {
			return Value{}, err
		}
		return NullValue(), nil
	}
	// The copy nests as deep as the array did, here.
	if d.depth+int(e.height) > d.maxDepth {
		return Value{}, d.err(start, fmt.Sprintf("value nested deeper than %d (through a copy of an array)", d.maxDepth), ErrMaxDepth)
	}
	d.deepest = max(d.deepest, d.depth+int(e.height))
	if e.pure {
		if _, err := d.takeN(start, e.size); err != nil {
			return Value{}, err
		}
		return Value{comp: e.comp}, nil
	}
	// serialize() writes the copy again in full, its objects as r: and
	// its & references as R:; do the same so both forms decode alike. The
	// copy keeps the slot of the array in num, for the encoder.
	d.impure++
	if d.sourceSet == nil {
		d.sourceSet = make(map[int]struct{})
	}
	for _, s := range d.sources[d.inSet:] {
		d.sourceSet[s] = struct{}{}
	}
	d.inSet = len(d.sources)
	src := e.slot
	c, err := d.recopy(start, Value{comp: e.comp}, &src)
	c.num = uint64(e.slot)
	return c, err
}

// recopy returns the copy of v, whose slot in the original is *src, as
// serialize() would write it; *src advances past v in the original.
func (d *igDecoder) recopy(start int, v Value, src *int) (Value, error) {
	if v.kind() == PHPRef {
		d.nrefs++
		return v, nil
	}
	mine := *src
	if _, err := d.take(start); err != nil {
		return Value{}, err
	}
	_, isSource := d.sourceSet[mine]
	switch {
	case isSource:
		*src += d.slotsIn(v)
		d.slot-- // R: takes no slot
		d.nrefs++
		return PHPRefValue(mine), nil
	case v.kind() == Object || v.kind() == Custom || v.kind() == Enum:
		*src += d.slotsIn(v)
		d.nrefs++
		return RefValue(mine), nil
	case v.kind() == Ref:
		// An r: of the array is one in the copy too: the entry holds a
		// reference (entry.refs), which the encoder scans.
		*src++
		d.nrefs++
		return v, nil
	case v.kind() != Array:
		*src++
		return v, nil
	}
	*src++
	if d.plainAt(v, mine) {
		// Nothing in it is written otherwise in a copy: PHP shares the
		// array, and the copy is the same composite, which the encoder
		// writes as a ref to it.
		n := d.slotsIn(v) - 1
		if _, err := d.takeN(start, n); err != nil {
			return Value{}, err
		}
		*src += n
		return v, nil
	}
	es := make([]Entry, len(v.comp.entries))
	for i, e := range v.comp.entries {
		c, err := d.recopy(start, e.Value, src)
		if err != nil {
			return Value{}, err
		}
		es[i] = Entry{Key: e.Key, Value: c}
	}
	// A copy of the array at slot mine (or of the one that is a copy of),
	// as the outer one is.
	num := uint64(mine)
	if v.num != 0 {
		num = v.num
	}
	return Value{num: num, comp: &composite{kind: Array, entries: es}}, nil
}

// plainAt reports whether the array v, at slot first of the original,
// holds no object, reference or & target: its copy is v itself.
func (d *igDecoder) plainAt(v Value, first int) bool {
	slot := first + 1
	for _, e := range v.comp.entries {
		if _, ok := d.sourceSet[slot]; ok {
			return false
		}
		switch e.Value.kind() {
		case Object, Custom, Enum, Ref, PHPRef:
			return false
		case Array:
			if !d.plainAt(e.Value, slot) {
				return false
			}
		}
		slot += d.slotsIn(e.Value)
	}
	return true
}

// slotsIn returns the number of slots v takes in serialize()'s numbering,
// remembering it per array or object so that shared ones are walked once.
func (d *igDecoder) slotsIn(v Value) int {
	if v.kind() == PHPRef {
		return 0
	}
	if len(v.Entries()) == 0 {
		return 1
	}
	if n, ok := d.sizes[v.comp]; ok {
		return n
	}
	n := 1
	for _, e := range v.comp.entries {
		n += d.slotsIn(e.Value)
	}
	if d.sizes == nil {
		d.sizes = make(map[*composite]int)
	}
	d.sizes[v.comp] = n
	return n
}

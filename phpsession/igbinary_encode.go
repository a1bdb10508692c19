package phpsession

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sort"
)

// igEncID is the igbinary id the value of a slot took.
type igEncID struct {
	slot   int
	id     uint32
	object bool // an object (objref) rather than a & reference (ref)
}

// igEncoder holds the state of one appendIgbinaryEntries or
// appendIgbinarySession call.
//
// Its methods take the payload written so far and return it with what they
// append, as append does: the encoder holds no slice of it, so that
// appending stores nothing through a pointer (a store of the slice into
// the encoder took a write barrier each time while the garbage collector
// ran).
type igEncoder struct {
	strs igEncStrs

	nextID     uint32
	slot       int
	targets    igFew[int]                       // sorted slots PHPRefs point at
	nextTarget int                              // the first of targets not below the slot being written
	ids        igFew[igEncID]                   // in the order of their slots, as written; only when refs
	refs       bool                             // scan met a Ref or PHPRef: ids holds what they may point at
	objects    int                              // objects, Serializable objects and enum cases, as scan counts them
	seen       igSmallMap[*composite, struct{}] // the arrays and objects scan visited
	shared     igSmallMap[*composite, uint32]   // the ids of the arrays written with no object or reference so far
	emptyID    int64                            // id of the first plain empty array, -1 until written
	enums      igSmallMap[string, uint32]       // "Enum:Case" → id
	impure     int                              // objects, references and & targets written so far

	// copied holds the slots of the arrays that a decoded copy (an Array
	// whose num is a slot) copies; origins, those of them written so far.
	copied  map[int]bool
	origins map[int]igOrigin

	// Writing a session from its values as they are (not materialized):
	// keptBelow is igKeptBelow, and scan sets moved when a reference or a
	// copy points at a slot from there on; value returns
	// errIgMaterialize for an igPlain object when plainMoves.
	keptBelow  int
	moved      bool
	plainMoves bool
}

// igOrigin is an array written in full that a copy may refer to.
type igOrigin struct {
	id  uint32
	val Value
}

// appendIgbinaryEntries appends igbinary_serialize($_SESSION) for a
// session of the entries, header included, with no array built for them:
// the bytes the igbinary 3.2 extension writes, with its default
// igbinary.compact_strings=1. String keys are written as strings, numeric
// or not (see decodeIgbinarySession); an Int key is written as an int.
//
// Ref and PHPRef values must point at the slot (serialize()'s numbering,
// slot 1 the session array) of an object, or of a value written before, as
// serialize() output does. Some values are written as references because
// PHP shares them in memory:
//   - an Array sharing its contents with an earlier one (a copy of the same
//     Value) that holds no object or reference;
//   - an Array decoded as a copy of an earlier array that holds objects or
//     references (it holds them as serialize() writes a copy: r: and R:),
//     unless it was changed since;
//   - every empty array after the first, as PHP's empty arrays are one;
//   - every occurrence of an enum case after the first, as a case is one
//     object (decoding gives a Ref there, as serialize() writes r:).
//
// It returns an error wrapping [ErrBadReference] or [ErrUnsupportedValue]
// for a Value PHP cannot hold, and dst unchanged.
func appendIgbinaryEntries(dst []byte, entries []Entry) ([]byte, error) {
	e, b := newIgEncoder(dst)
	for _, en := range entries {
		if err := e.scan(en.Value, 1); err != nil {
			return dst, err
		}
	}
	b, err := e.session(b, len(entries))
	if err != nil {
		return dst, err
	}
	for _, en := range entries {
		if b, err = e.key(b, en.Key, false); err != nil {
			return dst, err
		}
		if b, err = e.value(b, en.Value, 1); err != nil {
			return dst, err
		}
	}
	return b, nil
}

// appendIgbinarySession appends igbinary_serialize($_SESSION) for s, an
// igbinary session, as appendIgbinaryEntries does for its entries: value i
// is vals[i] when vals is not nil (materialized), else s's. Only the values
// that hold references (entry.refs) are scanned before writing, as only
// they hold the Refs, PHPRefs and decoded copies scan looks for, unless
// the values are materialized.
//
// With vals nil, it returns errIgMaterialize when s's values cannot be
// written as they are (see igKeptBelow): the caller materializes them.
func appendIgbinarySession(dst []byte, s *Session, vals []Value) ([]byte, error) {
	e, b := newIgEncoder(dst)
	// The names, distinct strings (but int keys), or the strings the
	// decoded payload held.
	e.strs.reserve(max(len(s.entries), int(s.igStrings)))
	for i := range s.entries {
		if vals == nil && !s.entries[i].refs {
			continue
		}
		if vals == nil && e.keptBelow == 0 {
			e.keptBelow = s.igKeptBelow()
		}
		v, err := s.igValue(i, vals)
		if err != nil {
			return dst, err
		}
		if err := e.scan(v, 1); err != nil {
			return dst, err
		}
		if e.moved {
			return dst, errIgMaterialize
		}
	}
	// A & reference's refcount in the decoded payload does not count the
	// place of an object igbinary wrote without 0x25 (igPlain), so that
	// a change can leave the reference to one place, which PHP writes as
	// a plain objref: materialize counts them.
	e.plainMoves = vals == nil && e.targets.len() > 0
	b, err := e.session(b, len(s.entries))
	if err != nil {
		return dst, err
	}
	for i := range s.entries {
		en := &s.entries[i]
		b = e.name(b, s.name(en), en.intKey)
		v, err := s.igValue(i, vals)
		if err == nil {
			b, err = e.value(b, v, 1)
		}
		if err != nil {
			if e.plainMoves && !errors.Is(err, errIgMaterialize) && s.igHasPlain() {
				err = errIgMaterialize
			}
			return dst, err
		}
	}
	return b, nil
}

// errIgMaterialize is what appendIgbinarySession returns when the values
// of a session cannot be written as they are: references and copies that
// point at slots a change moved, or an object written without 0x25
// (igPlain) in a session with & references.
var errIgMaterialize = errors.New("phpsession: igbinary: the session's references must be renumbered")

// igKeptBelow returns the slot below which every slot of the decoded
// payload of s, an igbinary session, is still at the same number in the
// payload to be written: the slots of the entries from the first on that
// still start where they did (the entries before them kept their sizes).
// Slot 1, the session array, is always kept. A reference or a decoded
// copy (Array.num) that points at a slot from there on makes the encoder
// write a materialized session instead, which renumbers it.
func (s *Session) igKeptBelow() int {
	next := 2 // slot 1 is the session array
	for i := range s.entries {
		e := &s.entries[i]
		if int(e.first) != next {
			break
		}
		next += int(e.nslots)
	}
	return next
}

// kept reports whether slot, which a reference or a decoded copy points
// at, keeps its number (see igKeptBelow).
func (e *igEncoder) kept(slot int) bool {
	return slot == 1 || slot >= 2 && slot < e.keptBelow
}

// igHasPlain reports whether a value of s is or holds an object igbinary
// wrote without 0x25 (see igPlain), or is nested too deep to tell.
func (s *Session) igHasPlain() bool {
	for i := range s.entries {
		v, err := s.value(i)
		if err != nil || valueHasIgPlain(v, 0) {
			return true
		}
	}
	return false
}

// igValue returns value i of s: vals[i] when vals is not nil.
func (s *Session) igValue(i int, vals []Value) (Value, error) {
	e := &s.entries[i]
	switch {
	case vals != nil:
		return vals[i], nil
	case e.decoded(): // every entry of an igbinary session is
		return s.val(e), nil
	}
	return s.value(i)
}

// name appends a session name: an int key, whose decimal text it is, when
// intKey (as PHP writes $_SESSION[7]), else a string, numeric or not.
func (e *igEncoder) name(b []byte, name string, intKey bool) []byte {
	if intKey {
		if i, ok := canonicalInt(name); ok {
			return igLong(b, i)
		}
	}
	return e.str(b, name)
}

// session starts writing a session of n entries, after scan: the
// top-level array, which takes slot 1 and id 0 and is never referred to.
func (e *igEncoder) session(b []byte, n int) ([]byte, error) {
	if uint64(n) > math.MaxUint32 {
		return b, fmt.Errorf("phpsession: igbinary: %w: %d session entries", ErrUnsupportedValue, n)
	}
	e.sortTargets()
	if e.targetIn(1, 1) {
		return b, fmt.Errorf("phpsession: igbinary: %w: R:1 points at the session array itself", ErrBadReference)
	}
	e.slot = 1
	e.newID()
	return igSized(b, igArray8, uint32(n)), nil
}

// newIgEncoder returns an encoder, and dst with the header appended.
func newIgEncoder(dst []byte) (*igEncoder, []byte) {
	return &igEncoder{emptyID: -1}, binary.BigEndian.AppendUint32(dst, igVersion)
}

// scan collects the slots PHPRefs point at and the slots copies copy,
// visiting each composite once, and counts the objects. When keptBelow is
// set, it sets moved if a reference or copy points at a slot not kept.
func (e *igEncoder) scan(v Value, depth int) error {
	switch v.kind() {
	case Ref:
		e.refs = true
		e.moved = e.moved || e.keptBelow > 0 && !e.kept(v.Slot())
	case PHPRef:
		e.refs = true
		e.moved = e.moved || e.keptBelow > 0 && !e.kept(v.Slot())
		e.targets.add(v.Slot())
	case Custom, Enum:
		e.objects++
	case Array, Object:
		if v.kind() == Array && v.num != 0 {
			e.moved = e.moved || e.keptBelow > 0 && !e.kept(int(v.num))
			if e.copied == nil {
				e.copied = make(map[int]bool)
			}
			e.copied[int(v.num)] = true
		}
		if e.seen.add(v.comp, struct{}{}) {
			return nil
		}
		if v.kind() == Object {
			e.objects++
		}
		if depth > igMaxEncodeDepth {
			return fmt.Errorf("phpsession: igbinary: %w: values nested deeper than %d (an array holding itself?)", ErrUnsupportedValue, igMaxEncodeDepth)
		}
		for _, en := range v.comp.entries {
			if err := e.scan(en.Value, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// sortTargets sorts the targets scan found, and makes room for the ids of
// them and of the objects it counted when they are many and references
// may point at them.
func (e *igEncoder) sortTargets() {
	if ts := e.targets.list(); len(ts) > 1 {
		sort.Ints(ts)
	}
	if e.refs {
		e.ids.reserve(e.objects + e.targets.len())
	}
}

// igFew is a list that holds its first elements in place, so that the
// encoder of a small session (a few objects and & targets) makes no
// allocation for it.
type igFew[T any] struct {
	few  [8]T
	n    int // elements in few, while more is nil
	more []T // all the elements, once they are more than few holds
}

// add appends v.
func (l *igFew[T]) add(v T) {
	if l.more == nil && l.n < len(l.few) {
		l.few[l.n] = v
		l.n++
		return
	}
	l.reserve(l.n + 1)
	l.more = append(l.more, v)
}

// reserve makes room for n elements in all, in more once they are more
// than few holds.
func (l *igFew[T]) reserve(n int) {
	if l.more == nil && n > len(l.few) {
		l.more = append(make([]T, 0, max(n, 4*len(l.few))), l.few[:l.n]...)
	}
}

// list returns the elements.
func (l *igFew[T]) list() []T {
	if l.more != nil {
		return l.more
	}
	return l.few[:l.n]
}

// len returns the number of elements.
func (l *igFew[T]) len() int { return len(l.list()) }

// igSmallMap is a map for what the encoder remembers of arrays, objects
// and enum cases: an array searched one by one while it holds few (a
// session holds few), so that it takes no allocation, and once it holds
// more, an index of open addressing like igEncStrs's, hashed by
// hash/maphash, at most 3/4 full and doubled then. The zero K (a nil
// composite, an empty enum name) marks an empty slot: it is never a key.
type igSmallMap[K comparable, V any] struct {
	few   [16]igSmallEntry[K, V]
	n     int                  // entries
	index []igSmallEntry[K, V] // nil while the entries are in few; a power of two long
}

// igSmallEntry is an element of igSmallMap.few and a slot of its index.
type igSmallEntry[K comparable, V any] struct {
	k K
	v V
}

// igSmallSeed seeds the hashes of igSmallMap's indexes.
var igSmallSeed = maphash.MakeSeed()

// get returns the value of k.
func (s *igSmallMap[K, V]) get(k K) (V, bool) {
	if s.index != nil {
		var zero K
		x := s.index[s.slot(k)]
		return x.v, x.k == k && k != zero
	}
	for _, x := range s.few[:s.n] {
		if x.k == k {
			return x.v, true
		}
	}
	var zero V
	return zero, false
}

// slot returns the slot of the index that holds k, or else the empty slot
// where k goes.
func (s *igSmallMap[K, V]) slot(k K) int {
	var zero K
	mask := len(s.index) - 1
	for i, step := int(maphash.Comparable(igSmallSeed, k))&mask, 1; ; i, step = (i+step)&mask, step+1 {
		if x := s.index[i].k; x == k || x == zero {
			return i
		}
	}
}

// add gives k the value v, unless k has one, and reports whether it had.
func (s *igSmallMap[K, V]) add(k K, v V) bool {
	if _, ok := s.get(k); ok {
		return true
	}
	s.put(k, v)
	return false
}

// put gives k, which has no value (get said so), the value v.
func (s *igSmallMap[K, V]) put(k K, v V) {
	var zero K
	if k == zero {
		return // never a key (see igSmallMap)
	}
	if s.index == nil && s.n < len(s.few) {
		s.few[s.n] = igSmallEntry[K, V]{k, v}
		s.n++
		return
	}
	if s.n >= len(s.index)/4*3 {
		s.grow()
	}
	s.index[s.slot(k)] = igSmallEntry[K, V]{k, v}
	s.n++
}

// grow makes the index (from few) or doubles it.
func (s *igSmallMap[K, V]) grow() {
	old := s.index
	if old == nil {
		old = s.few[:s.n]
	}
	s.index = make([]igSmallEntry[K, V], max(4*len(s.few), 2*len(s.index)))
	var zero K
	for _, x := range old {
		if x.k != zero {
			s.index[s.slot(x.k)] = x
		}
	}
}

// isTarget reports whether a PHPRef points at one of the slots lo..hi.
func (e *igEncoder) targetIn(lo, hi int) bool {
	ts := e.targets.list()
	i := sort.SearchInts(ts, lo)
	return i < len(ts) && ts[i] <= hi
}

// isTarget reports whether a PHPRef points at slot, the next slot value
// writes: slots only grow as it writes, so that a cursor over the sorted
// targets finds it.
func (e *igEncoder) isTarget(slot int) bool {
	if e.targets.n == 0 && e.targets.more == nil {
		return false // no & reference: the common case
	}
	ts := e.targets.list()
	for e.nextTarget < len(ts) && ts[e.nextTarget] < slot {
		e.nextTarget++
	}
	return e.nextTarget < len(ts) && ts[e.nextTarget] == slot
}

func (e *igEncoder) newID() uint32 {
	id := e.nextID
	e.nextID++
	return id
}

// igSized appends type byte base (8-bit variant), base+1 or base+2 (16- and
// 32-bit) with n in the narrowest that holds it.
func igSized(b []byte, base byte, n uint32) []byte {
	switch {
	case n <= 0xff:
		return append(b, base, byte(n))
	case n <= 0xffff:
		return append(b, base+1, byte(n>>8), byte(n))
	}
	return binary.BigEndian.AppendUint32(append(b, base+2), n)
}

// igLong appends the int i in the narrowest form that holds it.
func igLong(b []byte, i int64) []byte {
	t, u := byte(igLong8p), uint64(i)
	if i < 0 {
		t, u = igLong8n, -uint64(i)
	}
	switch {
	case u <= 0xff:
		return append(b, t, byte(u))
	case u <= 0xffff:
		return append(b, t+2, byte(u>>8), byte(u))
	case u <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, t+4), uint32(u))
	}
	return binary.BigEndian.AppendUint64(append(b, t+igLong64p-igLong8p), u)
}

// str appends s: by its id when the payload holds it in full already.
func (e *igEncoder) str(b []byte, s string) []byte {
	if s == "" {
		return append(b, igStringEmpty)
	}
	if id, ok := e.strs.intern(b, s); ok {
		return igSized(b, igStringID8, id)
	}
	return igStrFull(b, s)
}

// igStrFull appends s written in full: its header and bytes.
func igStrFull(b []byte, s string) []byte {
	switch n := uint64(len(s)); {
	case n <= 0xff:
		b = append(b, igString8, byte(n))
	case n <= 0xffff:
		b = append(b, igString16, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		b = binary.BigEndian.AppendUint32(append(b, igString32), uint32(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, igString64), n)
	}
	return append(b, s...)
}

func (e *igEncoder) className(b []byte, class string) ([]byte, error) {
	if class == "" {
		return b, fmt.Errorf("phpsession: igbinary: %w: an object with no class name", ErrUnsupportedValue)
	}
	if uint64(len(class)) > math.MaxUint32 {
		return b, fmt.Errorf("phpsession: igbinary: %w: class name of %d bytes", ErrUnsupportedValue, len(class))
	}
	if id, ok := e.strs.intern(b, class); ok {
		return igSized(b, igObjectID8, id), nil
	}
	return append(igSized(b, igObject8, uint32(len(class))), class...), nil
}

func (e *igEncoder) key(b []byte, k Value, inArray bool) ([]byte, error) {
	switch k.kind() {
	case Int:
		return igLong(b, int64(k.num)), nil
	case String:
		// A numeric string key of an array is an int key in PHP; a
		// property name or a session name stays a string.
		if inArray {
			if i, ok := canonicalInt(k.str); ok {
				return igLong(b, i), nil
			}
		}
		return e.str(b, k.str), nil
	}
	return b, fmt.Errorf("phpsession: igbinary: %w: a %s array key or property name", ErrUnsupportedValue, k.kind())
}

// value appends v, which takes the next slot unless it is a PHPRef.
func (e *igEncoder) value(b []byte, v Value, depth int) ([]byte, error) {
	k := v.kind()
	if e.plainMoves && v.igPlain() {
		return b, errIgMaterialize
	}
	if k == PHPRef {
		to, ok := e.idOf(v.Slot())
		if !ok {
			return b, fmt.Errorf("phpsession: igbinary: %w: R:%d points at no value written before", ErrBadReference, v.Slot())
		}
		e.impure++
		b = append(b, igPHPRef)
		if to.object {
			return igSized(b, igObjRef8, to.id), nil
		}
		return igSized(b, igRef8, to.id), nil
	}
	if depth > igMaxEncodeDepth {
		return b, fmt.Errorf("phpsession: igbinary: %w: values nested deeper than %d (an array holding itself?)", ErrUnsupportedValue, igMaxEncodeDepth)
	}
	e.slot++
	slot := e.slot
	target := e.isTarget(slot)
	if target {
		e.impure++
		// An object decoded from a first occurrence without 0x25 is
		// written that way again.
		if !v.comp.igPlain {
			b = append(b, igPHPRef)
		}
	}
	switch k {
	case Null:
		b = append(b, igNull)
	case Bool:
		if v.num != 0 {
			b = append(b, igTrue)
		} else {
			b = append(b, igFalse)
		}
	case Int:
		b = igLong(b, int64(v.num))
	case Float:
		b = binary.BigEndian.AppendUint64(append(b, igDouble), v.num)
	case String:
		b = e.str(b, v.str)
	case Ref:
		to, ok := e.idOf(v.Slot())
		if !ok || !to.object || target {
			return b, fmt.Errorf("phpsession: igbinary: %w: r:%d points at no object written before", ErrBadReference, v.Slot())
		}
		e.impure++
		return igSized(b, igObjRef8, to.id), nil
	case Array:
		return e.array(b, v, slot, target, depth)
	case Enum:
		// An enum case is one object in PHP: after its first occurrence,
		// PHP writes an objref to it.
		if id, ok := e.enums.get(v.str); ok {
			e.impure++
			if target {
				e.remember(slot, id, true)
			}
			return igSized(b, igObjRef8, id), nil
		}
		e.enums.put(v.str, e.nextID)
		return e.object(b, v, slot, depth)
	case Object, Custom:
		return e.object(b, v, slot, depth)
	default:
		return b, fmt.Errorf("phpsession: igbinary: %w: a Value of kind %s", ErrUnsupportedValue, k)
	}
	if target {
		e.remember(slot, e.newID(), false)
	}
	return b, nil
}

// remember notes that the value of slot, which comes after every slot
// remembered before, took id, for the Refs and PHPRefs that may point at
// it: none when scan met none (a session without references, whose
// objects need no list of ids).
func (e *igEncoder) remember(slot int, id uint32, object bool) {
	if e.refs {
		e.ids.add(igEncID{slot: slot, id: id, object: object})
	}
}

// idOf returns the id remembered for slot.
func (e *igEncoder) idOf(slot int) (igEncID, bool) {
	ids := e.ids.list()
	i, ok := slices.BinarySearchFunc(ids, slot, func(x igEncID, slot int) int { return x.slot - slot })
	if !ok {
		return igEncID{}, false
	}
	return ids[i], true
}

func (e *igEncoder) array(b []byte, v Value, slot int, target bool, depth int) ([]byte, error) {
	es := v.comp.entries
	switch {
	case target:
		e.remember(slot, e.newID(), false)
	case len(es) == 0:
		if e.emptyID >= 0 {
			return igSized(b, igRef8, uint32(e.emptyID)), nil
		}
		e.emptyID = int64(e.newID())
	default:
		id, known := e.shared.get(v.comp)
		if known {
			// A later occurrence of an array written in full: a ref to
			// it, unless a & reference points inside it.
			if n := countSlots(v); !e.targetIn(slot, slot+n-1) {
				e.slot += n - 1
				return igSized(b, igRef8, id), nil
			}
		}
		if v.num != 0 {
			if out, ok := e.copy(b, v, slot); ok {
				return out, nil
			}
		}
		id, impure := e.newID(), e.impure
		b, err := e.entries(b, es, true, depth)
		if err != nil {
			return b, err
		}
		if e.copied != nil && e.copied[slot] { // (a nil map's lookup is still a call)
			if e.origins == nil {
				e.origins = make(map[int]igOrigin)
			}
			e.origins[slot] = igOrigin{id: id, val: v}
		}
		if e.impure == impure && !known {
			// Written with no object or reference: a later occurrence
			// of the same array is a ref to it, as PHP writes an array
			// it shares in memory.
			e.shared.put(v.comp, id)
		}
		return b, nil
	}
	return e.entries(b, es, true, depth)
}

// copy writes v, an Array decoded as a copy of the array at slot v.num
// (which holds objects or references), as a ref to it, as PHP wrote it,
// and reports whether it did. It does not when that array was not written
// before in full, or v is not what decoding a copy of it gives (v was
// changed, or built so), or a & reference points inside v.
func (e *igEncoder) copy(b []byte, v Value, slot int) ([]byte, bool) {
	o, ok := e.origins[int(v.num)]
	if !ok {
		return b, false
	}
	n := countSlots(v)
	src := int(v.num)
	if e.targetIn(slot, slot+n-1) || !e.copyMatches(o.val, v, &src) {
		return b, false
	}
	e.impure++
	e.slot += n - 1
	return igSized(b, igRef8, o.id), true
}

// copyMatches reports whether cp is orig, whose slot is *src, as PHP's
// serialize() writes a copy of it (and the decoder decodes one): a & target
// as an R: to it, an object as an r: to it, arrays again in full, other
// values as they are. *src advances past orig.
func (e *igEncoder) copyMatches(orig, cp Value, src *int) bool {
	if orig.kind() == PHPRef {
		return cp.kind() == PHPRef && cp.num == orig.num
	}
	mine := *src
	switch k := orig.kind(); {
	case e.targetIn(mine, mine) && !orig.comp.igPlain:
		*src += countSlots(orig)
		return cp.kind() == PHPRef && cp.Slot() == mine
	case k == Object || k == Custom || k == Enum:
		*src += countSlots(orig)
		return cp.kind() == Ref && cp.Slot() == mine
	case k != Array:
		*src++
		return cp.Equal(orig)
	}
	*src++
	oe, ce := orig.Entries(), cp.Entries()
	if cp.kind() != Array || len(oe) != len(ce) {
		return false
	}
	for i := range oe {
		if !oe[i].Key.Equal(ce[i].Key) || !e.copyMatches(oe[i].Value, ce[i].Value, src) {
			return false
		}
	}
	return true
}

// entries appends an array size and the entries (or an object's property
// count and properties).
func (e *igEncoder) entries(b []byte, es []Entry, inArray bool, depth int) ([]byte, error) {
	if uint64(len(es)) > math.MaxUint32 {
		return b, fmt.Errorf("phpsession: igbinary: %w: %d elements", ErrUnsupportedValue, len(es))
	}
	b = igSized(b, igArray8, uint32(len(es)))
	var err error
	for i := range es {
		en := &es[i]
		if b, err = e.key(b, en.Key, inArray); err != nil {
			return b, err
		}
		if b, err = e.value(b, en.Value, depth+1); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (e *igEncoder) object(b []byte, v Value, slot, depth int) ([]byte, error) {
	e.impure++
	e.remember(slot, e.newID(), true)
	class := v.str
	if v.kind() == Enum {
		class = v.Class()
	}
	b, err := e.className(b, class)
	if err != nil {
		return b, err
	}
	switch v.kind() {
	case Custom:
		p := v.comp.payloadOrEmpty()
		if uint64(len(p)) > math.MaxUint32 {
			return b, fmt.Errorf("phpsession: igbinary: %w: Serializable payload of %d bytes", ErrUnsupportedValue, len(p))
		}
		return append(igSized(b, igObjectSer8, uint32(len(p))), p...), nil
	case Enum:
		c := v.EnumCase()
		if c == "" {
			return b, fmt.Errorf("phpsession: igbinary: %w: enum %q with no case name", ErrUnsupportedValue, v.str)
		}
		return e.str(append(b, igEnumCase), c), nil
	}
	return e.entries(b, v.Entries(), false, depth)
}

// valueHasIgPlain reports whether v is or holds an object that igbinary
// wrote without 0x25 where & references point at it (see igPlain).
func valueHasIgPlain(v Value, depth int) bool {
	if v.igPlain() || depth > igMaxEncodeDepth {
		return true
	}
	switch v.kind() {
	case Array, Object:
		for _, e := range v.comp.entries {
			if valueHasIgPlain(e.Value, depth+1) {
				return true
			}
		}
	}
	return false
}

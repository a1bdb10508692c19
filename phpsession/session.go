package phpsession

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Session is a decoded session payload: PHP's $_SESSION, an ordered set of
// named entries, in one of the four [Format]s.
//
// [DecodeSession] only indexes the payload: it checks all of it, then keeps
// each entry's name and raw bytes and decodes a value when it is first read.
// Reading one key of a large session does not pay for the rest. Entries that
// are not changed are written back by [Session.Encode] as their original
// bytes, so an unchanged session encodes to exactly its input.
//
// A name the payload writes more than once is one entry, as in PHP's
// $_SESSION after session_decode(): in the place of its first occurrence,
// with the value of its last. In php_serialize the int key 7 and the string
// key "7" are one name, as they are one key of a PHP array.
//
// Slot numbers in the r: and R: references of the values [Session.Get]
// returns are those of the decoded payload, where PHP counts them: shared by
// all entries in the php and php_binary formats, with slot 1 the outer array
// in php_serialize and igbinary. When a change moves slots, Encode
// renumbers the references so that they keep pointing at the same values,
// and [Session.Unmarshal] follows them as PHP does.
//
// The zero Session is an empty session in the php format. A nil *Session is
// no session: its methods panic, as those of a nil *bytes.Buffer do, except
// UnmarshalJSON, which returns an error. A Session is not safe for
// concurrent use, Get included (it caches what it decodes).
type Session struct {
	entries []entry
	// names holds the names that are not in orig (set ones, igbinary's),
	// and vals the values decoded or set, in the order they came; entries
	// point into them (see entry).
	names []string
	vals  []Value
	// orig is the decoded payload, nil for a new session. DecodeSession
	// takes ownership of it: decoded strings and entry names are substrings
	// of stringOf(orig), the same memory.
	orig []byte
	lim  *limits // nil for defaultLimits (see limits)
	// mem is the memory Session.value builds arrays and objects in, taken
	// for a stretch of entries at a time (see takeMem, and memShift below).
	mem arena
	// index maps each name to the last entry of that name (the one PHP
	// reads). find searches the entries one by one until it has compared
	// as many names as there are entries, then builds it (so one read of a
	// large session costs no map, and reading every name is linear); put
	// keeps it up to date, and it is dropped (nil) when entries move.
	index  map[string]int32
	format Format
	// distinct is false while entries may still hold a name more than
	// once: DecodeSession keeps the occurrences of a session of up to
	// foldMin entries, and distinctNames folds them on first need.
	distinct bool
	// folded says that the payload repeats a name: some of its values,
	// and their slots, are in no entry (see slotRoots).
	folded  bool
	changed bool // an entry was set or removed since decoding
	// memShift says how long a stretch of payload the next takeMem
	// covers: 1 KB << memShift.
	memShift uint8
	// composites is the number of entries whose values hold an array or
	// object, as DecodeSession's scan counted them: the room the first
	// decoded one takes in vals. (An int32 after the bools, in room the
	// struct has anyway.)
	composites int32
	// igStrings is, for a decoded igbinary session, the number of strings
	// the payload wrote in full: the room the encoder's string table makes
	// from the start, as a changed session holds about the strings it
	// held (as Encode makes room for the payload's bytes).
	igStrings int32
	// searched is the number of names find compared without the index,
	// counted once the session has more than indexMin entries (an int32
	// next to the others: a Session stays 192 bytes, and its sessionMem
	// 512).
	searched int32
}

// indexMin is the most entries find always searches one by one: up to
// this many, a comparison of each name costs less than a map.
const indexMin = 16

// foldMin is the number of entries from which DecodeSession builds the
// name index and folds each repeated name into its first entry as it reads
// it (see Session.distinctNames): a payload of one name written ten million
// times then takes 2.5 MB of entries at most, not 400 MB. Below it (real
// sessions), a session keeps no map until it needs one.
const foldMin = 1 << 16

// defaultLimits are the limits of DecodeSession and of a new session.
var defaultLimits = limits{}.orDefault()

// limits returns the limits the session was decoded with.
func (s *Session) limits() limits {
	if s.lim == nil {
		return defaultLimits
	}
	return *s.lim
}

// entry is one name and its value in a Session. It holds no pointers and
// is 40 bytes, so that the list of a large session grows without work for
// the garbage collector and costs little memory: the name is where the
// payload has it, or in Session.names; the value, once decoded or set, is
// in Session.vals. A repeated name's entry has the name of its first
// occurrence and the value of its last (see takeValue).
type entry struct {
	// The name is orig[nameStart:nameEnd] (for an int key of
	// php_serialize, its decimal text, with intKey set), or
	// Session.names[nameEnd] when nameStart is -1.
	nameStart, nameEnd int32
	start, end         int32 // untouched: the value's bytes in Session.orig
	first              int32 // untouched: the first slot the value took in the payload
	nslots             int32 // slots the value takes
	ncomp              int32 // untouched: composites in the value (the builder's arena)
	nent               int32 // untouched: array and object entries in the value
	val                int32 // 1 + the index of the value in Session.vals once decoded or set, else 0
	lenByte            byte  // php_binary: the name length byte as read, PHP ignores its 0x80 bit
	intKey             bool  // php_serialize, igbinary: the key is an int, the name is its decimal text
	touched            bool  // set since decoding: the value in vals is all there is
	refs               bool  // the value holds r: or R: references
}

// takeValue gives e, the first occurrence of a name in the payload, the
// value of o, a later one: PHP's session_decode() updates the name's
// value in its place. In php_serialize, an int key 7 and a string key "7"
// are the same int key of PHP's array.
func (e *entry) takeValue(o *entry) {
	nameStart, nameEnd, lenByte, intKey := e.nameStart, e.nameEnd, e.lenByte, e.intKey || o.intKey
	*e = *o
	e.nameStart, e.nameEnd, e.lenByte, e.intKey = nameStart, nameEnd, lenByte, intKey
}

// decoded reports whether the value of e is in Session.vals: an array or
// object decoded, or a value set (touched). A scalar read from the payload
// is not kept (see Session.value).
func (e *entry) decoded() bool { return e.val > 0 }

// name returns the name of e.
func (s *Session) name(e *entry) string {
	if e.nameStart < 0 {
		return s.names[e.nameEnd]
	}
	return stringOf(s.orig)[e.nameStart:e.nameEnd]
}

// val returns the value of e, which is decoded.
func (s *Session) val(e *entry) Value { return s.vals[e.val-1] }

// setVal makes v the value of e, in the place of e's value in s.vals if it
// has one.
func (s *Session) setVal(e *entry, v Value) {
	if e.val > 0 {
		s.vals[e.val-1] = v
		return
	}
	*s.newVal(e) = v
}

// newVal gives e, which has no value, a place at the end of s.vals and
// returns it, zero (s.vals only grows, and is zero past its length), for
// the value to be written there in place: a decoder that writes it there,
// not into a Value of its own then copied, stores its pointers once, one
// write barrier while the garbage collector runs, not two.
func (s *Session) newVal(e *entry) *Value {
	if len(s.vals) == cap(s.vals) {
		s.vals = slices.Grow(s.vals, 1)
	}
	s.vals = s.vals[:len(s.vals)+1]
	e.val = int32(len(s.vals))
	return &s.vals[len(s.vals)-1]
}

// setName makes name the name of e, a name that is not in orig.
func (s *Session) setName(e *entry, name string) {
	s.names = append(s.names, name)
	e.nameStart, e.nameEnd = -1, int32(len(s.names)-1)
}

// NewSession returns an empty session in format f.
func NewSession(f Format) *Session {
	return &Session{format: f, distinct: true}
}

// DecodeSession indexes a session payload written by PHP with
// session.serialize_handler f, checking all of it within the default limits
// (nesting up to 4096 levels, 64 MiB). Values are decoded when first read.
// An empty payload is an empty session.
//
// DecodeSession takes ownership of data, as [bytes.NewBuffer] does of its
// argument: the caller must not change data after the call. The Session and
// the values read from it share data's memory instead of copying it (a
// string value is a substring of the payload), so a value keeps the whole
// payload alive while it is reachable; copy a small string that is kept
// long (strings.Clone), and decode a copy of a buffer that is to be reused
// (bytes.Clone).
//
// DecodeSession returns a [*SyntaxError] for a payload PHP could not decode
// (PHP would destroy such a session), an error wrapping [ErrUnknownFormat]
// for an unknown format. For [FormatIgbinary] the whole payload is decoded at
// once (its string table spans the whole payload).
func DecodeSession(data []byte, f Format) (*Session, error) {
	return decodeSession(data, f, limits{})
}

func decodeSession(data []byte, f Format, lim limits) (*Session, error) {
	lim = lim.orDefault()
	if data == nil {
		data = []byte{} // non-nil: the session was decoded from a payload
	}
	if int64(len(data)) > lim.maxSize {
		return nil, &SyntaxError{Offset: lim.maxSize, Msg: "session larger than the " + strconv.FormatInt(lim.maxSize, 10) + "-byte limit", Err: ErrTooLarge}
	}
	switch f {
	case FormatPHP, FormatPHPBinary:
		return scanSession(data, f, lim, false)
	case FormatPHPSerialize:
		s, err := scanSession(data, f, lim, false)
		if err != nil && errors.Is(err, ErrBadReference) {
			// An r: may reach an element that a repeat of its name
			// overwrote with an object.
			if o, oerr := scanElementRefs(data, lim); oerr == nil {
				return o, nil
			}
		}
		return s, err
	case FormatIgbinary:
		return decodeIgbinarySession(data, lim, false)
	}
	return nil, fmt.Errorf("phpsession: %w %s", ErrUnknownFormat, f)
}

// setLimits sets the limits of s, lim with its defaults set.
func (s *Session) setLimits(lim limits) {
	if lim != defaultLimits {
		l := lim
		s.lim = &l
	}
}

// distinctNames makes sure that every name has one entry (see Session):
// the first time, it looks for a repeated name, by comparing the names of
// a small session and with the index for a larger one, and folds the
// repeats.
func (s *Session) distinctNames() {
	if s.distinct {
		return
	}
	if len(s.entries) > indexMin {
		s.buildIndex() // which folds
		return
	}
	s.distinct = true
	if _, repeats := s.repeatedName(); repeats {
		s.buildIndex()
	}
}

// repeatedName returns the first name that occurs a second time in
// s.entries, and whether there is one, leaving them as they are.
func (s *Session) repeatedName() (string, bool) {
	if len(s.entries) > indexMin {
		seen := make(map[string]struct{}, len(s.entries))
		for i := range s.entries {
			name := s.name(&s.entries[i])
			if _, ok := seen[name]; ok {
				return name, true
			}
			seen[name] = struct{}{}
		}
		return "", false
	}
	for j := range s.entries {
		name := s.name(&s.entries[j])
		for i := range j {
			if s.name(&s.entries[i]) == name {
				return name, true
			}
		}
	}
	return "", false
}

// buildIndex builds s.index, folding on the way each repeated name into
// its first entry (see entry.takeValue).
func (s *Session) buildIndex() {
	s.index = make(map[string]int32, min(len(s.entries), 1<<10)) // the names may repeat: the map grows as it needs
	n := 0
	for i := range s.entries {
		if !s.addIndexed(n, i) {
			n++
		}
	}
	s.entries = s.entries[:n]
	s.distinct = true
}

// addIndexed adds entry i, which s.index does not hold yet, to the index as
// entry n (n <= i), the next entry of a distinct name, and reports false;
// or, when its name is in the index, gives its value to that entry and
// reports true.
func (s *Session) addIndexed(n, i int) (folded bool) {
	e := &s.entries[i]
	name := s.name(e)
	if j, ok := s.index[name]; ok {
		s.entries[j].takeValue(e)
		s.folded = true
		return true
	}
	s.index[name] = int32(n)
	if n != i {
		s.entries[n] = *e
	}
	return false
}

// Format returns the session's format.
func (s *Session) Format() Format { return s.format }

// Len returns the number of names in the session.
func (s *Session) Len() int {
	s.distinctNames()
	return len(s.entries)
}

// Names returns the names in the session in PHP's order. A name that occurs
// more than once in the payload is listed once, where it first occurs, as
// PHP's $_SESSION has it.
func (s *Session) Names() []string {
	s.distinctNames()
	names := make([]string, len(s.entries))
	for i := range s.entries {
		names[i] = s.name(&s.entries[i])
	}
	return names
}

// find returns the index of the entry named name, or -1. While the names
// may repeat (see distinctNames), it is the last one, whose value PHP
// reads.
func (s *Session) find(name string) int {
	if s.index == nil && len(s.entries) > indexMin && int(s.searched) >= len(s.entries) {
		s.buildIndex()
	}
	if s.index != nil {
		if i, ok := s.index[name]; ok {
			return int(i)
		}
		return -1
	}
	for i := len(s.entries) - 1; i >= 0; i-- {
		if s.name(&s.entries[i]) == name {
			s.countSearched(len(s.entries) - i)
			return i
		}
	}
	s.countSearched(len(s.entries))
	return -1
}

// countSearched adds n names compared by find to s.searched, in a session
// large enough to be indexed (so the count stays below twice the entries).
func (s *Session) countSearched(n int) {
	if len(s.entries) > indexMin {
		s.searched += int32(n)
	}
}

// Has reports whether the session holds name.
func (s *Session) Has(name string) bool { return s.find(name) >= 0 }

// Get returns the value of name, decoding it on first use; ok is false when
// there is no such entry. When a name occurs more than once in the payload,
// Get returns the last, as PHP does.
//
// The Value shares its arrays and objects with the session's cache: changes
// made to it are not written by Encode until the value is passed to
// [Session.Set].
func (s *Session) Get(name string) (v Value, ok bool) {
	i := s.find(name)
	if i < 0 {
		return Value{}, false
	}
	v, err := s.value(i)
	if err != nil { // cannot happen: DecodeSession checked the entry
		return Value{}, false
	}
	return v, true
}

// value returns the value of entry i, decoding it if needed.
func (s *Session) value(i int) (Value, error) {
	e := &s.entries[i]
	if e.decoded() {
		return s.val(e), nil
	}
	// DecodeSession checked the bytes.
	b := builder{src: stringOf(s.orig), pos: int(e.start)}
	if e.ncomp == 0 {
		// A scalar is built again at each read: that takes no memory (a
		// string is a substring of the payload), where keeping it would
		// take a value's room.
		return b.value(), nil
	}
	// The depth and the limits are for what a custom object's payload holds.
	b.lim = s.limits()
	if s.format == FormatPHPSerialize {
		b.depth = 1 // inside the outer array
	}
	if !s.mem.has(e.ncomp, e.nent) {
		s.takeMem(i)
	}
	if s.vals == nil {
		// The first value kept takes room for the values of every
		// entry that holds an array or object (the only ones kept), up
		// to 1024 (a read of one value of a large session does not pay
		// for all of them).
		s.vals = make([]Value, 0, min(int(s.composites), 1<<10))
	}
	b.arena = s.mem
	v := b.value()
	// What the build took: no pointer changes.
	s.mem.nc, s.mem.ne = b.nc, b.ne
	*s.newVal(e) = v // (e has no value yet: see decoded)
	return v, nil
}

// takeMem replaces s.mem with memory for the arrays and objects of entry i
// and of the undecoded entries after it in a stretch of the payload: the
// first stretch is at least 1 KB (a small session in one go), each next one
// twice the last. A full decode then takes a handful of allocations, not
// two for each entry, and a read of one entry of a large session does not
// pay for the memory of all of them.
func (s *Session) takeMem(i int) {
	var ncomp, nent int
	until := int(s.entries[i].start) + 1<<10<<s.memShift // the end of the stretch
	for j := i; j < len(s.entries); j++ {
		e := &s.entries[j]
		if j > i && int(e.end) > until {
			break
		}
		if !e.decoded() {
			ncomp += int(e.ncomp)
			nent += int(e.nent)
		}
	}
	s.mem = newArena(ncomp, nent)
	if s.memShift < 21 { // 2 GB: past any payload
		s.memShift++
	}
}

// Raw returns the serialized bytes of name's value; ok is false when there
// is no such entry. For an entry read from the payload and not changed they
// are the original bytes, which the caller must not change. Slot numbers in
// references are those of the decoded payload (see [Session]).
func (s *Session) Raw(name string) (raw RawValue, ok bool) {
	i := s.find(name)
	if i < 0 {
		return nil, false
	}
	e := &s.entries[i]
	if !e.touched {
		return RawValue(s.orig[e.start:e.end:e.end]), true
	}
	b, err := appendValue(nil, s.val(e))
	if err != nil {
		return nil, false
	}
	return b, true
}

// Unmarshal decodes the value of name into the Go value v points to, as
// [Unmarshal] does. References are followed as PHP follows them in the
// decoded payload (see [Session]), so they reach values of other entries: v
// gets what PHP's $_SESSION holds under name. A reference in a set value,
// or one to a value that was since replaced or removed, still points where
// it did in the decoded payload. Unmarshal returns an error when there is no
// such entry.
func (s *Session) Unmarshal(name string, v any) error {
	i := s.find(name)
	if i < 0 {
		return fmt.Errorf("phpsession: no session entry %q", name)
	}
	val, err := s.value(i)
	if err != nil { // cannot happen: DecodeSession checked the entry
		return fmt.Errorf("phpsession: session entry %q: %w", name, err)
	}
	if !s.entries[i].refs {
		return fromValue(val, v)
	}
	roots, err := s.slotRoots()
	if err != nil {
		return fmt.Errorf("phpsession: session entry %q: %w", name, err)
	}
	el, err := s.repeatedElements() // which folds the entries
	if err != nil {
		return fmt.Errorf("phpsession: session entry %q: %w", name, err)
	}
	if el != nil {
		// A reference to a name's earlier slot reaches the value the
		// name has where the reference is, as in PHP's $_SESSION.
		val = el.retarget(val, el.posOf(&s.entries[s.find(name)]))
		outer := roots[0].withEntries(slices.Clone(roots[0].Entries()))
		for pos, e := range outer.comp.entries {
			outer.comp.entries[pos].Value = el.retarget(e.Value, pos)
		}
		roots = []Value{outer}
	}
	return fromValueIn(val, roots, v)
}

// repeatedElements returns the elements of a php_serialize payload that
// repeats a name (see elements), else nil. It folds the entries (see
// distinctNames).
func (s *Session) repeatedElements() (*elements, error) {
	if s.format != FormatPHPSerialize || s.orig == nil {
		return nil, nil
	}
	if s.distinctNames(); !s.folded {
		return nil, nil
	}
	return newElements(s)
}

// slotRoots returns the values the slots of the decoded payload count from,
// in order (see fromValueIn): every entry's value in the php and php_binary
// formats, where the entries share one slot table; the outer array in
// php_serialize and igbinary, where it is slot 1. A new session has none.
func (s *Session) slotRoots() ([]Value, error) {
	if s.orig == nil {
		return nil, nil
	}
	o := s
	if s.changed || s.folded {
		// Slots count in the decoded payload, which the changes left
		// behind, every occurrence of a repeated name included.
		var err error
		if o, err = decodeOccurrences(s.orig, s.format, s.limits()); err != nil {
			return nil, err
		}
	}
	vals := make([]Value, len(o.entries))
	for i := range o.entries {
		v, err := o.value(i)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	if s.format == FormatPHP || s.format == FormatPHPBinary {
		return vals, nil
	}
	arr := Value{comp: &composite{kind: Array, entries: make([]Entry, len(vals))}}
	for i, v := range vals {
		arr.comp.entries[i] = Entry{Key: StringValue(o.name(&o.entries[i])), Value: v}
	}
	return []Value{arr}, nil
}

// Set sets the value of name. An existing name keeps its place (when it
// occurs more than once, the first place, and the others are dropped, as PHP
// writes it); a new name is added at the end. The session keeps v: later
// changes to v's arrays and objects show in what Encode writes.
//
// References in v are slot numbers of the decoded payload (see [Session])
// and may only point into entries read from the payload that come before
// name and are still there when the session is encoded. Set v again after
// adding a reference to it.
//
// Set replaces the value of name only. Where the payload binds name to
// other places with a PHP reference (R:, or igbinary's &), those keep the
// value they had, as copies: from a|i:1;b|R:1;, setting a to 5 writes
// a|i:5;b|i:1;. PHP's $_SESSION['a'] = 5 writes through the reference
// instead (a|i:5;b|R:1;).
//
// Set returns a [*KeyError] wrapping [ErrUnstorableKey] when PHP cannot
// store name in the session's format (see [Session.CheckName]), and an
// error wrapping [ErrUnsupportedValue] for the zero Value and for a v that
// nests arrays or objects more than 4096 levels deep (as an array that
// holds itself does: [Value.Set] can build one, PHP cannot hold one).
func (s *Session) Set(name string, v Value) error {
	if err := s.CheckName(name); err != nil {
		return err
	}
	if v.kind() == Invalid {
		return fmt.Errorf("phpsession: cannot set session entry %q to the zero Value: %w", name, ErrUnsupportedValue)
	}
	n, refs, ok := slotsRefs(v, 0)
	if !ok {
		return fmt.Errorf("phpsession: cannot set session entry %q: arrays or objects nested more than %d levels deep (one holding itself?): %w", name, defaultMaxDepth, ErrUnsupportedValue)
	}
	s.put(name, v, int32(n), refs)
	return nil
}

// SetRaw sets the value of name to serialized bytes, as [Session.Set] does.
// raw must be exactly one valid value; the session keeps a copy. Slot numbers
// of references in raw are those of the decoded payload, as for Set.
//
// SetRaw returns a [*KeyError] as Set does, and a [*SyntaxError] when raw is
// not one valid value.
func (s *Session) SetRaw(name string, raw RawValue) error {
	if err := s.CheckName(name); err != nil {
		return err
	}
	src := string(raw)
	p := parser{src: src, lim: s.limits(), looseRefs: true}
	if s.format == FormatPHPSerialize {
		p.depth = 1
	}
	if err := p.value(); err != nil {
		return err
	}
	if p.pos != len(raw) {
		return p.fail(ErrSyntax, p.pos, "bytes after the value")
	}
	// Decoding is lossless: the value encodes back to raw.
	b := builder{src: src, lim: p.lim, depth: p.depth, arena: newArena(p.ncomp, p.nent)}
	v := b.value()
	s.put(name, v, int32(p.slots), p.nrefs > 0)
	return nil
}

// put stores v, which takes nslots slots and holds references if refs, as
// the value of name: in the place of the first entry of that name, dropping
// the others, or in a new entry at the end. The entry it replaces gives it
// its name and its place in s.vals.
func (s *Session) put(name string, v Value, nslots int32, refs bool) {
	e := entry{nslots: nslots, refs: refs, touched: true}
	if s.format == FormatPHPSerialize || s.format == FormatIgbinary {
		_, e.intKey = canonicalInt(name)
	}
	s.distinctNames()
	s.changed = true
	i := s.find(name)
	if i < 0 {
		s.setName(&e, name)
		s.setVal(&e, v)
		s.entries = append(s.entries, e)
		if s.index != nil {
			s.index[name] = int32(len(s.entries) - 1)
		}
		return
	}
	old := &s.entries[i]
	e.nameStart, e.nameEnd, e.val = old.nameStart, old.nameEnd, old.val
	s.setVal(&e, v)
	*old = e
}

// recount updates the slot count and the reference flag of each entry whose
// value was set and is an array or object, when the session holds a
// reference: Set counted them, but the session keeps the value, and a change
// made to it since then moves the slots the references after it point at
// (see Set). A session without references has no slot to keep. It returns
// an error wrapping ErrUnsupportedValue for a value that a change since Set
// nested too deep (see Set), which the encoders would refuse too, but only
// after walking references in it without end.
func (s *Session) recount() error {
	if !slices.ContainsFunc(s.entries, func(e entry) bool { return e.refs }) {
		return nil
	}
	for i := range s.entries {
		e := &s.entries[i]
		if !e.touched {
			continue
		}
		if v := s.val(e); v.kind() == Array || v.kind() == Object {
			n, refs, ok := slotsRefs(v, 0)
			if !ok {
				return fmt.Errorf("phpsession: cannot encode session entry %q: arrays or objects nested more than %d levels deep (one holding itself?): %w", s.name(e), defaultMaxDepth, ErrUnsupportedValue)
			}
			e.nslots, e.refs = int32(n), refs
		}
	}
	return nil
}

// Remove removes name from the session and reports whether it was there.
func (s *Session) Remove(name string) bool {
	s.distinctNames()
	i := s.find(name)
	if i < 0 {
		return false
	}
	s.entries = slices.Delete(s.entries, i, i+1)
	s.changed = true
	s.index = nil // entries moved
	return true
}

// CheckName returns a [*KeyError] wrapping [ErrUnstorableKey] when PHP
// cannot store a $_SESSION key named name in the session's format:
//   - php: a name containing '|' (PHP 8.2 then writes an empty session);
//   - php_binary: a name over 127 bytes (PHP leaves it out);
//   - php, php_binary and igbinary: a numeric name, the decimal text of an
//     int such as "7" or "-3" (PHP's array makes it an int key, which the
//     php and php_binary encoders skip, and which igbinary writes but its
//     session decoder skips on read: the value would be lost).
//
// php_serialize stores any name; a numeric one is written as an int key, as
// PHP does.
func (s *Session) CheckName(name string) error {
	var reason string
	switch s.format {
	case FormatPHP:
		for i := 0; i < len(name); i++ {
			if name[i] == tokSessionName {
				reason = "contains '|'"
				break
			}
		}
	case FormatPHPBinary:
		if len(name) > binMaxName {
			reason = "longer than " + strconv.Itoa(binMaxName) + " bytes"
		}
	}
	if reason == "" && s.format != FormatPHPSerialize {
		if _, numeric := canonicalInt(name); numeric {
			reason = "numeric keys are skipped by PHP"
		}
	}
	if reason != "" {
		return &KeyError{Key: name, Format: s.format, Reason: reason}
	}
	return nil
}

// Clone returns a copy of the session that shares nothing mutable with s.
func (s *Session) Clone() *Session {
	c := *s
	c.index = nil   // put changes it
	c.mem = arena{} // s builds in it
	c.entries = slices.Clone(s.entries)
	c.names = slices.Clone(s.names)
	c.vals = make([]Value, len(s.vals), cap(s.vals))
	for i, v := range s.vals {
		c.vals[i] = v.Clone()
	}
	return &c
}

// Encode returns the session payload as PHP would write it: unchanged
// entries as their original bytes, set ones as PHP's serialize() writes
// them, with references renumbered when slots moved. An unchanged session
// encodes to exactly the payload it was decoded from.
//
// When an unchanged entry holds a reference to a value that was replaced or
// removed, it keeps the old value, as PHP's $_SESSION does: Encode writes
// the entry again from its decoded value, the first reference to each such
// value replaced by a copy of it and later references pointing at the copy.
//
// Encode returns an error wrapping [ErrBadReference] when a reference in a
// set value does not point at a value of an unchanged entry that comes
// before it, and errors wrapping [ErrUnsupportedValue] for values PHP
// cannot read. A changed igbinary session is encoded whole, as
// igbinary_serialize($_SESSION).
func (s *Session) Encode() ([]byte, error) {
	// Room for the original payload and a little growth: a session whose
	// values changed but kept about their size encodes in one allocation
	// instead of a few doublings from nil.
	var dst []byte
	if len(s.orig) > 0 {
		dst = make([]byte, 0, len(s.orig)+len(s.orig)/8+32)
	}
	return s.AppendEncode(dst)
}

// AppendEncode appends the encoded session (see [Session.Encode]) to dst.
func (s *Session) AppendEncode(dst []byte) ([]byte, error) {
	if !s.changed && s.orig != nil {
		return append(dst, s.orig...), nil
	}
	// The names are distinct: Set and Remove, which change a session, made
	// them so.
	if err := s.recount(); err != nil {
		return dst, err
	}
	if s.format == FormatIgbinary {
		return s.appendIgbinary(dst)
	}
	if s.folded && slices.ContainsFunc(s.entries, func(e entry) bool { return e.refs }) {
		// The entries are no longer in the order of their slots: a
		// reference may now point forward, or into a value no longer
		// written. Materializing numbers them as PHP does.
		vals, err := s.materialize()
		if err != nil {
			return dst, err
		}
		return s.appendText(dst, vals)
	}
	out, err := s.appendText(dst, nil)
	if err == nil {
		return out, nil
	}
	var lost *lostTargetError
	if !errors.As(err, &lost) {
		return out, err
	}
	vals, err := s.materialize()
	if err != nil {
		return dst, err
	}
	return s.appendText(dst, vals)
}

// lostTargetError is what appendText returns when a reference in an
// unchanged entry points at a value that was replaced or removed: Encode
// then materializes the session.
type lostTargetError struct{ name string }

func (e *lostTargetError) Error() string {
	return "phpsession: session entry " + strconv.Quote(e.name) + " references a value that was replaced or removed"
}

// appendText appends a php, php_binary or php_serialize session. With vals,
// entry i is written as vals[i], whose references are already numbered for
// the new payload; without, unchanged entries are written as their original
// bytes and references are renumbered.
func (s *Session) appendText(dst []byte, vals []Value) ([]byte, error) {
	start := len(dst)
	renum := renumberer{s: s}
	if s.format == FormatPHPSerialize {
		dst = append(dst, tokArray, tokColon)
		dst = strconv.AppendInt(dst, int64(len(s.entries)), 10)
		dst = append(dst, tokColon, tokOpen)
	}
	for i := range s.entries {
		e := &s.entries[i]
		name := s.name(e)
		switch s.format {
		case FormatPHP:
			dst = append(dst, name...)
			dst = append(dst, tokSessionName)
		case FormatPHPBinary:
			b := e.lenByte
			if e.touched || int(b&binNameMask) != len(name) {
				b = byte(len(name))
			}
			dst = append(dst, b)
			dst = append(dst, name...)
		case FormatPHPSerialize:
			if e.intKey {
				dst = append(dst, tokInt, tokColon)
				dst = append(dst, name...)
				dst = append(dst, tokEnd)
			} else {
				dst = appendString(dst, tokString, name, tokEnd)
			}
		default:
			return dst[:start], fmt.Errorf("phpsession: %w %s", ErrUnknownFormat, s.format)
		}
		at := len(dst)
		var err error
		switch {
		case vals != nil:
			renum.needCheck = true
			if dst, err = appendValue(dst, vals[i]); err != nil {
				return dst[:start], fmt.Errorf("phpsession: session entry %q: %w", name, err)
			}
			continue
		case !e.touched:
			dst = append(dst, s.orig[e.start:e.end]...)
		default:
			if dst, err = appendValue(dst, s.val(e)); err != nil {
				return dst[:start], fmt.Errorf("phpsession: session entry %q: %w", name, err)
			}
		}
		if e.refs {
			if dst, err = renum.rewrite(dst, at, e); err != nil {
				return dst[:start], err
			}
		}
	}
	if s.format == FormatPHPSerialize {
		dst = append(dst, tokClose)
	}
	if renum.needCheck {
		// A reference was renumbered or set: make sure PHP can read the
		// result (targets exist, come first, r: targets are objects).
		if _, err := decodeSession(dst[start:], s.format, s.limits()); err != nil {
			return dst[:start], fmt.Errorf("phpsession: references in the changed session do not hold: %w", err)
		}
	}
	return dst, nil
}

// materializer rewrites the values of a changed session for a new payload
// in serialize()'s slot numbering. Values of unchanged entries keep their
// decoded slots in old; a reference to a value that is no longer written
// gets a copy of it in its place, and later references point at the copy.
type materializer struct {
	old    []Value      // the decoded payload's values by slot (index slot-1)
	origin []int        // the slot where the value of each slot starts (r: slots point back)
	moved  map[int]int  // decoded slot → its slot in the new payload
	via    map[int]Kind // the new slot of a copy made for a reference → that reference's kind
	// refPlaces are the decoded slots whose values were copied for an R:
	// to them: their places are bound to the copy.
	refPlaces map[int]bool
	refd      map[int]bool   // the decoded slots an R: of the decoded payload points at
	enums     map[string]int // the new slot of each enum case written
	outer     bool           // the session is one array (php_serialize, igbinary)
	// holders are, for each decoded slot, the places that hold its value
	// in PHP's $_SESSION after the decode and the change: its own place
	// and the R: references bound to it (see countHolders).
	holders map[int]int
	// elems and pos: in a php_serialize session that repeats a name, the
	// outer array's elements, and the occurrence of the value walked.
	elems *elements
	pos   int
	cur   int // the decoded slot of the last value walked (when tracking)
	// copyRoot is set while copyOf starts walking a copy: the place of
	// its root is the reference's, which copyOf's caller writes.
	copyRoot bool
	// rootBound is, while copyOf starts walking a copy, whether the
	// reference's place that the copy's root takes holds a PHP reference
	// that another place holds too (igbinary writes it with 0x25).
	rootBound bool
	igbinary  bool // the session is igbinary: objects are marked igPlain
	// copies maps the decoded slot of an array PHP shared in memory that is
	// no longer written to the new slot of its first copy written.
	copies map[int]int
	next   int // the last slot taken in the new payload
	depth  int
}

// index records v's slots in the decoded payload.
func (m *materializer) index(v Value) {
	switch v.kind() {
	case PHPRef:
		m.refd[v.Slot()] = true
		return
	case Ref:
		o := 0
		if t := m.elems.target(v.Slot(), m.pos); t >= 1 && t <= len(m.origin) {
			o = m.origin[t-1]
		}
		m.old = append(m.old, Value{})
		m.origin = append(m.origin, o)
		return
	}
	m.old = append(m.old, v)
	m.origin = append(m.origin, len(m.origin)+1)
	if v.kind() == Custom {
		// Values inside a C: payload take slots no Value stands for.
		for range countSlots(v) - 1 {
			m.old = append(m.old, Value{})
			m.origin = append(m.origin, 0)
		}
	}
	outer := m.elems != nil && len(m.old) == 1
	for i, e := range v.Entries() {
		if outer {
			m.pos = i // the outer array's elements, every occurrence
		}
		m.index(e.Value)
	}
}

// materialize returns the value of each entry of a changed text session,
// numbered for the new payload: unchanged entries that reference replaced
// or removed values get copies of them (see [Session.Encode]).
func (s *Session) materialize() ([]Value, error) {
	roots, err := s.slotRoots()
	if err != nil {
		return nil, err
	}
	m := &materializer{moved: make(map[int]int), via: make(map[int]Kind), enums: make(map[string]int), refPlaces: make(map[int]bool), refd: make(map[int]bool)}
	m.outer = s.format == FormatPHPSerialize || s.format == FormatIgbinary
	m.igbinary = s.format == FormatIgbinary
	if s.format == FormatPHPSerialize && s.folded {
		if m.elems, err = newElements(s); err != nil {
			return nil, err
		}
	}
	for _, r := range roots {
		m.index(r)
	}
	if s.format == FormatPHPSerialize || s.format == FormatIgbinary {
		m.next, m.moved[1] = 1, 1 // the outer array
	}
	vals := make([]Value, len(s.entries))
	for i := range s.entries {
		v, err := s.value(i)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	if s.format == FormatIgbinary && len(roots) == 1 {
		fromRoots(roots[0], s.entries, vals)
	}
	m.countHolders(s.entries, vals)
	for i := range s.entries {
		e := &s.entries[i]
		// Entries read from the payload (all of them, in igbinary) know
		// their first slot there; set ones have none.
		m.cur, m.pos = int(e.first)-1, m.elems.posOf(e)
		var err error
		if vals[i], err = m.walk(vals[i], e.first > 0); err != nil {
			return nil, fmt.Errorf("phpsession: session entry %q: %w", s.name(e), err)
		}
	}
	return vals, nil
}

// fromRoots replaces the values of unchanged entries of an igbinary session
// (vals) with the equal ones of root, the decoded payload's outer array
// (see slotRoots), so that the arrays PHP shares in memory, which one decode
// makes one composite, are one composite in the values materialize walks:
// the encoder writes a copy of one as a ref to it, as PHP does, even when
// its first occurrence was in a removed entry.
func fromRoots(root Value, entries []entry, vals []Value) {
	bySlot := make(map[int]Value)
	slot := 2 // after the outer array
	for _, e := range root.Entries() {
		if e.Value.kind() != PHPRef {
			bySlot[slot] = e.Value
		}
		slot += countSlots(e.Value)
	}
	for i := range entries {
		e := &entries[i]
		if e.first == 0 || e.nslots == 0 {
			continue
		}
		if v, ok := bySlot[int(e.first)]; ok && v.Equal(vals[i]) {
			vals[i] = v
		}
	}
}

// walk returns v numbered for the new payload. With track, v holds the
// values of the decoded payload that follow slot m.cur.
func (m *materializer) walk(v Value, track bool) (Value, error) {
	if m.depth++; m.depth > defaultMaxDepth {
		return Value{}, fmt.Errorf("copies of referenced values nest deeper than %d levels: %w", defaultMaxDepth, ErrMaxDepth)
	}
	defer func() { m.depth-- }()
	root := m.copyRoot
	m.copyRoot = false
	switch v.kind() {
	case PHPRef:
		v = PHPRefValue(m.elems.target(v.Slot(), m.pos))
		if n, ok := m.lookup(v.Slot()); ok {
			if m.lone(v.Slot()) && m.holdsObject(v.Slot(), n) {
				// The one R: left to an object whose place is no longer
				// written: PHP writes a reference left alone inside an
				// array as its value, an r: to the object (the values
				// of a php session are not inside one).
				m.next++
				return RefValue(n), nil
			}
			return PHPRefValue(n), nil
		}
		if !track {
			return Value{}, m.unknown(v)
		}
		m.rootBound = !m.lone(v.Slot())
		c, err := m.copyOf(v.Slot(), PHPRef)
		if err == nil && c.kind() == Ref && !m.lone(v.Slot()) {
			// The copy is an object written before (an enum case): the
			// reference bound to it is R: to it, which takes no slot.
			m.next--
			return PHPRefValue(c.Slot()), nil
		}
		return c, err
	case Ref:
		v = RefValue(m.elems.target(v.Slot(), m.pos))
		old := 0
		if track {
			m.cur++
			old = m.cur
		}
		if n, ok := m.lookup(v.Slot()); ok {
			if old > 0 {
				m.moved[old] = n
				if m.holders[old] > 1 {
					// R: binds this place to others: PHP writes it as
					// R: to the object, which takes no slot.
					return PHPRefValue(n), nil
				}
			}
			m.next++
			return RefValue(n), nil
		}
		if !track {
			return Value{}, m.unknown(v)
		}
		m.rootBound = m.holders[old] > 1
		c, err := m.copyOf(v.Slot(), Ref)
		if err != nil {
			return Value{}, err
		}
		m.moved[old] = m.moved[m.origin[v.Slot()-1]]
		if c.kind() == Ref && m.holders[old] > 1 {
			// The copy is an object written before (an enum case), and
			// R: binds this place to others: R: to it, no slot.
			m.next--
			return PHPRefValue(c.Slot()), nil
		}
		return c, nil
	}
	if track {
		if n, ok := m.moved[m.cur+1]; ok {
			// Inside a copy, a value copied before for a reference: PHP
			// writes the same reference to it again, R: when this place
			// is bound to others by R:.
			// (A value of a php session that an R: bound once stays a
			// reference, which PHP does not write as its value at the
			// top.)
			bound := m.bound(m.cur + 1)
			m.cur += countSlots(v)
			if bound {
				return PHPRefValue(n), nil
			}
			m.next++
			return RefValue(n), nil
		}
	}
	if v.kind() == Enum {
		// An enum case is one object: PHP writes it in full once, then
		// r: to that.
		if n, ok := m.enums[v.str]; ok {
			if track {
				m.cur++
				m.moved[m.cur] = n
				if !root && m.bound(m.cur) {
					return PHPRefValue(n), nil // R: takes no slot
				}
			}
			m.next++
			return RefValue(n), nil
		}
		m.enums[v.str] = m.next + 1
	}
	m.next++
	if track {
		m.cur++
		m.moved[m.cur] = m.next
	}
	if root && m.igbinary {
		switch v.kind() {
		case Object, Custom, Enum:
			// A copy's object takes the reference's place: igbinary
			// writes it with 0x25 only where that place holds a
			// reference another place holds too.
			v = withIgPlain(v, !m.rootBound)
		}
	}
	if v.kind() == Custom {
		// The values inside a C: payload move with it.
		for range countSlots(v) - 1 {
			m.next++
			if track {
				m.cur++
				m.moved[m.cur] = m.next
			}
		}
	}
	if v.kind() == Array && v.num != 0 {
		// A decoded copy of an array PHP shared in memory: it stays one
		// (igbinary writes it as a ref) when that array was written.
		// When it was not (removed), the first copy written takes its
		// place, and later copies are copies of that one.
		n, ok := m.copies[int(v.num)]
		if !ok {
			if n, ok = m.lookup(int(v.num)); !ok {
				if m.copies == nil {
					m.copies = make(map[int]int)
				}
				m.copies[int(v.num)] = m.next // the slot v took
			}
		}
		v.num = uint64(n)
	} else if n, ok := m.copies[m.cur]; ok && track && v.kind() == Array {
		// The array a copy written before stands for (see above).
		v.num = uint64(n)
	}
	es := v.Entries()
	if len(es) == 0 {
		return v, nil
	}
	w := v.withEntries(make([]Entry, len(es)))
	same := true
	for i, e := range es {
		ev, err := m.walk(e.Value, track)
		if err != nil {
			return Value{}, err
		}
		same = same && ev == e.Value
		w.comp.entries[i] = Entry{Key: e.Key, Value: ev}
	}
	if same {
		// Nothing inside moved: v itself, so that arrays PHP shares in
		// memory stay one composite, which igbinary writes once and then
		// as refs to it.
		return v, nil
	}
	return w, nil
}

// elements are the outer array's elements of a php_serialize payload that
// repeats a name: every occurrence of every name. A slot of the outer
// array's value is its element, which a repeat overwrites in place: a
// reference to it reaches the value the name has where the reference is,
// not the value at the slot (PHP 8.2 reads a:3:{s:1:"a";i:1;s:1:"a";i:3;
// s:1:"b";R:2;} as b a reference to a's 3). A nil *elements maps nothing.
type elements struct {
	occ    []entry          // every occurrence, in payload order
	names  []string         // the name of each
	top    map[int]int      // the first slot of an occurrence's value → the occurrence
	byName map[string][]int // the occurrences of each name, in order
}

// newElements returns the elements of s's payload.
func newElements(s *Session) (*elements, error) {
	o, err := decodeOccurrences(s.orig, s.format, s.limits())
	if err != nil {
		return nil, err
	}
	return elementsOf(o, o.entries), nil
}

// elementsOf returns the elements of a payload whose every occurrence is
// in occ, entries of s.
func elementsOf(s *Session, occ []entry) *elements {
	el := &elements{occ: occ, names: make([]string, len(occ)), top: make(map[int]int), byName: make(map[string][]int)}
	for i := range occ {
		e := &occ[i]
		el.names[i] = s.name(e)
		el.byName[el.names[i]] = append(el.byName[el.names[i]], i)
		if e.nslots > 0 {
			el.top[int(e.first)] = i
		}
	}
	return el
}

// holder returns, for a reference to slot t made inside occurrence pos,
// the occurrence whose value the element holds there when t is the value
// of an earlier occurrence of the same name (pos itself, when the
// reference is inside the value that overwrites it), else -1.
func (el *elements) holder(t, pos int) int {
	if el == nil {
		return -1
	}
	j, ok := el.top[t]
	if !ok {
		return -1
	}
	list := el.byName[el.names[j]]
	k, _ := slices.BinarySearch(list, pos+1) // the first occurrence after pos
	if k == 0 || list[k-1] <= j {
		return -1
	}
	return list[k-1]
}

// target returns the decoded slot a reference to slot t made inside
// occurrence pos points at: the value the element holds there (see
// holder), else t.
func (el *elements) target(t, pos int) int {
	if h := el.holder(t, pos); h >= 0 && el.occ[h].nslots > 0 {
		return int(el.occ[h].first)
	}
	return t
}

// retarget returns v, read from occurrence pos, with each reference to the
// slot it reaches there (see target).
func (el *elements) retarget(v Value, pos int) Value {
	switch v.kind() {
	case Ref:
		return RefValue(el.target(v.Slot(), pos))
	case PHPRef:
		return PHPRefValue(el.target(v.Slot(), pos))
	}
	if !hasRefs(v) {
		return v
	}
	es := v.Entries()
	w := v.withEntries(make([]Entry, len(es)))
	for i, e := range es {
		w.comp.entries[i] = Entry{Key: e.Key, Value: el.retarget(e.Value, pos)}
	}
	return w
}

// checkElementRefs refuses, in a php_serialize session that repeats a name,
// the references to an element that PHP 8.2 refuses: one that is the value
// overwriting the element, and an r: to it once it holds no object.
func checkElementRefs(s *Session) error {
	var el *elements
	if s.folded {
		var err error
		if el, err = newElements(s); err != nil {
			return err
		}
	} else {
		if _, repeats := s.repeatedName(); !repeats {
			return nil
		}
		el = elementsOf(s, s.entries)
	}
	for pos := range el.occ {
		e := &el.occ[pos]
		if !e.refs {
			continue
		}
		p, err := el.parseRefs(s.orig, pos, s.limits())
		if err != nil {
			return err
		}
		for _, ref := range p.refs {
			h := el.holder(ref.slot, pos)
			switch {
			case h < 0:
			case h == pos && ref.start == int(e.start)+2:
				return p.fail(ErrBadReference, ref.start, "reference to slot "+strconv.Itoa(ref.slot)+", the value of session entry "+strconv.Quote(el.names[h])+", as the value that replaces it")
			case ref.obj && !strings.ContainsRune("OCErR", rune(s.orig[el.occ[h].start])):
				return p.fail(ErrBadReference, ref.start, "r: reference to slot "+strconv.Itoa(ref.slot)+", the value of session entry "+strconv.Quote(el.names[h])+", which a repeat of the name replaced with no object")
			}
		}
	}
	return nil
}

// scanElementRefs decodes a php_serialize payload whose references are
// checked where they reach: a slot of the outer array's value is its
// element, and a reference to it reaches the value the element holds where
// the reference is (see elements), so that an r: to a slot that held no
// object may reach an object a repeat of the name put there. PHP 8.2 reads
// a:3:{s:1:"a";i:1;s:1:"a";O:3:"Foo":0:{}s:1:"b";r:2;} as b the object
// Foo. The session keeps every occurrence, folded on first need, so a
// payload of more than foldMin entries is not read this way (a bad
// reference at the end of a large payload of one repeated name must not
// cost an entry per occurrence); the error is one of the references PHP
// refuses.
func scanElementRefs(data []byte, lim limits) (*Session, error) {
	var sc entryScanner
	if err := sc.start(data, FormatPHPSerialize, lim); err != nil || sc.count > foldMin {
		return nil, errors.New("phpsession: not read for references to elements")
	}
	o, err := scanSession(data, FormatPHPSerialize, lim, true)
	if err != nil {
		return nil, err
	}
	if _, repeats := o.repeatedName(); !repeats {
		return nil, errors.New("phpsession: no name repeats")
	}
	if err := checkElementRefs(o); err != nil {
		return nil, err
	}
	// The payload with each reference to the slot it reaches is one whose
	// references the parser checks as PHP does.
	el := elementsOf(o, o.entries)
	var refs []refPos
	var customs []customPos
	for pos := range el.occ {
		if !el.occ[pos].refs {
			continue
		}
		p, err := el.parseRefs(data, pos, o.limits())
		if err != nil {
			return nil, err
		}
		for _, ref := range p.refs {
			ref.slot = el.target(ref.slot, pos)
			refs = append(refs, ref)
		}
		customs = append(customs, p.customs...)
	}
	if _, err := scanSession(spliceSlots(data, refs, customs), FormatPHPSerialize, lim, false); err != nil {
		return nil, err
	}
	return o, nil
}

// parseRefs parses the value of occurrence pos in data, the payload, and
// returns the parser, which holds the references (and custom payloads) the
// value has, with their offsets in data.
func (el *elements) parseRefs(data []byte, pos int, lim limits) (*parser, error) {
	e := &el.occ[pos]
	p := &parser{src: stringOf(data)[:e.end], pos: int(e.start), lim: lim, depth: 1, looseRefs: true, collectRefs: true}
	return p, p.value()
}

// posOf returns the occurrence e's value was read from (e read from the
// payload), or one past the last (a set value, or no elements).
func (el *elements) posOf(e *entry) int {
	if el == nil {
		return 0
	}
	if e.touched {
		return len(el.occ)
	}
	i, _ := slices.BinarySearchFunc(el.occ, e.start, func(o entry, start int32) int { return int(o.start - start) })
	return i
}

// posOfSlot returns the occurrence whose value holds the decoded slot t.
func (el *elements) posOfSlot(t int) int {
	if el == nil {
		return 0
	}
	i, _ := slices.BinarySearchFunc(el.occ, t+1, func(o entry, t int) int { return int(o.first) - t })
	for i--; i > 0 && el.occ[i].nslots == 0; i-- {
	}
	return max(i, 0)
}

// lone reports whether an R: to the decoded slot t, met now, is the only
// place that holds the reference, inside an array: PHP's serialize() writes
// such a reference (its refcount is 1) as its value.
func (m *materializer) lone(t int) bool {
	return m.holders[t] == 1 && (m.depth > 1 || m.outer)
}

// bound reports whether the place of the decoded slot t holds a reference
// when it is written: PHP writes it as R: to an object or value written
// before.
func (m *materializer) bound(t int) bool {
	if t >= 1 && t <= len(m.old) && m.old[t-1].igPlain() {
		return false // the object's place is out of the reference (igbinary)
	}
	return m.refPlaces[t] || m.holders[t] > 1 || m.depth == 1 && !m.outer && m.refd[t]
}

// holdsObject reports whether the decoded slot t, whose value is written
// at n, holds an object: an object, a Serializable or an enum case, an r:
// (its origin is another slot), or a copy made for one.
func (m *materializer) holdsObject(t, n int) bool {
	if m.via[n] == Ref || t < 1 || t > len(m.origin) {
		return m.via[n] == Ref
	}
	switch o := m.origin[t-1]; {
	case o > 0 && o != t:
		return true
	case o == t:
		switch m.old[t-1].kind() {
		case Object, Custom, Enum:
			return true
		}
	}
	return false
}

// countHolders counts the places that hold each decoded slot's value in
// PHP's $_SESSION after the decode and the change (m.holders), the
// refcount of the reference an R: made there: the slot's own place, when
// the value that holds it is still there (unless it is an object igbinary
// wrote without 0x25, whose place stays out of the reference), and each R:
// bound to it in a value still there. A value is still there when an entry
// holds it, or an r: or R: in a value still there points at it (PHP frees
// the rest at the end of session_decode()). vals are the entries' values.
func (m *materializer) countHolders(entries []entry, vals []Value) {
	m.holders = make(map[int]int)
	seen := make(map[int]bool)
	var node func(t int)
	// inner counts the places inside v, which is at decoded slot t (0 for
	// a set value, whose slots are new), in occurrence pos.
	var inner func(v Value, t, pos int)
	place := func(v Value, t, pos int) {
		if v.kind() == PHPRef {
			target := m.elems.target(v.Slot(), pos)
			m.holders[target]++
			node(target)
			return
		}
		if t > 0 {
			if !v.igPlain() {
				m.holders[t]++
			}
			node(t)
			return
		}
		if v.kind() == Ref {
			node(v.Slot())
			return
		}
		inner(v, 0, pos)
	}
	node = func(t int) {
		if t < 1 || t > len(m.origin) || seen[t] {
			return
		}
		seen[t] = true
		switch o := m.origin[t-1]; {
		case o == t:
			inner(m.old[t-1], t, m.elems.posOfSlot(t))
		case o > 0:
			node(o) // an r: keeps its object
		}
	}
	inner = func(v Value, t, pos int) {
		next := t + 1 // the slot of the next entry's value
		for _, e := range v.Entries() {
			c := 0
			if t > 0 && e.Value.kind() != PHPRef {
				c = next
			}
			place(e.Value, c, pos)
			if t > 0 {
				next += countSlots(e.Value)
			}
		}
	}
	for i, v := range vals {
		e := &entries[i]
		t := 0
		if e.first > 0 && e.nslots > 0 { // an R: takes no slot
			t = int(e.first)
		}
		place(v, t, m.elems.posOf(e))
	}
}

// withIgPlain returns v, an object, Serializable object or enum case,
// marked as written without 0x25 in igbinary (plain) or not: a copy of its
// composite when that changes the mark.
func withIgPlain(v Value, plain bool) Value {
	if v.comp.igPlain == plain {
		return v
	}
	c := *v.comp
	c.igPlain = plain
	v.comp = &c
	return v
}

// igPlain reports whether v is an object, Serializable object or enum case
// that igbinary wrote without 0x25 where & references point at it: its
// place is not one of the reference's.
func (v Value) igPlain() bool {
	switch v.kind() {
	case Object, Custom, Enum:
		return v.comp.igPlain
	}
	return false
}

// lookup returns the new slot of the value at decoded slot t, if it was
// written.
func (m *materializer) lookup(t int) (int, bool) {
	if n, ok := m.moved[t]; ok {
		return n, true
	}
	if t >= 1 && t <= len(m.origin) {
		n, ok := m.moved[m.origin[t-1]]
		return n, ok
	}
	return 0, false
}

// copyOf returns a copy of the value at decoded slot t for a reference of
// kind k, taking the next slots of the new payload, which its decoded slots
// now map to.
func (m *materializer) copyOf(t int, k Kind) (Value, error) {
	if t < 1 || t > len(m.origin) || m.origin[t-1] < 1 {
		return Value{}, fmt.Errorf("reference to slot %d of the decoded payload, which does not exist: %w", t, ErrBadReference)
	}
	o := m.origin[t-1]
	cur, pos := m.cur, m.pos
	m.cur, m.pos, m.copyRoot = o-1, m.elems.posOfSlot(o), true
	c, err := m.walk(m.old[o-1], true)
	m.cur, m.pos = cur, pos
	if err != nil {
		return Value{}, err
	}
	m.moved[t] = m.moved[o]
	m.via[m.moved[o]] = k
	if k == PHPRef && t == o {
		m.refPlaces[t] = true
	}
	return c, nil
}

// unknown is the error for a reference in a set value that points at no
// value of an unchanged entry before it.
func (m *materializer) unknown(ref Value) error {
	return fmt.Errorf("%s%d reference to a slot of the decoded payload that holds no unchanged value before it: %w", tokenOf(ref), ref.Slot(), ErrBadReference)
}

// appendIgbinary encodes an igbinary session: igbinary_serialize($_SESSION).
// References are renumbered, and get copies of values no longer written, as
// for the other formats; when every one still points where it did, the
// values are written as they are (appendIgbinarySession finds out).
func (s *Session) appendIgbinary(dst []byte) ([]byte, error) {
	out, err := appendIgbinarySession(dst, s, nil)
	if !errors.Is(err, errIgMaterialize) {
		return out, err
	}
	vals, err := s.materialize()
	if err != nil {
		return dst, err
	}
	return appendIgbinarySession(dst, s, vals)
}

// renumberer maps the slot numbers of the decoded payload to those of the
// payload being encoded in a text format (an igbinary session checks its
// slots with igKeptBelow). Its map is built when a reference is first
// renumbered: a session without references needs none.
type renumberer struct {
	s         *Session
	indexed   bool
	olds      []int // untouched entries: first slot in the decoded payload
	news      []int // and in the new payload
	sizes     []int
	needCheck bool
	scratch   []byte
}

// index builds the map, once.
func (r *renumberer) index() {
	if r.indexed {
		return
	}
	r.indexed = true
	n := len(r.s.entries)
	r.olds, r.news, r.sizes = make([]int, 0, n), make([]int, 0, n), make([]int, 0, n)
	next := 0
	if r.s.format == FormatPHPSerialize {
		next = 1 // the outer array
	}
	for _, e := range r.s.entries {
		if !e.touched {
			r.olds = append(r.olds, int(e.first))
			r.news = append(r.news, next+1)
			r.sizes = append(r.sizes, int(e.nslots))
		}
		next += int(e.nslots)
	}
}

// slot returns the new number of the decoded payload's slot old.
func (r *renumberer) slot(old int) (int, bool) {
	r.index()
	if old == 1 && r.s.format == FormatPHPSerialize {
		return 1, true
	}
	i, found := slices.BinarySearch(r.olds, old)
	if !found {
		i--
	}
	if i < 0 || old >= r.olds[i]+r.sizes[i] {
		return 0, false
	}
	return old - r.olds[i] + r.news[i], true
}

// rewrite renumbers the references of entry e, whose value was written at
// dst[at:].
func (r *renumberer) rewrite(dst []byte, at int, e *entry) ([]byte, error) {
	if e.touched {
		r.needCheck = true
	}
	name := r.s.name(e)
	p := parser{src: stringOf(dst[at:]), lim: r.s.limits(), looseRefs: true, collectRefs: true}
	if err := p.value(); err != nil {
		return dst, fmt.Errorf("phpsession: session entry %q: %w", name, err)
	}
	changed := false
	for i, ref := range p.refs {
		n, ok := r.slot(ref.slot)
		if !ok && !e.touched {
			return dst, &lostTargetError{name: name}
		}
		if !ok {
			return dst, fmt.Errorf("phpsession: session entry %q: reference to slot %d of the decoded payload points at no unchanged value: %w", name, ref.slot, ErrBadReference)
		}
		if n != ref.slot {
			p.refs[i].slot, changed = n, true
		}
	}
	if !changed {
		return dst, nil
	}
	r.needCheck = true
	r.scratch = append(r.scratch[:0], dst[at:]...)
	return append(dst[:at], spliceSlots(r.scratch, p.refs, p.customs)...), nil
}

// spliceSlots returns src with each reference's slot number replaced by its
// refPos.slot, and the length of each custom payload holding references
// grown or shrunk by the change of its bytes (PHP's C:<len> counts them).
func spliceSlots(src []byte, refs []refPos, customs []customPos) []byte {
	type edit struct {
		start, end int
		text       string
	}
	edits := make([]edit, 0, len(refs)+len(customs))
	for _, ref := range refs {
		edits = append(edits, edit{ref.start, ref.end, strconv.Itoa(ref.slot)})
	}
	// The payloads' new lengths, inner ones first: an inner length that
	// gains a digit lengthens the payload around it.
	slices.SortFunc(customs, func(a, b customPos) int { return (a.end - a.start) - (b.end - b.start) })
	for _, c := range customs {
		n := c.end - c.start
		for _, e := range edits {
			if e.start >= c.start && e.end <= c.end {
				n += len(e.text) - (e.end - e.start)
			}
		}
		if n != c.end-c.start {
			edits = append(edits, edit{c.count, c.countEnd, strconv.Itoa(n)})
		}
	}
	slices.SortFunc(edits, func(a, b edit) int { return a.start - b.start })
	out := make([]byte, 0, len(src)+8*len(edits))
	last := 0
	for _, e := range edits {
		out = append(out, src[last:e.start]...)
		out = append(out, e.text...)
		last = e.end
	}
	return append(out, src[last:]...)
}

package phpsession

import (
	"iter"
	"math"
	"strconv"
)

// Kind is the type of a PHP value as it appears in serialized form.
type Kind uint8

// The kinds of PHP value. The zero Kind is Invalid: the zero [Value] holds no
// value at all, and PHP has no form for it: encoding it (on its own or
// inside an array or object) is an error wrapping [ErrUnsupportedValue].
const (
	Invalid Kind = iota // the zero Value
	Null                // N;
	Bool                // b:0; b:1;
	Int                 // i:<int64>;
	Float               // d:<float>;
	String              // s:<len>:"<bytes>";
	Array               // a:<n>:{<key><value>...}
	Object              // O:<len>:"<class>":<n>:{<name><value>...}
	Custom              // C:<len>:"<class>":<n>:{<payload>} (Serializable)
	Enum                // E:<len>:"<Enum>:<Case>";
	Ref                 // r:<slot>; object identity reference
	PHPRef              // R:<slot>; PHP & reference
)

var kindNames = [...]string{
	Invalid: "invalid",
	Null:    "null",
	Bool:    "bool",
	Int:     "int",
	Float:   "float",
	String:  "string",
	Array:   "array",
	Object:  "object",
	Custom:  "custom",
	Enum:    "enum",
	Ref:     "ref",
	PHPRef:  "phpref",
}

// String returns the lowercase name of the kind ("int", "array", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one PHP value: a scalar, an ordered array, an object, a custom
// (Serializable) object, an enum case, or a reference to another value by
// PHP's slot number.
//
// A Value is small and is passed by value. Arrays, objects and custom objects
// share their contents between copies: use [Value.Clone] before changing a
// copy whose original must stay as it is.
//
// The zero Value has kind [Invalid]; it is what lookups return when nothing is
// found.
type Value struct {
	// num holds the bool (0 or 1), the int64 bits, the float64 bits, or the
	// reference slot; for an Array decoded from igbinary as a copy of an
	// array PHP shared in memory, the slot of that array, so that it is
	// written as a copy again (see igbinary.go); Equal ignores it there.
	num uint64
	// str holds the string bytes; the class name of an Object or Custom; the
	// "Enum:Case" of an Enum; for a Float, the text PHP wrote when it is not
	// the text this package would write for the same float (for example
	// "0.10000000000000001" from serialize_precision=17), so that it
	// re-encodes byte for byte.
	str string
	// comp holds the kind of the value and, for an Array or Object, its
	// entries, for a Custom, its payload. It is nil for the zero Value
	// (Invalid); a scalar's points at the shared, never changed, composite
	// of its kind (see scalarComp). Keeping the kind there makes a Value 32
	// bytes and an Entry 64.
	comp *composite
}

// kind returns the kind of v.
func (v Value) kind() Kind {
	if v.comp == nil {
		return Invalid
	}
	return v.comp.kind
}

// composite is the kind of a value and, for an Array, Object or Custom, its
// shared body.
type composite struct {
	entries []Entry
	payload string // Custom only: the raw bytes between { and }
	// payloadSlots is, for a Custom, how many slots the values inside its
	// payload take (see parser.payloadSlots): 0 for opaque text.
	payloadSlots int32
	kind         Kind
	// igPlain is, for an Object, Custom or Enum decoded from igbinary,
	// whether its first occurrence was written without the & (0x25) that
	// later & references to it carry (see igbinary.go).
	igPlain bool
}

// scalarComps holds the composite of each scalar kind, which all scalar
// Values of that kind point at. Nothing writes to them.
var scalarComps = [...]composite{
	Null:   {kind: Null},
	Bool:   {kind: Bool},
	Int:    {kind: Int},
	Float:  {kind: Float},
	String: {kind: String},
	Enum:   {kind: Enum},
	Ref:    {kind: Ref},
	PHPRef: {kind: PHPRef},
}

// scalarComp returns the composite a scalar Value of kind k points at; k is
// a scalar kind (not Invalid, Array, Object or Custom).
func scalarComp(k Kind) *composite { return &scalarComps[k] }

// Entry is one element of an array (Key is an Int or String value) or one
// property of an object (Key is a String holding PHP's raw property name:
// "name" for public, "\x00*\x00name" for protected, "\x00Class\x00name" for
// private).
type Entry struct {
	Key   Value
	Value Value
}

// NullValue returns PHP null.
func NullValue() Value { return Value{comp: scalarComp(Null)} }

// BoolValue returns a PHP bool.
func BoolValue(b bool) Value {
	v := Value{comp: scalarComp(Bool)}
	if b {
		v.num = 1
	}
	return v
}

// IntValue returns a PHP int.
func IntValue(i int64) Value { return Value{comp: scalarComp(Int), num: uint64(i)} }

// FloatValue returns a PHP float. It encodes as PHP 8 does with its default
// serialize_precision of -1 (shortest round-trip form: 0.1, 1.0E+25, -0, INF,
// NAN).
func FloatValue(f float64) Value { return Value{comp: scalarComp(Float), num: math.Float64bits(f)} }

// StringValue returns a PHP string. PHP strings are byte strings: s may hold
// any bytes, valid UTF-8 or not.
func StringValue(s string) Value { return Value{comp: scalarComp(String), str: s} }

// BytesValue returns a PHP string holding a copy of b.
func BytesValue(b []byte) Value { return Value{comp: scalarComp(String), str: string(b)} }

// ArrayValue returns a PHP array holding entries in the order given. Keys
// must be Int or String values; a String key that PHP would store as an int
// (a canonical decimal such as "5" or "-3", but not "05") is normalised to an
// Int key, as PHP does. When a key repeats, the later entry replaces the
// value of the earlier one in its place, as PHP's array assignment does.
// An entry whose key is neither (such as the zero Value) is kept as given,
// as [ObjectValue] keeps it, not dropped: encoding the array is then an
// error wrapping [ErrUnsupportedValue].
func ArrayValue(entries ...Entry) Value {
	a := Value{comp: &composite{kind: Array, entries: make([]Entry, 0, len(entries))}}
	for _, e := range entries {
		if k := e.Key.kind(); k != Int && k != String {
			a.comp.entries = append(a.comp.entries, e)
			continue
		}
		a.Set(e.Key, e.Value)
	}
	return a
}

// ListValue returns a PHP array of the values with keys 0, 1, 2, ...
func ListValue(values ...Value) Value {
	es := make([]Entry, len(values))
	for i, v := range values {
		es[i] = Entry{Key: IntValue(int64(i)), Value: v}
	}
	return Value{comp: &composite{kind: Array, entries: es}}
}

// ObjectValue returns an object of the named class with the properties in
// the order given. Property names are kept exactly as given (see [Entry]);
// an Int key is stored as PHP stores numeric property names.
func ObjectValue(class string, props ...Entry) Value {
	es := make([]Entry, len(props))
	copy(es, props)
	return Value{str: class, comp: &composite{kind: Object, entries: es}}
}

// CustomValue returns an object of a class implementing PHP's Serializable
// interface, whose serialize() returned payload.
//
// When payload is itself serialized data (the class's serialize() called
// serialize()), its values take PHP slot numbers after the object's own, as
// PHP numbers them; a reference inside it may point at any earlier slot.
func CustomValue(class string, payload []byte) Value { return customValue(class, string(payload)) }

// customValue is CustomValue of a payload held in a string.
func customValue(class, payload string) Value {
	c := &composite{kind: Custom, payload: payload}
	c.payloadSlots = int32(countPayloadSlots(payload, 0, defaultLimits))
	return Value{str: class, comp: c}
}

// EnumValue returns the enum case enum::name (PHP 8.1+), for example
// EnumValue("Suit", "Hearts").
func EnumValue(enum, name string) Value { return Value{comp: scalarComp(Enum), str: enum + ":" + name} }

// RefValue returns an object-identity reference (r:slot;) to the value that
// took PHP's 1-based slot number slot in the same payload.
func RefValue(slot int) Value { return Value{comp: scalarComp(Ref), num: uint64(slot)} }

// PHPRefValue returns a PHP & reference (R:slot;) to the value that took
// PHP's 1-based slot number slot in the same payload.
func PHPRefValue(slot int) Value { return Value{comp: scalarComp(PHPRef), num: uint64(slot)} }

// Kind returns the kind of v; [Invalid] for the zero Value.
func (v Value) Kind() Kind { return v.kind() }

// IsValid reports whether v holds a value (its kind is not [Invalid]).
func (v Value) IsValid() bool { return v.kind() != Invalid }

// IsNull reports whether v is PHP null.
func (v Value) IsNull() bool { return v.kind() == Null }

// Bool returns the value of a Bool; ok is false for any other kind.
func (v Value) Bool() (b, ok bool) { return v.num == 1, v.kind() == Bool }

// Int returns the value of an Int; ok is false for any other kind.
func (v Value) Int() (i int64, ok bool) { return int64(v.num), v.kind() == Int }

// Float returns the value of a Float, or of an Int converted to float64;
// ok is false for any other kind.
func (v Value) Float() (f float64, ok bool) {
	switch v.kind() {
	case Float:
		return math.Float64frombits(v.num), true
	case Int:
		return float64(int64(v.num)), true
	}
	return 0, false
}

// Str returns the bytes of a String as a Go string; ok is false for any other
// kind. The result may hold any bytes, not only UTF-8.
func (v Value) Str() (s string, ok bool) {
	if v.kind() != String {
		return "", false
	}
	return v.str, true
}

// Bytes returns a copy of the bytes of a String; ok is false for any other
// kind.
func (v Value) Bytes() (b []byte, ok bool) {
	if v.kind() != String {
		return nil, false
	}
	return []byte(v.str), true
}

// Class returns the class name of an Object or Custom, or the enum name of an
// Enum; "" for any other kind.
func (v Value) Class() string {
	switch v.kind() {
	case Object, Custom:
		return v.str
	case Enum:
		for i := 0; i < len(v.str); i++ {
			if v.str[i] == ':' {
				return v.str[:i]
			}
		}
	}
	return ""
}

// EnumCase returns the case name of an Enum; "" for any other kind.
func (v Value) EnumCase() string {
	if v.kind() != Enum {
		return ""
	}
	for i := 0; i < len(v.str); i++ {
		if v.str[i] == ':' {
			return v.str[i+1:]
		}
	}
	return ""
}

// Payload returns the raw serialized payload of a Custom; nil for any other
// kind.
func (v Value) Payload() []byte {
	if v.kind() != Custom {
		return nil
	}
	return []byte(v.comp.payload)
}

// Slot returns the 1-based slot number a Ref or PHPRef points at; 0 for any
// other kind.
func (v Value) Slot() int {
	if v.kind() != Ref && v.kind() != PHPRef {
		return 0
	}
	return int(v.num)
}

// Len returns the number of entries of an Array or properties of an Object;
// 0 for any other kind.
func (v Value) Len() int { return len(v.Entries()) }

// Entries returns the entries of an Array or the properties of an Object in
// PHP order; nil for any other kind. The slice is shared with v: changing an
// element's Value changes v.
func (v Value) Entries() []Entry {
	switch v.kind() {
	case Array, Object:
		return v.comp.entries
	}
	return nil
}

// All iterates over the entries of an Array or the properties of an Object in
// PHP order.
func (v Value) All() iter.Seq2[Value, Value] {
	return func(yield func(Value, Value) bool) {
		for _, e := range v.Entries() {
			if !yield(e.Key, e.Value) {
				return
			}
		}
	}
}

// Index returns the element of an Array under the key, which is an int
// (int, int64) or a string; a string key is normalised as PHP normalises
// array keys ("5" finds key 5). On an Object, a string key names a property
// by its raw name (see [Entry]). ok is false when there is no such entry or v
// is neither an Array nor an Object.
func (v Value) Index(key any) (elem Value, ok bool) {
	k, valid := keyOf(key)
	if !valid {
		return Value{}, false
	}
	if v.kind() == Array {
		k = normalizeKey(k)
	}
	if i := v.find(k); i >= 0 {
		return v.comp.entries[i].Value, true
	}
	return Value{}, false
}

// Lookup follows a path of array keys and property names from v, as
// Index does at each step; ok is false as soon as one step finds nothing.
func (v Value) Lookup(path ...any) (elem Value, ok bool) {
	elem = v
	for _, k := range path {
		if elem, ok = elem.Index(k); !ok {
			return Value{}, false
		}
	}
	return elem, true
}

// Property returns the property of an Object with the given name, public,
// protected or private (of any class), as PHP code inside the class would
// see it; ok is false when there is none or v is not an Object.
func (v Value) Property(name string) (prop Value, ok bool) {
	if v.kind() != Object {
		return Value{}, false
	}
	for _, e := range v.comp.entries {
		if e.Key.kind() == String && PropertyName(e.Key.str) == name {
			return e.Value, true
		}
	}
	return Value{}, false
}

// PropertyName returns the declared name of a raw property name:
// "\x00*\x00role" and "\x00Account\x00role" both give "role".
func PropertyName(raw string) string {
	if len(raw) > 0 && raw[0] == 0 {
		for i := 1; i < len(raw); i++ {
			if raw[i] == 0 {
				return raw[i+1:]
			}
		}
	}
	return raw
}

// Set sets the element of an Array (or property of an Object) under key,
// replacing an existing entry in place or appending a new one. Array keys are
// normalised as PHP does. Set does nothing when v is neither an Array nor an
// Object, or key is neither an Int nor a String.
func (v *Value) Set(key Value, elem Value) {
	kind, keyKind := v.kind(), key.kind()
	if (kind != Array && kind != Object) || (keyKind != Int && keyKind != String) {
		return
	}
	if kind == Array {
		key = normalizeKey(key)
	}
	if i := v.find(key); i >= 0 {
		v.comp.entries[i].Value = elem
		return
	}
	v.comp.entries = append(v.comp.entries, Entry{Key: key, Value: elem})
}

// Delete removes the element of an Array (or property of an Object) under
// key, keeping the order of the others. It reports whether it removed one.
func (v *Value) Delete(key Value) bool {
	if v.kind() == Array {
		key = normalizeKey(key)
	}
	i := v.find(key)
	if i < 0 {
		return false
	}
	v.comp.entries = append(v.comp.entries[:i], v.comp.entries[i+1:]...)
	return true
}

// Clone returns a deep copy of v that shares nothing with it. An array or
// object that holds itself (which [Value.Set] can build and PHP cannot
// hold) is copied as a copy that holds itself.
func (v Value) Clone() Value {
	var room [8]clonePair // the path of a Value nested up to 8 levels deep
	return v.cloneIn(room[:0])
}

// clonePair is an array, object or Custom being copied, and its copy.
type clonePair struct{ orig, copy *composite }

// cloneIn is Clone of a v held by the composites in path, the outermost
// first: where v is one of them, it is already being copied, and its copy
// is the answer, so that a Value that holds itself is copied in one pass,
// not without end.
func (v Value) cloneIn(path []clonePair) Value {
	switch v.kind() {
	case Array, Object, Custom:
	default:
		return v
	}
	for _, p := range path {
		if p.orig == v.comp {
			v.comp = p.copy
			return v
		}
	}
	w := v.withEntries(nil)
	if v.comp.entries != nil {
		es := make([]Entry, len(v.comp.entries))
		path = append(path, clonePair{v.comp, w.comp})
		for i, e := range v.comp.entries {
			es[i] = Entry{Key: e.Key, Value: e.Value.cloneIn(path)}
		}
		w.comp.entries = es
	}
	return w
}

// withEntries returns v, an Array, Object or Custom, with a new composite
// of the same kind (and payload) holding es.
func (v Value) withEntries(es []Entry) Value {
	c := *v.comp
	c.entries = es
	v.comp = &c
	return v
}

// Equal reports whether v and w are the same PHP value: the same kind and
// contents, with entries in the same order. Floats compare by their bits, so
// NAN equals NAN and -0 differs from 0. Arrays or objects nested more than
// 4096 levels deep (as one that holds itself is, which [Value.Set] can build
// and PHP cannot hold) are equal only where they are the same array or
// object.
func (v Value) Equal(w Value) bool { return v.equalAt(w, 0) }

// equalAt is Equal for a v and w at the given depth.
func (v Value) equalAt(w Value, depth int) bool {
	if v.kind() != w.kind() || v.num != w.num && v.kind() != Array {
		return false
	}
	switch v.kind() {
	case String, Object, Custom, Enum:
		if v.str != w.str {
			return false
		}
	}
	if v.comp == w.comp {
		return true // the same scalar kind, or the same array or object
	}
	if v.comp.payload != w.comp.payload || depth >= defaultMaxDepth {
		return false
	}
	ve, we := v.comp.entries, w.comp.entries
	if len(ve) != len(we) {
		return false
	}
	for i, e := range ve {
		if !e.Key.Equal(we[i].Key) || !e.Value.equalAt(we[i].Value, depth+1) {
			return false
		}
	}
	return true
}

func (c *composite) payloadOrEmpty() string {
	if c == nil {
		return ""
	}
	return c.payload
}

// find returns the index of the entry under key (already normalised), or -1.
func (v Value) find(key Value) int {
	kind := key.kind()
	for i, e := range v.Entries() {
		if e.Key.kind() == kind && e.Key.num == key.num && e.Key.str == key.str {
			return i
		}
	}
	return -1
}

// keyOf turns a Go key (int, int64, string or Value) into a key Value.
func keyOf(key any) (Value, bool) {
	switch k := key.(type) {
	case int:
		return IntValue(int64(k)), true
	case int64:
		return IntValue(k), true
	case string:
		return StringValue(k), true
	case Value:
		return k, k.kind() == Int || k.kind() == String
	}
	return Value{}, false
}

// normalizeKey turns a String key holding a canonical decimal int64 into an
// Int key, as PHP does for array keys ("5" and "-3" become ints; "05", "+5",
// "-0" and "9223372036854775808" stay strings).
func normalizeKey(k Value) Value {
	if k.kind() != String {
		return k
	}
	if i, ok := canonicalInt(k.str); ok {
		return IntValue(i)
	}
	return k
}

// canonicalInt reports whether s is the canonical decimal text of an int64
// and returns it.
func canonicalInt(s string) (int64, bool) {
	n := len(s)
	if n == 0 || n > 20 {
		return 0, false
	}
	i := 0
	if s[0] == '-' {
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if s[i] == '0' && n > i+1 || s == "-0" {
		return 0, false
	}
	for j := i; j < n; j++ {
		if s[j] < '0' || s[j] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

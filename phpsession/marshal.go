package phpsession

import (
	"cmp"
	"encoding"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Marshaler is implemented by types that can marshal themselves into PHP
// serialize() data. MarshalPHP must return exactly one valid value, such as
// `s:3:"abc";` or `a:0:{}`. Slot numbers of r: and R: references in it count
// from its own first value, as in a standalone serialize() output; [Marshal]
// renumbers them where the value lands.
type Marshaler interface {
	MarshalPHP() ([]byte, error)
}

// MarshalerError is returned by [Marshal] when a MarshalPHP or MarshalText
// method returns an error, or MarshalPHP returns invalid data.
type MarshalerError struct {
	Type   reflect.Type // the type whose method failed
	Err    error        // what it returned, or why its output was refused
	Method string       // "MarshalPHP" or "MarshalText"
}

func (e *MarshalerError) Error() string {
	return "phpsession: error calling " + e.Method + " for type " + e.Type.String() + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *MarshalerError) Unwrap() error { return e.Err }

// Marshal returns PHP's serialize() form of v, which PHP's unserialize()
// reads back.
//
// Marshal turns Go values into PHP values as follows:
//
//   - nil, a nil pointer and a nil interface become null (N;).
//   - bool becomes a PHP bool, every integer type a PHP int, every float
//     type a PHP float written as PHP 8 writes it (INF, -0, 1.0E+25). A
//     float32 becomes the float64 nearest to its shortest decimal form, so
//     float32(0.1) is written 0.1. An unsigned value above
//     math.MaxInt64 does not fit a PHP int: it is an error.
//   - string becomes a PHP string of the same bytes; []byte too, raw (not
//     base64 as in encoding/json).
//   - Slices and arrays become PHP lists (keys 0, 1, 2, ...). A nil slice
//     becomes an empty array, as a nil map does (as in encoding/json/v2):
//     PHP code iterating over it expects an array, not null.
//   - Maps become PHP arrays. Keys may be strings, integers, types
//     implementing [encoding.TextMarshaler], or interfaces holding a string
//     or an integer. String keys are normalised as PHP normalises them ("5"
//     becomes the int key 5), and the entries are sorted so that the output
//     is deterministic: int keys first, in numeric order, then string keys
//     in byte order.
//   - Structs become PHP arrays with string keys, one per exported field in
//     field order, named by the field's php tag or else its Go name. A
//     struct with a [ClassName] field becomes a PHP object instead.
//     Embedded structs promote their fields as in encoding/json.
//   - A type implementing [Marshaler] is what its MarshalPHP returns; one
//     implementing [encoding.TextMarshaler] is a PHP string of its text.
//     So a time.Time is its RFC 3339 text, with nanoseconds when it has
//     any.
//   - A [Value] is written as it is. Nested in a Go value, its r: and R:
//     slot numbers are taken to count from its own first value, and are
//     renumbered where it lands.
//   - Pointers and interfaces are the value they hold.
//
// The struct tag `php:"name,opt,..."` names the key or property; its
// options are:
//
//   - omitempty: leave the field out when it is false, 0, "", a nil pointer
//     or interface, or an empty map, slice, array or string;
//   - omitzero: leave the field out when it is its zero value, or its
//     IsZero() bool method says so;
//   - protected, private: the visibility of the property, in a struct that
//     is a PHP object (see [ClassName]).
//
// The tag `php:"-"` leaves a field out.
//
// Marshal returns an [*UnsupportedValueError] for a Go value that PHP
// cannot hold: a channel, a function, a complex number, a map with other
// keys, an unsigned value above math.MaxInt64, a cycle of pointers, maps or
// slices, or nesting deeper than PHP's unserialize() reads (4096 levels).
// An error of a MarshalPHP or MarshalText method comes back as a
// [*MarshalerError].
func Marshal(v any) ([]byte, error) {
	val, err := toValue(v)
	if err != nil {
		return nil, err
	}
	b, err := appendValue(nil, val)
	if err != nil {
		return nil, err // not the bytes written before the error
	}
	return b, nil
}

// maxMarshalDepth is how deep Marshal nests arrays and objects: PHP's
// default unserialize_max_depth, deeper than which PHP refuses to read.
const maxMarshalDepth = defaultMaxDepth

// cycleCheckDepth is the nesting below which Marshal does not look for
// cycles: a cycle is found at the latest this many levels after it starts.
const cycleCheckDepth = 64

var (
	marshalerType     = reflect.TypeFor[Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	valueType         = reflect.TypeFor[Value]()
)

// toValue turns a Go value into a PHP Value, as Marshal does.
func toValue(v any) (Value, error) {
	switch v := v.(type) {
	case Value:
		return v, nil
	case *Value:
		if v != nil {
			return *v, nil
		}
	}
	e := encodeState{}
	return e.value(reflect.ValueOf(v))
}

// encodeState is the state of one toValue call.
type encodeState struct {
	depth int
	// ptrs is the number of pointers being followed: they nest nothing,
	// but a cycle of pointers alone (var x any; x = &x) goes on without
	// end, so cycles are also looked for past cycleCheckDepth pointers.
	ptrs  int
	slots int          // PHP slots taken by the values made so far
	path  []string     // keys from the root to the value being made
	seen  map[any]bool // pointers, maps and slices being made, past cycleCheckDepth
}

// unsupported returns an *UnsupportedValueError for a value of type t at
// the current path.
func (e *encodeState) unsupported(t reflect.Type, msg string) error {
	return &UnsupportedValueError{Type: t, Path: strings.Join(e.path, "."), Msg: msg}
}

// value makes the PHP Value of rv.
func (e *encodeState) value(rv reflect.Value) (Value, error) {
	if !rv.IsValid() {
		e.slots++
		return NullValue(), nil
	}
	t := rv.Type()
	if t == valueType {
		return e.embed(rv.Interface().(Value), t)
	}
	if (t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface) && rv.IsNil() {
		e.slots++
		return NullValue(), nil
	}
	if t.Kind() == reflect.Interface {
		return e.value(rv.Elem())
	}
	if t.Implements(marshalerType) {
		return e.marshaler(rv, t)
	}
	if t.Kind() != reflect.Pointer && rv.CanAddr() && reflect.PointerTo(t).Implements(marshalerType) {
		return e.marshaler(rv.Addr(), t)
	}
	if t.Implements(textMarshalerType) {
		return e.textMarshaler(rv, t)
	}
	if t.Kind() != reflect.Pointer && rv.CanAddr() && reflect.PointerTo(t).Implements(textMarshalerType) {
		return e.textMarshaler(rv.Addr(), t)
	}

	switch t.Kind() {
	case reflect.Bool:
		e.slots++
		return BoolValue(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.slots++
		return IntValue(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return Value{}, e.unsupported(t, strconv.FormatUint(u, 10)+" does not fit a PHP int")
		}
		e.slots++
		return IntValue(int64(u)), nil
	case reflect.Float32:
		e.slots++
		f, _ := strconv.ParseFloat(strconv.FormatFloat(rv.Float(), 'g', -1, 32), 64)
		return FloatValue(f), nil
	case reflect.Float64:
		e.slots++
		return FloatValue(rv.Float()), nil
	case reflect.String:
		e.slots++
		return StringValue(rv.String()), nil
	case reflect.Pointer:
		if err := e.enter(rv.Pointer(), t); err != nil {
			return Value{}, err
		}
		e.ptrs++
		v, err := e.value(rv.Elem())
		e.ptrs--
		e.leave(rv.Pointer(), t)
		return v, err
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(marshalerType) && !reflect.PointerTo(t.Elem()).Implements(textMarshalerType) {
			e.slots++
			return BytesValue(rv.Bytes()), nil
		}
		if e.depth+1 > cycleCheckDepth && rv.Len() > 0 {
			// A slice is in a cycle when the same elements, with the same
			// length, are being made further up.
			id := struct {
				seenKey
				len int
			}{seenKey{rv.Pointer(), t}, rv.Len()}
			if e.seen[id] {
				return Value{}, e.unsupported(t, "cycle")
			}
			e.see(id)
			defer delete(e.seen, id)
		}
		return e.list(rv)
	case reflect.Array:
		return e.list(rv)
	case reflect.Map:
		if err := e.enter(rv.Pointer(), t); err != nil {
			return Value{}, err
		}
		defer e.leave(rv.Pointer(), t)
		return e.mapValue(rv)
	case reflect.Struct:
		return e.structValue(rv)
	}
	return Value{}, e.unsupported(t, "no PHP equivalent")
}

// seenKey identifies a pointer or map being made. The type is part of it:
// a pointer to a struct and one to its first field are the same address.
type seenKey struct {
	p uintptr
	t reflect.Type
}

// enter notes that the pointer or map p of type t is being made, and fails
// when it already is: a cycle. It only looks past cycleCheckDepth of
// nesting or of pointers followed.
func (e *encodeState) enter(p uintptr, t reflect.Type) error {
	if e.depth+1 <= cycleCheckDepth && e.ptrs < cycleCheckDepth {
		return nil
	}
	if e.seen[seenKey{p, t}] {
		return e.unsupported(t, "cycle")
	}
	e.see(seenKey{p, t})
	return nil
}

func (e *encodeState) leave(p uintptr, t reflect.Type) {
	if e.seen != nil {
		delete(e.seen, seenKey{p, t})
	}
}

func (e *encodeState) see(id any) {
	if e.seen == nil {
		e.seen = map[any]bool{}
	}
	e.seen[id] = true
}

// nest enters an array or object, which takes one slot; it fails past
// maxMarshalDepth.
func (e *encodeState) nest(t reflect.Type) error {
	if e.depth >= maxMarshalDepth {
		return e.unsupported(t, "nested deeper than "+strconv.Itoa(maxMarshalDepth)+" levels, which PHP does not read")
	}
	e.depth++
	e.slots++
	return nil
}

// list makes a PHP list of the elements of a slice or array.
func (e *encodeState) list(rv reflect.Value) (Value, error) {
	if err := e.nest(rv.Type()); err != nil {
		return Value{}, err
	}
	defer func() { e.depth-- }()
	n := rv.Len()
	es := make([]Entry, n)
	for i := range n {
		e.path = append(e.path, strconv.Itoa(i))
		v, err := e.value(rv.Index(i))
		e.path = e.path[:len(e.path)-1]
		if err != nil {
			return Value{}, err
		}
		es[i] = Entry{Key: IntValue(int64(i)), Value: v}
	}
	return Value{comp: &composite{kind: Array, entries: es}}, nil
}

// mapValue makes a PHP array of a map, its keys sorted.
func (e *encodeState) mapValue(rv reflect.Value) (Value, error) {
	t := rv.Type()
	if err := e.nest(t); err != nil {
		return Value{}, err
	}
	defer func() { e.depth-- }()
	type kv struct {
		key Value
		val reflect.Value
	}
	kvs := make([]kv, 0, rv.Len())
	iter := rv.MapRange()
	for iter.Next() {
		k, err := e.mapKey(iter.Key())
		if err != nil {
			return Value{}, err
		}
		kvs = append(kvs, kv{normalizeKey(k), iter.Value()})
	}
	slices.SortFunc(kvs, func(a, b kv) int { return compareKeys(a.key, b.key) })
	es := make([]Entry, len(kvs))
	for i, p := range kvs {
		if i > 0 && compareKeys(kvs[i-1].key, p.key) == 0 {
			return Value{}, e.unsupported(t, "two keys are the PHP key "+keyString(p.key))
		}
		e.path = append(e.path, keyString(p.key))
		v, err := e.value(p.val)
		e.path = e.path[:len(e.path)-1]
		if err != nil {
			return Value{}, err
		}
		es[i] = Entry{Key: p.key, Value: v}
	}
	return Value{comp: &composite{kind: Array, entries: es}}, nil
}

// compareKeys orders normalised PHP array keys: ints first, numerically,
// then strings, bytewise.
func compareKeys(a, b Value) int {
	if a.kind() != b.kind() {
		if a.kind() == Int {
			return -1
		}
		return 1
	}
	if a.kind() == Int {
		return cmp.Compare(int64(a.num), int64(b.num))
	}
	return strings.Compare(a.str, b.str)
}

// keyString returns the text of an array key, for paths.
func keyString(k Value) string {
	if k.kind() == Int {
		return strconv.FormatInt(int64(k.num), 10)
	}
	return k.str
}

// mapKey makes the PHP key of a Go map key.
func (e *encodeState) mapKey(k reflect.Value) (Value, error) {
	t := k.Type()
	if t.Kind() == reflect.Interface {
		if k.IsNil() {
			return Value{}, e.unsupported(t, "nil map key")
		}
		k = k.Elem()
		t = k.Type()
	}
	if t.Kind() == reflect.String {
		return StringValue(k.String()), nil
	}
	if t.Implements(textMarshalerType) {
		if t.Kind() == reflect.Pointer && k.IsNil() {
			return Value{}, e.unsupported(t, "nil map key")
		}
		b, err := k.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return Value{}, &MarshalerError{Type: t, Err: err, Method: "MarshalText"}
		}
		return StringValue(string(b)), nil
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return IntValue(k.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if u := k.Uint(); u <= math.MaxInt64 {
			return IntValue(int64(u)), nil
		}
		return Value{}, e.unsupported(t, "map key "+strconv.FormatUint(k.Uint(), 10)+" does not fit a PHP int")
	}
	return Value{}, e.unsupported(t, "map key of type "+t.String()+" is neither a string nor an int")
}

// structValue makes a PHP array, or a PHP object when t has a ClassName
// field, of a struct.
func (e *encodeState) structValue(rv reflect.Value) (Value, error) {
	t := rv.Type()
	sf := cachedTypeFields(t)
	if sf.err != "" {
		return Value{}, e.unsupported(t, sf.err)
	}
	kind, class := Array, ""
	if sf.class != nil {
		kind = Object
		var err error
		if class, err = e.className(rv, sf.class, t); err != nil {
			return Value{}, err
		}
	}
	if err := e.nest(t); err != nil {
		return Value{}, err
	}
	defer func() { e.depth-- }()
	es := make([]Entry, 0, len(sf.list))
	for i := range sf.list {
		f := &sf.list[i]
		fv, ok := fieldByIndex(rv, f.index)
		if !ok || f.omitEmpty && isEmptyValue(fv) || f.omitZero && isZeroValue(fv) {
			continue
		}
		name := f.name
		if kind == Object {
			declClass := ""
			if f.vis == private {
				var err error
				if declClass, err = e.className(rv, f.class, t); err != nil {
					return Value{}, err
				}
			}
			name = rawPropertyName(f.name, f.vis, declClass)
		}
		e.path = append(e.path, f.name)
		v, err := e.value(fv)
		e.path = e.path[:len(e.path)-1]
		if err != nil {
			return Value{}, err
		}
		es = append(es, Entry{Key: StringValue(name), Value: v})
	}
	if kind == Object {
		return Value{str: class, comp: &composite{kind: Object, entries: es}}, nil
	}
	if sf.numericName {
		// A field named like a canonical int ("5") is an int key in PHP:
		// let ArrayValue do what PHP does.
		return ArrayValue(es...), nil
	}
	return Value{comp: &composite{kind: Array, entries: es}}, nil
}

// className returns the class a ClassName field of the struct rv names:
// its value, else its tag.
func (e *encodeState) className(rv reflect.Value, cf *classField, t reflect.Type) (string, error) {
	name := cf.name
	if fv, ok := fieldByIndex(rv, cf.index); ok && fv.String() != "" {
		name = fv.String()
	}
	if !validClassName(name) {
		if name == "" {
			return "", e.unsupported(t, "its ClassName field names no class")
		}
		return "", e.unsupported(t, "invalid PHP class name "+strconv.Quote(name))
	}
	return name, nil
}

// fieldByIndex returns the field of the struct v at index, or ok false when
// the path goes through a nil embedded pointer.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// isEmptyValue reports whether v is empty for omitempty.
func isEmptyValue(v reflect.Value) bool {
	if v.Type() == valueType {
		return !v.Interface().(Value).IsValid()
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZeroValue reports whether v is zero for omitzero: its IsZero method
// says so, or it is the zero value of its type.
func isZeroValue(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	if v.CanAddr() {
		if z, ok := v.Addr().Interface().(interface{ IsZero() bool }); ok {
			return z.IsZero()
		}
	}
	return v.IsZero()
}

// marshaler makes the Value of a Marshaler's output.
func (e *encodeState) marshaler(rv reflect.Value, t reflect.Type) (Value, error) {
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		e.slots++
		return NullValue(), nil
	}
	b, err := rv.Interface().(Marshaler).MarshalPHP()
	if err != nil {
		return Value{}, &MarshalerError{Type: t, Err: err, Method: "MarshalPHP"}
	}
	v, n, err := decodeValue(b, limits{maxDepth: maxMarshalDepth - e.depth})
	if err == nil && n != len(b) {
		err = &SyntaxError{Offset: int64(n), Msg: "data after the value", Err: ErrSyntax}
	}
	if err != nil {
		return Value{}, &MarshalerError{Type: t, Err: err, Method: "MarshalPHP"}
	}
	return e.embed(v, t)
}

// textMarshaler makes the PHP string of a TextMarshaler's text.
func (e *encodeState) textMarshaler(rv reflect.Value, t reflect.Type) (Value, error) {
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		e.slots++
		return NullValue(), nil
	}
	b, err := rv.Interface().(encoding.TextMarshaler).MarshalText()
	if err != nil {
		return Value{}, &MarshalerError{Type: t, Err: err, Method: "MarshalText"}
	}
	e.slots++
	return BytesValue(b), nil
}

// embed places a Value in the one being made: its slot numbers, which
// count from its own first value, are moved to count from where it lands.
func (e *encodeState) embed(v Value, t reflect.Type) (Value, error) {
	if !v.IsValid() {
		e.slots++
		return NullValue(), nil
	}
	base := e.slots
	if !hasRefs(v) {
		e.slots += countSlots(v)
		return v, nil
	}
	// Check its references as PHP would read it on its own.
	b, err := appendValue(nil, v)
	if err == nil {
		_, _, err = decodeValue(b, limits{})
	}
	if err != nil {
		return Value{}, e.unsupported(t, "the Value does not encode on its own: "+err.Error())
	}
	e.slots += countSlots(v)
	if base == 0 {
		return v, nil
	}
	return shiftRefs(v, base), nil
}

// shiftRefs returns a copy of v with by added to the slot number of every
// r: and R: in it.
func shiftRefs(v Value, by int) Value {
	switch v.kind() {
	case Ref, PHPRef:
		v.num += uint64(by)
		return v
	case Array, Object:
		if !hasRefs(v) {
			return v
		}
		es := make([]Entry, len(v.comp.entries))
		for i, en := range v.comp.entries {
			es[i] = Entry{Key: en.Key, Value: shiftRefs(en.Value, by)}
		}
		v = v.withEntries(es)
	}
	return v
}

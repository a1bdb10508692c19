package phpsession

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Unmarshaler is implemented by types that can unmarshal a PHP
// serialize() value of themselves. UnmarshalPHP receives exactly one valid
// value, standalone: references in it are replaced by what they point at.
// It must copy the data if it keeps it after returning.
type Unmarshaler interface {
	UnmarshalPHP(data []byte) error
}

// InvalidUnmarshalError describes an invalid argument passed to [Unmarshal]:
// not a non-nil pointer.
type InvalidUnmarshalError struct {
	Type reflect.Type
}

func (e *InvalidUnmarshalError) Error() string {
	if e.Type == nil {
		return "phpsession: Unmarshal(nil)"
	}
	if e.Type.Kind() != reflect.Pointer {
		return "phpsession: Unmarshal(non-pointer " + e.Type.String() + ")"
	}
	return "phpsession: Unmarshal(nil " + e.Type.String() + ")"
}

// refExpansionFree is how many values Unmarshal may visit through r: and
// R: references on top of twice the values of the input, so that a small
// input whose references point at values that themselves hold references
// cannot make it fill an exponentially large Go value.
const refExpansionFree = 1 << 16

// refBudget returns how many values may be visited through references,
// for an input of n values.
func refBudget(n int) int { return 2*n + refExpansionFree }

// Unmarshal parses PHP serialize() data and stores the result in the value
// v points to. data must be exactly one value. Unmarshal checks the whole
// input, and that every value fits the Go type it goes into, before it
// changes anything: on error v is as it was, except when an UnmarshalPHP or
// UnmarshalText method fails after others have run.
//
// Unmarshal uses the inverse of the rules of [Marshal], allocating maps,
// slices and pointers as needed, with these additional rules:
//
//   - Into a [*Value], the PHP value is stored as it is, losslessly. This
//     is the way to keep the order of array keys, the class of objects, and
//     references. A Value inside a Go value (a field, an element) gets the
//     PHP value standalone: its references replaced by copies of what they
//     point at.
//   - Into an interface{} (any), null becomes nil, bool bool, int int64,
//     float float64, string string; an array with the keys 0, 1, 2, ... in
//     order (or empty) becomes []any, any other array a map[string]any
//     with int keys written in decimal; an object becomes a map[string]any
//     of its properties by their declared names (PropertyName), dropping
//     its class. This loses the order of keys and the difference between
//     the keys 5 and "5": use [Value] where that matters. An enum case or a
//     Serializable (C:) object becomes a [Value].
//   - Into a struct, a PHP array or object fills the field whose name (tag,
//     else Go name) is the key or the declared property name, preferring an
//     exact match but accepting one that differs in case. Keys with no
//     field are ignored; when a key repeats, the later value wins. A struct
//     with a [ClassName] field records the object's class in it, and
//     refuses anything but an object of the class its tag names, if any.
//   - Into a map, keys are converted to the map's key type: a string, an
//     integer (from an int key, or a string one holding a canonical
//     integer), a type implementing [encoding.TextUnmarshaler], or an
//     interface, which gets an int64 or a string. Existing entries are
//     kept.
//   - Into a slice, an array whose keys are all ints gives its values in
//     PHP order, in a new slice. Into a Go array likewise; extra PHP values
//     are dropped and missing ones leave the Go elements zero.
//   - A PHP int goes into any integer type it fits, and into a float type
//     when the float holds it exactly; a PHP float only into a float type
//     (and not past float32's range). No other conversion is made: a PHP
//     "5" never becomes the Go int 5, nor 1 true.
//   - PHP null sets a pointer, interface, map or slice to nil and a
//     [Value] to PHP null; into other types it does nothing.
//   - A type implementing [Unmarshaler] gets the value's bytes; one
//     implementing [encoding.TextUnmarshaler] gets the bytes of a PHP
//     string (any other PHP value is a type error). So a [time.Time] reads
//     RFC 3339 text; it also reads a PHP DateTime or DateTimeImmutable
//     object (or one of a subclass, such as Carbon) whose time zone is a
//     UTC offset, UTC, or a zone name that [time.LoadLocation] knows
//     (programs running where the system has no time zone database can
//     import time/tzdata).
//   - r: and R: references are followed: the Go value gets a copy of what
//     they point at. A reference to a value that contains it cannot be
//     copied, and is a type error. Through references, at most twice as
//     many values as the input holds, plus 65536, are visited, so that
//     references to references cannot make a small input fill a huge Go
//     value; past that Unmarshal returns an error wrapping [ErrTooLarge]. Values nested deeper than 4096 levels
//     through references give an error wrapping [ErrMaxDepth].
//
// Unmarshal returns an [*InvalidUnmarshalError] if v is not a non-nil
// pointer; a [*SyntaxError] if data is not exactly one valid value; an
// [*UnmarshalTypeError] when a value does not fit the Go type at its place,
// whose Field is the dot-separated path of keys to it and Offset the byte
// offset of the value in data; and the error of an UnmarshalPHP or
// UnmarshalText method as it is.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &InvalidUnmarshalError{Type: reflect.TypeOf(v)}
	}
	val, n, err := decodeValue(data, limits{})
	if err != nil {
		return err
	}
	if n != len(data) {
		return &SyntaxError{Offset: int64(n), Msg: "data after the value", Err: ErrSyntax}
	}
	return fromValue(val, v)
}

// fromValue stores a standalone PHP Value, whose slot numbers count from
// its own first value, into the Go value dst points to, as Unmarshal does.
// A *Value dst gets val as it is.
func fromValue(val Value, dst any) error {
	if p, ok := dst.(*Value); ok && p != nil {
		*p = val
		return nil
	}
	return fromValueIn(val, []Value{val}, dst)
}

// fromValueIn is fromValue for a Value whose slot numbers count from the
// first of roots, walked in order: for the php session format, roots are
// the values of all the entries; for php_serialize, the outer array. val
// is one of them or inside one. A *Value dst gets val with its references
// replaced by what they point at. Type error offsets count from val's
// first byte.
func fromValueIn(val Value, roots []Value, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &InvalidUnmarshalError{Type: reflect.TypeOf(dst)}
	}
	// Check everything first, then fill: a value that does not fit leaves
	// dst untouched. An any that holds no pointer is set once, at the end:
	// it needs no check.
	d := decodeState{root: val, roots: roots}
	if e := rv.Elem(); e.Type() != anyType || (!e.IsNil() && e.Elem().Kind() == reflect.Pointer) {
		d.dry = true
		if err := d.value(val, rv.Elem()); err != nil {
			return err
		}
		d = decodeState{root: val, roots: roots, slots: d.slots}
	}
	return d.value(val, rv.Elem())
}

// decodeState is the state of one fill of a Go value from a Value.
type decodeState struct {
	root  Value   // the value being stored, for error offsets
	roots []Value // where slot numbers count from
	slots []Value // the slot table, made on the first reference
	// dry checks without changing the target: nothing is set, nil pointers
	// and maps are replaced by throwaway ones, no method is called but
	// UnmarshalText on a fresh map key.
	dry bool

	expanded  int          // values visited through references
	inRef     int          // > 0 while inside a referenced value
	ancestors []*composite // arrays and objects being filled, for cycles
	loc       []int        // entry indexes from root to here, not through references
	path      []pathStep   // entries from root to here
}

// typeError returns an *UnmarshalTypeError for a PHP value described by
// what that does not fit t, at the current place.
func (d *decodeState) typeError(what string, t reflect.Type) error {
	return &UnmarshalTypeError{Value: what, Type: t, Offset: offsetOf(d.root, d.loc), Field: d.pathString(0, len(d.path))}
}

// describe names a PHP value in a type error: its kind, with the class of
// an object.
func describe(v Value) string {
	switch v.kind() {
	case Object, Custom:
		return v.kind().String() + " " + v.str
	case Enum:
		return "enum " + v.str
	}
	return v.kind().String()
}

// pathStep is entry i of the array or object v, one step of a path.
type pathStep struct {
	v Value
	i int
}

// enter moves to entry i of v.
func (d *decodeState) enter(v Value, i int) {
	d.ancestors = append(d.ancestors, v.comp)
	d.path = append(d.path, pathStep{v, i})
	if d.inRef == 0 {
		d.loc = append(d.loc, i)
	}
}

// leave undoes enter.
func (d *decodeState) leave() {
	d.ancestors = d.ancestors[:len(d.ancestors)-1]
	d.path = d.path[:len(d.path)-1]
	if d.inRef == 0 {
		d.loc = d.loc[:len(d.loc)-1]
	}
}

// pathString returns the keys of path steps [from, to), dot-separated.
func (d *decodeState) pathString(from, to int) string {
	var b strings.Builder
	for j, st := range d.path[from:to] {
		if j > 0 {
			b.WriteByte('.')
		}
		b.WriteString(entryKey(st.v, st.v.comp.entries[st.i]))
	}
	return b.String()
}

// entryKey returns the name of an entry of v: the key of an array entry in
// decimal or as it is, or the declared name of an object property.
func entryKey(v Value, e Entry) string {
	if e.Key.kind() == Int {
		return strconv.FormatInt(int64(e.Key.num), 10)
	}
	if v.kind() == Object {
		return PropertyName(e.Key.str)
	}
	return e.Key.str
}

// appendSlots appends to dst the values taking PHP's slots in v, in slot
// order, as php_var_unserialize numbers them: every value, nested ones
// included, takes the next slot, except an R: reference; an r: reference
// takes one for the value it points at; array keys take none. A reference
// to a slot that does not exist yet takes an Invalid Value.
func appendSlots(dst []Value, v Value) []Value {
	switch v.kind() {
	case PHPRef:
		return dst
	case Ref:
		var target Value
		if s := v.Slot(); s >= 1 && s <= len(dst) {
			target = dst[s-1]
		}
		return append(dst, target)
	}
	dst = append(dst, v)
	if v.kind() == Custom && v.comp.payloadSlots > 0 {
		// Values inside a C: payload take the next slots.
		if vals, ok := payloadValues(v.comp.payload, dst); ok {
			for _, pv := range vals {
				dst = appendSlots(dst, pv)
			}
			return dst
		}
		for range countSlots(v) - 1 {
			dst = append(dst, Value{})
		}
	}
	for _, e := range v.Entries() {
		dst = appendSlots(dst, e.Value)
	}
	return dst
}

// resolveRef returns the value the r: or R: reference ref points at, never
// itself a reference. It fails when the slot does not exist, or the value
// contains the reference (a recursive structure, which no Go value copies).
func (d *decodeState) resolveRef(ref Value, t reflect.Type) (Value, error) {
	if d.slots == nil {
		for _, r := range d.roots {
			d.slots = appendSlots(d.slots, r)
		}
	}
	s := ref.Slot()
	if s < 1 || s > len(d.slots) || !d.slots[s-1].IsValid() {
		return Value{}, fmt.Errorf("phpsession: %s reference to slot %d, which does not exist, at %s: %w", tokenOf(ref), s, d.where(), ErrBadReference)
	}
	target := d.slots[s-1]
	if target.comp != nil && slices.Contains(d.ancestors, target.comp) {
		return Value{}, d.typeError("recursive reference "+tokenOf(ref)+strconv.Itoa(s), t)
	}
	return target, nil
}

// tokenOf returns "r:" or "R:".
func tokenOf(ref Value) string {
	if ref.kind() == Ref {
		return "r:"
	}
	return "R:"
}

// where describes the current place for errors: the path of keys to it,
// its middle left out when it is long.
func (d *decodeState) where() string {
	const keep = 8
	n := len(d.path)
	switch {
	case n == 0:
		return "the top level"
	case n > 2*keep:
		return d.pathString(0, keep) + ".(" + strconv.Itoa(n-2*keep) + " more)." + d.pathString(n-keep, n)
	}
	return d.pathString(0, n)
}

// follow returns val, or what it points at when it is a reference, and
// counts the values visited through references.
func (d *decodeState) follow(val Value, t reflect.Type) (v Value, isRef bool, err error) {
	if val.kind() == Ref || val.kind() == PHPRef {
		if val, err = d.resolveRef(val, t); err != nil {
			return Value{}, false, err
		}
		isRef = true
	}
	if (val.kind() == Array || val.kind() == Object) && len(d.ancestors) >= defaultMaxDepth {
		// Only references can nest deeper than the decoder allows.
		return Value{}, false, fmt.Errorf("phpsession: references nest arrays deeper than %d levels, at %s: %w", defaultMaxDepth, d.where(), ErrMaxDepth)
	}
	if d.inRef > 0 || isRef {
		if d.expanded++; d.expanded > refBudget(len(d.slots)) {
			return Value{}, false, fmt.Errorf("phpsession: references expand to more than %d values, at %s: %w", refBudget(len(d.slots)), d.where(), ErrTooLarge)
		}
	}
	return val, isRef, nil
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// value stores val into rv.
func (d *decodeState) value(val Value, rv reflect.Value) error {
	val, isRef, err := d.follow(val, rv.Type())
	if err != nil {
		return err
	}
	if isRef {
		d.inRef++
		defer func() { d.inRef-- }()
	}
	if val.kind() == Null {
		return d.null(rv)
	}
	u, tu, rv := d.indirect(rv, false)
	if u != nil {
		if d.dry {
			return nil
		}
		m, err := d.materialize(val, reflect.TypeOf(u))
		if err != nil {
			return err
		}
		b, err := appendValue(nil, m)
		if err != nil {
			return err
		}
		return u.UnmarshalPHP(b)
	}
	if tu != nil {
		if t, ok := tu.(*time.Time); ok && val.kind() == Object {
			tm, err := d.dateTime(val)
			if err == nil && !d.dry {
				*t = tm
			}
			return err
		}
		if val.kind() != String {
			t := reflect.TypeOf(tu)
			if t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			return d.typeError(describe(val), t)
		}
		if d.dry {
			return nil
		}
		return tu.UnmarshalText([]byte(val.str))
	}
	t := rv.Type()
	if t == valueType {
		m, err := d.materialize(val, t)
		if err != nil || d.dry {
			return err
		}
		rv.Set(reflect.ValueOf(m))
		return nil
	}
	if t.Kind() == reflect.Interface {
		if t.NumMethod() != 0 {
			return d.typeError(describe(val), t)
		}
		x, err := d.anyValue(val)
		if err != nil || d.dry {
			return err
		}
		if x == nil {
			rv.SetZero()
		} else {
			rv.Set(reflect.ValueOf(x))
		}
		return nil
	}

	switch val.kind() {
	case Bool:
		if t.Kind() != reflect.Bool {
			return d.typeError("bool", t)
		}
		if !d.dry {
			rv.SetBool(val.num == 1)
		}
		return nil
	case Int:
		return d.int(int64(val.num), rv)
	case Float:
		f := math.Float64frombits(val.num)
		switch t.Kind() {
		case reflect.Float32, reflect.Float64:
			if rv.OverflowFloat(f) {
				return d.typeError("float "+strconv.FormatFloat(f, 'g', -1, 64), t)
			}
			if !d.dry {
				rv.SetFloat(f)
			}
			return nil
		}
		return d.typeError("float", t)
	case String:
		switch {
		case t.Kind() == reflect.String:
			if !d.dry {
				rv.SetString(val.str)
			}
			return nil
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
			if !d.dry {
				rv.SetBytes(append(reflect.MakeSlice(t, 0, len(val.str)).Bytes(), val.str...))
			}
			return nil
		}
		return d.typeError("string", t)
	case Array, Object:
		switch t.Kind() {
		case reflect.Struct:
			return d.structValue(val, rv)
		case reflect.Map:
			return d.mapValue(val, rv)
		case reflect.Slice, reflect.Array:
			return d.list(val, rv)
		}
	}
	return d.typeError(describe(val), t)
}

// null stores PHP null into rv: nil for a pointer, interface, map or slice,
// PHP null for a Value, an Unmarshaler's UnmarshalPHP("N;"); nothing for
// other types.
func (d *decodeState) null(rv reflect.Value) error {
	u, _, rv := d.indirect(rv, true)
	if u != nil {
		if d.dry {
			return nil
		}
		return u.UnmarshalPHP([]byte{tokNull, tokEnd})
	}
	if d.dry {
		return nil
	}
	switch {
	case rv.Type() == valueType:
		rv.Set(reflect.ValueOf(NullValue()))
	case rv.Kind() == reflect.Interface, rv.Kind() == reflect.Pointer, rv.Kind() == reflect.Map, rv.Kind() == reflect.Slice:
		rv.SetZero()
	}
	return nil
}

// indirect walks down rv through pointers, allocating them as needed (in a
// dry run, throwaway ones), and through interfaces holding non-nil
// pointers, as encoding/json does. It stops at the first type implementing
// Unmarshaler or, unless decodingNull, encoding.TextUnmarshaler, and
// returns it; else it returns the value at the end. With decodingNull it
// stops at a settable pointer, so that null can set it to nil.
func (d *decodeState) indirect(rv reflect.Value, decodingNull bool) (Unmarshaler, encoding.TextUnmarshaler, reflect.Value) {
	v0 := rv
	haveAddr := false
	// A named non-pointer type may have methods on its pointer: start
	// from its address.
	if rv.Kind() != reflect.Pointer && rv.Type().Name() != "" && rv.CanAddr() {
		haveAddr = true
		rv = rv.Addr()
	}
	for {
		if rv.Kind() == reflect.Interface && !rv.IsNil() {
			if e := rv.Elem(); e.Kind() == reflect.Pointer && !e.IsNil() && (!decodingNull || e.Elem().Kind() == reflect.Pointer) {
				haveAddr = false
				rv = e
				continue
			}
		}
		if rv.Kind() != reflect.Pointer {
			break
		}
		if decodingNull && rv.CanSet() {
			break
		}
		// A pointer stored in an interface it points at (var x any; x =
		// &x) would loop forever.
		if rv.Elem().Kind() == reflect.Interface && rv.Elem().Elem().Equal(rv) {
			rv = rv.Elem()
			break
		}
		if rv.IsNil() {
			p := reflect.New(rv.Type().Elem())
			if !d.dry {
				rv.Set(p)
			}
			rv = p
		}
		if rv.Type().Elem() == valueType {
			// A Value takes any PHP value as it is, whatever methods it
			// may grow.
			return nil, nil, rv.Elem()
		}
		if rv.Type().NumMethod() > 0 && rv.CanInterface() {
			if u, ok := rv.Interface().(Unmarshaler); ok {
				return u, nil, reflect.Value{}
			}
			if !decodingNull {
				if tu, ok := rv.Interface().(encoding.TextUnmarshaler); ok {
					return nil, tu, reflect.Value{}
				}
			}
		}
		if haveAddr {
			rv = v0
			haveAddr = false
		} else {
			rv = rv.Elem()
		}
	}
	return nil, nil, rv
}

var timeType = reflect.TypeFor[time.Time]()

// dateTime returns the time of a PHP DateTime or DateTimeImmutable object
// (or of a subclass, such as Carbon): one with the properties date
// ("2006-01-02 15:04:05.000000"), timezone_type and timezone. Type 1
// zones are UTC offsets ("+01:30"), type 3 zone identifiers
// ("Europe/Paris", loaded with time.LoadLocation); type 2 zone
// abbreviations ("EST") only for UTC and GMT, as their offsets are
// ambiguous.
func (d *decodeState) dateTime(obj Value) (time.Time, error) {
	date, _ := obj.Property("date")
	typ, _ := obj.Property("timezone_type")
	zone, _ := obj.Property("timezone")
	ds, ok1 := date.Str()
	tt, ok2 := typ.Int()
	zs, ok3 := zone.Str()
	if !ok1 || !ok2 || !ok3 {
		return time.Time{}, d.typeError(describe(obj), timeType)
	}
	var loc *time.Location
	switch tt {
	case 1:
		if z, err := time.Parse("-07:00", zs); err == nil {
			_, off := z.Zone()
			loc = time.FixedZone(zs, off)
		}
	case 2:
		if zs == "UTC" || zs == "GMT" || zs == "Z" {
			loc = time.UTC
		}
	case 3:
		loc, _ = time.LoadLocation(zs)
	}
	if loc == nil {
		return time.Time{}, d.typeError(describe(obj)+" in time zone "+strconv.Quote(zs), timeType)
	}
	tm, err := time.ParseInLocation("2006-01-02 15:04:05.000000", ds, loc)
	if err != nil {
		return time.Time{}, d.typeError(describe(obj)+" dated "+strconv.Quote(ds), timeType)
	}
	return tm, nil
}

// int stores a PHP int into rv.
func (d *decodeState) int(i int64, rv reflect.Value) error {
	t := rv.Type()
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if rv.OverflowInt(i) {
			return d.typeError("int "+strconv.FormatInt(i, 10), t)
		}
		if !d.dry {
			rv.SetInt(i)
		}
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if i < 0 || rv.OverflowUint(uint64(i)) {
			return d.typeError("int "+strconv.FormatInt(i, 10), t)
		}
		if !d.dry {
			rv.SetUint(uint64(i))
		}
		return nil
	case reflect.Float32, reflect.Float64:
		// Only when the float holds it exactly.
		f := float64(i)
		if t.Kind() == reflect.Float32 {
			f = float64(float32(i))
		}
		if f >= math.MaxInt64 || int64(f) != i {
			return d.typeError("int "+strconv.FormatInt(i, 10), t)
		}
		if !d.dry {
			rv.SetFloat(f)
		}
		return nil
	}
	return d.typeError("int", t)
}

// structValue fills the struct rv from a PHP array or object.
func (d *decodeState) structValue(val Value, rv reflect.Value) error {
	t := rv.Type()
	sf := cachedTypeFields(t)
	if cf := sf.class; cf != nil {
		if cf.name != "" && (val.kind() != Object || !asciiEqualFold(val.str, cf.name)) {
			return d.typeError(describe(val), t)
		}
		if val.kind() == Object && !d.dry {
			if fv := rv.FieldByIndex(cf.index); fv.CanSet() {
				fv.SetString(val.str)
			}
		}
	}
	for i, e := range val.comp.entries {
		name := entryKey(val, e)
		f := sf.lookup(name, e.Key.str, val.kind() == Object)
		if f == nil {
			continue
		}
		fv, err := d.fieldForSet(rv, f.index, name)
		if err != nil {
			return err
		}
		d.enter(val, i)
		err = d.value(e.Value, fv)
		d.leave()
		if err != nil {
			return err
		}
	}
	return nil
}

// fieldForSet returns the field of the struct rv at index, allocating
// embedded pointers to structs on the way (throwaway ones in a dry run).
func (d *decodeState) fieldForSet(rv reflect.Value, index []int, name string) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				if !rv.CanSet() {
					return reflect.Value{}, fmt.Errorf("phpsession: cannot set embedded pointer to unexported struct %v for key %q at %s", rv.Type().Elem(), name, d.where())
				}
				p := reflect.New(rv.Type().Elem())
				if !d.dry {
					rv.Set(p)
				}
				rv = p
			}
			rv = rv.Elem()
		}
		rv = rv.Field(x)
	}
	return rv, nil
}

// mapValue fills the map rv from a PHP array or object.
func (d *decodeState) mapValue(val Value, rv reflect.Value) error {
	t := rv.Type()
	kt := t.Key()
	switch {
	case reflect.PointerTo(kt).Implements(textUnmarshalerType):
	case kt.Kind() == reflect.Interface && kt.NumMethod() == 0:
	default:
		switch kt.Kind() {
		case reflect.String,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		default:
			return d.typeError(describe(val), t)
		}
	}
	if rv.IsNil() && !d.dry {
		rv.Set(reflect.MakeMapWithSize(t, val.Len()))
	}
	for i, e := range val.comp.entries {
		name := entryKey(val, e)
		d.enter(val, i)
		k, err := d.mapKey(val, e.Key, name, kt)
		if err == nil {
			elem := reflect.New(t.Elem()).Elem()
			if err = d.value(e.Value, elem); err == nil && !d.dry {
				rv.SetMapIndex(k, elem)
			}
		}
		d.leave()
		if err != nil {
			return err
		}
	}
	return nil
}

// mapKey converts the key of an entry of val, named name, to the map key
// type kt.
func (d *decodeState) mapKey(val Value, key Value, name string, kt reflect.Type) (reflect.Value, error) {
	if reflect.PointerTo(kt).Implements(textUnmarshalerType) {
		k := reflect.New(kt)
		if err := k.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(name)); err != nil {
			return reflect.Value{}, err
		}
		return k.Elem(), nil
	}
	if kt.Kind() == reflect.Interface {
		if key.kind() == Int {
			return reflect.ValueOf(int64(key.num)), nil
		}
		return reflect.ValueOf(name), nil
	}
	if kt.Kind() == reflect.String {
		return reflect.ValueOf(name).Convert(kt), nil
	}
	i, isInt := int64(key.num), key.kind() == Int
	if !isInt && val.kind() == Array {
		i, isInt = canonicalInt(name)
	}
	k := reflect.New(kt).Elem()
	switch kt.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if isInt && !k.OverflowInt(i) {
			k.SetInt(i)
			return k, nil
		}
	default:
		if isInt && i >= 0 && !k.OverflowUint(uint64(i)) {
			k.SetUint(uint64(i))
			return k, nil
		}
	}
	what := "key " + strconv.Quote(name)
	if key.kind() == Int {
		what = "key " + name
	}
	return reflect.Value{}, d.typeError(what, kt)
}

// list fills the slice or array rv from the values of a PHP array whose
// keys are all ints.
func (d *decodeState) list(val Value, rv reflect.Value) error {
	t := rv.Type()
	es := val.comp.entries
	if val.kind() == Object {
		return d.typeError(describe(val), t)
	}
	for _, e := range es {
		if e.Key.kind() != Int {
			return d.typeError("array with the string key "+strconv.Quote(e.Key.str), t)
		}
	}
	var dst reflect.Value
	switch {
	case t.Kind() == reflect.Array:
		dst = rv
	case d.dry:
		dst = reflect.New(t.Elem()).Elem() // one throwaway element
	default:
		dst = reflect.MakeSlice(t, len(es), len(es))
	}
	for i, e := range es {
		var elem reflect.Value
		switch {
		case t.Kind() == reflect.Array && i >= dst.Len():
			return nil // extra PHP values are dropped
		case t.Kind() == reflect.Slice && d.dry:
			elem = dst
			elem.SetZero()
		default:
			elem = dst.Index(i)
		}
		d.enter(val, i)
		err := d.value(e.Value, elem)
		d.leave()
		if err != nil {
			return err
		}
	}
	if d.dry {
		return nil
	}
	if t.Kind() == reflect.Array {
		for i := len(es); i < dst.Len(); i++ {
			dst.Index(i).SetZero()
		}
		return nil
	}
	rv.Set(dst)
	return nil
}

// anyValue returns the Go value of val for an interface{} (see
// Unmarshal). A dry run returns nil after checking.
func (d *decodeState) anyValue(val Value) (any, error) {
	val, isRef, err := d.follow(val, anyType)
	if err != nil {
		return nil, err
	}
	if isRef {
		d.inRef++
		defer func() { d.inRef-- }()
	}
	switch val.kind() {
	case Null:
		return nil, nil
	case Bool:
		return val.num == 1, nil
	case Int:
		return int64(val.num), nil
	case Float:
		return math.Float64frombits(val.num), nil
	case String:
		return val.str, nil
	case Custom, Enum:
		return val, nil
	case Array, Object:
		es := val.comp.entries
		if val.kind() == Array && isList(es) {
			var l []any
			if !d.dry {
				l = make([]any, len(es))
			}
			for i, e := range es {
				d.enter(val, i)
				x, err := d.anyValue(e.Value)
				d.leave()
				if err != nil {
					return nil, err
				}
				if !d.dry {
					l[i] = x
				}
			}
			return l, nil
		}
		var m map[string]any
		if !d.dry {
			m = make(map[string]any, len(es))
		}
		for i, e := range es {
			name := entryKey(val, e)
			d.enter(val, i)
			x, err := d.anyValue(e.Value)
			d.leave()
			if err != nil {
				return nil, err
			}
			if !d.dry {
				m[name] = x
			}
		}
		return m, nil
	}
	return nil, d.typeError(describe(val), anyType)
}

var anyType = reflect.TypeFor[any]()

// isList reports whether the keys of es are 0, 1, 2, ... in order.
func isList(es []Entry) bool {
	for i, e := range es {
		if e.Key.kind() != Int || int64(e.Key.num) != int64(i) {
			return false
		}
	}
	return true
}

// materialize returns val standalone: with every r: and R: replaced by a
// copy of what it points at. A val without references is returned as it
// is.
func (d *decodeState) materialize(val Value, t reflect.Type) (Value, error) {
	val, isRef, err := d.follow(val, t)
	if err != nil {
		return Value{}, err
	}
	if isRef {
		d.inRef++
		defer func() { d.inRef-- }()
	}
	if !hasRefs(val) {
		return val, nil
	}
	es := make([]Entry, len(val.comp.entries))
	for i, e := range val.comp.entries {
		d.enter(val, i)
		v, err := d.materialize(e.Value, t)
		d.leave()
		if err != nil {
			return Value{}, err
		}
		es[i] = Entry{Key: e.Key, Value: v}
	}
	return val.withEntries(es), nil
}

// offsetOf returns the byte offset, in the serialized form of root, of the
// value reached by following the entry indexes loc; -1 if root does not
// encode.
func offsetOf(root Value, loc []int) int64 {
	var off int64
	v := root
	for _, i := range loc {
		es := v.Entries()
		if i >= len(es) {
			return -1
		}
		// The header: a:<n>:{ or O:<len>:"<class>":<n>:{
		if v.kind() == Object {
			off += int64(len(appendString(nil, tokObject, v.str, tokColon)))
		} else {
			off += int64(len("a:"))
		}
		off += int64(len(strconv.Itoa(len(es))) + len(":{"))
		for _, e := range es[:i] {
			n, ok := encodedLen(e.Key, e.Value)
			if !ok {
				return -1
			}
			off += n
		}
		n, ok := encodedLen(es[i].Key)
		if !ok {
			return -1
		}
		off += n
		v = es[i].Value
	}
	return off
}

// encodedLen returns the length of the serialized forms of vs.
func encodedLen(vs ...Value) (int64, bool) {
	var b []byte
	for _, v := range vs {
		var err error
		if b, err = appendValue(b, v); err != nil {
			return 0, false
		}
	}
	return int64(len(b)), true
}

// asciiEqualFold reports whether a and b are equal ignoring ASCII case, as
// PHP compares class names.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

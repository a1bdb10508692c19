package phpsession

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

func TestKindString(t *testing.T) {
	tests := []struct {
		k    Kind
		want string
	}{
		{Invalid, "invalid"}, {Null, "null"}, {Bool, "bool"}, {Int, "int"}, {Float, "float"},
		{String, "string"}, {Array, "array"}, {Object, "object"}, {Custom, "custom"},
		{Enum, "enum"}, {Ref, "ref"}, {PHPRef, "phpref"}, {PHPRef + 1, "Kind(12)"}, {255, "Kind(255)"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(tt.k), got, tt.want)
		}
	}
}

// TestValueConstructors checks each constructor's kind, accessors and the
// bytes PHP's serialize() writes for it.
// TestValueSize keeps a Value at four words and an Entry at eight: a
// decode writes one Entry per array element, and their size is most of
// what it costs.
func TestValueSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are kept on 64-bit platforms")
	}
	if got := unsafe.Sizeof(Value{}); got != 32 {
		t.Errorf("Value is %d bytes, want 32", got)
	}
	if got := unsafe.Sizeof(Entry{}); got != 64 {
		t.Errorf("Entry is %d bytes, want 64", got)
	}
}

func TestValueConstructors(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		kind Kind
		php  string // serialize() form
	}{
		{"null", NullValue(), Null, `N;`},
		{"true", BoolValue(true), Bool, `b:1;`},
		{"false", BoolValue(false), Bool, `b:0;`},
		{"int", IntValue(-7), Int, `i:-7;`},
		{"min int", IntValue(math.MinInt64), Int, `i:-9223372036854775808;`},
		{"float", FloatValue(0.5), Float, `d:0.5;`},
		{"string", StringValue("h\x00\xff"), String, "s:3:\"h\x00\xff\";"},
		{"bytes", BytesValue([]byte("ab")), String, `s:2:"ab";`},
		{"array", ArrayValue(Entry{StringValue("5"), NullValue()}, Entry{StringValue("a"), IntValue(1)}), Array, `a:2:{i:5;N;s:1:"a";i:1;}`},
		{"array repeat", ArrayValue(Entry{IntValue(1), IntValue(1)}, Entry{StringValue("x"), IntValue(2)}, Entry{StringValue("1"), IntValue(3)}), Array, `a:2:{i:1;i:3;s:1:"x";i:2;}`},
		{"list", ListValue(StringValue("a"), BoolValue(true)), Array, `a:2:{i:0;s:1:"a";i:1;b:1;}`},
		{"object", ObjectValue("Account", Entry{StringValue("\x00*\x00role"), StringValue("admin")}), Object, "O:7:\"Account\":1:{s:7:\"\x00*\x00role\";s:5:\"admin\";}"},
		{"custom", CustomValue("LegacyToken", []byte("tok=1")), Custom, `C:11:"LegacyToken":5:{tok=1}`},
		{"enum", EnumValue("Suit", "Hearts"), Enum, `E:11:"Suit:Hearts";`},
		{"ref", RefValue(3), Ref, `r:3;`},
		{"phpref", PHPRefValue(4), PHPRef, `R:4;`},
	}
	for _, tt := range tests {
		if got := tt.v.Kind(); got != tt.kind || !tt.v.IsValid() {
			t.Errorf("%s: Kind() = %v, IsValid() = %v; want %v, true", tt.name, got, tt.v.IsValid(), tt.kind)
		}
		if out, err := appendValue(nil, tt.v); err != nil || string(out) != tt.php {
			t.Errorf("%s: encodes to %q, %v; want %q", tt.name, out, err, tt.php)
		}
		// Accessors answer only for their own kind.
		if _, ok := tt.v.Bool(); ok != (tt.kind == Bool) {
			t.Errorf("%s: Bool() ok = %v", tt.name, ok)
		}
		if _, ok := tt.v.Int(); ok != (tt.kind == Int) {
			t.Errorf("%s: Int() ok = %v", tt.name, ok)
		}
		if _, ok := tt.v.Float(); ok != (tt.kind == Float || tt.kind == Int) {
			t.Errorf("%s: Float() ok = %v", tt.name, ok)
		}
		if _, ok := tt.v.Str(); ok != (tt.kind == String) {
			t.Errorf("%s: Str() ok = %v", tt.name, ok)
		}
		if _, ok := tt.v.Bytes(); ok != (tt.kind == String) {
			t.Errorf("%s: Bytes() ok = %v", tt.name, ok)
		}
		if got := tt.v.IsNull(); got != (tt.kind == Null) {
			t.Errorf("%s: IsNull() = %v", tt.name, got)
		}
		if (tt.v.Slot() != 0) != (tt.kind == Ref || tt.kind == PHPRef) {
			t.Errorf("%s: Slot() = %d", tt.name, tt.v.Slot())
		}
		if (tt.v.Payload() != nil) != (tt.kind == Custom) {
			t.Errorf("%s: Payload() = %q", tt.name, tt.v.Payload())
		}
		if (tt.v.Entries() != nil || tt.v.Len() != 0) && tt.kind != Array && tt.kind != Object {
			t.Errorf("%s: Entries() = %v, Len() = %d", tt.name, tt.v.Entries(), tt.v.Len())
		}
		if d, err := decodeValueString(tt.php); err != nil || !d.Equal(tt.v) {
			t.Errorf("%s: decoding %q = %v, %v; want Equal", tt.name, tt.php, d, err)
		}
	}
}

// decodeValueString decodes one serialize() value, references left as
// they are: it checks it, then builds what it checked.
func decodeValueString(s string) (Value, error) {
	p := parser{src: s, lim: limits{}.orDefault(), looseRefs: true}
	if err := p.value(); err != nil {
		return Value{}, err
	}
	b := builder{src: s[:p.pos], lim: p.lim}
	return b.value(), nil
}

func TestValueAccessors(t *testing.T) {
	if b, ok := BoolValue(true).Bool(); !b || !ok {
		t.Errorf("BoolValue(true).Bool() = %v, %v", b, ok)
	}
	if i, ok := IntValue(math.MaxInt64).Int(); i != math.MaxInt64 || !ok {
		t.Errorf("Int() = %v, %v", i, ok)
	}
	if f, ok := IntValue(-3).Float(); f != -3 || !ok {
		t.Errorf("IntValue(-3).Float() = %v, %v", f, ok)
	}
	if f, ok := FloatValue(math.Inf(-1)).Float(); !math.IsInf(f, -1) || !ok {
		t.Errorf("FloatValue(-Inf).Float() = %v, %v", f, ok)
	}
	b := []byte("xy")
	s := BytesValue(b)
	b[0] = 'z'
	if got, _ := s.Str(); got != "xy" {
		t.Errorf("BytesValue kept the caller's slice: %q", got)
	}
	out, _ := s.Bytes()
	out[0] = 'q'
	if got, _ := s.Str(); got != "xy" {
		t.Errorf("Bytes() shares the value's bytes: %q", got)
	}
	for _, tt := range []struct {
		v            Value
		class, cases string
	}{
		{ObjectValue("A"), "A", ""},
		{CustomValue("C", nil), "C", ""},
		{EnumValue("Suit", "Hearts"), "Suit", "Hearts"},
		{EnumValue("NS\\Suit", ""), "NS\\Suit", ""},
		{StringValue("Suit:Hearts"), "", ""},
		{Value{}, "", ""},
	} {
		if c, e := tt.v.Class(), tt.v.EnumCase(); c != tt.class || e != tt.cases {
			t.Errorf("%v: Class(), EnumCase() = %q, %q; want %q, %q", tt.v, c, e, tt.class, tt.cases)
		}
	}
	if s := RefValue(9).Slot(); s != 9 {
		t.Errorf("RefValue(9).Slot() = %d", s)
	}
	var zero Value
	if zero.IsValid() || zero.Kind() != Invalid || zero.Len() != 0 || zero.Entries() != nil {
		t.Errorf("zero Value: IsValid %v, Kind %v, Len %d", zero.IsValid(), zero.Kind(), zero.Len())
	}
	// The zero Value has no PHP form, on its own or inside an array.
	for _, v := range []Value{zero, ListValue(zero), ObjectValue("A", Entry{StringValue("p"), zero})} {
		if out, err := appendValue(nil, v); !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("encoding %v = %q, %v; want ErrUnsupportedValue", v, out, err)
		}
	}
	n := 0
	for k, e := range ListValue(IntValue(10), IntValue(11)).All() {
		if i, _ := k.Int(); i != 0 || !e.Equal(IntValue(10)) {
			t.Errorf("All() first = %v => %v, want 0 => 10", k, e)
		}
		n++
		break // All stops when told
	}
	if n != 1 {
		t.Errorf("All() yielded %d times", n)
	}
}

func TestValueIndex(t *testing.T) {
	acc := ObjectValue("Account",
		Entry{StringValue("login"), StringValue("lone")},
		Entry{StringValue("\x00*\x00role"), StringValue("admin")},
		Entry{StringValue("\x00Account\x00secret"), StringValue("s")},
		Entry{IntValue(3), StringValue("three")},
	)
	arr := ArrayValue(
		Entry{IntValue(5), StringValue("five")},
		Entry{StringValue("05"), StringValue("oh-five")},
		Entry{StringValue("-0"), StringValue("minus zero")},
		Entry{StringValue("acc"), acc},
		Entry{IntValue(-3), ListValue(StringValue("a"), StringValue("b"))},
	)
	tests := []struct {
		name string
		v    Value
		path []any
		want Value // zero: not found
	}{
		{"int", arr, []any{5}, StringValue("five")},
		{"int64", arr, []any{int64(5)}, StringValue("five")},
		{"numeric string", arr, []any{"5"}, StringValue("five")},
		{"Value key", arr, []any{StringValue("5")}, StringValue("five")},
		{"leading zero", arr, []any{"05"}, StringValue("oh-five")},
		{"leading zero as int", arr, []any{5.0}, Value{}},
		{"minus zero", arr, []any{"-0"}, StringValue("minus zero")},
		{"minus zero is not 0", arr, []any{0}, Value{}},
		{"negative", arr, []any{"-3", 1}, StringValue("b")},
		{"public property", arr, []any{"acc", "login"}, StringValue("lone")},
		{"raw protected", arr, []any{"acc", "\x00*\x00role"}, StringValue("admin")},
		{"declared name is not raw", arr, []any{"acc", "role"}, Value{}},
		{"object int key", arr, []any{"acc", 3}, StringValue("three")},
		{"object string key not normalised", arr, []any{"acc", "3"}, Value{}},
		{"missing", arr, []any{"nope"}, Value{}},
		{"into scalar", arr, []any{5, 0}, Value{}},
		{"bad key type", arr, []any{true}, Value{}},
		{"bad Value key", arr, []any{NullValue()}, Value{}},
		{"empty path", arr, nil, arr},
		{"decoded int key", mustDecode(t, `a:2:{i:5;s:1:"x";s:2:"-0";i:1;}`), []any{"5"}, StringValue("x")},
		{"decoded string key", mustDecode(t, `a:2:{i:5;s:1:"x";s:2:"-0";i:1;}`), []any{"-0"}, IntValue(1)},
		{"decoded property", mustDecode(t, `O:1:"A":1:{s:1:"p";i:2;}`), []any{"p"}, IntValue(2)},
	}
	for _, tt := range tests {
		got, ok := tt.v.Lookup(tt.path...)
		if ok != tt.want.IsValid() || !got.Equal(tt.want) {
			t.Errorf("%s: Lookup(%q) = %v, %v; want %v", tt.name, tt.path, got, ok, tt.want)
		}
		if len(tt.path) == 1 {
			if got, ok := tt.v.Index(tt.path[0]); ok != tt.want.IsValid() || !got.Equal(tt.want) {
				t.Errorf("%s: Index(%q) = %v, %v; want %v", tt.name, tt.path[0], got, ok, tt.want)
			}
		}
	}
	for _, tt := range []struct {
		name string
		want Value
	}{
		{"login", StringValue("lone")},
		{"role", StringValue("admin")},
		{"secret", StringValue("s")},
		{"\x00*\x00role", Value{}},
		{"missing", Value{}},
	} {
		if got, ok := acc.Property(tt.name); ok != tt.want.IsValid() || !got.Equal(tt.want) {
			t.Errorf("Property(%q) = %v, %v; want %v", tt.name, got, ok, tt.want)
		}
	}
	if _, ok := arr.Property("acc"); ok {
		t.Error("Property on an array found something")
	}
	for raw, want := range map[string]string{
		"name": "name", "\x00*\x00role": "role", "\x00Account\x00secret": "secret",
		"\x00": "\x00", "\x00broken": "\x00broken", "": "", "\x00\x00x": "x",
	} {
		if got := PropertyName(raw); got != want {
			t.Errorf("PropertyName(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestValueSetDelete checks that Set and Delete normalise array keys as
// PHP does (TestNormalizeKeyPHP checks the rule against PHP itself), and
// leave object property names as they are.
func TestValueSetDelete(t *testing.T) {
	tests := []struct {
		key  Value
		want Value // the key stored
	}{
		{StringValue("5"), IntValue(5)},
		{StringValue("-3"), IntValue(-3)},
		{StringValue("0"), IntValue(0)},
		{StringValue("05"), StringValue("05")},
		{StringValue("-0"), StringValue("-0")},
		{StringValue("+5"), StringValue("+5")},
		{StringValue(" 5"), StringValue(" 5")},
		{StringValue("9223372036854775807"), IntValue(math.MaxInt64)},
		{StringValue("-9223372036854775808"), IntValue(math.MinInt64)},
		{StringValue("9223372036854775808"), StringValue("9223372036854775808")},
		{StringValue("-9223372036854775809"), StringValue("-9223372036854775809")},
		{StringValue(""), StringValue("")},
		{IntValue(7), IntValue(7)},
	}
	for _, tt := range tests {
		a := ArrayValue()
		a.Set(tt.key, IntValue(1))
		if a.Len() != 1 || !a.Entries()[0].Key.Equal(tt.want) {
			t.Errorf("array Set(%v): entries %v, want key %v", tt.key, a.Entries(), tt.want)
		}
		a.Set(tt.want, IntValue(2)) // the same key: replaced in place
		if a.Len() != 1 || !a.Entries()[0].Value.Equal(IntValue(2)) {
			t.Errorf("array Set(%v) again: entries %v", tt.want, a.Entries())
		}
		if !a.Delete(tt.key) || a.Len() != 0 {
			t.Errorf("array Delete(%v): entries %v", tt.key, a.Entries())
		}
		if a.Delete(tt.key) {
			t.Errorf("array Delete(%v) twice removed something", tt.key)
		}
		o := ObjectValue("A")
		o.Set(tt.key, IntValue(1))
		if o.Len() != 1 || !o.Entries()[0].Key.Equal(tt.key) {
			t.Errorf("object Set(%v): properties %v, want the key as given", tt.key, o.Entries())
		}
	}
	// Order is kept on Set of a new key and on Delete.
	a := ListValue(IntValue(0), IntValue(1), IntValue(2))
	a.Set(StringValue("x"), NullValue())
	a.Delete(IntValue(1))
	var keys []string
	for k := range a.All() {
		keys = append(keys, entryKey(a, Entry{Key: k}))
	}
	if got := strings.Join(keys, " "); got != "0 2 x" {
		t.Errorf("keys after Set and Delete = %q, want %q", got, "0 2 x")
	}
	// Set on a non-composite, or with a key that is not an int or string,
	// does nothing.
	s := StringValue("s")
	s.Set(IntValue(0), IntValue(1))
	if !s.Equal(StringValue("s")) {
		t.Errorf("Set on a string changed it: %v", s)
	}
	a.Set(NullValue(), IntValue(1))
	a.Set(FloatValue(1), IntValue(1))
	if a.Len() != 3 {
		t.Errorf("Set with a null or float key added an entry: %v", a.Entries())
	}
	if s.Delete(IntValue(0)) {
		t.Error("Delete on a string reported a removal")
	}
	// An Array whose entries were never made can be set.
	z := Value{comp: &composite{kind: Array}}
	z.Set(StringValue("1"), NullValue())
	if v, ok := z.Index(1); !ok || !v.IsNull() {
		t.Errorf("Set on an Array without entries: Index(1) = %v, %v", v, ok)
	}
}

// TestNormalizeKeyPHP checks normalizeKey against PHP's own array keys.
func TestNormalizeKeyPHP(t *testing.T) {
	testenv.PHP(t)
	keys := []string{"5", "05", "-0", "-3", "0", "-", "", "00", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "-9223372036854775809", " 5", "5 ", "+5", "1e3", "0x1A", "1.0", "123456789012345678901", "٣"}
	script := `<?php
$a = [];
foreach (explode("\n", stream_get_contents(STDIN)) as $k) { $a[$k] = 1; }
foreach ($a as $k => $_) { echo is_int($k) ? "int " : "string ", $k, "\n"; }
`
	out := strings.Split(strings.TrimSuffix(string(testenv.RunPHP(t, script, []byte(strings.Join(keys, "\n")))), "\n"), "\n")
	if len(out) != len(keys) {
		t.Fatalf("php listed %d keys for %d: %q", len(out), len(keys), out)
	}
	for i, k := range keys {
		got := normalizeKey(StringValue(k))
		want := "string " + k
		if got.kind() == Int {
			want = "int " + k
		}
		if out[i] != want {
			t.Errorf("normalizeKey(%q) = %v; PHP has %q", k, got, out[i])
		}
	}
}

func TestValueClone(t *testing.T) {
	inner := ListValue(IntValue(1))
	orig := ArrayValue(
		Entry{StringValue("list"), inner},
		Entry{StringValue("obj"), ObjectValue("A", Entry{StringValue("p"), StringValue("x")})},
		Entry{StringValue("c"), CustomValue("C", []byte("pay"))},
	)
	want := orig.Clone() // also a Clone: checked against orig below
	c := orig.Clone()
	c.Set(StringValue("new"), NullValue())
	c.Entries()[0].Value.Set(IntValue(5), NullValue())
	obj := c.Entries()[1].Value
	obj.Set(StringValue("p"), StringValue("changed"))
	if !orig.Equal(want) || orig.Len() != 3 || inner.Len() != 1 {
		t.Errorf("changing a clone changed the original: %v", orig)
	}
	if c.Equal(orig) {
		t.Error("clone and original still equal after changes")
	}
	// A copy without Clone shares.
	shared := orig
	shared.Set(StringValue("new"), NullValue())
	if orig.Len() != 4 {
		t.Errorf("a plain copy does not share its entries: Len() = %d", orig.Len())
	}
	if s := StringValue("x"); !s.Clone().Equal(s) {
		t.Error("Clone of a scalar differs")
	}
}

// TestValueHoldsItself checks what becomes of a Value whose array holds
// itself, which Value.Set can build and PHP cannot hold: Session.Set,
// Session.Encode and Marshal refuse it, Clone copies it as a copy that holds
// itself, Equal ends. Each of them recursed without end before, a fatal
// stack overflow that no recover catches.
func TestValueHoldsItself(t *testing.T) {
	self := func() Value {
		a := ListValue(IntValue(1))
		a.Set(IntValue(1), a)
		return a
	}
	// Two ways to itself at every level: a walk that went on past the
	// first path too deep would take 2^4096 steps.
	fan := func() Value {
		a := ArrayValue()
		a.Set(IntValue(0), a)
		a.Set(IntValue(1), a)
		return a
	}
	formats := []Format{FormatPHP, FormatPHPSerialize, FormatPHPBinary, FormatIgbinary}
	for name, mk := range map[string]func() Value{"self": self, "fan": fan} {
		v := mk()
		c := v.Clone()
		if c.comp == v.comp || c.Len() != v.Len() {
			t.Fatalf("%s: Clone shares the array or lost entries", name)
		}
		for i, e := range c.Entries() {
			if w := v.Entries()[i].Value; w.comp == v.comp && e.Value.comp != c.comp {
				t.Errorf("%s: entry %d of the clone is not the clone itself", name, i)
			}
		}
		if !v.Equal(v) || !c.Equal(c) {
			t.Errorf("%s: not Equal to itself", name)
		}
		// Equal to another array that holds itself only where it is
		// the same array (as documented).
		if v.Equal(c) || v.Equal(mk()) {
			t.Errorf("%s: Equal to a copy", name)
		}
		for _, f := range formats {
			s := NewSession(f)
			if err := s.Set("x", v); !errors.Is(err, ErrUnsupportedValue) || s.Len() != 0 {
				t.Errorf("%s, %s: Set = %v with %d names; want an error wrapping ErrUnsupportedValue and no name", name, f, err, s.Len())
			}
		}
		type holder struct{ V Value }
		if _, err := Marshal(holder{v}); !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("%s: Marshal = %v, want an error wrapping ErrUnsupportedValue", name, err)
		}
	}
	// A value Set kept and then made to hold itself, in a session with a
	// reference (which walks the values it encodes first).
	for _, f := range formats {
		s := NewSession(f)
		a := ListValue(IntValue(1))
		if err := s.Set("a", a); err != nil {
			t.Fatal(err)
		}
		if err := s.Set("b", ListValue(PHPRefValue(2))); err != nil {
			t.Fatal(err)
		}
		a.Set(IntValue(1), a)
		if b, err := s.Encode(); !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("%s: Encode of a session whose value holds itself = %q, %v; want an error wrapping ErrUnsupportedValue", f, b, err)
		}
	}
	// Set refuses what Encode would: 4096 nested arrays are written,
	// 4097 (more than 4096 levels) are not.
	nested := func(n int) Value {
		v := IntValue(1)
		for range n {
			v = ListValue(v)
		}
		return v
	}
	s := NewSession(FormatPHP)
	if err := s.Set("x", nested(defaultMaxDepth)); err != nil {
		t.Errorf("Set of %d nested arrays: %v", defaultMaxDepth, err)
	} else if _, err := s.Encode(); err != nil {
		t.Errorf("Encode of %d nested arrays: %v", defaultMaxDepth, err)
	}
	if err := s.Set("y", nested(defaultMaxDepth+1)); !errors.Is(err, ErrUnsupportedValue) {
		t.Errorf("Set of %d nested arrays = %v, want an error wrapping ErrUnsupportedValue", defaultMaxDepth+1, err)
	}
}

// FuzzValueBuild builds Values as Go code does, with the constructors and
// Value.Set, from a script of three-byte steps: what it builds may hold
// itself (the step that sets an array's element may set the array), share
// arrays and objects, and nest. Clone, Equal, MarshalJSON and Marshal must
// end without a panic on every Value; Session.Set must refuse one that holds
// itself (ErrUnsupportedValue) and take any other, and what Encode then
// writes, in every format, must decode to an Equal value.
func FuzzValueBuild(f *testing.F) {
	f.Add([]byte{2, 0, 0, 4, 1, 1})                   // [0 => itself]
	f.Add([]byte{2, 0, 0, 4, 1, 1, 4, 1, 2})          // two ways to itself
	f.Add([]byte{2, 0, 0, 2, 0, 0, 4, 1, 2, 4, 2, 1}) // two arrays holding each other
	f.Add([]byte{0, 7, 0, 3, 1, 0, 5, 2, 1, 2, 0, 0, 4, 3, 2, 4, 3, 2})
	formats := []Format{FormatPHP, FormatPHPSerialize, FormatPHPBinary, FormatIgbinary}
	f.Fuzz(func(t *testing.T, script []byte) {
		// At most 16 steps: an array set into the next twice at each
		// step unfolds to 2^16 values, which every walk but Clone's
		// visits (as PHP's serialize() would).
		script = script[:min(len(script), 48)]
		vals := []Value{NullValue()}
		at := func(b byte) Value { return vals[int(b)%len(vals)] }
		for i := 0; i+2 < len(script); i += 3 {
			a, b := script[i+1], script[i+2]
			switch script[i] % 6 {
			case 0:
				vals = append(vals, IntValue(int64(a)-128))
			case 1:
				vals = append(vals, StringValue(string([]byte{a, b})))
			case 2:
				vals = append(vals, ArrayValue())
			case 3:
				vals = append(vals, ObjectValue(string([]byte{'A' + a%26})))
			case 4: // an Object takes the int key too (PHP writes it as a string)
				v := at(a)
				v.Set(IntValue(int64(b%4)), at(b/4))
			case 5:
				v := at(a)
				v.Set(StringValue(string([]byte{'k', b % 4})), at(b/4))
			}
		}
		for i, v := range vals {
			c := v.Clone()
			if !v.Equal(v) || !c.Equal(c) {
				t.Fatalf("value %d is not Equal to itself", i)
			}
			_, _ = json.Marshal(v)
			_, _ = Marshal(v)
			for _, f := range formats {
				s := NewSession(f)
				if err := s.Set("x", v); err != nil {
					if !errors.Is(err, ErrUnsupportedValue) || !holdsItself(v, nil) {
						t.Fatalf("value %d, %s: Set: %v", i, f, err)
					}
					continue
				}
				if holdsItself(v, nil) {
					t.Fatalf("value %d, %s: Set took a value that holds itself", i, f)
				}
				if !c.Equal(v) {
					t.Fatalf("value %d: its Clone differs", i)
				}
				out, err := s.Encode()
				if err != nil {
					t.Fatalf("value %d, %s: Encode: %v", i, f, err)
				}
				back, err := DecodeSession(out, f)
				if err != nil {
					t.Fatalf("value %d, %s: DecodeSession(%q): %v", i, f, out, err)
				}
				if got, _ := back.Get("x"); !got.Equal(v) {
					t.Fatalf("value %d, %s: %q decodes to another value", i, f, out)
				}
			}
		}
	})
}

// holdsItself reports whether v holds, at any depth, an array or object
// that holds itself; path holds the ones v is inside.
func holdsItself(v Value, path []*composite) bool {
	if v.kind() != Array && v.kind() != Object {
		return false
	}
	if slices.Contains(path, v.comp) {
		return true
	}
	path = append(path, v.comp)
	for _, e := range v.comp.entries {
		if holdsItself(e.Value, path) {
			return true
		}
	}
	return false
}

func TestValueEqual(t *testing.T) {
	nan1 := FloatValue(math.Float64frombits(0x7ff8000000000002))
	tests := []struct {
		name string
		a, b Value
		want bool
	}{
		{"zero", Value{}, Value{}, true},
		{"zero vs null", Value{}, NullValue(), false},
		{"NaN same bits", FloatValue(math.NaN()), FloatValue(math.NaN()), true},
		{"NaN other bits", FloatValue(math.NaN()), nan1, false},
		{"-0 vs 0", FloatValue(math.Copysign(0, -1)), FloatValue(0), false},
		{"-0 vs -0", FloatValue(math.Copysign(0, -1)), FloatValue(math.Copysign(0, -1)), true},
		{"float text kept aside", FloatValue(0.1), mustDecode(t, "d:0.10000000000000001;"), true},
		{"int vs float", IntValue(1), FloatValue(1), false},
		{"int key vs string key", ArrayValue(Entry{IntValue(1), NullValue()}), ArrayValue(Entry{StringValue("01"), NullValue()}), false},
		{"order matters", ListValue(IntValue(1), IntValue(2)), ArrayValue(Entry{IntValue(1), IntValue(2)}, Entry{IntValue(0), IntValue(1)}), false},
		{"same array", ListValue(IntValue(1)), ListValue(IntValue(1)), true},
		{"empty arrays", ArrayValue(), Value{comp: &composite{kind: Array}}, true},
		{"array vs object", ArrayValue(), ObjectValue("stdClass"), false},
		{"class", ObjectValue("A"), ObjectValue("B"), false},
		{"custom payload", CustomValue("C", []byte("a")), CustomValue("C", []byte("b")), false},
		{"custom same", CustomValue("C", []byte("a")), CustomValue("C", []byte("a")), true},
		{"enum", EnumValue("S", "H"), EnumValue("S", "D"), false},
		{"ref vs phpref", RefValue(1), PHPRefValue(1), false},
		{"ref slots", RefValue(1), RefValue(2), false},
		{"strings", StringValue("a"), StringValue("a\x00"), false},
		{"bools", BoolValue(true), BoolValue(false), false},
		{"nested", ListValue(ListValue(FloatValue(math.NaN()))), ListValue(ListValue(FloatValue(math.NaN()))), true},
	}
	for _, tt := range tests {
		if got := tt.a.Equal(tt.b); got != tt.want {
			t.Errorf("%s: %v.Equal(%v) = %v, want %v", tt.name, tt.a, tt.b, got, tt.want)
		}
		if got := tt.b.Equal(tt.a); got != tt.want {
			t.Errorf("%s: Equal is not symmetric", tt.name)
		}
	}
}

func mustDecode(t *testing.T, s string) Value {
	t.Helper()
	v, err := decodeValueString(s)
	if err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return v
}

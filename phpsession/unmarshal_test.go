package phpsession

import (
	"cmp"
	"encoding/base64"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/internal/vectors"
)

type Login struct {
	UserID int      `php:"userId"`
	Name   string   `php:"name"`
	Roles  []string `php:"roles"`
	Flags  map[string]bool
	Seen   *time.Time `php:"seen"`
}

type textKey struct{ s string }

func (k *textKey) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty key")
	}
	k.s = "<" + string(b) + ">"
	return nil
}

// ptr returns a pointer to a new zero T, the target of one Unmarshal.
func ptr[T any]() any { return new(T) }

// unmarshalTests pair PHP serialize() bytes with the Go value Unmarshal
// makes of them, and a PHP expression whose serialize() is data:
// TestUnmarshalPHP has PHP check every data.
var unmarshalTests = []struct {
	name string
	data string
	php  string     // "" when PHP does not write data (it is hand-made)
	new  func() any // the target
	want any        // what it points to afterwards
}{
	{"null into pointer", `N;`, `null`, ptr[*int], (*int)(nil)},
	{"null into int leaves it", `N;`, `null`, func() any { i := 3; return &i }, 3},
	{"null into Value", `N;`, `null`, ptr[Value], NullValue()},
	{"bool", `b:1;`, `true`, ptr[bool], true},
	{"int", `i:-7;`, `-7`, ptr[int], -7},
	{"int into int8", `i:127;`, `127`, ptr[int8], int8(127)},
	{"int into uint16", `i:65535;`, `65535`, ptr[uint16], uint16(65535)},
	{"int into float exact", `i:9007199254740992;`, `2**53`, ptr[float64], float64(1 << 53)},
	{"int into float32 exact", `i:16777216;`, `2**24`, ptr[float32], float32(1 << 24)},
	{"float", `d:0.1;`, `0.1`, ptr[float64], 0.1},
	{"float INF into float32", `d:INF;`, `INF`, ptr[float32], float32(math.Inf(1))},
	{"string", "s:3:\"a\x00\xff\";", `"a\x00\xff"`, ptr[string], "a\x00\xff"},
	{"string into bytes", "s:3:\"a\x00\xff\";", `"a\x00\xff"`, ptr[[]byte], []byte("a\x00\xff")},
	{"string into pointer", `s:1:"x";`, `'x'`, ptr[*string], func() *string { s := "x"; return &s }()},
	{"list into slice", `a:2:{i:0;i:3;i:1;i:1;}`, `[3, 1]`, ptr[[]int], []int{3, 1}},
	{"sparse array into slice keeps PHP order", `a:2:{i:5;s:1:"a";i:-1;s:1:"b";}`, `[5 => 'a', -1 => 'b']`, ptr[[]string], []string{"a", "b"}},
	{"list into array, extra dropped", `a:3:{i:0;i:1;i:1;i:2;i:2;i:3;}`, `[1, 2, 3]`, ptr[[2]int], [2]int{1, 2}},
	{"list into array, missing zeroed", `a:1:{i:0;i:1;}`, `[1]`, func() any { return &[2]int{8, 9} }, [2]int{1, 0}},
	{"empty array into any", `a:0:{}`, `[]`, ptr[any], []any{}},
	{"list into any", `a:3:{i:0;i:1;i:1;s:1:"x";i:2;N;}`, `[1, 'x', null]`, ptr[any], []any{int64(1), "x", nil}},
	{"map into any", `a:3:{i:0;d:1.5;i:2;b:0;s:1:"k";a:1:{i:0;i:1;}}`, `[0 => 1.5, 2 => false, 'k' => [1]]`, ptr[any], map[string]any{"0": 1.5, "2": false, "k": []any{int64(1)}}},
	{"object into any", "O:7:\"Account\":3:{s:5:\"login\";s:4:\"lone\";s:7:\"\x00*\x00role\";s:5:\"admin\";s:15:\"\x00Account\x00secret\";s:3:\"s\x00x\";}", `new Account`, ptr[any],
		map[string]any{"login": "lone", "role": "admin", "secret": "s\x00x"}},
	{"enum into any", `E:11:"Suit:Hearts";`, `Suit::Hearts`, ptr[any], EnumValue("Suit", "Hearts")},
	{"array into map", `a:2:{s:1:"b";i:1;i:7;i:2;}`, `['b' => 1, 7 => 2]`, ptr[map[string]int], map[string]int{"b": 1, "7": 2}},
	{"array into existing map", `a:1:{s:1:"b";i:1;}`, `['b' => 1]`, func() any { return &map[string]int{"a": 0} }, map[string]int{"a": 0, "b": 1}},
	{"array into int-keyed map", `a:2:{i:-1;s:1:"x";i:3;s:1:"y";}`, `[-1 => 'x', 3 => 'y']`, ptr[map[int8]string], map[int8]string{-1: "x", 3: "y"}},
	{"array into any-keyed map", `a:2:{i:5;i:1;s:2:"05";i:2;}`, `[5 => 1, '05' => 2]`, ptr[map[any]int], map[any]int{int64(5): 1, "05": 2}},
	{"array into text-keyed map", `a:1:{s:1:"k";i:1;}`, `['k' => 1]`, ptr[map[textKey]int], map[textKey]int{{"<k>"}: 1}},
	{"array into struct", `a:5:{s:6:"userId";i:7;s:4:"NAME";s:3:"bob";s:5:"roles";a:1:{i:0;s:5:"admin";}s:5:"flags";a:1:{s:1:"x";b:1;}s:5:"extra";i:1;}`,
		`['userId' => 7, 'NAME' => 'bob', 'roles' => ['admin'], 'flags' => ['x' => true], 'extra' => 1]`,
		ptr[Login], Login{UserID: 7, Name: "bob", Roles: []string{"admin"}, Flags: map[string]bool{"x": true}}},
	{"repeated key, later wins", `a:2:{s:4:"name";s:1:"a";s:4:"Name";s:1:"b";}`, `['name' => 'a', 'Name' => 'b']`, ptr[Login], Login{Name: "b"}},
	{"time from RFC 3339 text", `a:1:{s:4:"seen";s:20:"2024-01-02T03:04:05Z";}`, `['seen' => '2024-01-02T03:04:05Z']`, ptr[Login],
		Login{Seen: func() *time.Time { t := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC); return &t }()}},
	{"DateTimeImmutable into time", `O:17:"DateTimeImmutable":3:{s:4:"date";s:26:"2024-01-02 03:04:05.500000";s:13:"timezone_type";i:3;s:8:"timezone";s:3:"UTC";}`,
		`new DateTimeImmutable('2024-01-02 03:04:05.5', new DateTimeZone('UTC'))`, ptr[time.Time], time.Date(2024, 1, 2, 3, 4, 5, 5e8, time.UTC)},
	{"DateTime with offset into time", `O:8:"DateTime":3:{s:4:"date";s:26:"2024-01-02 03:04:05.000000";s:13:"timezone_type";i:1;s:8:"timezone";s:6:"+01:30";}`,
		`new DateTime('2024-01-02 03:04:05', new DateTimeZone('+01:30'))`, ptr[time.Time], time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("+01:30", 5400))},
	{"text unmarshaler", `s:8:"10.0.0.1";`, `'10.0.0.1'`, ptr[netip.Addr], netip.MustParseAddr("10.0.0.1")},
	{"unmarshaler", `s:3:"ABC";`, `'ABC'`, ptr[upper], upper("abc")},
	{"unmarshaler gets null", `a:1:{i:0;N;}`, `[null]`, func() any { return &[]upper{"x"} }, []upper{""}},
	{"object into struct, by property names", "O:7:\"Account\":3:{s:5:\"login\";s:4:\"lone\";s:7:\"\x00*\x00role\";s:5:\"admin\";s:15:\"\x00Account\x00secret\";s:3:\"s\x00x\";}",
		`new Account`, ptr[Account], Account{Login: "lone", Role: "admin", Secret: "s\x00x"}},
	{"object inheritance, privates by class", "O:5:\"Child\":5:{s:8:\"\x00Base\x00id\";i:1;s:4:\"\x00*\x00p\";i:2;s:1:\"b\";i:0;s:9:\"\x00Child\x00id\";i:3;s:1:\"q\";i:4;}",
		`new Child`, ptr[Child], Child{Base: Base{ID: 1, P: 2}, ID: 3, Q: 4}},
	{"object class recorded, case-insensitive", `O:5:"point":2:{s:1:"x";i:1;s:1:"y";d:2.5;}`, "", /* PHP writes the declared case */
		ptr[Point], Point{Class: "point", X: 1, Y: 2.5}},
	{"any object into struct with untagged class", `O:8:"stdClass":1:{s:1:"X";i:1;}`, `(object)['X' => 1]`, ptr[struct {
		C ClassName
		X int
	}], struct {
		C ClassName
		X int
	}{"stdClass", 1}},
	{"array into struct with untagged class", `a:1:{s:1:"X";i:1;}`, `['X' => 1]`, ptr[struct {
		C ClassName
		X int
	}], struct {
		C ClassName
		X int
	}{"", 1}},
	{"embedded pointer allocated", `a:1:{s:1:"A";i:1;}`, `['A' => 1]`, ptr[Ptrs], Ptrs{Inner: &Inner{A: 1}}},
	{"object r: reference into struct fields", `a:2:{s:1:"X";O:8:"stdClass":1:{s:1:"v";i:1;}s:1:"Y";r:2;}`, `(function () { $o = (object)['v' => 1]; return ['X' => $o, 'Y' => $o]; })()`,
		ptr[struct{ X, Y map[string]int }], struct{ X, Y map[string]int }{map[string]int{"v": 1}, map[string]int{"v": 1}}},
	{"PHP R: reference into any", `a:2:{i:0;i:1;i:1;R:2;}`, `(function () { $a = [1]; $a[1] = &$a[0]; return $a; })()`, ptr[any], []any{int64(1), int64(1)}},
	{"reference in nested Value made standalone", `a:2:{i:0;O:8:"stdClass":0:{}i:1;a:1:{i:0;r:2;}}`, `(function () { $o = new stdClass; return [$o, [$o]]; })()`, ptr[[]Value],
		[]Value{ObjectValue("stdClass"), ListValue(ObjectValue("stdClass"))}},
	{"Value at the top kept as it is", `a:2:{i:0;O:8:"stdClass":0:{}i:1;r:2;}`, `(function () { $o = new stdClass; return [$o, $o]; })()`, ptr[Value],
		ListValue(ObjectValue("stdClass"), RefValue(2))},
	{"Serializable into Value", `C:11:"LegacyToken":7:{tok=tok}`, `new LegacyToken`, ptr[Value], CustomValue("LegacyToken", []byte("tok=tok"))},
	{"Serializable into Unmarshaler", `a:1:{i:0;C:11:"LegacyToken":7:{tok=tok}}`, `[new LegacyToken]`, ptr[[]rawBytes], []rawBytes{`C:11:"LegacyToken":7:{tok=tok}`}},
}

// rawBytes keeps the bytes UnmarshalPHP gets.
type rawBytes string

func (r *rawBytes) UnmarshalPHP(b []byte) error { *r = rawBytes(b); return nil }

func TestUnmarshal(t *testing.T) {
	for _, tt := range unmarshalTests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.new()
			if err := Unmarshal([]byte(tt.data), p); err != nil {
				t.Fatalf("Unmarshal(%q) error: %v", tt.data, err)
			}
			got := reflect.ValueOf(p).Elem().Interface()
			if !equalGo(got, tt.want) {
				t.Errorf("Unmarshal(%q) = %#v, want %#v", tt.data, got, tt.want)
			}
		})
	}
}

// equalGo is reflect.DeepEqual, with Values compared by Value.Equal.
func equalGo(a, b any) bool {
	if va, ok := a.(Value); ok {
		vb, ok := b.(Value)
		return ok && va.Equal(vb)
	}
	if la, ok := a.([]Value); ok {
		lb, ok := b.([]Value)
		if !ok || len(la) != len(lb) {
			return false
		}
		for i := range la {
			if !la[i].Equal(lb[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// TestUnmarshalPHP has PHP check the data of unmarshalTests: it must be
// what serialize() writes for the case's PHP expression.
func TestUnmarshalPHP(t *testing.T) {
	var exprs []string
	for _, tt := range unmarshalTests {
		exprs = append(exprs, cmp.Or(tt.php, "null"))
	}
	got := phpSerializeAll(t, exprs)
	for i, tt := range unmarshalTests {
		if tt.php != "" && got[i] != tt.data {
			t.Errorf("%s: PHP serialize(%s) = %q, test data is %q", tt.name, tt.php, got[i], tt.data)
		}
	}
}

func TestUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		new  func() any
		want error
	}{
		{"nil", `i:1;`, func() any { return nil }, &InvalidUnmarshalError{}},
		{"not a pointer", `i:1;`, func() any { return 1 }, &InvalidUnmarshalError{Type: reflect.TypeFor[int]()}},
		{"nil pointer", `i:1;`, func() any { return (*int)(nil) }, &InvalidUnmarshalError{Type: reflect.TypeFor[*int]()}},
		{"syntax", `i:1`, ptr[int], &SyntaxError{Offset: 3, Msg: "expected ';' after int", Err: ErrUnexpectedEnd}},
		{"trailing data", `i:1;i:2;`, ptr[int], &SyntaxError{Offset: 4, Msg: "data after the value", Err: ErrSyntax}},
		{"overflow", `i:300;`, ptr[int8], &UnmarshalTypeError{Value: "int 300", Type: reflect.TypeFor[int8](), Offset: 0}},
		{"negative into uint", `i:-1;`, ptr[uint], &UnmarshalTypeError{Value: "int -1", Type: reflect.TypeFor[uint](), Offset: 0}},
		{"int not exact in float", `i:9007199254740993;`, ptr[float64], &UnmarshalTypeError{Value: "int 9007199254740993", Type: reflect.TypeFor[float64](), Offset: 0}},
		{"float into int", `d:1;`, ptr[int], &UnmarshalTypeError{Value: "float", Type: reflect.TypeFor[int](), Offset: 0}},
		{"float overflows float32", `d:1.0E+100;`, ptr[float32], &UnmarshalTypeError{Value: "float 1e+100", Type: reflect.TypeFor[float32](), Offset: 0}},
		{"string into int", `s:1:"5";`, ptr[int], &UnmarshalTypeError{Value: "string", Type: reflect.TypeFor[int](), Offset: 0}},
		{"int into bool", `i:1;`, ptr[bool], &UnmarshalTypeError{Value: "int", Type: reflect.TypeFor[bool](), Offset: 0}},
		{"int into string", `i:1;`, ptr[string], &UnmarshalTypeError{Value: "int", Type: reflect.TypeFor[string](), Offset: 0}},
		{"array into string", `a:0:{}`, ptr[string], &UnmarshalTypeError{Value: "array", Type: reflect.TypeFor[string](), Offset: 0}},
		{"field type, path and offset", `a:2:{s:6:"userId";i:7;s:5:"roles";a:2:{i:0;s:1:"a";i:1;i:2;}}`, ptr[Login],
			&UnmarshalTypeError{Value: "int", Type: reflect.TypeFor[string](), Offset: len64(`a:2:{s:6:"userId";i:7;s:5:"roles";a:2:{i:0;s:1:"a";i:1;`), Field: "roles.1"}},
		{"object field offset", "a:1:{i:0;O:7:\"Account\":1:{s:7:\"\x00*\x00role\";i:1;}}", ptr[[]Account],
			&UnmarshalTypeError{Value: "int", Type: reflect.TypeFor[string](), Offset: len64("a:1:{i:0;O:7:\"Account\":1:{s:7:\"\x00*\x00role\";"), Field: "0.role"}},
		{"string key into slice", `a:1:{s:1:"a";i:1;}`, ptr[[]int], &UnmarshalTypeError{Value: `array with the string key "a"`, Type: reflect.TypeFor[[]int](), Offset: 0}},
		{"object into slice", `O:8:"stdClass":0:{}`, ptr[[]int], &UnmarshalTypeError{Value: "object stdClass", Type: reflect.TypeFor[[]int](), Offset: 0}},
		{"string key into int map", `a:1:{s:2:"05";i:1;}`, ptr[map[int]int], &UnmarshalTypeError{Value: `key "05"`, Type: reflect.TypeFor[int](), Offset: len64(`a:1:{s:2:"05";`), Field: "05"}},
		{"int key overflows map key", `a:1:{i:300;i:1;}`, ptr[map[int8]int], &UnmarshalTypeError{Value: `key 300`, Type: reflect.TypeFor[int8](), Offset: len64(`a:1:{i:300;`), Field: "300"}},
		{"map with float keys", `a:0:{}`, ptr[map[float64]int], &UnmarshalTypeError{Value: "array", Type: reflect.TypeFor[map[float64]int](), Offset: 0}},
		{"text key error", `a:1:{s:0:"";i:1;}`, ptr[map[textKey]int], errors.New("empty key")},
		{"wrong class", `O:8:"stdClass":0:{}`, ptr[Account], &UnmarshalTypeError{Value: "object stdClass", Type: reflect.TypeFor[Account](), Offset: 0}},
		{"array for a class", `a:0:{}`, ptr[Account], &UnmarshalTypeError{Value: "array", Type: reflect.TypeFor[Account](), Offset: 0}},
		{"enum into string", `E:11:"Suit:Hearts";`, ptr[string], &UnmarshalTypeError{Value: "enum Suit:Hearts", Type: reflect.TypeFor[string](), Offset: 0}},
		{"custom into map", `C:1:"C":0:{}`, ptr[map[string]any], &UnmarshalTypeError{Value: "custom C", Type: reflect.TypeFor[map[string]any](), Offset: 0}},
		{"int into text unmarshaler", `i:1;`, ptr[netip.Addr], &UnmarshalTypeError{Value: "int", Type: reflect.TypeFor[netip.Addr](), Offset: 0}},
		{"text unmarshaler error", `s:1:"x";`, ptr[netip.Addr], func() error { var a netip.Addr; return a.UnmarshalText([]byte("x")) }()},
		{"DateTime with zone abbreviation", `O:8:"DateTime":3:{s:4:"date";s:26:"2024-01-02 03:04:05.000000";s:13:"timezone_type";i:2;s:8:"timezone";s:3:"EST";}`, ptr[time.Time],
			&UnmarshalTypeError{Value: `object DateTime in time zone "EST"`, Type: timeType, Offset: 0}},
		{"DateTime before year 0", `O:17:"DateTimeImmutable":3:{s:4:"date";s:27:"-0044-03-15 12:00:00.000000";s:13:"timezone_type";i:3;s:8:"timezone";s:3:"UTC";}`, ptr[time.Time],
			&UnmarshalTypeError{Value: `object DateTimeImmutable dated "-0044-03-15 12:00:00.000000"`, Type: timeType, Offset: 0}},
		{"other object into time", `O:8:"stdClass":0:{}`, ptr[time.Time], &UnmarshalTypeError{Value: "object stdClass", Type: timeType, Offset: 0}},
		{"non-empty interface", `i:1;`, ptr[error], &UnmarshalTypeError{Value: "int", Type: reflect.TypeFor[error](), Offset: 0}},
		{"recursive R: reference", `a:1:{s:4:"self";a:1:{s:4:"self";R:2;}}`, ptr[any],
			&UnmarshalTypeError{Value: "recursive reference R:2", Type: reflect.TypeFor[any](), Offset: len64(`a:1:{s:4:"self";a:1:{s:4:"self";`), Field: "self.self"}},
		{"recursive r: reference into struct", `O:8:"stdClass":1:{s:4:"next";r:1;}`, ptr[Node],
			&UnmarshalTypeError{Value: "recursive reference r:1", Type: reflect.TypeFor[*Node](), Offset: len64(`O:8:"stdClass":1:{s:4:"next";`), Field: "next"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Unmarshal([]byte(tt.data), tt.new())
			if !reflect.DeepEqual(err, tt.want) {
				t.Errorf("Unmarshal(%q) error = %#v\nwant %#v", tt.data, err, tt.want)
			}
		})
	}
}

func len64(s string) int64 { return int64(len(s)) }

// TestUnmarshalLeavesTargetOnError checks that a value that does not fit
// leaves the whole target as it was, even when earlier values fit.
func TestUnmarshalLeavesTargetOnError(t *testing.T) {
	seen := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	orig := Login{UserID: 1, Name: "old", Roles: []string{"r"}, Flags: map[string]bool{"f": true}, Seen: &seen}
	got := orig
	got.Flags = map[string]bool{"f": true}
	data := `a:5:{s:6:"userId";i:2;s:4:"name";s:3:"new";s:5:"flags";a:1:{s:1:"g";b:1;}s:4:"seen";s:20:"2024-01-02T03:04:05Z";s:5:"roles";a:1:{i:0;i:5;}}`
	err := Unmarshal([]byte(data), &got)
	var te *UnmarshalTypeError
	if !errors.As(err, &te) || te.Field != "roles.0" {
		t.Fatalf("Unmarshal error = %v, want a type error at roles.0", err)
	}
	if !reflect.DeepEqual(got, orig) || !seen.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("after a failed Unmarshal the target is %+v, want it unchanged %+v", got, orig)
	}
}

// TestUnmarshalReferenceBomb checks that references to references cannot
// make a small input fill a huge Go value.
func TestUnmarshalReferenceBomb(t *testing.T) {
	// Each level is a list of two references to the level before it: the
	// last level stands for 2^40 values.
	var b strings.Builder
	const levels = 40
	b.WriteString("a:" + itoa(levels+1) + ":{i:0;a:1:{i:0;i:1;}")
	slot := 2 // the first level's slot
	for i := 1; i <= levels; i++ {
		b.WriteString("i:" + itoa(i) + ";a:2:{i:0;R:" + itoa(slot) + ";i:1;R:" + itoa(slot) + ";}")
		slot++
	}
	b.WriteString("}")
	if !Valid([]byte(b.String())) {
		t.Fatalf("test input is not valid: %s", b.String())
	}
	var v any
	err := Unmarshal([]byte(b.String()), &v)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Unmarshal(reference bomb) error = %v, want ErrTooLarge", err)
	}
	if v != nil {
		t.Errorf("target filled despite the error: %T", v)
	}
	// The same input into a Value is fine: nothing is copied.
	var val Value
	if err := Unmarshal([]byte(b.String()), &val); err != nil {
		t.Errorf("Unmarshal(reference bomb) into Value: %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestMarshalUnmarshalRoundTrip checks that Go values survive Marshal then
// Unmarshal.
func TestMarshalUnmarshalRoundTrip(t *testing.T) {
	seen := time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC)
	tests := []struct {
		name string
		in   any
		new  func() any
	}{
		{"login", Login{UserID: 3, Name: "n", Roles: []string{"a", "b"}, Flags: map[string]bool{"x": true, "7": false}, Seen: &seen}, ptr[Login]},
		{"account", Account{Login: "l", Role: "r", Secret: "s"}, ptr[Account]},
		{"child", Child{Base: Base{ID: 1, P: 2, B: 3}, ID: 4, Q: 5}, ptr[Child]},
		{"outer", Outer{Inner: Inner{B: "b"}, C: 1, A: 2}, ptr[Outer]},
		{"map of slices", map[string][]float64{"a": {0.1, math.Inf(-1)}, "b": nil}, ptr[map[string][]float64]},
		{"nested pointers", func() **Inner { p := &Inner{A: 1}; return &p }(), ptr[**Inner]},
		{"value", struct{ V Value }{V: ArrayValue(Entry{StringValue("k"), EnumValue("Suit", "Spades")})}, ptr[struct{ V Value }]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			p := tt.new()
			if err := Unmarshal(b, p); err != nil {
				t.Fatalf("Unmarshal(%s): %v", jsonString(b), err)
			}
			got := reflect.ValueOf(p).Elem().Interface()
			want := tt.in
			if _, ok := want.(map[string][]float64); ok {
				want = map[string][]float64{"a": {0.1, math.Inf(-1)}, "b": {}}
			}
			if v, ok := got.(struct{ V Value }); ok {
				if !v.V.Equal(tt.in.(struct{ V Value }).V) {
					t.Errorf("round trip = %v, want %v", v.V, tt.in)
				}
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip of %s = %#v, want %#v", jsonString(b), got, want)
			}
		})
	}
}

// TestFromValueInSession fills Go values from the entries of a php-format
// session whose references count slots across the whole payload, as the
// Phalcon "references" vector does:
// o1|O:8:"stdClass":1:{s:1:"n";i:1;}o2|r:1;refs|a:2:{s:1:"x";i:1;s:1:"y";R:5;}
func TestFromValueInSession(t *testing.T) {
	o1 := ObjectValue("stdClass", Entry{StringValue("n"), IntValue(1)})
	o2 := RefValue(1)
	refs := ArrayValue(Entry{StringValue("x"), IntValue(1)}, Entry{StringValue("y"), PHPRefValue(5)})
	roots := []Value{o1, o2, refs}

	var m map[string]int
	if err := fromValueIn(refs, roots, &m); err != nil {
		t.Fatalf("fromValueIn(refs): %v", err)
	}
	if want := map[string]int{"x": 1, "y": 1}; !reflect.DeepEqual(m, want) {
		t.Errorf("refs = %v, want %v", m, want)
	}
	var o map[string]any
	if err := fromValueIn(o2, roots, &o); err != nil {
		t.Fatalf("fromValueIn(o2): %v", err)
	}
	if want := map[string]any{"n": int64(1)}; !reflect.DeepEqual(o, want) {
		t.Errorf("o2 = %v, want %v", o, want)
	}
	// Into a Value, the references are replaced: it stands on its own.
	var v Value
	if err := fromValueIn(refs, roots, &v); err != nil {
		t.Fatalf("fromValueIn(refs) into Value: %v", err)
	}
	if want := ArrayValue(Entry{StringValue("x"), IntValue(1)}, Entry{StringValue("y"), IntValue(1)}); !v.Equal(want) {
		t.Errorf("refs as Value = %v, want %v", v, want)
	}
	// Read on its own, refs has no slot 5: an error, never another value.
	err := fromValue(refs, &m)
	if !errors.Is(err, ErrBadReference) {
		t.Errorf("fromValue(refs) alone = %v, want ErrBadReference", err)
	}
}

// FuzzUnmarshal checks that Unmarshal never panics, that what it puts in an
// any marshals back to valid data, and that a failed Unmarshal leaves a
// struct target as it was (only type errors can fail after the syntax is
// checked, and they are found before anything is set).
func FuzzUnmarshal(f *testing.F) {
	for _, tt := range unmarshalTests {
		f.Add([]byte(tt.data))
	}
	for _, tt := range marshalTests {
		f.Add([]byte(tt.want))
	}
	f.Add([]byte(`a:3:{s:6:"userId";i:7;s:5:"roles";a:1:{i:0;R:3;}s:4:"seen";r:1;}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var x any
		if err := Unmarshal(data, &x); err == nil {
			b, err := Marshal(x)
			if err != nil {
				t.Fatalf("Marshal(Unmarshal(%q) = %#v): %v", data, x, err)
			}
			if !Valid(b) {
				t.Fatalf("Marshal(Unmarshal(%q)) = %q, not valid", data, b)
			}
		}
		seen := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		orig := Login{UserID: 1, Name: "n", Roles: []string{"r"}, Flags: map[string]bool{"f": true}, Seen: &seen}
		got := orig
		got.Roles = slices.Clone(orig.Roles)
		got.Flags = maps.Clone(orig.Flags)
		err := Unmarshal(data, &got)
		var te *UnmarshalTypeError
		if errors.As(err, &te) || errors.Is(err, ErrSyntax) || errors.Is(err, ErrBadReference) {
			if !reflect.DeepEqual(got, orig) || !seen.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("Unmarshal(%q) failed (%v) but changed the target: %+v", data, err, got)
			}
		}
		var accs []Account
		_ = Unmarshal(data, &accs)
		var m map[int]map[string][]float32
		_ = Unmarshal(data, &m)
	})
}

// phalconSession has a field for every key the Phalcon vector scenarios
// put in $_SESSION.
type phalconSession struct {
	Auth struct {
		ID    int      `php:"id"`
		Name  string   `php:"name"`
		Roles []string `php:"roles"`
	} `php:"auth"`
	CSRF   string         `php:"csrf"`
	Cart   map[string]int `php:"shop#cart"`
	UserID int            `php:"shop#userId"`
	User   struct {
		Name     string `php:"name"`
		Password int    `php:"password"`
		Roles    []string
	} `php:"user"`
	Flash    map[string][]string `php:"_flashMessages"`
	List     []int               `php:"list"`
	Sparse   map[any]string      `php:"sparse"`
	Deep     any                 `php:"deep"`
	EmptyArr []int               `php:"emptyArr"`
	Int      int                 `php:"int"`
	Neg      int8                `php:"neg"`
	Max      int64               `php:"max"`
	F1       float64             `php:"f1"`
	F2       float64             `php:"f2"`
	F3       float64             `php:"f3"`
	F4       float64             `php:"f4"`
	F5       float32             `php:"f5"`
	Inf      float64             `php:"inf"`
	T        bool                `php:"t"`
	False    bool                `php:"f"`
	Nul      *int                `php:"nul"`
	Empty    string              `php:"empty"`
	Bin      []byte              `php:"bin"`
	UTF      string              `php:"utf"`
	Blob     string              `php:"blob"`
	Std      map[string]any      `php:"std"`
	Account  Account             `php:"account"`
	Legacy   RawValue            `php:"legacy"`
	Point    Point               `php:"point"`
	Suit     Value               `php:"suit"`
	When     time.Time           `php:"when"`
	O1       struct{ N int }     `php:"o1"`
	O2       struct{ N int }     `php:"o2"`
	Refs     map[string]int      `php:"refs"`
}

// TestUnmarshalPhalconVectors unmarshals the session of every Phalcon
// vector written with the php_serialize handler (one serialize() value)
// into Go structs, and checks the fields against what the scenario stored.
func TestUnmarshalPhalconVectors(t *testing.T) {
	check := map[string]func(t *testing.T, s *phalconSession){
		"login": func(t *testing.T, s *phalconSession) {
			if s.Auth.ID != 42 || s.Auth.Name != "Dark Helmet" || !slices.Equal(s.Auth.Roles, []string{"admin", "user"}) || s.CSRF != "a1b2c3" {
				t.Errorf("auth = %+v, csrf = %q", s.Auth, s.CSRF)
			}
		},
		"unique": func(t *testing.T, s *phalconSession) {
			if !maps.Equal(s.Cart, map[string]int{"sku-1": 2, "sku-9": 1}) || s.UserID != 12345 {
				t.Errorf("cart = %v, userId = %d", s.Cart, s.UserID)
			}
		},
		"bag": func(t *testing.T, s *phalconSession) {
			if s.User.Name != "Dark Helmet" || s.User.Password != 12345 || !slices.Equal(s.User.Roles, []string{"x"}) {
				t.Errorf("user = %+v", s.User)
			}
		},
		"flash": func(t *testing.T, s *phalconSession) {
			if want := map[string][]string{"success": {"Saved", "Again"}, "error": {"Oops"}}; !reflect.DeepEqual(s.Flash, want) {
				t.Errorf("flash = %v, want %v", s.Flash, want)
			}
		},
		"arrays": func(t *testing.T, s *phalconSession) {
			deep := any(map[string]any{"leaf": true})
			for range 6 {
				deep = []any{deep}
			}
			if !slices.Equal(s.List, []int{10, 20, 30}) ||
				!maps.Equal(s.Sparse, map[any]string{int64(5): "a", int64(-3): "b", "07": "c", int64(8): "d"}) ||
				!reflect.DeepEqual(s.Deep, deep) || s.EmptyArr == nil || len(s.EmptyArr) != 0 {
				t.Errorf("list = %v, sparse = %v, deep = %v, emptyArr = %#v", s.List, s.Sparse, s.Deep, s.EmptyArr)
			}
		},
		"scalars": func(t *testing.T, s *phalconSession) {
			if s.Int != 12345 || s.Neg != -7 || s.Max != math.MaxInt64 || s.F1 != 0.1 || s.F2 != 1e25 || s.F3 != 1 ||
				!(s.F4 == 0 && math.Signbit(s.F4)) || s.F5 != 1.5e-7 || !math.IsInf(s.Inf, 1) || !s.T || s.False ||
				s.Nul != nil || s.Empty != "" || string(s.Bin) != "a\x00b\xff\"';|" || s.UTF != "Princess Vespa — ß ✓" {
				t.Errorf("scalars = %+v", s)
			}
		},
		"objects": func(t *testing.T, s *phalconSession) {
			if !reflect.DeepEqual(s.Std, map[string]any{"a": int64(1), "list": []any{int64(1), int64(2)}}) ||
				s.Account != (Account{Login: "lone", Role: "admin", Secret: "s\x00x"}) ||
				string(s.Legacy) != `C:11:"LegacyToken":7:{tok=tok}` ||
				s.Point != (Point{Class: "Point", X: 3, Y: 4.25}) ||
				!s.Suit.Equal(EnumValue("Suit", "Hearts")) ||
				!s.When.Equal(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)) {
				t.Errorf("objects = std %v, account %+v, legacy %q, point %+v, suit %v, when %v", s.Std, s.Account, s.Legacy, s.Point, s.Suit, s.When)
			}
		},
		"references": func(t *testing.T, s *phalconSession) {
			if s.O1.N != 1 || s.O2.N != 1 || !maps.Equal(s.Refs, map[string]int{"x": 1, "y": 1}) {
				t.Errorf("o1 = %v, o2 = %v, refs = %v", s.O1, s.O2, s.Refs)
			}
		},
		"big": func(t *testing.T, s *phalconSession) {
			if !strings.HasPrefix(s.Blob, "Lorem ipsum") || len(s.Blob) != 3360 {
				t.Errorf("blob = %d bytes", len(s.Blob))
			}
		},
		"empty": func(t *testing.T, s *phalconSession) {
			if !reflect.DeepEqual(*s, phalconSession{}) {
				t.Errorf("empty session filled %+v", s)
			}
		},
	}
	n := 0
	for _, row := range vectors.MustFilter(t, vectors.MustLoad(t), "", "php_serialize") {
		t.Run(row.Adapter+"/"+row.Scenario, func(t *testing.T) {
			c, ok := check[row.Scenario]
			if !ok {
				t.Fatalf("no check for scenario %q", row.Scenario)
			}
			var s phalconSession
			if err := Unmarshal(row.Payload, &s); err != nil {
				t.Fatalf("Unmarshal(%s): %v", jsonString(row.Payload), err)
			}
			c(t, &s)
		})
		n++
	}
	if n < len(check) {
		t.Errorf("ran %d vectors, want at least one per scenario (%d)", n, len(check))
	}
}

// TestUnmarshalReferenceDepth checks that references cannot nest the Go
// value past the depth limit: the input nests 4000 arrays, then 200
// arrays around a reference to the first, which would stand 4200 deep.
func TestUnmarshalReferenceDepth(t *testing.T) {
	const deep, around = 4000, 200
	var b strings.Builder
	b.WriteString("a:2:{i:0;")
	b.WriteString(strings.Repeat("a:1:{i:0;", deep) + "N;" + strings.Repeat("}", deep))
	b.WriteString("i:1;")
	b.WriteString(strings.Repeat("a:1:{i:0;", around) + "R:2;" + strings.Repeat("}", around))
	b.WriteString("}")
	data := []byte(b.String())
	if !Valid(data) {
		t.Fatal("test input is not valid")
	}
	var v any
	err := Unmarshal(data, &v)
	if !errors.Is(err, ErrMaxDepth) {
		t.Fatalf("Unmarshal(deep reference) error = %v, want ErrMaxDepth", err)
	}
	want := "phpsession: references nest arrays deeper than 4096 levels, at 1.0.0.0.0.0.0.0.(4080 more).0.0.0.0.0.0.0.0: nesting too deep"
	if err.Error() != want {
		t.Errorf("Unmarshal(deep reference) error = %q, want %q", err, want)
	}
	// Into a Value nothing is copied: no limit is hit.
	var val Value
	if err := Unmarshal(data, &val); err != nil {
		t.Errorf("Unmarshal(deep reference) into Value: %v", err)
	}
}

// TestUnmarshalAnyPHPRoundTrip has PHP make random nested arrays and
// serialize() them; Go unmarshals each into an any and marshals it back,
// and PHP checks that unserialize() of Go's bytes holds the same key/value
// pairs (the any mapping keeps those, not the key order).
func TestUnmarshalAnyPHPRoundTrip(t *testing.T) {
	testenv.PHP(t)
	seed := rand.Uint64() % 1000000
	gen := `<?php
mt_srand((int)$argv[1]);
function rnd($d) {
	switch (mt_rand(0, $d > 0 ? 9 : 6)) {
	case 0: return null;
	case 1: return mt_rand(0, 1) == 1;
	case 2: return mt_rand(PHP_INT_MIN, PHP_INT_MAX);
	case 3: return [0.1, -0.0, 1e25, 1.5e-7, INF, -INF, mt_rand() / 7][mt_rand(0, 6)];
	case 4: case 5: $s = ''; for ($i = mt_rand(0, 6); $i > 0; $i--) { $s .= chr(mt_rand(0, 255)); } return $s;
	case 6: return (string)mt_rand(-20, 20);
	case 7: $a = []; for ($i = mt_rand(0, 4); $i > 0; $i--) { $a[] = rnd($d - 1); } return $a;
	default:
		$a = [];
		for ($i = mt_rand(0, 4); $i > 0; $i--) {
			$k = mt_rand(0, 2) == 0 ? mt_rand(-5, 5) : rnd(0);
			if (is_int($k) || is_string($k)) { $a[$k] = rnd($d - 1); }
		}
		return $a;
	}
}
for ($i = 0; $i < 1000; $i++) { echo base64_encode(serialize([rnd(4), rnd(4)])), "\n"; }
`
	out := testenv.RunPHP(t, gen, nil, strconv.FormatUint(seed, 10))
	var back strings.Builder
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, l := range lines {
		data, err := base64.StdEncoding.DecodeString(l)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := Unmarshal(data, &v); err != nil {
			t.Fatalf("seed %d: Unmarshal(%s): %v", seed, jsonString(data), err)
		}
		b, err := Marshal(v)
		if err != nil {
			t.Fatalf("seed %d: Marshal(%#v): %v", seed, v, err)
		}
		back.WriteString(l + " " + base64.StdEncoding.EncodeToString(b) + "\n")
	}
	check := `<?php
function canon($v) {
	if (!is_array($v)) { return $v; }
	ksort($v, SORT_STRING);
	return array_map('canon', $v);
}
$bad = 0;
foreach (file('php://stdin', FILE_IGNORE_NEW_LINES) as $l) {
	[$php, $go] = explode(' ', $l);
	$want = unserialize(base64_decode($php));
	$got = unserialize(base64_decode($go));
	if (canon($want) !== canon($got)) {
		echo "PHP wrote ", base64_decode($php), "\nGo wrote  ", base64_decode($go), "\n";
		if (++$bad == 5) { break; }
	}
}
`
	if diff := testenv.RunPHP(t, check, []byte(back.String())); len(diff) > 0 {
		t.Errorf("seed %d: PHP reads Go's output differently:\n%s", seed, diff)
	}
	if len(lines) != 1000 {
		t.Errorf("PHP printed %d values, want 1000", len(lines))
	}
}

package phpsession

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

// The PHP classes the tests' Go structs stand for, for the tests that run
// PHP.
const phpTestClasses = `
class Account { public $login = 'lone'; protected $role = 'admin'; private $secret = "s\0x"; }
class Base { private $id = 1; protected $p = 2; public $b = 0; }
class Child extends Base { private $id = 3; public $q = 4; }
class Point { public function __construct(public int $x = 1, public float $y = 2.5) {} }
class LegacyToken implements Serializable {
	public $t = 'tok';
	public function serialize() { return 'tok=' . $this->t; }
	public function unserialize($d) { $this->t = substr($d, 4); }
}
enum Suit: string { case Hearts = 'H'; case Spades = 'S'; }
`

// Account is the PHP class Account of phpTestClasses.
type Account struct {
	_      ClassName `php:"Account"`
	Login  string    `php:"login"`
	Role   string    `php:"role,protected"`
	Secret string    `php:"secret,private"`
}

// Base and Child are the PHP classes Base and Child extends Base.
type Base struct {
	_  ClassName `php:"Base"`
	ID int       `php:"id,private"`
	P  int       `php:"p,protected"`
	B  int       `php:"b"`
}

type Child struct {
	_ ClassName `php:"Child"`
	Base
	ID int `php:"id,private"`
	Q  int `php:"q"`
}

// Point is the PHP class Point, with its class kept in a field.
type Point struct {
	Class ClassName `php:"Point"`
	X     int       `php:"x"`
	Y     float64   `php:"y"`
}

type Inner struct {
	A int
	B string `php:"b,omitempty"`
}

type Outer struct {
	Inner
	C int `php:"c"`
	A int // hides Inner.A
	//lint:ignore U1000 an unexported field, which Marshal must leave out
	in int
}

type Ptrs struct {
	*Inner
	P *int `php:"p"`
}

// upper marshals itself with MarshalPHP, as the upper-case of its text.
type upper string

func (u upper) MarshalPHP() ([]byte, error) {
	return Marshal(strings.ToUpper(string(u)))
}

func (u *upper) UnmarshalPHP(b []byte) error {
	var s string
	if err := Unmarshal(b, &s); err != nil {
		return err
	}
	*u = upper(strings.ToLower(s))
	return nil
}

// badMarshaler returns what it holds from MarshalPHP.
type badMarshaler struct {
	b   string
	err error
}

func (m badMarshaler) MarshalPHP() ([]byte, error) { return []byte(m.b), m.err }

// Node makes cycles.
type Node struct {
	Next *Node `php:"next"`
}

var five = 5

// marshalTests pair Go values with the bytes Marshal must write and a PHP
// expression whose serialize() writes the same bytes: TestMarshalPHP has
// PHP check every want.
var marshalTests = []struct {
	name string
	in   any
	want string
	php  string
}{
	{"nil", nil, `N;`, `null`},
	{"nil pointer", (*int)(nil), `N;`, `null`},
	{"nil interface in slice", []any{nil}, `a:1:{i:0;N;}`, `[null]`},
	{"true", true, `b:1;`, `true`},
	{"false", false, `b:0;`, `false`},
	{"int", -42, `i:-42;`, `-42`},
	{"int8", int8(-128), `i:-128;`, `-128`},
	{"int64 min", int64(math.MinInt64), `i:-9223372036854775808;`, `PHP_INT_MIN`},
	{"uint64 at int64 max", uint64(math.MaxInt64), `i:9223372036854775807;`, `PHP_INT_MAX`},
	{"uintptr", uintptr(7), `i:7;`, `7`},
	{"float", 0.1, `d:0.1;`, `0.1`},
	{"float32 shortest form", float32(0.1), `d:0.1;`, `0.1`},
	{"float integral", 1.0, `d:1;`, `1.0`},
	{"float big", 1e25, `d:1.0E+25;`, `1e25`},
	{"float small", 1.5e-7, `d:1.5E-7;`, `1.5e-7`},
	{"float -0", math.Copysign(0, -1), `d:-0;`, `-0.0`},
	{"float INF", math.Inf(1), `d:INF;`, `INF`},
	{"float -INF", math.Inf(-1), `d:-INF;`, `-INF`},
	{"float NAN", math.NaN(), `d:NAN;`, `NAN`},
	{"string", "héllo", `s:6:"héllo";`, `"h\xc3\xa9llo"`},
	{"string with quotes and backslashes", "it's \"q\"\n\\x41", "s:13:\"it's \"q\"\n\\x41\";", `"it's \"q\"\n\\x41"`},
	{"string empty", "", `s:0:"";`, `''`},
	{"bytes raw", []byte{0, 0xff, '"'}, "s:3:\"\x00\xff\"\";", `"\x00\xff\""`},
	{"bytes nil", []byte(nil), `s:0:"";`, `''`},
	{"slice", []int{3, 1}, `a:2:{i:0;i:3;i:1;i:1;}`, `[3, 1]`},
	{"slice nil", []int(nil), `a:0:{}`, `[]`},
	{"array", [2]string{"a", "b"}, `a:2:{i:0;s:1:"a";i:1;s:1:"b";}`, `['a', 'b']`},
	{"slice of any", []any{1, "a", 1.5, true, nil, []string{"x"}}, `a:6:{i:0;i:1;i:1;s:1:"a";i:2;d:1.5;i:3;b:1;i:4;N;i:5;a:1:{i:0;s:1:"x";}}`, `[1, 'a', 1.5, true, null, ['x']]`},
	{"map sorted, int-like keys are ints", map[string]int{"b": 1, "a": 2, "10": 3, "-1": 4, "07": 5, "1.5": 6},
		`a:6:{i:-1;i:4;i:10;i:3;s:2:"07";i:5;s:3:"1.5";i:6;s:1:"a";i:2;s:1:"b";i:1;}`,
		`[-1 => 4, 10 => 3, '07' => 5, '1.5' => 6, 'a' => 2, 'b' => 1]`},
	{"map uint8 keys", map[uint8]string{2: "x", 1: "y"}, `a:2:{i:1;s:1:"y";i:2;s:1:"x";}`, `[1 => 'y', 2 => 'x']`},
	{"map any keys", map[any]int{"x": 1, 2: 2, int8(-3): 3}, `a:3:{i:-3;i:3;i:2;i:2;s:1:"x";i:1;}`, `[-3 => 3, 2 => 2, 'x' => 1]`},
	{"map text keys", map[netip.Addr]bool{netip.MustParseAddr("10.0.0.2"): true, netip.MustParseAddr("10.0.0.1"): false},
		`a:2:{s:8:"10.0.0.1";b:0;s:8:"10.0.0.2";b:1;}`, `['10.0.0.1' => false, '10.0.0.2' => true]`},
	{"map nil", map[string]int(nil), `a:0:{}`, `[]`},
	{"map empty", map[string]int{}, `a:0:{}`, `[]`},
	{"struct as array", struct {
		A    int
		B    string `php:"b"`
		C    bool   `php:"-"`
		D    int    `php:"-,"`
		priv int
	}{A: 1, B: "x", C: true, D: 4}, `a:3:{s:1:"A";i:1;s:1:"b";s:1:"x";s:1:"-";i:4;}`, `['A' => 1, 'b' => 'x', '-' => 4]`},
	{"struct numeric field name", struct {
		A int `php:"5"`
	}{1}, `a:1:{i:5;i:1;}`, `[5 => 1]`},
	{"omitempty", struct {
		S string         `php:"s,omitempty"`
		I int            `php:"i,omitempty"`
		P *int           `php:"p,omitempty"`
		M map[string]int `php:"m,omitempty"`
		L []int          `php:"l,omitempty"`
		V Value          `php:"v,omitempty"`
		T time.Time      `php:"t,omitempty"`
		K string         `php:"k"`
	}{}, `a:2:{s:1:"t";s:20:"0001-01-01T00:00:00Z";s:1:"k";s:0:"";}`, `['t' => '0001-01-01T00:00:00Z', 'k' => '']`},
	{"omitzero", struct {
		T time.Time `php:"t,omitzero"`
		A [1]int    `php:"a,omitzero"`
		B [1]int    `php:"b,omitzero"`
	}{B: [1]int{2}}, `a:1:{s:1:"b";a:1:{i:0;i:2;}}`, `['b' => [2]]`},
	{"embedded, the shallower field wins", Outer{Inner: Inner{A: 1, B: "b"}, C: 3, A: 4}, `a:3:{s:1:"b";s:1:"b";s:1:"c";i:3;s:1:"A";i:4;}`, `['b' => 'b', 'c' => 3, 'A' => 4]`},
	{"embedded nil pointer left out", Ptrs{P: &five}, `a:1:{s:1:"p";i:5;}`, `['p' => 5]`},
	{"embedded pointer", Ptrs{Inner: &Inner{A: 1}}, `a:2:{s:1:"A";i:1;s:1:"p";N;}`, `['A' => 1, 'p' => null]`},
	{"object", Account{Login: "lone", Role: "admin", Secret: "s\x00x"},
		"O:7:\"Account\":3:{s:5:\"login\";s:4:\"lone\";s:7:\"\x00*\x00role\";s:5:\"admin\";s:15:\"\x00Account\x00secret\";s:3:\"s\x00x\";}", `new Account`},
	{"object inheritance", Child{Base: Base{ID: 1, P: 2}, ID: 3, Q: 4},
		"O:5:\"Child\":5:{s:8:\"\x00Base\x00id\";i:1;s:4:\"\x00*\x00p\";i:2;s:1:\"b\";i:0;s:9:\"\x00Child\x00id\";i:3;s:1:\"q\";i:4;}", `new Child`},
	{"object class from tag", Point{X: 1, Y: 2.5}, `O:5:"Point":2:{s:1:"x";i:1;s:1:"y";d:2.5;}`, `new Point`},
	{"object class from field", struct {
		Class ClassName
		X     int
	}{Class: "stdClass", X: 1}, `O:8:"stdClass":1:{s:1:"X";i:1;}`, `(object)['X' => 1]`},
	{"pointer", &five, `i:5;`, `5`},
	{"pointer to pointer", func() **int { p := &five; return &p }(), `i:5;`, `5`},
	{"time as RFC 3339", time.Date(2024, 1, 2, 3, 4, 5, 600, time.FixedZone("", 3600)), `s:33:"2024-01-02T03:04:05.0000006+01:00";`, `'2024-01-02T03:04:05.0000006+01:00'`},
	{"text marshaler", netip.MustParseAddr("::1"), `s:3:"::1";`, `'::1'`},
	{"marshaler", upper("abc"), `s:3:"ABC";`, `'ABC'`},
	{"marshaler in slice", []upper{"a"}, `a:1:{i:0;s:1:"A";}`, `['A']`},
	{"marshaler interfaces", []Marshaler{nil, upper("b"), RawValue(`i:1;`), (*RawValue)(nil)}, `a:4:{i:0;N;i:1;s:1:"B";i:2;i:1;i:3;N;}`, `[null, 'B', 1, null]`},
	{"RawValue field", struct {
		R RawValue `php:"r"`
		N RawValue `php:"n"`
	}{R: RawValue(`a:1:{i:0;b:1;}`)}, `a:2:{s:1:"r";a:1:{i:0;b:1;}s:1:"n";N;}`, `['r' => [true], 'n' => null]`},
	{"ClassName outside a struct is a string", ClassName("X"), `s:1:"X";`, `'X'`},
	{"Value", ListValue(IntValue(1)), `a:1:{i:0;i:1;}`, `[1]`},
	{"Value zero is null", []Value{{}}, `a:1:{i:0;N;}`, `[null]`},
	{"Value with refs moved where it lands", struct {
		X int
		V Value
	}{1, ListValue(ObjectValue("stdClass"), RefValue(2))}, `a:2:{s:1:"X";i:1;s:1:"V";a:2:{i:0;O:8:"stdClass":0:{}i:1;r:4;}}`, `(function () { $o = new stdClass; return ['X' => 1, 'V' => [$o, $o]]; })()`},
	{"marshaler with refs moved where it lands", []any{badMarshaler{b: `a:2:{i:0;i:1;i:1;R:2;}`}, badMarshaler{b: `a:2:{i:0;i:1;i:1;R:2;}`}},
		`a:2:{i:0;a:2:{i:0;i:1;i:1;R:3;}i:1;a:2:{i:0;i:1;i:1;R:5;}}`,
		`(function () { $a = [1]; $a[1] = &$a[0]; $b = [1]; $b[1] = &$b[0]; return [$a, $b]; })()`},
}

func TestMarshal(t *testing.T) {
	for _, tt := range marshalTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.in)
			if err != nil {
				t.Fatalf("Marshal(%#v) error: %v", tt.in, err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal(%#v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestMarshalPHP has PHP check marshalTests: serialize() of each case's PHP
// expression must be the bytes Marshal writes, so that unserialize() reads
// Go's output as that PHP value.
func TestMarshalPHP(t *testing.T) {
	var exprs []string
	for _, tt := range marshalTests {
		exprs = append(exprs, tt.php)
	}
	got := phpSerializeAll(t, exprs)
	for i, tt := range marshalTests {
		if got[i] != tt.want {
			t.Errorf("%s: PHP serialize(%s) = %q, Marshal wants %q", tt.name, tt.php, got[i], tt.want)
		}
	}
}

// phpSerializeAll returns PHP's serialize() of each PHP expression, with
// the test classes defined.
func phpSerializeAll(t *testing.T, exprs []string) []string {
	t.Helper()
	testenv.PHP(t)
	var script strings.Builder
	script.WriteString("<?php\n" + phpTestClasses)
	for _, e := range exprs {
		fmt.Fprintf(&script, "echo base64_encode(serialize(%s)), \"\\n\";\n", e)
	}
	out := testenv.RunPHP(t, script.String(), nil)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(exprs) {
		t.Fatalf("PHP printed %d lines for %d expressions:\n%s", len(lines), len(exprs), out)
	}
	res := make([]string, len(lines))
	for i, l := range lines {
		b, err := base64.StdEncoding.DecodeString(l)
		if err != nil {
			t.Fatalf("PHP line %d %q: %v", i, l, err)
		}
		res[i] = string(b)
	}
	return res
}

// TestMarshalPHPReadsBack has PHP unserialize() what Marshal writes for Go
// structs and print it with var_export: the values PHP sees must be the
// Go ones, classes and visibilities included.
func TestMarshalPHPReadsBack(t *testing.T) {
	testenv.PHP(t)
	in := []any{
		Account{Login: "go", Role: "root", Secret: "k"},
		Child{Base: Base{ID: 10, P: 20, B: 30}, ID: 40, Q: 50},
		map[string]any{"user": map[string]any{"id": 7, "roles": []string{"a", "b"}}, "n": nil},
	}
	var script strings.Builder
	script.WriteString("<?php\n" + phpTestClasses + `
$r = new ReflectionProperty('Account', 'role');
foreach (file('php://stdin', FILE_IGNORE_NEW_LINES) as $l) {
	$v = unserialize(base64_decode($l));
	if (is_object($v)) {
		$o = new ReflectionObject($v);
		$props = [];
		foreach ($o->getProperties() as $p) {
			$p->setAccessible(true);
			$props[] = $p->getDeclaringClass()->getName() . '::' . $p->getName() . '=' . var_export($p->getValue($v), true);
		}
		echo get_class($v), ' ', implode(' ', $props), "\n";
	} else {
		echo str_replace("\n", ' ', var_export($v, true)), "\n";
	}
}
`)
	var stdin strings.Builder
	for _, v := range in {
		b, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		stdin.WriteString(base64.StdEncoding.EncodeToString(b) + "\n")
	}
	out := testenv.RunPHP(t, script.String(), []byte(stdin.String()))
	want := "Account Account::login='go' Account::role='root' Account::secret='k'\n" +
		"Child Child::id=40 Child::q=50 Base::p=20 Base::b=30\n" +
		"array (   'n' => NULL,   'user' =>    array (     'id' => 7,     'roles' =>      array (       0 => 'a',       1 => 'b',     ),   ), )\n"
	if string(out) != want {
		t.Errorf("PHP read back:\n%s\nwant:\n%s", out, want)
	}
}

func TestMarshalErrors(t *testing.T) {
	cycle := &Node{}
	cycle.Next = cycle
	cyclicMap := map[string]any{}
	cyclicMap["m"] = cyclicMap
	cyclicSlice := []any{nil}
	cyclicSlice[0] = cyclicSlice
	deep := any(nil)
	for range maxMarshalDepth + 1 {
		deep = []any{deep}
	}

	tests := []struct {
		name string
		in   any
		want error
	}{
		{"channel", make(chan int), &UnsupportedValueError{Type: reflect.TypeFor[chan int](), Msg: "no PHP equivalent"}},
		{"func in slice", []any{1, func() {}}, &UnsupportedValueError{Type: reflect.TypeFor[func()](), Path: "1", Msg: "no PHP equivalent"}},
		{"complex", complex(1, 2), &UnsupportedValueError{Type: reflect.TypeFor[complex128](), Msg: "no PHP equivalent"}},
		{"uint64 too big", map[string]uint64{"n": math.MaxUint64}, &UnsupportedValueError{Type: reflect.TypeFor[uint64](), Path: "n", Msg: "18446744073709551615 does not fit a PHP int"}},
		{"map key too big", map[uint64]int{1 << 63: 1}, &UnsupportedValueError{Type: reflect.TypeFor[uint64](), Msg: "map key 9223372036854775808 does not fit a PHP int"}},
		{"map key float", map[float64]int{1: 1}, &UnsupportedValueError{Type: reflect.TypeFor[float64](), Msg: "map key of type float64 is neither a string nor an int"}},
		{"map keys the same in PHP", map[any]int{"5": 1, 5: 2}, &UnsupportedValueError{Type: reflect.TypeFor[map[any]int](), Msg: "two keys are the PHP key 5"}},
		{"private field without class", struct {
			X int `php:"x,private"`
		}{}, &UnsupportedValueError{Type: reflect.TypeFor[struct {
			X int `php:"x,private"`
		}](), Msg: "private field X is in struct { X int \"php:\\\"x,private\\\"\" }, which has no ClassName field"}},
		{"no class name", struct{ C ClassName }{}, &UnsupportedValueError{Type: reflect.TypeFor[struct{ C ClassName }](), Msg: "its ClassName field names no class"}},
		{"bad class name", struct{ C ClassName }{C: "a b"}, &UnsupportedValueError{Type: reflect.TypeFor[struct{ C ClassName }](), Msg: `invalid PHP class name "a b"`}},
		{"marshaler error", []any{badMarshaler{err: errors.New("boom")}}, &MarshalerError{Type: reflect.TypeFor[badMarshaler](), Err: errors.New("boom"), Method: "MarshalPHP"}},
		{"marshaler trailing data", badMarshaler{b: "i:1;i:2;"}, &MarshalerError{Type: reflect.TypeFor[badMarshaler](), Err: &SyntaxError{Offset: 4, Msg: "data after the value", Err: ErrSyntax}, Method: "MarshalPHP"}},
		{"Value with a bad reference", []Value{ListValue(RefValue(1))}, &UnsupportedValueError{Type: valueType, Path: "0", Msg: "the Value does not encode on its own: phpsession: r: reference to slot 1, which holds no object at offset 11"}},
		{"pointer cycle", cycle, &UnsupportedValueError{Type: reflect.TypeFor[*Node](), Path: strings.TrimSuffix(strings.Repeat("next.", cycleCheckDepth+1), "."), Msg: "cycle"}},
		{"map cycle", cyclicMap, &UnsupportedValueError{Type: reflect.TypeFor[map[string]any](), Path: strings.TrimSuffix(strings.Repeat("m.", cycleCheckDepth+1), "."), Msg: "cycle"}},
		{"slice cycle", cyclicSlice, &UnsupportedValueError{Type: reflect.TypeFor[[]any](), Path: strings.TrimSuffix(strings.Repeat("0.", cycleCheckDepth+1), "."), Msg: "cycle"}},
		{"too deep", deep, &UnsupportedValueError{Type: reflect.TypeFor[[]any](), Path: strings.TrimSuffix(strings.Repeat("0.", maxMarshalDepth), "."), Msg: "nested deeper than 4096 levels, which PHP does not read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.in)
			if !reflect.DeepEqual(err, tt.want) {
				t.Fatalf("Marshal() = %q, %v\nwant error %v", got, err, tt.want)
			}
			if !errors.Is(err, ErrUnsupportedValue) && reflect.TypeOf(err) == reflect.TypeFor[*UnsupportedValueError]() {
				t.Errorf("errors.Is(%v, ErrUnsupportedValue) = false", err)
			}
		})
	}
}

// TestMarshalNoFalseCycle checks that a pointer to a struct and a pointer
// to its first field, the same address, are not taken for a cycle.
func TestMarshalNoFalseCycle(t *testing.T) {
	type S struct {
		I Inner
		P *Inner
	}
	s := &S{I: Inner{A: 1}}
	s.P = &s.I
	deep := any(s) // nested past cycleCheckDepth, where cycles are looked for
	for range cycleCheckDepth + 1 {
		deep = []any{deep}
	}
	got, err := Marshal(deep)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if want := `i:0;a:2:{s:1:"I";a:1:{s:1:"A";i:1;}s:1:"P";a:1:{s:1:"A";i:1;}}}`; !strings.Contains(string(got), want) {
		t.Errorf("Marshal = %q, want it to hold %q", got, want)
	}
}

// TestMarshalDeepNesting checks that the deepest nesting PHP reads is
// written, and reads back.
func TestMarshalDeepNesting(t *testing.T) {
	deep := any(1)
	for range maxMarshalDepth {
		deep = []any{deep}
	}
	b, err := Marshal(deep)
	if err != nil {
		t.Fatalf("Marshal(%d levels): %v", maxMarshalDepth, err)
	}
	var back any
	if err := Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal(%d levels): %v", maxMarshalDepth, err)
	}
	for range maxMarshalDepth {
		l, ok := back.([]any)
		if !ok || len(l) != 1 {
			t.Fatalf("Unmarshal gave %T, want a one-element []any", back)
		}
		back = l[0]
	}
	if back != int64(1) {
		t.Errorf("innermost = %#v, want int64(1)", back)
	}
}

// TestMarshalMapOrderDeterministic checks that a map always marshals to
// the same bytes.
func TestMarshalMapOrderDeterministic(t *testing.T) {
	m := map[any]any{}
	for i := range 50 {
		m[fmt.Sprint("k", i)] = i
		m[i*7-100] = i
	}
	first, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if got, _ := Marshal(m); string(got) != string(first) {
			t.Fatalf("Marshal(map) changed between runs:\n%q\n%q", first, got)
		}
	}
}

func TestMarshalerErrorMessage(t *testing.T) {
	_, err := Marshal(badMarshaler{err: errors.New("boom")})
	want := "phpsession: error calling MarshalPHP for type phpsession.badMarshaler: boom"
	if err == nil || err.Error() != want {
		t.Errorf("Marshal() error = %v, want %s", err, want)
	}
}

// jsonString is used by tests to show bytes readably.
func jsonString(b []byte) string {
	s, _ := json.Marshal(string(b))
	return string(s)
}

// marshalBenchSession is a typical session value: an auth array, a cart, flash
// messages.
type marshalBenchSession struct {
	Auth struct {
		ID    int      `php:"id"`
		Name  string   `php:"name"`
		Email string   `php:"email"`
		Roles []string `php:"roles"`
	} `php:"auth"`
	CSRF  string `php:"csrf"`
	Cart  []marshalBenchItem
	Flash map[string][]string `php:"_flashMessages"`
}

type marshalBenchItem struct {
	SKU   string  `php:"sku"`
	Qty   int     `php:"qty"`
	Price float64 `php:"price"`
}

func newMarshalBenchSession() marshalBenchSession {
	var s marshalBenchSession
	s.Auth.ID, s.Auth.Name, s.Auth.Email = 42, "Ada Lovelace", "ada@example.com"
	s.Auth.Roles = []string{"admin", "editor"}
	s.CSRF = strings.Repeat("f3", 16)
	for i := range 20 {
		s.Cart = append(s.Cart, marshalBenchItem{SKU: fmt.Sprintf("SKU-%04d", i), Qty: i + 1, Price: 9.99 + float64(i)})
	}
	s.Flash = map[string][]string{"success": {"Saved."}, "notice": {"Check your mail.", "Welcome back."}}
	return s
}

func BenchmarkMarshal(b *testing.B) {
	s := newMarshalBenchSession()
	data, _ := Marshal(s)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Marshal(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	data, _ := Marshal(newMarshalBenchSession())
	b.Run("struct", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var s marshalBenchSession
			if err := Unmarshal(data, &s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("any", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var s any
			if err := Unmarshal(data, &s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Value", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var s Value
			if err := Unmarshal(data, &s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				var s marshalBenchSession
				if err := Unmarshal(data, &s); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

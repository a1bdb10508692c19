package phpsession

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/elliotchance/phpserialize"
)

// elliotchance/phpserialize v1.4.0 is faithful on a subset of PHP's
// serialize() format: null, bools, ints, finite floats, strings without a
// backslash, and arrays of those with int keys or non-numeric string keys
// (docs/design.md, "Why our own codec"). On that subset it is an
// independent second decoder, so these tests hold ours to agree with it.

// TestElliotchanceDecodeAgrees decodes random values of the subset with
// both decoders and compares the results.
func TestElliotchanceDecodeAgrees(t *testing.T) {
	seed := rand.Uint64()
	r := rand.New(rand.NewPCG(seed, 0))
	for i := range 2000 {
		entries := make([]Entry, r.IntN(6))
		for j := range entries {
			entries[j] = Entry{Key: subsetKey(r, j), Value: subsetValue(r, 3)}
		}
		v := ArrayValue(entries...)
		data, err := Marshal(v)
		if err != nil {
			t.Fatalf("seed %d case %d: Marshal: %v", seed, i, err)
		}
		var ours Value
		if err := Unmarshal(data, &ours); err != nil {
			t.Fatalf("seed %d case %d: Unmarshal(%q): %v", seed, i, data, err)
		}
		theirs, err := phpserialize.UnmarshalAssociativeArray(data)
		if err != nil {
			t.Fatalf("seed %d case %d: elliotchance Unmarshal(%q): %v", seed, i, data, err)
		}
		if want := elliotchanceShape(ours, true); !reflect.DeepEqual(theirs, want) {
			t.Fatalf("seed %d case %d: decoding %q\nelliotchance: %#v\nours:         %#v", seed, i, data, theirs, want)
		}
	}
}

// TestElliotchanceEncodeAgrees has both encoders write Go values of the
// subset where elliotchance's encoder is faithful too (no ' in strings, no
// floats, maps with non-numeric string keys): the bytes must be the same.
func TestElliotchanceEncodeAgrees(t *testing.T) {
	seed := rand.Uint64()
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range 2000 {
		in := subsetGo(r, 3)
		ours, err := Marshal(in)
		if err != nil {
			t.Fatalf("seed %d case %d: Marshal(%#v): %v", seed, i, in, err)
		}
		theirs, err := phpserialize.Marshal(in, nil)
		if err != nil {
			t.Fatalf("seed %d case %d: elliotchance Marshal(%#v): %v", seed, i, in, err)
		}
		if string(ours) != string(theirs) {
			t.Fatalf("seed %d case %d: Marshal(%#v)\nelliotchance: %q\nours:         %q", seed, i, in, theirs, ours)
		}
	}
}

// subsetKey returns an array key for entry j: an int, or a string that is
// not a canonical int.
func subsetKey(r *rand.Rand, j int) Value {
	switch r.IntN(3) {
	case 0:
		return IntValue(int64(j))
	case 1:
		return IntValue(r.Int64N(2000) - 1000)
	}
	return StringValue("k" + subsetString(r))
}

// subsetString returns a string of random bytes, without a backslash.
func subsetString(r *rand.Rand) string {
	b := make([]byte, r.IntN(8))
	for i := range b {
		for b[i] = byte(r.IntN(256)); b[i] == '\\'; b[i] = byte(r.IntN(256)) {
		}
	}
	return string(b)
}

// subsetValue returns a random value of the subset, arrays nested up to
// depth levels.
func subsetValue(r *rand.Rand, depth int) Value {
	n := 6
	if depth > 0 {
		n = 8
	}
	switch r.IntN(n) {
	case 0:
		return NullValue()
	case 1:
		return BoolValue(r.IntN(2) == 1)
	case 2:
		return IntValue(int64(r.Uint64()))
	case 3:
		return StringValue(subsetString(r))
	case 4:
		f := math.Float64frombits(r.Uint64())
		for math.IsNaN(f) || math.IsInf(f, 0) {
			f = math.Float64frombits(r.Uint64())
		}
		return FloatValue(f)
	case 5:
		return FloatValue([]float64{0.1, 1e25, -1.5e-7, 1, math.Inf(1), math.Inf(-1)}[r.IntN(6)])
	case 6:
		return ListValue(subsetValue(r, depth-1), subsetValue(r, depth-1))
	}
	es := make([]Entry, r.IntN(4))
	for j := range es {
		es[j] = Entry{Key: subsetKey(r, j), Value: subsetValue(r, depth-1)}
	}
	return ArrayValue(es...)
}

// elliotchanceShape returns what elliotchance's decoder makes of v: an
// array whose keys are 0, 1, ... in order is a []interface{} (unless top,
// which it always decodes as a map), any other array a
// map[interface{}]interface{} with int64 or string keys.
func elliotchanceShape(v Value, top bool) any {
	switch v.Kind() {
	case Null:
		return nil
	case Bool:
		b, _ := v.Bool()
		return b
	case Int:
		i, _ := v.Int()
		return i
	case Float:
		f, _ := v.Float()
		return f
	case String:
		s, _ := v.Str()
		return s
	case Array:
		if !top && isList(v.Entries()) {
			l := make([]any, v.Len())
			for i, e := range v.Entries() {
				l[i] = elliotchanceShape(e.Value, false)
			}
			return l
		}
		m := map[any]any{}
		for _, e := range v.Entries() {
			m[elliotchanceShape(e.Key, false)] = elliotchanceShape(e.Value, false)
		}
		return m
	}
	return fmt.Sprintf("unexpected %s", v.Kind())
}

// subsetGo returns a random Go value that both encoders write the same.
func subsetGo(r *rand.Rand, depth int) any {
	n := 5
	if depth > 0 {
		n = 8
	}
	switch r.IntN(n) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 1
	case 2:
		return r.Int64() - r.Int64()
	case 3:
		return int8(r.IntN(256) - 128)
	case 4:
		return strings.ReplaceAll(subsetString(r), "'", "")
	case 5:
		l := make([]any, r.IntN(4))
		for i := range l {
			l[i] = subsetGo(r, depth-1)
		}
		return l
	case 6:
		m := map[string]int{}
		for range r.IntN(4) {
			m["k"+strconv.Itoa(r.IntN(100))] = r.IntN(100)
		}
		return m
	}
	m := map[int]string{}
	for range r.IntN(4) {
		m[r.IntN(200)-100] = "v"
	}
	return m
}

// TestElliotchanceFailures runs elliotchance/phpserialize v1.4.0 on the
// inputs docs/design.md shows it getting wrong, and ours beside it: ours
// must give PHP's answer. What elliotchance does is logged (go test -v -run
// TestElliotchanceFailures), for the design document.
func TestElliotchanceFailures(t *testing.T) {
	try := func(f func() (any, error)) (res string) {
		defer func() {
			if p := recover(); p != nil {
				res = fmt.Sprintf("panic: %v", p)
			}
		}()
		v, err := f()
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("%q", v)
	}
	decode := []struct {
		name, data string
		want       Value
	}{
		{`backslash-n literal`, `s:4:"a\nb";`, StringValue(`a\nb`)},
		{`backslash-x literal`, `s:7:"C:\x41B";`, StringValue(`C:\x41B`)},
		{`backslash-quote literal`, `s:5:"it\'s";`, StringValue(`it\'s`)},
		{`truncated string`, `s:10:"abc";`, Value{}},
		{`truncated bool`, `b:`, Value{}},
		{`r: reference`, `a:2:{i:0;O:8:"stdClass":0:{}i:1;r:2;}`, ListValue(ObjectValue("stdClass"), RefValue(2))},
		{`R: reference`, `a:2:{i:0;i:1;i:1;R:2;}`, ListValue(IntValue(1), PHPRefValue(2))},
		{`Serializable`, `C:1:"C":3:{abc}`, CustomValue("C", []byte("abc"))},
		{`enum`, `E:11:"Suit:Hearts";`, EnumValue("Suit", "Hearts")},
		{`object class`, `O:7:"Account":1:{s:5:"login";s:1:"x";}`, ObjectValue("Account", Entry{StringValue("login"), StringValue("x")})},
		{`huge count`, `a:2000000000:{}`, Value{}},
	}
	for _, tt := range decode {
		theirs := try(func() (any, error) {
			switch tt.data[0] {
			case 'a':
				return phpserialize.UnmarshalAssociativeArray([]byte(tt.data))
			case 'O':
				return phpserialize.UnmarshalAssociativeArray([]byte(tt.data))
			case 'b':
				return phpserialize.UnmarshalBool([]byte(tt.data))
			}
			var s string
			err := phpserialize.Unmarshal([]byte(tt.data), &s)
			return s, err
		})
		var ours Value
		err := Unmarshal([]byte(tt.data), &ours)
		switch {
		case !tt.want.IsValid() && err == nil:
			t.Errorf("decode %s %q: ours = %v, want an error", tt.name, tt.data, ours)
		case tt.want.IsValid() && (err != nil || !ours.Equal(tt.want)):
			t.Errorf("decode %s %q: ours = %v, %v, want %v", tt.name, tt.data, ours, err, tt.want)
		}
		oursText := fmt.Sprintf("%q", mustMarshalText(ours))
		if err != nil {
			oursText = "error: " + err.Error()
		}
		t.Logf("decode %-22s %-42q elliotchance: %-60s ours: %s", tt.name, tt.data, theirs, oursText)
	}

	encode := []struct {
		name string
		in   any
		want string // what PHP's serialize() writes
	}{
		{"quote", "it's", `s:4:"it's";`},
		{"bytes", []byte{0xff, 0}, "s:2:\"\xff\x00\";"},
		{"INF", math.Inf(1), `d:INF;`},
		{"NaN", math.NaN(), `d:NAN;`},
		{"1e20", 1e20, `d:1.0E+20;`},
		{"uint64 max", uint64(math.MaxUint64), ``},
		{"numeric string key", map[string]int{"5": 1}, `a:1:{i:5;i:1;}`},
	}
	for _, tt := range encode {
		theirs := try(func() (any, error) {
			b, err := phpserialize.Marshal(tt.in, nil)
			return string(b), err
		})
		ours, err := Marshal(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("encode %s: ours = %q, want an error", tt.name, ours)
			}
		} else if err != nil || string(ours) != tt.want {
			t.Errorf("encode %s: ours = %q, %v, want %q", tt.name, ours, err, tt.want)
		}
		oursText := fmt.Sprintf("%q", ours)
		if err != nil {
			oursText = "error: " + err.Error()
		}
		t.Logf("encode %-12s elliotchance: %-40s ours: %s", tt.name, theirs, oursText)
	}

	// Map order: elliotchance sorts map[interface{}]interface{} (the type
	// its own Unmarshal returns) by Go's random map order.
	m := map[any]any{"a": 1, "b": 2, "c": 3, "d": 4}
	outs := map[string]bool{}
	for range 200 {
		b, _ := phpserialize.Marshal(m, nil)
		outs[string(b)] = true
	}
	ours := map[string]bool{}
	for range 200 {
		b, _ := Marshal(m)
		ours[string(b)] = true
	}
	if len(ours) != 1 {
		t.Errorf("our Marshal of a map[any]any gave %d different outputs in 200 runs, want 1", len(ours))
	}
	t.Logf("encode map[any]any: elliotchance gave %d different outputs in 200 runs, ours %d", len(outs), len(ours))
}

// mustMarshalText returns v's serialized form, or "" if it has none.
func mustMarshalText(v Value) string {
	b, _ := appendValue(nil, v)
	return string(b)
}

package phpsession

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/vectors"
)

// serializeVectors returns the vectors of the php, php_binary and
// php_serialize handlers, with their formats.
func serializeVectors(tb testing.TB) ([]vectors.Session, []Format) {
	var vs []vectors.Session
	var fs []Format
	for _, v := range vectors.MustLoad(tb) {
		f, err := ParseFormat(v.Handler)
		if err != nil {
			tb.Fatalf("%v: %v", v, err)
		}
		if f == FormatIgbinary {
			continue
		}
		vs, fs = append(vs, v), append(fs, f)
	}
	return vs, fs
}

// recursionMarker stands for the dump's {"recursion":true}.
var recursionMarker = Value{str: "recursion"}

// dumpValue converts the typed JSON form of a vector's dump to a Value.
// References appear in the dump as the values they point to.
func dumpValue(raw json.RawMessage) (Value, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return Value{}, err
	}
	str := func(r json.RawMessage) (string, error) {
		var s string
		err := json.Unmarshal(r, &s)
		return s, err
	}
	switch {
	case m["N"] != nil:
		return NullValue(), nil
	case m["b"] != nil:
		var b bool
		err := json.Unmarshal(m["b"], &b)
		return BoolValue(b), err
	case m["i"] != nil:
		i, err := strconv.ParseInt(string(m["i"]), 10, 64)
		return IntValue(i), err
	case m["d"] != nil:
		s, err := str(m["d"])
		if err != nil {
			return Value{}, err
		}
		f, err := strconv.ParseFloat(s, 64) // var_export: 0.1, 1.0E+25, -0.0, INF, NAN
		return FloatValue(f), err
	case m["s"] != nil:
		s, err := str(m["s"])
		return StringValue(s), err
	case m["s64"] != nil:
		s, err := str(m["s64"])
		if err != nil {
			return Value{}, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		return BytesValue(b), err
	case m["E"] != nil:
		s, err := str(m["E"])
		return Value{comp: scalarComp(Enum), str: s}, err
	case m["recursion"] != nil:
		return recursionMarker, nil
	case m["a"] != nil, m["O"] != nil:
		list := m["a"]
		v := Value{comp: &composite{kind: Array}}
		if m["O"] != nil {
			class, err := str(m["O"])
			if err != nil {
				return Value{}, err
			}
			v = Value{str: class, comp: &composite{kind: Object}}
			list = m["p"]
		}
		var pairs [][2]json.RawMessage
		if err := json.Unmarshal(list, &pairs); err != nil {
			return Value{}, err
		}
		for _, kv := range pairs {
			var k Value
			if i, err := strconv.ParseInt(string(kv[0]), 10, 64); err == nil {
				k = IntValue(i)
			} else {
				s, err := str(kv[0])
				if err != nil {
					return Value{}, err
				}
				if enc, ok := strings.CutPrefix(s, "b64:"); ok {
					b, err := base64.StdEncoding.DecodeString(enc)
					if err != nil {
						return Value{}, err
					}
					s = string(b)
				}
				k = StringValue(s)
			}
			e, err := dumpValue(kv[1])
			if err != nil {
				return Value{}, err
			}
			v.comp.entries = append(v.comp.entries, Entry{Key: k, Value: e})
		}
		return v, nil
	}
	return Value{}, fmt.Errorf("unknown dump form %s", raw)
}

// slotTable lists the values of a decoded payload by PHP slot (index 0 is
// slot 1), as PHP numbers them.
func slotTable(vals ...Value) []Value {
	var slots []Value
	var walk func(v Value)
	walk = func(v Value) {
		if v.kind() == PHPRef {
			return
		}
		slots = append(slots, v)
		for _, e := range v.Entries() {
			walk(e.Value)
		}
	}
	for _, v := range vals {
		walk(v)
	}
	return slots
}

// sameAsDump reports where got (references resolved through slots) differs
// from the dump's want, or "" when it does not. A Serializable object (C:)
// is dumped as the object PHP rebuilt from its payload: only its class is
// compared.
func sameAsDump(got, want Value, slots []Value, depth int) string {
	if want.kind() == Invalid && want.str == recursionMarker.str {
		return ""
	}
	for got.kind() == Ref || got.kind() == PHPRef {
		if got.Slot() > len(slots) || depth > 64 {
			return fmt.Sprintf("reference to slot %d of %d", got.Slot(), len(slots))
		}
		got = slots[got.Slot()-1]
		depth++
	}
	if got.kind() == Custom && want.kind() == Object {
		if got.str != want.str {
			return fmt.Sprintf("custom class %q, want %q", got.str, want.str)
		}
		return ""
	}
	if got.kind() != want.kind() {
		return fmt.Sprintf("kind %s, want %s", got.kind(), want.kind())
	}
	switch got.kind() {
	case Float:
		g, w := math.Float64frombits(got.num), math.Float64frombits(want.num)
		if got.num != want.num && !(math.IsNaN(g) && math.IsNaN(w)) {
			return fmt.Sprintf("float %v, want %v", g, w)
		}
		return ""
	case Array, Object:
		if got.str != want.str {
			return fmt.Sprintf("class %q, want %q", got.str, want.str)
		}
		ge, we := got.Entries(), want.Entries()
		if len(ge) != len(we) {
			return fmt.Sprintf("%d entries, want %d", len(ge), len(we))
		}
		for i := range ge {
			gk := normalizeKey(ge[i].Key) // PHP made "5" the int key 5
			if got.kind() == Object {
				gk = ge[i].Key
			}
			if !gk.Equal(we[i].Key) {
				return fmt.Sprintf("key %d is %v, want %v", i, ge[i].Key, we[i].Key)
			}
			if d := sameAsDump(ge[i].Value, we[i].Value, slots, depth+1); d != "" {
				return fmt.Sprintf("[%v]: %s", ge[i].Key, d)
			}
		}
		return ""
	}
	if !got.Equal(want) {
		return fmt.Sprintf("%v, want %v", got, want)
	}
	return ""
}

// TestVectors checks every php, php_binary and php_serialize session a real
// Phalcon wrote: it decodes, its content is what PHP saw, and it encodes back
// to the same bytes, untouched and after decoding every value.
func TestVectors(t *testing.T) {
	vs, fs := serializeVectors(t)
	for i, v := range vs {
		f := fs[i]
		t.Run(v.String(), func(t *testing.T) {
			s, err := DecodeSession(v.Payload, f)
			if err != nil {
				t.Fatalf("DecodeSession(%q, %s) = %v", v.Payload, f, err)
			}
			if out, err := s.Encode(); err != nil || !bytes.Equal(out, v.Payload) {
				t.Fatalf("untouched Encode() = %q, %v; want %q", out, err, v.Payload)
			}
			want, err := dumpValue(v.Dump)
			if err != nil {
				t.Fatalf("dump: %v", err)
			}
			var names []string
			var vals []Value
			for _, n := range s.Names() {
				val, ok := s.Get(n)
				if !ok {
					t.Fatalf("Get(%q) found nothing; Names() = %q", n, s.Names())
				}
				names, vals = append(names, n), append(vals, val)
			}
			var slots []Value
			if f == FormatPHPSerialize {
				slots = slotTable(Value{comp: &composite{kind: Array}}) // slot 1, the outer array
				slots = append(slots, slotTable(vals...)...)
			} else {
				slots = slotTable(vals...)
			}
			if len(names) != want.Len() {
				t.Fatalf("Names() = %q, want %d names", names, want.Len())
			}
			for j, e := range want.Entries() {
				wantName, _ := e.Key.Str()
				if e.Key.kind() == Int {
					wantName = strconv.FormatInt(int64(e.Key.num), 10)
				}
				if names[j] != wantName {
					t.Errorf("name %d = %q, want %q", j, names[j], wantName)
					continue
				}
				if d := sameAsDump(vals[j], e.Value, slots, 0); d != "" {
					t.Errorf("Get(%q): %s", names[j], d)
				}
			}
			// Values re-encode to their own bytes.
			for _, n := range names {
				val, _ := s.Get(n)
				raw, _ := s.Raw(n)
				if out, err := appendValue(nil, val); err != nil || !bytes.Equal(out, raw) {
					t.Errorf("appendValue(Get(%q)) = %q, %v; want %q", n, out, err, raw)
				}
			}
			if out, err := s.Encode(); err != nil || !bytes.Equal(out, v.Payload) {
				t.Errorf("Encode() after Get = %q, %v; want %q", out, err, v.Payload)
			}
		})
	}
}

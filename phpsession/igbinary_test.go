package phpsession

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/internal/vectors"
)

var igSeed = flag.Uint64("igbinary.seed", 0, "seed of the igbinary differential tests (0: from the clock)")

// igDiffN returns the number of random values each igbinary differential
// test sends: 3000, a few seconds, or $SESSBRIDGE_IGBINARY_N for a long
// run.
func igDiffN(t *testing.T) int {
	env := os.Getenv("SESSBRIDGE_IGBINARY_N")
	if env == "" {
		return 3000
	}
	n, err := strconv.Atoi(env)
	if err != nil || n < 1 {
		t.Fatalf("SESSBRIDGE_IGBINARY_N=%q: want a positive number", env)
	}
	return n
}

// TestIgbinaryVectors decodes every payload a real Phalcon wrote with
// session.serialize_handler=igbinary, checks that it encodes back byte for
// byte from its values (not from the decoded bytes: see igReencode), that
// it is the value the vector's dump shows, and that it equals the same
// scenario written with php_serialize.
func TestIgbinaryVectors(t *testing.T) {
	vs := vectors.MustLoad(t)
	serialized := map[string][]byte{}
	for _, v := range vs {
		if v.Handler == "php_serialize" {
			serialized[v.Adapter+"/"+v.Scenario] = v.Payload
		}
	}
	n := 0
	for _, v := range vs {
		if v.Handler != "igbinary" {
			continue
		}
		n++
		t.Run(v.Adapter+"/"+v.Scenario, func(t *testing.T) {
			s, err := DecodeSession(v.Payload, FormatIgbinary)
			if err != nil {
				t.Fatalf("DecodeSession: %v", err)
			}
			got := igWhole(s)
			enc, err := igReencode(t, v.Payload)
			if err != nil {
				t.Fatalf("re-encoding: %v", err)
			}
			if !bytes.Equal(enc, v.Payload) {
				t.Errorf("the payload re-encoded from its values =\n%x\nwant\n%x", enc, v.Payload)
			}
			want, err := igFromDump(v.Dump)
			if err != nil {
				t.Fatalf("dump: %v", err)
			}
			if r := igResolve(got); !igSameAsDump(r, want) {
				t.Errorf("DecodeSession = %s\nwant (dump) %s", igShow(r), igShow(want))
			}
			ser, ok := serialized[v.Adapter+"/"+v.Scenario]
			if !ok {
				t.Fatalf("no php_serialize vector for %s/%s", v.Adapter, v.Scenario)
			}
			sv, _, err := decodeValue(ser, limits{})
			if err != nil {
				t.Fatalf("decodeValue(php_serialize vector): %v", err)
			}
			if !sv.Equal(got) {
				t.Errorf("DecodeSession = %s\nwant (php_serialize vector) %s", igShow(got), igShow(sv))
			}
		})
	}
	if n == 0 {
		t.Fatal("no igbinary vectors")
	}
}

// The tests of values that are not sessions (a lone igbinary_serialize($v))
// put each value V in a session of one name, "v": the payload
// igbinary_serialize(['v' => V]), which is what PHP's igbinary session
// handler writes for $_SESSION = ['v' => V]. It is the header, an array of
// one entry and the key "v" (igWrap), then V's bytes, at offset igWrapLen.
// The session array takes reference id 0 and slot 1, the key string id 0:
// V's ids are one more than in igbinary_serialize(V), as its slots are one
// more than in serialize(V), and it nests one level deeper.
const (
	igWrap    = "00000002 1401 110176"
	igWrapLen = 9
)

// igV returns the session payload of V, written in hex (see igWrap).
func igV(hex string) []byte { return igMustHex(igWrap + hex) }

// igWhole returns the names and values of s as one array (an int name as
// an int key), as igbinary_unserialize() reads the session's payload.
func igWhole(s *Session) Value {
	es := make([]Entry, len(s.entries))
	for i := range s.entries {
		e := &s.entries[i]
		k := StringValue(s.name(e))
		if n, ok := canonicalInt(k.str); e.intKey && ok {
			k = IntValue(n)
		}
		v, err := s.value(i)
		if err != nil {
			panic(err) // DecodeSession checked every entry
		}
		es[i] = Entry{Key: k, Value: v}
	}
	return Value{comp: &composite{kind: Array, entries: es}}
}

// igDecodeV decodes payload, the session of V (see igWrap), and returns V.
func igDecodeV(payload []byte, lim limits) (Value, error) {
	s, err := decodeSession(payload, FormatIgbinary, lim)
	if err != nil {
		return Value{}, err
	}
	if names := s.Names(); len(names) != 1 || names[0] != "v" || s.entries[0].intKey {
		return Value{}, fmt.Errorf("session of names %q, want only \"v\"", names)
	}
	v, _ := s.Get("v")
	return v, nil
}

// igReencode decodes payload as an igbinary session and encodes it again
// from its values: every entry set again, as igTouchAll does, so that
// Session.Encode writes them with the igbinary encoder instead of giving
// back the payload it decoded.
func igReencode(tb testing.TB, payload []byte) ([]byte, error) {
	s, err := DecodeSession(payload, FormatIgbinary)
	if err != nil {
		return nil, err
	}
	igTouchAll(tb, s)
	return s.Encode()
}

// igEncodeV appends the session of V, v (see igWrap), encoded by
// Session.AppendEncode, to dst. v's slots count from 2, as in the session
// DecodeSession makes of that payload; its entry is the one DecodeSession
// makes (Session.Set takes references only into the entries of a decoded
// payload, not into v itself), so that the encoder writes v as it is,
// references included. (Nor does it refuse a v nested too deep, as Set
// does: the encoder must.)
func igEncodeV(dst []byte, v Value) ([]byte, error) {
	n, refs, _ := slotsRefs(v, 0)
	s := NewSession(FormatIgbinary)
	s.put("v", v, int32(n), refs)
	s.entries[0].first = 2 // after the session array
	return s.AppendEncode(dst)
}

// igFromDump converts the typed dump of testdata/README.md into a Value.
func igFromDump(raw json.RawMessage) (Value, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return Value{}, err
	}
	for k, x := range m {
		switch k {
		case "N":
			return NullValue(), nil
		case "b":
			var b bool
			err := json.Unmarshal(x, &b)
			return BoolValue(b), err
		case "i":
			var i int64
			err := json.Unmarshal(x, &i)
			return IntValue(i), err
		case "d":
			var s string
			if err := json.Unmarshal(x, &s); err != nil {
				return Value{}, err
			}
			f, err := strconv.ParseFloat(s, 64)
			return FloatValue(f), err
		case "s":
			var s string
			err := json.Unmarshal(x, &s)
			return StringValue(s), err
		case "s64":
			var b []byte
			err := json.Unmarshal(x, &b)
			return BytesValue(b), err
		case "E":
			var s string
			if err := json.Unmarshal(x, &s); err != nil {
				return Value{}, err
			}
			enum, c, _ := strings.Cut(s, ":")
			return EnumValue(enum, c), nil
		case "recursion":
			return Value{str: "recursion"}, nil
		case "a", "p":
			var pairs [][2]json.RawMessage
			if err := json.Unmarshal(x, &pairs); err != nil {
				return Value{}, err
			}
			var es []Entry
			for _, p := range pairs {
				var key Value
				var s string
				if err := json.Unmarshal(p[0], &s); err == nil {
					if b, ok := strings.CutPrefix(s, "b64:"); ok {
						dec, err := base64.StdEncoding.DecodeString(b)
						if err != nil {
							return Value{}, err
						}
						s = string(dec)
					}
					key = StringValue(s)
				} else {
					var i int64
					if err := json.Unmarshal(p[0], &i); err != nil {
						return Value{}, err
					}
					key = IntValue(i)
				}
				val, err := igFromDump(p[1])
				if err != nil {
					return Value{}, err
				}
				es = append(es, Entry{Key: key, Value: val})
			}
			if k == "a" {
				return Value{comp: &composite{kind: Array, entries: es}}, nil
			}
			var class string
			if err := json.Unmarshal(m["O"], &class); err != nil {
				return Value{}, err
			}
			return ObjectValue(class, es...), nil
		}
	}
	return Value{}, fmt.Errorf("unknown dump %s", raw)
}

// igSameAsDump compares a resolved Value with a dump Value: a Custom
// matches an object of its class (the dump shows its properties, not its
// payload), a float matches by value (NAN by being NAN).
func igSameAsDump(v, d Value) bool {
	if d.kind() == Invalid && d.str == "recursion" {
		return true
	}
	if v.kind() == Custom && d.kind() == Object {
		return v.str == d.str
	}
	if v.kind() == Float && d.kind() == Float {
		f, _ := v.Float()
		g, _ := d.Float()
		return f == g && math.Signbit(f) == math.Signbit(g) || math.IsNaN(f) && math.IsNaN(g)
	}
	if v.kind() != d.kind() || v.num != d.num || v.str != d.str || v.Len() != d.Len() {
		return false
	}
	de := d.Entries()
	for i, e := range v.Entries() {
		if !e.Key.Equal(de[i].Key) || !igSameAsDump(e.Value, de[i].Value) {
			return false
		}
	}
	return true
}

// igResolve replaces every Ref and PHPRef in v by the value at its slot,
// as the dump shows references. Slots count as serialize() counts them.
func igResolve(v Value) Value {
	slots := map[int]Value{}
	n := 0
	var number func(Value)
	number = func(v Value) {
		if v.kind() == PHPRef {
			return
		}
		n++
		slots[n] = v
		for _, e := range v.Entries() {
			number(e.Value)
		}
	}
	number(v)
	var resolve func(Value, int) Value
	resolve = func(v Value, depth int) Value {
		if depth > 64 {
			return Value{str: "recursion"}
		}
		if v.kind() == Ref || v.kind() == PHPRef {
			return resolve(slots[v.Slot()], depth+1)
		}
		if v.kind() != Array && v.kind() != Object {
			return v
		}
		c := v.withEntries(make([]Entry, len(v.Entries())))
		for i, e := range v.Entries() {
			c.comp.entries[i] = Entry{Key: e.Key, Value: resolve(e.Value, depth+1)}
		}
		return c
	}
	return resolve(v, 0)
}

// igShow prints a Value for a test failure.
func igShow(v Value) string {
	var b strings.Builder
	var show func(Value)
	show = func(v Value) {
		switch v.kind() {
		case Array, Object:
			if v.kind() == Object {
				fmt.Fprintf(&b, "%s", v.str)
			}
			b.WriteString("{")
			for i, e := range v.Entries() {
				if i > 0 {
					b.WriteString(", ")
				}
				show(e.Key)
				b.WriteString(": ")
				show(e.Value)
			}
			b.WriteString("}")
		case String:
			fmt.Fprintf(&b, "%q", v.str)
		case Int:
			fmt.Fprint(&b, int64(v.num))
		case Float:
			f, _ := v.Float()
			fmt.Fprint(&b, f)
		case Bool:
			fmt.Fprint(&b, v.num == 1)
		case Custom:
			fmt.Fprintf(&b, "C(%s %q)", v.str, v.comp.payloadOrEmpty())
		case Enum:
			fmt.Fprintf(&b, "E(%s)", v.str)
		case Ref:
			fmt.Fprintf(&b, "r:%d", v.num)
		case PHPRef:
			fmt.Fprintf(&b, "R:%d", v.num)
		default:
			b.WriteString(v.kind().String())
		}
	}
	show(v)
	return b.String()
}

// igMustHex decodes hex written with or without spaces.
func igMustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// igTestSeed returns the seed of a differential test and logs it if the
// test fails.
func igTestSeed(t *testing.T) uint64 {
	seed := *igSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d: rerun with -igbinary.seed=%d", seed, seed)
		}
	})
	return seed
}

// The forms PHP writes that the Value model cannot tell from others, which
// Go re-encodes otherwise (see decodeIgbinarySession), as
// TestIgbinaryFromPHP finds them in what igGenPHP writes.
const (
	igInside  = "a copy of an array inside itself"
	igPadding = "null padding for an uninitialized typed property"
)

// TestIgbinaryFromPHP has PHP write thousands of random values V as
// igbinary sessions, igbinary_serialize(['v' => V]), and as
// serialize(['v' => V]): Go decodes the igbinary session, encodes it back
// from its values byte for byte, and gets the same Value as from the
// serialize() form.
//
// Go writes back other bytes only where igGenPHP made one of the forms
// the Value model cannot tell apart: a copy of an array inside itself
// (igGenPHP says where it made one), null padding (a Typed object missing
// a property, igHasPadding); the re-encoding is then stable and decodes to
// the same Value.
func TestIgbinaryFromPHP(t *testing.T) {
	testenv.PHP(t, "igbinary")
	seed := igTestSeed(t)
	n := igDiffN(t)
	out := testenv.RunPHP(t, igGenPHP, nil, strconv.FormatUint(seed%(1<<31), 10), strconv.Itoa(n))
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("php printed %d lines, want %d", len(lines), n)
	}
	noncanon := map[string]int{}
	var conv bytes.Buffer
	type igConv struct {
		i   int    // value number
		ser string // its serialize() form
	}
	var sers []igConv
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) != 3 {
			t.Fatalf("line %d: php printed %q", i, l)
		}
		ig, err1 := base64.StdEncoding.DecodeString(f[0])
		ser, err2 := base64.StdEncoding.DecodeString(f[1])
		if err1 != nil || err2 != nil {
			t.Fatalf("line %d: %v %v", i, err1, err2)
		}
		inside := f[2] == "inside"
		s, err := DecodeSession(ig, FormatIgbinary)
		if err != nil {
			t.Errorf("value %d: DecodeSession(%x): %v", i, ig, err)
			continue
		}
		whole := igWhole(s)
		v, err := igDecodeV(ig, limits{})
		if err != nil {
			t.Errorf("value %d: %v", i, err)
			continue
		}
		enc, err := igReencode(t, ig)
		if err != nil {
			t.Errorf("value %d: re-encoding %s: %v", i, igShow(v), err)
			continue
		}
		differs := !bytes.Equal(enc, ig)
		if differs {
			var causes []string
			if inside {
				causes = append(causes, igInside)
			}
			if igHasPadding(v) {
				causes = append(causes, igPadding)
			}
			if len(causes) == 0 {
				t.Errorf("value %d: re-encoded from its values =\n%x\nwant (php)\n%x\nvalue %s", i, enc, ig, igShow(v))
			}
			for _, c := range causes {
				noncanon[c]++
			}
			again, err := igDecodeV(enc, limits{})
			reenc, err2 := igReencode(t, enc)
			if err != nil || err2 != nil || !again.Equal(v) || !bytes.Equal(reenc, enc) {
				t.Errorf("value %d: re-encoding a non-canonical payload: %v %v equal=%v\n%x\n%x\nagain\n%x", i, err, err2, again.Equal(v), ig, enc, reenc)
			}
		}
		sv, _, err := decodeValue(ser, limits{})
		if err != nil {
			t.Errorf("value %d: decodeValue(%q): %v", i, ser, err)
			continue
		}
		// serialize() writes every NAN as "NAN", igbinary keeps its bits.
		// It writes a property __sleep() names twice once (igbinary as
		// often as named, which moves later slots), and stops at an array
		// inside itself one level before igbinary does.
		if inside && differs {
			noncanon["not compared with serialize(): an array inside itself"]++
		} else if igRepeatsProperty(v) {
			noncanon["not compared with serialize(): a property named twice"]++
		} else if !igEqualAnyNaN(sv, whole) {
			// serialize() does not remember an object only one array
			// holds: when that array is reached twice (through a & reference
			// to an array holding it), it writes the object twice, where
			// igbinary refers to it.
			if igRefersToAncestor(whole) {
				noncanon["not compared with serialize(): an array & referencing itself"]++
			} else {
				t.Errorf("value %d: igbinary and serialize() forms differ:\nigbinary  %s\nserialize %s\n%x\n%q", i, igShow(whole), igShow(sv), ig, ser)
			}
		}
		// The serialize() form, written as igbinary, is the same PHP value.
		sval, ok := sv.Index("v")
		if sv.Len() != 1 || !ok {
			t.Errorf("value %d: serialize() form %q is not ['v' => V]", i, ser)
			continue
		}
		fromSer, err := igEncodeV(nil, sval)
		if err != nil {
			t.Errorf("value %d: encoding the session of decodeValue(%q): %v", i, ser, err)
			continue
		}
		fmt.Fprintf(&conv, "%x\n", fromSer)
		sers = append(sers, igConv{i, string(ser)})
		if t.Failed() && i > 20 {
			break
		}
	}
	t.Logf("seed %d: %d values, non-canonical (PHP-written) forms: %v", seed, n, noncanon)
	back := testenv.RunPHP(t, igToSerializePHP, conv.Bytes())
	for j, l := range strings.Split(strings.TrimSpace(string(back)), "\n") {
		if j < len(sers) && string(igMustHex(l)) != sers[j].ser {
			t.Errorf("value %d: PHP reads the igbinary session of decodeValue(%q) as %q", sers[j].i, sers[j].ser, igMustHex(l))
		}
	}
}

// igHasPadding reports whether v holds an object of igPHPClasses's class
// Typed with a property missing: PHP wrote null padding for it (see
// decodeIgbinarySession).
func igHasPadding(v Value) bool {
	if v.kind() == Object && v.str == "Typed" && v.Len() < 3 {
		return true
	}
	for _, e := range v.Entries() {
		if igHasPadding(e.Value) {
			return true
		}
	}
	return false
}

// igRefersToAncestor reports whether v holds a & reference to an array
// that holds it (serialize()'s slot numbering).
func igRefersToAncestor(v Value) bool {
	slot := 0
	var open []int
	var walk func(Value) bool
	walk = func(v Value) bool {
		if v.kind() == PHPRef {
			return slices.Contains(open, v.Slot())
		}
		slot++
		open = append(open, slot)
		defer func() { open = open[:len(open)-1] }()
		for _, e := range v.Entries() {
			if walk(e.Value) {
				return true
			}
		}
		return false
	}
	return walk(v)
}

// igRepeatsProperty reports whether an object in v has a property name
// twice.
func igRepeatsProperty(v Value) bool {
	es := v.Entries()
	for i, e := range es {
		if v.kind() == Object && hasKey(es[:i], e.Key) || igRepeatsProperty(e.Value) {
			return true
		}
	}
	return false
}

// TestIgbinaryToPHP encodes thousands of random Values V, each as the
// session ['v' => V] (see igWrap), and checks that PHP reads each and
// writes back the same bytes.
func TestIgbinaryToPHP(t *testing.T) {
	testenv.PHP(t, "igbinary")
	seed := igTestSeed(t)
	g := &igGen{r: rand.New(rand.NewPCG(seed, 0x1bb1)), stats: map[string]int{}}
	n := igDiffN(t)
	var in bytes.Buffer
	vals := make([]Value, n)
	encs := make([][]byte, n)
	for i := range vals {
		vals[i] = g.top()
		enc, err := igEncodeV(nil, vals[i])
		if err != nil {
			t.Fatalf("value %d: encoding the session of %s: %v", i, igShow(vals[i]), err)
		}
		encs[i] = enc
		in.WriteString(base64.StdEncoding.EncodeToString(enc))
		in.WriteByte('\n')
		got, err := igDecodeV(enc, limits{})
		if err != nil || !got.Equal(vals[i]) {
			t.Fatalf("value %d: decoding the session of %s = %s, %v\n%x", i, igShow(vals[i]), igShow(got), err, enc)
		}
		if again, err := igReencode(t, enc); err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("value %d: the session of %s re-encodes to\n%x, %v\nwant\n%x", i, igShow(vals[i]), again, err, enc)
		}
	}
	out := testenv.RunPHP(t, igRoundTripPHP, in.Bytes())
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("php printed %d lines, want %d", len(lines), n)
	}
	t.Logf("seed %d: %d values holding %v", seed, n, g.stats)
	bad := 0
	for i, l := range lines {
		php, err := base64.StdEncoding.DecodeString(l)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(php, encs[i]) {
			t.Errorf("value %d: igbinary_serialize(igbinary_unserialize(go)) =\n%x\nwant (go)\n%x\nvalue %s", i, php, encs[i], igShow(vals[i]))
			if bad++; bad > 10 {
				break
			}
		}
	}
}

// igGen builds random Values PHP can hold, with valid r: and R: slots, as
// the value V of a session ['v' => V]: the session array takes slot 1.
type igGen struct {
	r       *rand.Rand
	slot    int
	depth   int
	objects []int          // slots of objects begun: r: may point at them
	refable []int          // slots of values finished: R: may point at them
	shared  []Value        // finished arrays with no object or reference: copies
	pure    bool           // no object or reference since the flag was set
	enums   map[string]int // slot of each enum case's first occurrence
	open    []int          // slots of the arrays being built, but V
	stats   map[string]int // what it built, for the log
}

var igGenStrings = []string{"a", "login", "stdClass", "Tok", "Hearts", "05", "-0", "", "b\x00in", "é", strings.Repeat("x", 300)}

func (g *igGen) top() Value {
	*g = igGen{r: g.r, stats: g.stats, slot: 1}
	if g.r.IntN(10) == 0 {
		return g.value()
	}
	return g.array()
}

func (g *igGen) str() string {
	switch r := g.r.IntN(100); {
	case r < 60:
		return igGenStrings[g.r.IntN(len(igGenStrings))]
	case r < 98:
		b := make([]byte, 1+g.r.IntN(10))
		for i := range b {
			b[i] = byte(g.r.UintN(256))
		}
		return string(b)
	default:
		return strings.Repeat("z", 256+g.r.IntN(70000))
	}
}

func (g *igGen) int() int64 {
	switch g.r.IntN(4) {
	case 0:
		ints := []int64{0, 1, -1, 255, 256, -255, -256, 65535, 65536, -65536, 1<<32 - 1, 1 << 32, -1 << 32, math.MaxInt64, math.MinInt64}
		return ints[g.r.IntN(len(ints))]
	case 1:
		return g.r.Int64N(600) - 300
	default:
		return int64(g.r.Uint64())
	}
}

func (g *igGen) key() Value {
	if g.r.IntN(3) == 0 {
		return IntValue(g.int())
	}
	return StringValue(g.str())
}

func (g *igGen) value() Value {
	g.depth++
	defer func() { g.depth-- }()
	r := g.r.IntN(20)
	if g.depth > 5 {
		r = g.r.IntN(7)
	}
	switch r {
	case 7:
		if len(g.open) > 0 && g.r.IntN(4) == 0 {
			// A & reference to an array that holds it.
			g.pure = false
			g.stats["R: to an ancestor"]++
			return PHPRefValue(g.open[g.r.IntN(len(g.open))])
		}
		if len(g.refable) > 0 {
			g.pure = false
			g.stats["R:"]++
			return PHPRefValue(g.refable[g.r.IntN(len(g.refable))])
		}
	case 8:
		if len(g.objects) > 0 {
			g.pure = false
			g.stats["r:"]++
			g.slot++
			return RefValue(g.objects[g.r.IntN(len(g.objects))])
		}
	case 9:
		if len(g.shared) > 0 {
			g.stats["shared array"]++
			v := g.shared[g.r.IntN(len(g.shared))]
			g.slot += igSlotsIn(v)
			return v
		}
	}
	g.slot++
	my := g.slot
	var v Value
	switch r {
	case 0:
		v = NullValue()
	case 1:
		v = BoolValue(g.r.IntN(2) == 0)
	case 2:
		v = IntValue(g.int())
	case 3:
		v = FloatValue(math.Float64frombits(g.r.Uint64()))
		if g.r.IntN(2) == 0 {
			fs := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 0.1, 1e25}
			v = FloatValue(fs[g.r.IntN(len(fs))])
		}
	case 4, 5, 6:
		v = StringValue(g.str())
	case 10, 11, 12, 13:
		g.slot--
		return g.array()
	case 14, 15:
		g.pure = false
		g.objects = append(g.objects, my)
		class := []string{"stdClass", `Foo\Bar`}[g.r.IntN(2)]
		var props []Entry
		names := []string{"a", "b", "login", "5", "stdClass", "\x00*\x00p", "\x00Foo\\Bar\x00q"}
		for i := g.r.IntN(4); i > 0; i-- {
			name := names[g.r.IntN(len(names))]
			if class == "stdClass" && name[0] == 0 || hasKey(props, StringValue(name)) {
				continue
			}
			props = append(props, Entry{Key: StringValue(name), Value: g.value()})
		}
		v = ObjectValue(class, props...)
	case 16:
		g.pure = false
		g.objects = append(g.objects, my)
		v = CustomValue("Tok", []byte(g.str()))
	default:
		g.pure = false
		cases := []string{"Suit:Hearts", "Suit:Spades", "Pure:One"}
		enum, c, _ := strings.Cut(cases[g.r.IntN(len(cases))], ":")
		v = EnumValue(enum, c)
		if first, ok := g.enums[v.str]; ok {
			return RefValue(first) // a case is one object: PHP writes r:
		}
		if g.enums == nil {
			g.enums = map[string]int{}
		}
		g.enums[v.str] = my
		g.objects = append(g.objects, my)
	}
	g.refable = append(g.refable, my)
	return v
}

func (g *igGen) array() Value {
	g.slot++
	my := g.slot
	outer := g.pure
	g.pure = true
	if my > 2 {
		g.open = append(g.open, my)
		defer func() { g.open = g.open[:len(g.open)-1] }()
	}
	a := ArrayValue()
	for i := g.r.IntN(6); i > 0; i-- {
		k := g.key()
		if g.r.IntN(2) == 0 {
			k = IntValue(int64(a.Len()))
		}
		if _, dup := a.Index(k); dup {
			continue
		}
		a.Set(k, g.value())
	}
	if g.pure && a.Len() > 0 && g.r.IntN(3) == 0 {
		g.shared = append(g.shared, a)
	}
	g.pure = outer && g.pure
	if my > 2 {
		g.refable = append(g.refable, my)
	}
	return a
}

// igSlotsIn returns the number of slots v takes in serialize()'s numbering.
func igSlotsIn(v Value) int {
	if v.kind() == PHPRef {
		return 0
	}
	n := 1
	for _, e := range v.Entries() {
		n += igSlotsIn(e.Value)
	}
	return n
}

// igEqualAnyNaN is Value.Equal with every NaN equal to every other.
func igEqualAnyNaN(v, w Value) bool {
	if v.kind() == Float && w.kind() == Float {
		f, _ := v.Float()
		g, _ := w.Float()
		if math.IsNaN(f) && math.IsNaN(g) {
			return true
		}
	}
	if v.kind() != w.kind() || v.num != w.num && v.kind() != Array || v.comp.payloadOrEmpty() != w.comp.payloadOrEmpty() || v.Len() != w.Len() {
		return false
	}
	if v.kind() != Float && v.str != w.str {
		return false
	}
	we := w.Entries()
	for i, e := range v.Entries() {
		if !e.Key.Equal(we[i].Key) || !igEqualAnyNaN(e.Value, we[i].Value) {
			return false
		}
	}
	return true
}

// TestIgbinaryDecodeErrors checks that DecodeSession refuses malformed
// payloads and encodings igbinary never writes with a *SyntaxError at the
// offset of the fault. Each value is in a session of its own, ['v' => V]
// (igWrap: V at offset 9, its ids one more than when written alone), but
// for the faults of the header.
func TestIgbinaryDecodeErrors(t *testing.T) {
	deep := igWrap + strings.Repeat("140106 00", 5) + "06 01"
	tests := []struct {
		name string
		in   string // hex
		lim  limits
		err  error // sentinel
		off  int64
		msg  string // how the error starts, if not "phpsession: igbinary: "
	}{
		// An empty payload is an empty session.
		{"cut header", "000000", limits{}, ErrUnexpectedEnd, 3, ""},
		{"header only", "00000002", limits{}, ErrUnexpectedEnd, 4, ""},
		{"bad version", "00000003 00", limits{}, ErrSyntax, 0, ""},
		{"serialize() text", "613a303a 7b7d", limits{}, ErrSyntax, 0, ""},
		{"no value", igWrap, limits{}, ErrUnexpectedEnd, 9, ""},
		{"unknown type", igWrap + "ff", limits{}, ErrSyntax, 9, ""},
		{"cut integer", igWrap + "08 00", limits{}, ErrUnexpectedEnd, 11, ""},
		{"wide integer", igWrap + "08 0005", limits{}, ErrSyntax, 9, ""},
		{"negative zero", igWrap + "07 00", limits{}, ErrSyntax, 9, ""},
		{"int64 overflow", igWrap + "20 8000000000000000", limits{}, ErrSyntax, 9, ""},
		{"cut double", igWrap + "0c 3ff0", limits{}, ErrUnexpectedEnd, 12, ""},
		{"string past end", igWrap + "11 05 6162", limits{}, ErrTooLarge, 9, ""},
		{"string32 past end", igWrap + "13 ffffffff 6162", limits{}, ErrTooLarge, 9, ""},
		{"empty string with length", igWrap + "11 00", limits{}, ErrSyntax, 9, ""},
		{"short string as string64", igWrap + "26 0000000000000001 61", limits{}, ErrSyntax, 9, ""},
		{"array past end", igWrap + "14 05 0600", limits{}, ErrTooLarge, 9, ""},
		{"array32 past end", igWrap + "16 7fffffff 0600", limits{}, ErrTooLarge, 9, ""},
		{"wide array size", igWrap + "15 0001 0600 0601", limits{}, ErrSyntax, 9, ""},
		{"cut array", igWrap + "14 01 0600", limits{}, ErrUnexpectedEnd, 13, ""},
		{"bytes after value", igWrap + "14 01 0600 0601 00", limits{}, ErrSyntax, 15, ""},
		{"repeated key", igWrap + "14 02 0600 0601 0600 0602", limits{}, ErrSyntax, 15, ""},
		{"numeric string key", igWrap + "14 01 1101 35 0601", limits{}, ErrSyntax, 11, ""},
		{"count past end, padding counted", igWrap + "14 06 00 0600 0601", limits{}, ErrTooLarge, 9, ""},
		{"padding then end", igWrap + "14 04 00 0600 0601", limits{}, ErrUnexpectedEnd, 16, ""},
		{"array past end with padding room", igWrap + "14 05 00 00 0600 06", limits{}, ErrUnexpectedEnd, 16, ""},
		{"double key", igWrap + "14 01 0c3ff0000000000000 0601", limits{}, ErrSyntax, 11, ""},
		{"string id past the table (the key \"v\" only)", igWrap + "14 01 0600 0e01", limits{}, ErrBadReference, 13, ""},
		{"ref past table", igWrap + "14 01 0600 0106", limits{}, ErrBadReference, 13, ""},
		{"ref to the next id", igWrap + "14 01 0600 0102", limits{}, ErrBadReference, 13, ""},
		{"string id of the next string", igWrap + "14 02 0600 1101 61 0601 0e02", limits{}, ErrBadReference, 18, ""},
		{"objref to array", igWrap + "14 02 0600 1400 0601 2202", limits{}, ErrBadReference, 17, ""},
		{"ref to object", igWrap + "14 02 0600 1701411400 0601 0102", limits{}, ErrBadReference, 20, ""},
		{"& ref to plain array", igWrap + "14 02 0600 14010600 0601 0601 250102", limits{}, ErrBadReference, 21, ""},
		{"& ref to & ref", igWrap + "14 01 0600 25250601", limits{}, ErrSyntax, 13, ""},
		{"bad object body", igWrap + "17 01 41 06", limits{}, ErrSyntax, 12, ""},
		{"empty class name", igWrap + "17 00 1400", limits{}, ErrSyntax, 9, ""},
		{"serialized object past end", igWrap + "17 01 41 1d 09 6162", limits{}, ErrTooLarge, 12, ""},
		{"enum twice", igWrap + "14 02 0600 17045375697427110648656172747306011a01270e02", limits{}, ErrSyntax, 30, ""},
		{"enum name with a colon", igWrap + "17 02 3a41 27 1101 42", limits{}, ErrSyntax, 9, ""},
		{"enum with empty case", igWrap + "17 04 53756974 27 0d", limits{}, ErrSyntax, 16, ""},
		// The session array is one level more.
		{"too deep", deep, limits{maxDepth: 5}, ErrMaxDepth, 25, ""},
		{"too deep through a copy", igWrap + "1402 0600 1401 0600 1401 0600 0601 0601 1401 0600 0102", limits{maxDepth: 4}, ErrMaxDepth, 29, ""},
		{"copies past the budget", igCopyBomb(30), limits{}, ErrTooLarge, -1, ""},
		{"repeated key in a big array", igBigArray(20, 7), limits{}, ErrSyntax, -1, ""},
		{"repeated string key in a big array", igBigStringArray(20, 7), limits{}, ErrSyntax, -1, ""},
		// DecodeSession checks the size before the format: the offset is
		// the limit.
		{"over maxSize", igWrap + "14 01 0600 0601", limits{maxSize: 14}, ErrTooLarge, 14, "phpsession: session larger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := igMustHex(tt.in)
			s, err := decodeSession(in, FormatIgbinary, tt.lim)
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, tt.err) || tt.off >= 0 && se.Offset != tt.off {
				t.Fatalf("DecodeSession(%x) = %v, %v; want a *SyntaxError wrapping %v at offset %d", in, s != nil, err, tt.err, tt.off)
			}
			msg := cmp.Or(tt.msg, "phpsession: igbinary: ")
			if !strings.HasPrefix(err.Error(), msg) {
				t.Errorf("error %q does not start with %q", err, msg)
			}
		})
	}
}

// TestIgbinaryEncodeErrors checks that encoding the session ['v' => V]
// (igEncodeV: V's slots count from 2) fails for a V PHP cannot hold, and
// leaves dst as it was.
func TestIgbinaryEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		err  error
	}{
		{"invalid", Value{}, ErrUnsupportedValue},
		{"ref to the session array", RefValue(1), ErrBadReference},
		{"r: to nothing", ListValue(RefValue(6)), ErrBadReference},
		{"r: to a scalar", ListValue(IntValue(1), RefValue(3)), ErrBadReference},
		{"R: to nothing", ListValue(PHPRefValue(8)), ErrBadReference},
		{"R: forward", ListValue(PHPRefValue(4), IntValue(1)), ErrBadReference},
		{"no class", ListValue(ObjectValue("")), ErrUnsupportedValue},
		{"enum without case", ListValue(EnumValue("Suit", "")), ErrUnsupportedValue},
		{"bad key", ObjectValue("A", Entry{Key: NullValue(), Value: IntValue(1)}), ErrUnsupportedValue},
		{"invalid element", ListValue(Value{}), ErrUnsupportedValue},
	}
	cyclic := ArrayValue()
	cyclic.Set(IntValue(0), cyclic)
	tests = append(tests, struct {
		name string
		v    Value
		err  error
	}{"holds itself", cyclic, ErrUnsupportedValue})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := igEncodeV([]byte("keep"), tt.v)
			if !errors.Is(err, tt.err) {
				t.Fatalf("encoding the session of %s = %x, %v; want an error wrapping %v", igShow(tt.v), got, err, tt.err)
			}
			if string(got) != "keep" {
				t.Errorf("AppendEncode changed dst to %q on error", got)
			}
		})
	}
}

// TestIgbinaryNonCanonical checks the forms PHP writes that the Value model
// cannot tell apart (see decodeIgbinarySession), each in a session
// ['v' => V]: they decode; Go re-encodes them to other bytes, which
// re-encode to themselves and decode to the same Value; and PHP reads the
// re-encoding as the same value (the same serialize() output).
func TestIgbinaryNonCanonical(t *testing.T) {
	testenv.PHP(t, "igbinary")
	tests := []struct {
		name string
		why  string // why Go writes other bytes
		php  string // sets $v, and $ig to write other than igbinary_serialize(['v' => $v])
	}{
		{"compact_strings=0", "a string written in full twice",
			`ini_set('igbinary.compact_strings', '0'); $v = ['ab', 'ab', 'stdClass', new stdClass]; $ig = igbinary_serialize(['v' => $v]); ini_set('igbinary.compact_strings', '1');`},
		{"mutable empty array", "a second empty array written in full",
			`$v = [[1], []]; unset($v[0][0]);`},
		{"lone reference", "a & reference that nothing else points at",
			`$v = [1, 2]; $x = &$v[0];`},
		{"copy inside itself", igInside,
			`$v = ['x' => [1]]; $v['x']['up'] = &$v;`},
		{"uninitialized typed properties", igPadding,
			`$v = [new Typed, 2, new Typed];`},
		{"version 1", "a version 1 header",
			`$v = [1, 'x' => ['y']]; $ig = "\x00\x00\x00\x01" . substr(igbinary_serialize(['v' => $v]), 4);`},
	}
	var script strings.Builder
	script.WriteString(`<?php
class Typed { public int $x; public $y = 1; public ?string $z; }
`)
	for _, tt := range tests {
		fmt.Fprintf(&script, "$ig = null; %s\necho bin2hex($ig ?? igbinary_serialize(['v' => $v])), ' ', bin2hex(serialize(['v' => $v])), \"\\n\";\nunset($v, $x);\n", tt.php)
	}
	out := testenv.RunPHP(t, script.String(), nil)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(tests) {
		t.Fatalf("php printed %q", out)
	}
	var reenc bytes.Buffer
	for i, l := range lines {
		tt := tests[i]
		f := strings.Fields(l)
		ig, ser := igMustHex(f[0]), igMustHex(f[1])
		v, err := igDecodeV(ig, limits{})
		if err != nil {
			t.Errorf("%s: DecodeSession(%x): %v", tt.name, ig, err)
			continue
		}
		enc, err := igReencode(t, ig)
		if err != nil {
			t.Errorf("%s: re-encoding: %v", tt.name, err)
			continue
		}
		if bytes.Equal(enc, ig) {
			t.Errorf("%s: %x re-encodes to itself: want other bytes (%s)", tt.name, ig, tt.why)
		}
		again, err := igDecodeV(enc, limits{})
		reenc2, err2 := igReencode(t, enc)
		if err != nil || err2 != nil || !again.Equal(v) || !bytes.Equal(reenc2, enc) {
			t.Errorf("%s: re-encoding %x: %v, %v, equal %v, re-encodes to %x", tt.name, enc, err, err2, again.Equal(v), reenc2)
		}
		fmt.Fprintf(&reenc, "%x %x\n", enc, ser)
	}
	back := testenv.RunPHP(t, `<?php
class Typed { public int $x; public $y = 1; public ?string $z; }
while (($l = fgets(STDIN)) !== false) { echo bin2hex(serialize(igbinary_unserialize(hex2bin(explode(' ', trim($l))[0])))), "\n"; }
`, reenc.Bytes())
	for i, l := range strings.Split(strings.TrimSpace(string(back)), "\n") {
		if i >= len(tests) {
			break
		}
		tt := tests[i]
		if got, want := string(igMustHex(l)), string(igMustHex(strings.Fields(lines[i])[1])); got != want {
			t.Errorf("%s: PHP reads the re-encoding as %q, want %q", tt.name, got, want)
		}
		t.Logf("%s: %s", tt.name, tt.why)
	}
}

// igCopyBomb returns, in hex, the session of an array of levels arrays
// where each holds two copies of the one before: two bytes a copy,
// 2^levels values.
func igCopyBomb(levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s 14%02x 0600 1402 0600 0601 0601 0601", igWrap, levels)
	for i := 2; i <= levels; i++ {
		fmt.Fprintf(&b, " 06%02x 1402 0600 01%02x 0601 01%02x", i-1, i, i)
	}
	return b.String()
}

// igBigArray returns, in hex, the session of a list of n ints whose last
// key repeats key dup.
func igBigArray(n, dup int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s 14%02x", igWrap, n)
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, " 06%02x 0601", i)
	}
	fmt.Fprintf(&b, " 06%02x 0601", dup)
	return b.String()
}

// igBigStringArray returns, in hex, the session of an array of n string
// keys "k0", "k1", ... whose last key repeats key dup (by its string id,
// after the key "v"'s).
func igBigStringArray(n, dup int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s 14%02x", igWrap, n)
	for i := 0; i < n-1; i++ {
		k := fmt.Sprintf("k%02d", i)
		fmt.Fprintf(&b, " 1103%x 0601", k)
	}
	fmt.Fprintf(&b, " 0e%02x 0601", dup+1)
	return b.String()
}

func TestIgbinaryBigTables(t *testing.T) {
	// A big array decodes, and keys past 16 are checked for repeats too.
	v, err := igDecodeV(igMustHex(igBigArray(200, 199)), limits{})
	if err != nil || v.Len() != 200 {
		t.Fatalf("DecodeSession(200 ints) = %d entries, %v", v.Len(), err)
	}
	// A copy bomb below the budget decodes into shared arrays.
	v, err = igDecodeV(igMustHex(igCopyBomb(12)), limits{})
	if err != nil || v.Len() != 12 {
		t.Fatalf("DecodeSession(copy bomb of 12 levels) = %d entries, %v", v.Len(), err)
	}
}

// TestIgbinarySessionHandler checks that PHP's igbinary session handler
// writes igbinary_serialize($_SESSION), the empty session included, and
// that Go reads it and writes it back from its values byte for byte.
func TestIgbinarySessionHandler(t *testing.T) {
	testenv.PHP(t, "igbinary")
	script := `<?php
ini_set('session.serialize_handler', 'igbinary');
ini_set('session.save_path', $argv[1]);
session_start();
$sessions = [
    [],
    ['a' => [1, 'x'], 'n' => null],
    (function () { $o = new stdClass; $o->k = 'v'; $x = 5; return ['o' => $o, 'p' => $o, 'x' => &$x, 'y' => &$x, 'l' => [], 'm' => []]; })(),
];
foreach ($sessions as $s) {
    $_SESSION = $s;
    echo bin2hex(session_encode()), ' ', bin2hex(igbinary_serialize($_SESSION)), "\n";
}
session_destroy();
`
	out := testenv.RunPHP(t, script, nil, t.TempDir())
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		t.Fatalf("php printed %q", out)
	}
	for i, l := range lines {
		enc, ser, _ := strings.Cut(l, " ")
		if enc != ser {
			t.Errorf("session %d: session_encode() = %s, igbinary_serialize($_SESSION) = %s", i, enc, ser)
		}
		payload := igMustHex(enc)
		got, err := igReencode(t, payload)
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("session %d: %x re-encoded from its values = %x, %v", i, payload, got, err)
		}
	}
	if empty, _, _ := strings.Cut(lines[0], " "); empty != "000000021400" {
		t.Errorf("empty session = %s, want 000000021400", empty)
	}
}

// TestIgbinarySessionRepeatedNames decodes sessions with a name written
// twice, in few entries (searched one by one) and in many (by a map): the
// same key twice is refused, as igbinary never writes it; a name written
// once as an int key and once as a string key (PHP writes both, see
// decodeIgbinarySession) is two entries.
func TestIgbinarySessionRepeatedNames(t *testing.T) {
	// session returns a session of n names k00, k01... and then one entry
	// for each of the keys extra (hex).
	session := func(n int, extra ...string) []byte {
		var b strings.Builder
		fmt.Fprintf(&b, "00000002 14%02x", n+len(extra))
		for i := range n {
			fmt.Fprintf(&b, " 1103%x 0601", fmt.Sprintf("k%02d", i))
		}
		for _, k := range extra {
			fmt.Fprintf(&b, " %s 0602", k)
		}
		return igMustHex(b.String())
	}
	// A repeated name is one entry, in its first place with its last value
	// (2), as PHP's igbinary session decoder leaves $_SESSION.
	tests := []struct {
		name     string
		data     []byte
		entries  int
		repeated string // a name written again, "" for none
	}{
		{"few, string key again", session(3, "0e01"), 3, "k01"},
		{"many, string key again", session(20, "0e05"), 20, "k05"},
		{"few, new name", session(3, "1102 6b78"), 4, ""},
		{"many, new name", session(20, "1102 6b78"), 21, ""},
		{"few, int key 7 twice", session(3, "0607", "0607"), 4, "7"},
		{"many, int key 7 twice", session(20, "0607", "0607"), 21, "7"},
		{"few, int key 7 and string key 7", session(3, "0607", "1101 37"), 5, ""},
		{"many, int key 7 and string key 7", session(20, "0607", "1101 37"), 22, ""},
		{"many, string key 7 and int key 7, then string key 7", session(20, "1101 37", "0607", "0e14"), 22, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := DecodeSession(tt.data, FormatIgbinary)
			if err != nil || s.Len() != tt.entries {
				t.Fatalf("DecodeSession() = %v, want %d entries", err, tt.entries)
			}
			if tt.repeated == "" {
				return
			}
			if i := slices.Index(s.Names(), tt.repeated); i < 0 || !s.val(&s.entries[i]).Equal(IntValue(2)) {
				t.Errorf("%q: entry %d of %q, want its first place with the last value, 2", tt.repeated, i, s.Names())
			}
		})
	}
}

// TestIgbinaryLongRefRun decodes a payload of one long run of & markers
// (0x25), which PHP never writes (a & reference to a & reference): it is
// refused at the second marker, and the walk that counts before decoding
// (igCounter) does not nest once per marker (a run of millions would
// overflow the stack). Likewise for a run of enum cases nested in their
// names.
func TestIgbinaryLongRefRun(t *testing.T) {
	data := append(igMustHex("00000002"), bytes.Repeat([]byte{igPHPRef}, 32<<20)...)
	if _, err := DecodeSession(data, FormatIgbinary); !errors.Is(err, ErrSyntax) {
		t.Errorf("DecodeSession(32 MiB of 0x25) = %v, want an ErrSyntax", err)
	}
	// The same run as the value of a name.
	data = append(igMustHex(igWrap), data[igHeaderLen:]...)
	if _, err := DecodeSession(data, FormatIgbinary); !errors.Is(err, ErrSyntax) {
		t.Errorf("DecodeSession(['v' => 32 MiB of 0x25]) = %v, want an ErrSyntax", err)
	}
	// An enum case whose name is an enum case of an object..., which the
	// decoder refuses at the first: the walk stops there too.
	data = append(igMustHex("00000002"), bytes.Repeat(igMustHex("170141 27"), 8<<20)...)
	if _, err := DecodeSession(data, FormatIgbinary); !errors.Is(err, ErrSyntax) {
		t.Errorf("DecodeSession(8M nested enum cases) = %v, want an ErrSyntax", err)
	}
}

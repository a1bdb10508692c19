package phpsession

import (
	"bytes"
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
// byte, that it is the value the vector's dump shows, and that it equals
// the same scenario written with php_serialize.
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
			got, why, err := decodeIgbinaryCanon(v.Payload, limits{})
			if err != nil {
				t.Fatalf("decodeIgbinary: %v", err)
			}
			if why != "" {
				t.Errorf("decodeIgbinary says the payload is not canonical: %s", why)
			}
			enc, err := appendIgbinary(nil, got)
			if err != nil {
				t.Fatalf("appendIgbinary: %v", err)
			}
			if !bytes.Equal(enc, v.Payload) {
				t.Errorf("appendIgbinary(decodeIgbinary(payload)) =\n%x\nwant\n%x", enc, v.Payload)
			}
			want, err := igFromDump(v.Dump)
			if err != nil {
				t.Fatalf("dump: %v", err)
			}
			if r := igResolve(got); !igSameAsDump(r, want) {
				t.Errorf("decodeIgbinary = %s\nwant (dump) %s", igShow(r), igShow(want))
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
				t.Errorf("decodeIgbinary = %s\nwant (php_serialize vector) %s", igShow(got), igShow(sv))
			}
		})
	}
	if n == 0 {
		t.Fatal("no igbinary vectors")
	}
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

// igNoncanonPHP are the reasons decodeIgbinaryCanon may give for a payload
// PHP wrote with this package's test generator: forms PHP writes that the
// Value model cannot tell from others.
var igNoncanonPHP = []string{
	"a copy of an array inside itself",
	"a & reference that nothing else points at",
	"null padding for an uninitialized typed property",
}

// TestIgbinaryFromPHP has PHP write thousands of random values with
// igbinary_serialize() and serialize(): Go decodes the igbinary form,
// encodes it back byte for byte, and gets the same Value as from the
// serialize() form.
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
		igb64, serb64, _ := strings.Cut(l, " ")
		ig, err1 := base64.StdEncoding.DecodeString(igb64)
		ser, err2 := base64.StdEncoding.DecodeString(serb64)
		if err1 != nil || err2 != nil {
			t.Fatalf("line %d: %v %v", i, err1, err2)
		}
		v, why, err := decodeIgbinaryCanon(ig, limits{})
		if err != nil {
			t.Errorf("value %d: decodeIgbinary(%x): %v", i, ig, err)
			continue
		}
		enc, err := appendIgbinary(nil, v)
		if err != nil {
			t.Errorf("value %d: appendIgbinary(%s): %v", i, igShow(v), err)
			continue
		}
		if why == "" && !bytes.Equal(enc, ig) {
			t.Errorf("value %d: appendIgbinary(decodeIgbinary(php)) =\n%x\nwant\n%x\nvalue %s", i, enc, ig, igShow(v))
		}
		if why != "" {
			for _, w := range strings.Split(why, "; ") {
				noncanon[w]++
				if !slicesContains(igNoncanonPHP, w) {
					t.Errorf("value %d: PHP wrote a payload decodeIgbinary calls non-canonical: %s\n%x", i, w, ig)
				}
			}
			again, why2, err := decodeIgbinaryCanon(enc, limits{})
			if err != nil || why2 != "" || !again.Equal(v) {
				t.Errorf("value %d: re-encoding a non-canonical payload: %v %q equal=%v\n%x\n%x", i, err, why2, again.Equal(v), ig, enc)
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
		if strings.Contains(why, "a copy of an array inside itself") {
			noncanon["not compared with serialize(): an array inside itself"]++
		} else if igRepeatsProperty(v) {
			noncanon["not compared with serialize(): a property named twice"]++
		} else if !igEqualAnyNaN(sv, v) {
			// serialize() does not remember an object only one array
			// holds: when that array is reached twice (through a & reference
			// to an array holding it), it writes the object twice, where
			// igbinary refers to it.
			if igRefersToAncestor(v) {
				noncanon["not compared with serialize(): an array & referencing itself"]++
			} else {
				t.Errorf("value %d: igbinary and serialize() forms differ:\nigbinary  %s\nserialize %s\n%x\n%q", i, igShow(v), igShow(sv), ig, ser)
			}
		}
		// The serialize() form, written as igbinary, is the same PHP value.
		fromSer, err := appendIgbinary(nil, sv)
		if err != nil {
			t.Errorf("value %d: appendIgbinary(decodeValue(%q)): %v", i, ser, err)
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
			t.Errorf("value %d: PHP reads appendIgbinary(decodeValue(%q)) as %q", sers[j].i, sers[j].ser, igMustHex(l))
		}
	}
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

func slicesContains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// TestIgbinaryToPHP encodes thousands of random Values and checks that PHP
// reads each and writes back the same bytes.
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
		enc, err := appendIgbinary(nil, vals[i])
		if err != nil {
			t.Fatalf("value %d: appendIgbinary(%s): %v", i, igShow(vals[i]), err)
		}
		encs[i] = enc
		in.WriteString(base64.StdEncoding.EncodeToString(enc))
		in.WriteByte('\n')
		got, why, err := decodeIgbinaryCanon(enc, limits{})
		if err != nil || why != "" || !got.Equal(vals[i]) {
			t.Fatalf("value %d: decodeIgbinary(appendIgbinary(%s)) = %s, %q, %v\n%x", i, igShow(vals[i]), igShow(got), why, err, enc)
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

// igGen builds random Values PHP can hold, with valid r: and R: slots.
type igGen struct {
	r       *rand.Rand
	slot    int
	depth   int
	objects []int          // slots of objects begun: r: may point at them
	refable []int          // slots of values finished: R: may point at them
	shared  []Value        // finished arrays with no object or reference: copies
	pure    bool           // no object or reference since the flag was set
	enums   map[string]int // slot of each enum case's first occurrence
	open    []int          // slots of the arrays being built, but the top
	stats   map[string]int // what it built, for the log
}

var igGenStrings = []string{"a", "login", "stdClass", "Tok", "Hearts", "05", "-0", "", "b\x00in", "é", strings.Repeat("x", 300)}

func (g *igGen) top() Value {
	*g = igGen{r: g.r, stats: g.stats}
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
	if my > 1 {
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
	if my > 1 {
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

func TestIgbinaryDecodeErrors(t *testing.T) {
	deep := "00000002" + strings.Repeat("140106 00", 5) + "06 01"
	tests := []struct {
		name string
		in   string // hex
		lim  limits
		err  error // sentinel
		off  int64
	}{
		{"empty", "", limits{}, ErrUnexpectedEnd, 0},
		{"header only", "00000002", limits{}, ErrUnexpectedEnd, 4},
		{"bad version", "00000003 00", limits{}, ErrSyntax, 0},
		{"serialize() text", "613a303a 7b7d", limits{}, ErrSyntax, 0},
		{"unknown type", "00000002 ff", limits{}, ErrSyntax, 4},
		{"cut integer", "00000002 08 00", limits{}, ErrUnexpectedEnd, 6},
		{"wide integer", "00000002 08 0005", limits{}, ErrSyntax, 4},
		{"negative zero", "00000002 07 00", limits{}, ErrSyntax, 4},
		{"int64 overflow", "00000002 20 8000000000000000", limits{}, ErrSyntax, 4},
		{"cut double", "00000002 0c 3ff0", limits{}, ErrUnexpectedEnd, 7},
		{"string past end", "00000002 11 05 6162", limits{}, ErrTooLarge, 4},
		{"string32 past end", "00000002 13 ffffffff 6162", limits{}, ErrTooLarge, 4},
		{"empty string with length", "00000002 11 00", limits{}, ErrSyntax, 4},
		{"short string as string64", "00000002 26 0000000000000001 61", limits{}, ErrSyntax, 4},
		{"array past end", "00000002 14 05 0600", limits{}, ErrTooLarge, 4},
		{"array32 past end", "00000002 16 7fffffff 0600", limits{}, ErrTooLarge, 4},
		{"wide array size", "00000002 15 0001 0600 0601", limits{}, ErrSyntax, 4},
		{"cut array", "00000002 14 01 0600", limits{}, ErrUnexpectedEnd, 8},
		{"bytes after value", "00000002 14 01 0600 0601 00", limits{}, ErrSyntax, 10},
		{"repeated key", "00000002 14 02 0600 0601 0600 0602", limits{}, ErrSyntax, 10},
		{"numeric string key", "00000002 14 01 1101 35 0601", limits{}, ErrSyntax, 6},
		{"count past end, padding counted", "00000002 14 06 00 0600 0601", limits{}, ErrTooLarge, 4},
		{"padding then end", "00000002 14 04 00 0600 0601", limits{}, ErrUnexpectedEnd, 11},
		{"array past end with padding room", "00000002 14 05 00 00 0600 06", limits{}, ErrUnexpectedEnd, 11},
		{"double key", "00000002 14 01 0c3ff0000000000000 0601", limits{}, ErrSyntax, 6},
		{"string id before any string", "00000002 14 01 0600 0e00", limits{}, ErrBadReference, 8},
		{"ref past table", "00000002 14 01 0600 0105", limits{}, ErrBadReference, 8},
		{"objref to array", "00000002 14 02 0600 1400 0601 2201", limits{}, ErrBadReference, 12},
		{"ref to object", "00000002 14 02 0600 1701411400 0601 0101", limits{}, ErrBadReference, 15},
		{"& ref to plain array", "00000002 14 02 0600 14010600 0601 0601 250101", limits{}, ErrBadReference, 16},
		{"& ref to & ref", "00000002 14 01 0600 25250601", limits{}, ErrSyntax, 8},
		{"bad object body", "00000002 17 01 41 06", limits{}, ErrSyntax, 7},
		{"empty class name", "00000002 17 00 1400", limits{}, ErrSyntax, 4},
		{"serialized object past end", "00000002 17 01 41 1d 09 6162", limits{}, ErrTooLarge, 7},
		{"enum twice", "00000002 14 02 0600 17045375697427110648656172747306011a00270e01", limits{}, ErrSyntax, 25},
		{"enum name with a colon", "00000002 17 02 3a41 27 1101 42", limits{}, ErrSyntax, 4},
		{"enum with empty case", "00000002 17 04 53756974 27 0d", limits{}, ErrSyntax, 11},
		{"too deep", deep, limits{maxDepth: 4}, ErrMaxDepth, 20},
		{"too deep through a copy", "00000002 1402 0600 1401 0600 1401 0600 0601 0601 1401 0600 0101", limits{maxDepth: 3}, ErrMaxDepth, 24},
		{"copies past the budget", igCopyBomb(30), limits{}, ErrTooLarge, -1},
		{"repeated key in a big array", igBigArray(20, 7), limits{}, ErrSyntax, -1},
		{"repeated string key in a big array", igBigStringArray(20, 7), limits{}, ErrSyntax, -1},
		{"over maxSize", "00000002 14 01 0600 0601", limits{maxSize: 8}, ErrTooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := igMustHex(tt.in)
			v, err := decodeIgbinary(in, tt.lim)
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, tt.err) || tt.off >= 0 && se.Offset != tt.off {
				t.Fatalf("decodeIgbinary(%x) = %s, %v; want a *SyntaxError wrapping %v at offset %d", in, igShow(v), err, tt.err, tt.off)
			}
			if !strings.HasPrefix(err.Error(), "phpsession: igbinary: ") {
				t.Errorf("error %q does not start with \"phpsession: igbinary: \"", err)
			}
		})
	}
}

func TestIgbinaryEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		err  error
	}{
		{"invalid", Value{}, ErrUnsupportedValue},
		{"top-level ref", RefValue(1), ErrBadReference},
		{"r: to nothing", ListValue(RefValue(5)), ErrBadReference},
		{"r: to a scalar", ListValue(IntValue(1), RefValue(2)), ErrBadReference},
		{"R: to nothing", ListValue(PHPRefValue(7)), ErrBadReference},
		{"R: forward", ListValue(PHPRefValue(3), IntValue(1)), ErrBadReference},
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
			got, err := appendIgbinary([]byte("keep"), tt.v)
			if !errors.Is(err, tt.err) {
				t.Fatalf("appendIgbinary(%s) = %x, %v; want an error wrapping %v", igShow(tt.v), got, err, tt.err)
			}
			if string(got) != "keep" {
				t.Errorf("appendIgbinary changed dst to %q on error", got)
			}
		})
	}
}

// TestIgbinaryNonCanonical checks the forms PHP writes that the Value model
// cannot tell apart: they decode, decodeIgbinaryCanon says why they do not
// come back byte for byte, and PHP reads the re-encoding as the same value
// (the same serialize() output).
func TestIgbinaryNonCanonical(t *testing.T) {
	testenv.PHP(t, "igbinary")
	script := `<?php
class Typed { public int $x; public $y = 1; public ?string $z; }
function out($name, $v, $ig = null) { echo $name, ' ', bin2hex($ig ?? igbinary_serialize($v)), ' ', bin2hex(serialize($v)), "\n"; }
ini_set('igbinary.compact_strings', '0');
out('compact_strings=0', ['ab', 'ab', 'stdClass', new stdClass]);
ini_set('igbinary.compact_strings', '1');
$a = [[1], []]; unset($a[0][0]);
out('mutable empty array', $a);
$a = [1, 2]; $x = &$a[0];
out('lone reference', $a);
unset($x);
$a = ['x' => [1]]; $a['x']['up'] = &$a;
out('copy inside itself', $a);
$v = [new Typed, 2, new Typed];
out('uninitialized typed properties', $v);
$v = [1, 'x' => ['y']];
out('version 1', $v, "\x00\x00\x00\x01" . substr(igbinary_serialize($v), 4));
`
	out := testenv.RunPHP(t, script, nil)
	var reenc bytes.Buffer
	type result struct{ name, why, ser string }
	var results []result
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		name, ig, ser := strings.Join(f[:len(f)-2], " "), igMustHex(f[len(f)-2]), igMustHex(f[len(f)-1])
		v, why, err := decodeIgbinaryCanon(ig, limits{})
		if err != nil {
			t.Errorf("%s: decodeIgbinary(%x): %v", name, ig, err)
			continue
		}
		if why == "" {
			t.Errorf("%s: decodeIgbinary(%x) calls it canonical", name, ig)
		}
		enc, err := appendIgbinary(nil, v)
		if err != nil {
			t.Errorf("%s: appendIgbinary: %v", name, err)
			continue
		}
		again, why2, err := decodeIgbinaryCanon(enc, limits{})
		if err != nil || why2 != "" || !again.Equal(v) {
			t.Errorf("%s: re-encoding %x: %v, %q, equal %v", name, enc, err, why2, again.Equal(v))
		}
		fmt.Fprintf(&reenc, "%x\n", enc)
		results = append(results, result{name, why, string(ser)})
	}
	back := testenv.RunPHP(t, `<?php
while (($l = fgets(STDIN)) !== false) { echo bin2hex(serialize(igbinary_unserialize(hex2bin(trim($l))))), "\n"; }
`, reenc.Bytes())
	for i, l := range strings.Split(strings.TrimSpace(string(back)), "\n") {
		if i >= len(results) {
			break
		}
		r := results[i]
		if got := string(igMustHex(l)); got != r.ser {
			t.Errorf("%s: PHP reads the re-encoding as %q, want %q", r.name, got, r.ser)
		}
		t.Logf("%s: %s", r.name, r.why)
	}
}

// igCopyBomb returns, in hex, an array of levels arrays where each holds
// two copies of the one before: two bytes a copy, 2^levels values.
func igCopyBomb(levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "00000002 14%02x 0600 1402 0600 0601 0601 0601", levels)
	for i := 2; i <= levels; i++ {
		fmt.Fprintf(&b, " 06%02x 1402 0600 01%02x 0601 01%02x", i-1, i-1, i-1)
	}
	return b.String()
}

// igBigArray returns, in hex, a list of n ints whose last key repeats key
// dup.
func igBigArray(n, dup int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "00000002 14%02x", n)
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, " 06%02x 0601", i)
	}
	fmt.Fprintf(&b, " 06%02x 0601", dup)
	return b.String()
}

// igBigStringArray returns, in hex, an array of n string keys "k0", "k1",
// ... whose last key repeats key dup (by its string id).
func igBigStringArray(n, dup int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "00000002 14%02x", n)
	for i := 0; i < n-1; i++ {
		k := fmt.Sprintf("k%02d", i)
		fmt.Fprintf(&b, " 1103%x 0601", k)
	}
	fmt.Fprintf(&b, " 0e%02x 0601", dup)
	return b.String()
}

func TestIgbinaryBigTables(t *testing.T) {
	// A big array decodes, and keys past 16 are checked for repeats too.
	v, err := decodeIgbinary(igMustHex(igBigArray(200, 199)), limits{})
	if err != nil || v.Len() != 200 {
		t.Fatalf("decodeIgbinary(200 ints) = %d entries, %v", v.Len(), err)
	}
	// A copy bomb below the budget decodes into shared arrays.
	v, err = decodeIgbinary(igMustHex(igCopyBomb(12)), limits{})
	if err != nil || v.Len() != 12 {
		t.Fatalf("decodeIgbinary(copy bomb of 12 levels) = %d entries, %v", v.Len(), err)
	}
}

// TestIgbinarySessionHandler checks that PHP's igbinary session handler
// writes igbinary_serialize($_SESSION), the empty session included, and
// that Go reads it and writes it back byte for byte.
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
		v, why, err := decodeIgbinaryCanon(payload, limits{})
		if err != nil || why != "" {
			t.Fatalf("session %d: decodeIgbinary(%x) = %v, %q", i, payload, err, why)
		}
		got, err := appendIgbinary(nil, v)
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("session %d: appendIgbinary = %x, %v; want %x", i, got, err, payload)
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
	if _, err := decodeIgbinary(data, limits{}); !errors.Is(err, ErrSyntax) {
		t.Errorf("decodeIgbinary(32 MiB of 0x25) = %v, want an ErrSyntax", err)
	}
	// An enum case whose name is an enum case of an object..., which the
	// decoder refuses at the first: the walk stops there too.
	data = append(igMustHex("00000002"), bytes.Repeat(igMustHex("170141 27"), 8<<20)...)
	if _, err := DecodeSession(data, FormatIgbinary); !errors.Is(err, ErrSyntax) {
		t.Errorf("DecodeSession(8M nested enum cases) = %v, want an ErrSyntax", err)
	}
}

package phpsession_test

// Differential tests against the real PHP: PHP writes thousands of random
// values and sessions that Go must read and write back byte for byte
// (TestDifferentialPHPWrites), and Go writes thousands that PHP must read and
// write back byte for byte (TestDifferentialPHPReads). Each direction is one
// php process, with a new seed on every run. A failure prints the seed;
// replay it with
//
//	go test ./phpsession -run Differential -diff.seed=N
//
// What PHP normalises is kept out of the Go generator by construction:
//   - array string keys that are canonical ints ("5"): PHP makes them int
//     keys (ArrayValue does the same, so the generator cannot make them);
//   - int keys and property names of objects: PHP makes them strings;
//   - objects of declared classes other than with their declared properties
//     in declaration order (PHP writes declared properties first); classes
//     PHP does not know come back as __PHP_Incomplete_Class and are written
//     unchanged, so the generator uses those (Gx...) freely;
//   - C: payloads of unknown classes (PHP turns them into O:), so the only
//     Serializable class is LegacyToken, whose payload is "tok=" + bytes;
//   - an enum case repeated in one payload: PHP writes the second as r:, so
//     the generator writes r: too;
//   - an R: to a slot that holds an r:: PHP writes both as R: to the
//     object, so the r: slots are not R: targets;
//   - session names PHP cannot store (see Session.CheckName): '|' in php,
//     over 127 bytes in php_binary, numeric names in both.
//
// Two PHP behaviours the tests allow for:
//   - session_encode() returns false, not "", for a session with nothing
//     to write in php and php_binary (empty, or every key skipped);
//   - the igbinary session decoder drops int keys: igbinary writes
//     $_SESSION[7], but session_decode() does not read it back. Go keeps
//     them (they are in the payload), so names are compared without them.

import (
	"bytes"
	"cmp"
	"encoding/base64"
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
	"github.com/sessbridge/sessbridge/phpsession"
)

var (
	diffSeed = flag.Uint64("diff.seed", 0, "seed of the PHP differential tests (0: one from the clock)")
	diffN    = flag.Int("diff.n", 2000, "values and sessions per direction in the PHP differential tests")
)

// seedFor returns the seed of a differential test and has a failing test
// print how to replay it.
func seedFor(t *testing.T) uint64 {
	seed := *diffSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano()) % 1_000_000_007
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with: go test ./phpsession -run '^%s$' -diff.seed=%d -diff.n=%d", t.Name(), seed, *diffN)
		}
	})
	return seed
}

// runPHPScript runs one of the compat/ scripts with the real php (and its
// igbinary extension).
func runPHPScript(t *testing.T, name string, stdin []byte, args ...string) []byte {
	t.Helper()
	testenv.PHP(t, "igbinary")
	script, err := os.ReadFile("../compat/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return testenv.RunPHP(t, string(script), stdin, args...)
}

// b64 decodes a base64 field of the scripts' output.
func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("bad base64 %q from PHP: %v", s, err)
	}
	return b
}

// names decodes the <names> field of the scripts' output.
func names(t *testing.T, field string) []string {
	t.Helper()
	out := []string{}
	if field == "-" {
		return out
	}
	for _, n := range strings.Split(field, ",") {
		out = append(out, string(b64(t, n)))
	}
	return out
}

// checkValueBytes checks that Go reads a serialize() output and writes it
// back exactly, directly and through the JSON form.
func checkValueBytes(t *testing.T, what string, data []byte) {
	t.Helper()
	var v phpsession.Value
	if err := phpsession.Unmarshal(data, &v); err != nil {
		t.Errorf("%s: Unmarshal(%q): %v", what, data, err)
		return
	}
	if got, err := phpsession.Marshal(v); err != nil || !bytes.Equal(got, data) {
		t.Errorf("%s: Marshal(Unmarshal(%q)) = %q, %v", what, data, got, err)
	}
	doc, err := v.MarshalJSON()
	if err != nil {
		t.Errorf("%s: MarshalJSON of %q: %v", what, data, err)
		return
	}
	var back phpsession.Value
	if err := back.UnmarshalJSON(doc); err != nil {
		t.Errorf("%s: UnmarshalJSON(%s): %v", what, doc, err)
		return
	}
	if got, err := phpsession.Marshal(back); err != nil || !bytes.Equal(got, data) {
		t.Errorf("%s: Marshal(UnmarshalJSON(MarshalJSON(%q))) = %q, %v", what, data, got, err)
	}
}

// checkSessionBytes checks that Go reads a session payload with the names
// PHP reads, and writes it back exactly through the JSON form (which encodes
// every value again).
func checkSessionBytes(t *testing.T, what string, f phpsession.Format, payload []byte, wantNames []string) *phpsession.Session {
	t.Helper()
	s, err := phpsession.DecodeSession(payload, f)
	if err != nil {
		t.Errorf("%s: DecodeSession(%q, %s): %v", what, payload, f, err)
		return nil
	}
	if got := phpNames(s); !slices.Equal(got, wantNames) {
		t.Errorf("%s: Names() = %q, PHP has %q (payload %q)", what, got, wantNames, payload)
	}
	if got, err := s.Encode(); err != nil || !bytes.Equal(got, payload) {
		t.Errorf("%s: DecodeSession → Encode = %q, %v, want %q", what, got, err, payload)
	}
	doc, err := s.MarshalJSON()
	if err != nil {
		t.Errorf("%s: MarshalJSON of %q: %v", what, payload, err)
		return s
	}
	if f == phpsession.FormatIgbinary && !igbinaryCanonical(s, payload) {
		// A few shapes PHP writes in igbinary (an object stored plainly and
		// &-referenced later, null padding for uninitialised typed
		// properties, ...) have no Value of their own: the Session keeps
		// their bytes while untouched (checked above by DecodeSession and
		// below by the vectors), but a Value, and so the JSON form, writes
		// them the canonical way. igbinary_test.go checks those shapes.
		return s
	}
	var back phpsession.Session
	if err := back.UnmarshalJSON(doc); err != nil {
		t.Errorf("%s: UnmarshalJSON(%s): %v", what, doc, err)
		return s
	}
	if got, err := back.Encode(); err != nil || !bytes.Equal(got, payload) {
		t.Errorf("%s: decode → JSON → encode = %q, %v, want %q", what, got, err, payload)
	}
	return s
}

// igbinaryCanonical reports whether building the session's values again
// gives back PHP's igbinary bytes.
func igbinaryCanonical(s *phpsession.Session, payload []byte) bool {
	again := phpsession.NewSession(phpsession.FormatIgbinary)
	for _, name := range s.Names() {
		v, _ := s.Get(name)
		if again.Set(name, v) != nil {
			return false
		}
	}
	got, err := again.Encode()
	return err == nil && bytes.Equal(got, payload)
}

// TestDifferentialPHPWrites: PHP builds random values and sessions (every
// kind, references and object identity in odd cases), and Go must read what
// PHP reads and write back what PHP wrote. For sessions without references,
// Go also builds each format's payload from the php_serialize one with
// Session.Set and must write PHP's bytes, refusing exactly the keys PHP
// skips or fails on.
func TestDifferentialPHPWrites(t *testing.T) {
	seed := seedFor(t)
	out := runPHPScript(t, "gen_random.php", nil, strconv.FormatUint(seed, 10), strconv.Itoa(*diffN), t.TempDir())

	type sessLine struct{ payload, names string }
	sessions := map[string]map[string]sessLine{} // case → handler → line
	values, lines := 0, 0
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		f := strings.Split(line, " ")
		switch {
		case len(f) == 3 && f[0] == "V":
			values++
			checkValueBytes(t, "value "+f[1], b64(t, f[2]))
		case len(f) == 5 && f[0] == "S":
			lines++
			if sessions[f[1]] == nil {
				sessions[f[1]] = map[string]sessLine{}
			}
			sessions[f[1]][f[2]] = sessLine{f[3], f[4]}
		default:
			t.Fatalf("gen_random.php: bad line %q", line)
		}
	}
	if values != *diffN || lines != 4**diffN {
		t.Fatalf("gen_random.php gave %d values and %d session payloads, want %d and %d", values, lines, *diffN, 4**diffN)
	}

	rebuilt := 0
	for c, byHandler := range sessions {
		// The php_serialize payload has every key: the whole session.
		ser := byHandler["php_serialize"]
		whole := checkSessionBytes(t, "case "+c+" php_serialize", phpsession.FormatPHPSerialize, b64(t, ser.payload), names(t, ser.names))
		for _, f := range phpsession.Formats() {
			l := byHandler[f.String()]
			what := fmt.Sprintf("case %s %s", c, f)
			if l.payload != "!" {
				checkSessionBytes(t, what, f, b64(t, l.payload), names(t, l.names))
			}
			// Rebuild sessions without references (Set takes slot numbers
			// of a decoded payload), and for igbinary without NaNs (serialize
			// writes every NaN as NAN, igbinary keeps its bits).
			if whole == nil || sessionHas(whole, isRef) || f == phpsession.FormatIgbinary && sessionHas(whole, isNaN) {
				continue
			}
			// Go builds the same session in format f.
			s := phpsession.NewSession(f)
			var refused []string
			for _, name := range whole.Names() {
				v, _ := whole.Get(name)
				if err := s.Set(name, v); err != nil {
					var ke *phpsession.KeyError
					if !errors.As(err, &ke) {
						t.Errorf("%s: Set(%q): %v, want nil or a *KeyError", what, name, err)
					}
					refused = append(refused, name)
				}
			}
			if l.payload == "!" {
				// PHP's session_encode() failed: Go must refuse a key
				// with '|', or have nothing to write.
				if s.Len() > 0 && !slices.ContainsFunc(refused, func(n string) bool { return strings.Contains(n, "|") }) {
					t.Errorf("%s: PHP cannot encode the session, Go refused only %q", what, refused)
				}
				continue
			}
			if got := phpNames(s); !slices.Equal(got, names(t, l.names)) {
				t.Errorf("%s: Go refused %q and keeps %q, PHP keeps %q", what, refused, got, names(t, l.names))
				continue
			}
			rebuilt++
			want := b64(t, l.payload)
			if f == phpsession.FormatIgbinary && len(refused) > 0 {
				// PHP wrote int keys its igbinary decoder skips, which Go
				// refuses: compare with PHP's payload without them.
				want = withoutNames(t, want, f, refused)
			}
			if got, err := s.Encode(); err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: Go writes %q, %v; want %q (PHP wrote %q)", what, got, err, want, b64(t, l.payload))
			}
		}
	}
	t.Logf("seed %d: %d values, %d session payloads from PHP; %d sessions rebuilt by Go in another format", seed, values, lines, rebuilt)
}

// TestDifferentialPHPReads: Go builds random values and sessions, and PHP
// must read them (unserialize, session_decode) and write back (serialize,
// session_encode) exactly Go's bytes, with the names Go has.
func TestDifferentialPHPReads(t *testing.T) {
	seed := seedFor(t)
	r := rand.New(rand.NewPCG(seed, 0x5e55b41d9e))
	var in bytes.Buffer
	type sent struct {
		payload []byte
		names   []string
		desc    string
	}
	var cases []sent
	for c := 0; c < *diffN; c++ {
		g := &valueGen{r: r, refs: c%2 == 1}
		data, err := phpsession.Marshal(g.value(0))
		if err != nil {
			t.Fatalf("Marshal of generated value %d: %v", c, err)
		}
		fmt.Fprintf(&in, "V %d %s\n", len(cases), base64.StdEncoding.EncodeToString(data))
		cases = append(cases, sent{payload: data, desc: "value"})

		f := phpsession.Formats()[c%4]
		s, err := genSession(r, f, c%3 != 0)
		if err != nil {
			t.Fatalf("generated session %d (%s): %v", c, f, err)
		}
		payload, err := s.Encode()
		if err != nil {
			t.Fatalf("Encode of generated session %d (%s): %v", c, f, err)
		}
		fmt.Fprintf(&in, "S %d %s %s\n", len(cases), f, base64.StdEncoding.EncodeToString(payload))
		cases = append(cases, sent{payload: payload, names: phpNames(s), desc: f.String() + " session"})
	}

	out := runPHPScript(t, "roundtrip.php", in.Bytes(), t.TempDir())
	got := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(got) != len(cases) {
		t.Fatalf("roundtrip.php gave %d lines for %d payloads", len(got), len(cases))
	}
	for _, line := range got {
		f := strings.Split(line, " ")
		if len(f) < 3 {
			t.Fatalf("roundtrip.php: bad line %q", line)
		}
		i, err := strconv.Atoi(f[1])
		if err != nil || i < 0 || i >= len(cases) {
			t.Fatalf("roundtrip.php: bad line %q", line)
		}
		c := cases[i]
		if f[2] == "!" {
			t.Errorf("PHP cannot read the %s Go wrote: %q", c.desc, c.payload)
			continue
		}
		if back := b64(t, f[2]); !bytes.Equal(back, c.payload) {
			t.Errorf("PHP reads the %s Go wrote and writes it back differently:\nGo:  %q\nPHP: %q", c.desc, c.payload, back)
			continue
		}
		if f[0] == "S" {
			if len(f) != 4 {
				t.Fatalf("roundtrip.php: bad line %q", line)
			}
			if n := names(t, f[3]); !slices.Equal(n, c.names) {
				t.Errorf("PHP reads names %q from the %s Go wrote with %q: %q", n, c.desc, c.names, c.payload)
			}
		}
	}
	t.Logf("seed %d: %d values and sessions written by Go, read back by PHP", seed, len(cases))
}

// valueGen makes random Values with PHP's slot numbering, so that its r:
// and R: references point where PHP expects.
type valueGen struct {
	r    *rand.Rand
	refs bool // make r: and R: references to earlier values
	// noObjectR makes objects r: targets only, not R: ones.
	noObjectR bool
	// rObjR makes r: slots R: targets too: PHP binds the r:'s place,
	// not the object's first one, to the R:.
	rObjR bool
	// refPercent is the chance, in percent, that a value is an r: or R:
	// reference when one can be made (0: 5).
	refPercent int
	slot       int // slots taken so far in the payload

	objSlots  []int          // finished objects: r: targets
	valSlots  []int          // finished values: R: targets
	enumSlots map[string]int // the slot of each enum case written
}

func (g *valueGen) chance(percent int) bool { return g.r.IntN(100) < percent }

// value returns a random value at nesting depth.
func (g *valueGen) value(depth int) phpsession.Value {
	refPercent := cmp.Or(g.refPercent, 5)
	if g.refs && len(g.valSlots) > 0 && g.chance(refPercent) {
		// R: takes no slot.
		return phpsession.PHPRefValue(g.valSlots[g.r.IntN(len(g.valSlots))])
	}
	g.slot++
	my := g.slot
	if g.refs && len(g.objSlots) > 0 && g.chance(refPercent) {
		if g.rObjR {
			g.valSlots = append(g.valSlots, my)
		}
		return phpsession.RefValue(g.objSlots[g.r.IntN(len(g.objSlots))])
	}
	n := 13
	if depth >= 4 {
		n = 6
	}
	var v phpsession.Value
	switch g.r.IntN(n) {
	case 0:
		v = phpsession.NullValue()
	case 1:
		v = phpsession.BoolValue(g.chance(50))
	case 2:
		v = phpsession.IntValue(genInt(g.r))
	case 3:
		v = phpsession.FloatValue(genFloat(g.r))
	case 4, 5:
		v = phpsession.StringValue(genString(g.r))
	case 6:
		c := [...]string{"Hearts", "Spades"}[g.r.IntN(2)]
		if first, ok := g.enumSlots[c]; ok {
			return phpsession.RefValue(first) // PHP writes a repeated case as r:
		}
		if g.enumSlots == nil {
			g.enumSlots = map[string]int{}
		}
		g.enumSlots[c] = my
		return phpsession.EnumValue("Suit", c)
	case 7, 8:
		a := phpsession.ArrayValue()
		for range g.r.IntN(5) {
			k := genKey(g.r)
			if _, dup := a.Index(k); dup {
				continue // a replaced value would leave its slots behind
			}
			a.Set(k, g.value(depth+1))
		}
		v = a
	case 9:
		// stdClass, or a class PHP does not know (incomplete class).
		class := "stdClass"
		if g.chance(50) {
			class = "Gx" + genIdent(g.r)
		}
		var props []phpsession.Entry
		seen := map[string]bool{}
		for range g.r.IntN(4) {
			name := genPropName(g.r, class)
			if seen[name] {
				continue
			}
			seen[name] = true
			props = append(props, phpsession.Entry{Key: phpsession.StringValue(name), Value: g.value(depth + 1)})
		}
		return g.object(phpsession.ObjectValue(class, props...), my)
	case 10:
		return g.object(phpsession.ObjectValue("Account",
			phpsession.Entry{Key: phpsession.StringValue("login"), Value: g.value(depth + 1)},
			phpsession.Entry{Key: phpsession.StringValue("\x00*\x00role"), Value: g.value(depth + 1)},
			phpsession.Entry{Key: phpsession.StringValue("\x00Account\x00secret"), Value: g.value(depth + 1)},
		), my)
	case 11:
		return g.object(phpsession.CustomValue("LegacyToken", []byte("tok="+genString(g.r))), my)
	default:
		// A class with __serialize/__unserialize: its properties are any
		// array, int keys included; no references inside.
		refs := g.refs
		g.refs = false
		a := phpsession.ArrayValue() // PHP's array keys
		for range g.r.IntN(4) {
			k := genKey(g.r)
			if _, dup := a.Index(k); dup {
				// "-1" and -1 are one key: a replaced value would
				// leave its slots behind.
				continue
			}
			a.Set(k, g.value(depth+1))
		}
		g.refs = refs
		return g.object(phpsession.ObjectValue("Bag2", a.Entries()...), my)
	}
	if g.refs {
		g.valSlots = append(g.valSlots, my)
	}
	return v
}

// object records a finished object at slot my as a target of r: and R:.
func (g *valueGen) object(v phpsession.Value, my int) phpsession.Value {
	if g.refs {
		g.objSlots = append(g.objSlots, my)
		if !g.noObjectR {
			g.valSlots = append(g.valSlots, my)
		}
	}
	return v
}

func genInt(r *rand.Rand) int64 {
	switch r.IntN(6) {
	case 0:
		return math.MaxInt64
	case 1:
		return math.MinInt64
	case 2:
		return int64(r.Uint64())
	case 3:
		return -r.Int64N(1000)
	}
	return r.Int64N(1000)
}

func genFloat(r *rand.Rand) float64 {
	switch r.IntN(12) {
	case 0:
		return math.Inf(1)
	case 1:
		return math.Inf(-1)
	case 2:
		return math.NaN()
	case 3:
		return math.Copysign(0, -1)
	case 4:
		return 1e25
	case 5:
		return 5e-324
	case 6:
		return 1.5e-7
	case 7:
		return float64(genInt(r))
	case 8:
		return float64(r.IntN(100000)) / 100
	case 9:
		return math.Pow(10, float64(r.IntN(40)-20))
	}
	return math.Float64frombits(r.Uint64())
}

func genString(r *rand.Rand) string {
	switch r.IntN(5) {
	case 0:
		return ""
	case 1:
		return [...]string{"Princess Vespa — ß ✓", "héllo", "日本", "plain text", "a b"}[r.IntN(5)]
	}
	b := make([]byte, r.IntN(16))
	for i := range b {
		switch r.IntN(3) {
		case 0:
			b[i] = byte(r.IntN(256))
		case 1:
			b[i] = "|;\"\\\x00:{}'\n"[r.IntN(10)]
		default:
			b[i] = byte('a' + r.IntN(26))
		}
	}
	return string(b)
}

func genIdent(r *rand.Rand) string {
	b := make([]byte, 1+r.IntN(8))
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}

// genKey returns an array key: an int, or a string (ArrayValue makes a
// canonical int string an int, as PHP does).
func genKey(r *rand.Rand) phpsession.Value {
	switch r.IntN(9) {
	case 0:
		return phpsession.IntValue(r.Int64N(10))
	case 1:
		return phpsession.IntValue(-1 - r.Int64N(5))
	case 2:
		return phpsession.IntValue(genInt(r))
	case 3:
		return phpsession.StringValue([...]string{"07", "8", "-0", "1.5", " 5", "9223372036854775808", "-3", "b64:x", ""}[r.IntN(9)])
	}
	return phpsession.StringValue(genString(r))
}

// genPropName returns a property name of an object of class: public names
// never start with NUL (PHP reads those as mangled); protected and private
// ones are mangled.
func genPropName(r *rand.Rand, class string) string {
	switch r.IntN(6) {
	case 0:
		return "\x00*\x00" + genIdent(r)
	case 1:
		return "\x00" + class + "\x00" + genIdent(r)
	}
	s := genString(r)
	if s == "" || s[0] == 0 {
		s = "p" + s
	}
	return s
}

// genName returns a session name that format f can store and PHP reads
// back.
func genName(r *rand.Rand, f phpsession.Format) string {
	for {
		var n string
		switch r.IntN(10) {
		case 0:
			n = ""
		case 1:
			n = strconv.Itoa(r.IntN(10))
		case 2:
			n = [...]string{"07", "!x", "we;ird\"k", "\xff\xfe", "b64:z", "a|b"}[r.IntN(6)]
		case 3:
			n = strings.Repeat("k", 126+r.IntN(3))
		case 4, 5:
			n = genString(r)
		default:
			n = [...]string{"user", "auth", "csrf", "_flashMessages", "shop#cart"}[r.IntN(5)]
		}
		if phpsession.NewSession(f).CheckName(n) != nil {
			continue
		}
		if _, err := strconv.Atoi(n); err == nil && f == phpsession.FormatIgbinary {
			continue // PHP's igbinary session decoder drops int keys
		}
		return n
	}
}

// genSession returns a random session in format f.
func genSession(r *rand.Rand, f phpsession.Format, refs bool) (*phpsession.Session, error) {
	g := &valueGen{r: r, refs: refs}
	if f == phpsession.FormatPHPSerialize || f == phpsession.FormatIgbinary {
		g.slot = 1 // the outer array
	}
	var entries []phpsession.Entry
	seen := map[string]bool{}
	for range r.IntN(6) {
		name := genName(r, f)
		if seen[name] {
			continue
		}
		seen[name] = true
		entries = append(entries, phpsession.Entry{Key: phpsession.StringValue(name), Value: g.value(0)})
	}
	// Through the JSON document, whose reference slots are the payload's:
	// the entries are those of an array of the names and values.
	arr, err := phpsession.ArrayValue(entries...).MarshalJSON()
	if err != nil {
		return nil, err
	}
	list := bytes.TrimSuffix(bytes.TrimPrefix(arr, []byte(`{"a":`)), []byte(`}`))
	doc := fmt.Appendf(nil, `{"format":%q,"entries":%s}`, f, list)
	s := new(phpsession.Session)
	if err := s.UnmarshalJSON(doc); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, doc)
	}
	return s, nil
}

// withoutNames returns payload, decoded in format f, encoded again without
// the entries named names.
func withoutNames(t *testing.T, payload []byte, f phpsession.Format, names []string) []byte {
	t.Helper()
	s, err := phpsession.DecodeSession(payload, f)
	if err != nil {
		t.Fatalf("DecodeSession(%q, %s): %v", payload, f, err)
	}
	for _, n := range names {
		s.Remove(n)
	}
	out, err := s.Encode()
	if err != nil {
		t.Fatalf("Encode() of %q without %q: %v", payload, names, err)
	}
	return out
}

// phpNames returns the names PHP's session_decode() puts in $_SESSION: all
// of them, except int keys in igbinary, which PHP's igbinary session decoder
// drops.
func phpNames(s *phpsession.Session) []string {
	names := s.Names()
	if s.Format() == phpsession.FormatIgbinary {
		names = slices.DeleteFunc(names, func(n string) bool {
			i, err := strconv.ParseInt(n, 10, 64)
			return err == nil && strconv.FormatInt(i, 10) == n
		})
	}
	return names
}

// sessionHas reports whether a value of s, or a value inside one, is one
// for which pred is true.
func sessionHas(s *phpsession.Session, pred func(phpsession.Value) bool) bool {
	for _, n := range s.Names() {
		v, _ := s.Get(n)
		if valueHas(v, pred) {
			return true
		}
	}
	return false
}

func valueHas(v phpsession.Value, pred func(phpsession.Value) bool) bool {
	if pred(v) {
		return true
	}
	for _, e := range v.Entries() {
		if valueHas(e.Value, pred) {
			return true
		}
	}
	return false
}

// isRef reports whether v is an r: or R: reference.
func isRef(v phpsession.Value) bool {
	return v.Kind() == phpsession.Ref || v.Kind() == phpsession.PHPRef
}

// isNaN reports whether v is a NaN float.
func isNaN(v phpsession.Value) bool {
	f, ok := v.Float()
	return ok && v.Kind() == phpsession.Float && math.IsNaN(f)
}

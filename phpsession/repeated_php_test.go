package phpsession_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/phpsession"
)

// TestDifferentialRepeatedNames holds Go to PHP 8.2 on session payloads
// that write a name more than once (php_serialize: the int key 7 and the
// string key "7" too), with references into the values a repeat replaces:
// PHP's session_decode(), then one name set or unset, then
// session_encode(), against DecodeSession, Set or Remove, Encode. The names
// must be PHP's, in PHP's order, and the bytes equal; an unchanged session
// encodes to exactly its input.
func TestDifferentialRepeatedNames(t *testing.T) {
	seed := seedFor(t)
	r := rand.New(rand.NewPCG(seed, 0xd0b1e5))
	var cases []repeatedCase
	formats := []phpsession.Format{phpsession.FormatPHP, phpsession.FormatPHPBinary, phpsession.FormatPHPSerialize}
	for c := 0; c < *diffN; c++ {
		f := formats[c%len(formats)]
		refs := c%3 != 0
		payload, pool := genRepeatedSession(r, f, refs)
		cs := repeatedCase{f: f, payload: payload, name: append(pool, "n")[r.IntN(len(pool)+1)]}
		set := cs.name == "n" || r.IntN(4) > 0
		if refs && set {
			// Not a name that may be bound to another by R:: PHP sets
			// the value they share, which Set does not do.
			cs.name = "n"
		}
		if set {
			// A value without references or enum cases: PHP writes a
			// case that the session holds already as r: to it, which
			// Set does not do.
			cs.value = (&valueGen{r: r}).value(0)
			for valueHas(cs.value, func(v phpsession.Value) bool { return isRef(v) || v.Kind() == phpsession.Enum }) {
				cs.value = (&valueGen{r: r}).value(0)
			}
		}
		cases = append(cases, cs)
	}
	compareRepeated(t, cases)
	t.Logf("seed %d: %d sessions with repeated names decoded, changed and encoded by PHP and Go", seed, len(cases))
}

// TestDifferentialRepeatedValues holds Session.Unmarshal to PHP 8.2's
// $_SESSION after session_decode() of payloads that write a name more than
// once, with references into the values a repeat replaces: each name's
// value, its references followed, is the one PHP has (compat/roundtrip.php
// dumps it as a tree, as dumpTree does).
func TestDifferentialRepeatedValues(t *testing.T) {
	seed := seedFor(t)
	r := rand.New(rand.NewPCG(seed, 0x5e55))
	type sent struct {
		f       phpsession.Format
		payload []byte
	}
	var cases []sent
	var in bytes.Buffer
	formats := []phpsession.Format{phpsession.FormatPHP, phpsession.FormatPHPBinary, phpsession.FormatPHPSerialize}
	for c := 0; c < *diffN; c++ {
		f := formats[c%len(formats)]
		payload, _ := genRepeatedSession(r, f, true)
		fmt.Fprintf(&in, "D %d %s %s\n", c, f, base64.StdEncoding.EncodeToString(payload))
		cases = append(cases, sent{f, payload})
	}
	for i, fields := range roundtrip(t, in.Bytes(), "D", 3, len(cases)) {
		c := cases[i]
		s, err := phpsession.DecodeSession(bytes.Clone(c.payload), c.f)
		if err != nil {
			continue // TestDifferentialRepeatedNames compares what PHP refuses
		}
		var want []string
		if fields[2] != "-" {
			want = strings.Split(fields[2], ",")
		}
		// Unmarshal before anything else reads the names (the session
		// has not folded its repeats yet), then the names.
		var phpNames []string
		for _, w := range want {
			kv := strings.Split(w, ":")
			if len(kv) != 2 {
				t.Fatalf("roundtrip.php: bad name in %q", fields)
			}
			name := string(b64(t, kv[0]))
			phpNames = append(phpNames, name)
			tree := string(b64(t, kv[1]))
			var v phpsession.Value
			if err := s.Unmarshal(name, &v); err != nil {
				if !strings.Contains(tree, "*") {
					t.Errorf("DecodeSession(%q, %s).Unmarshal(%q): %v; PHP has %q", c.payload, c.f, name, err, tree)
				}
				continue
			}
			if got := dumpTree(t, v); got != tree {
				t.Errorf("DecodeSession(%q, %s).Unmarshal(%q) = %q; PHP has %q", c.payload, c.f, name, got, tree)
			}
		}
		if !slices.Equal(s.Names(), phpNames) {
			t.Errorf("DecodeSession(%q, %s).Names() = %q; PHP has %q", c.payload, c.f, s.Names(), phpNames)
		}
	}
	t.Logf("seed %d: %d sessions with repeated names read by PHP and Go", seed, len(cases))
}

// dumpTree writes v, a standalone value (no references), as
// compat/roundtrip.php's dump() writes a PHP value.
func dumpTree(t *testing.T, v phpsession.Value) string {
	t.Helper()
	ser := func(v phpsession.Value) string {
		b, err := phpsession.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	switch v.Kind() {
	case phpsession.Array, phpsession.Object:
		out := "a{"
		if v.Kind() == phpsession.Object {
			out = "O" + ser(phpsession.StringValue(v.Class())) + "{"
		}
		for _, e := range v.Entries() {
			k, ok := e.Key.Str()
			if !ok {
				i, _ := e.Key.Int()
				k = strconv.FormatInt(i, 10)
			}
			out += ser(phpsession.StringValue(k)) + dumpTree(t, e.Value)
		}
		return out + "}"
	}
	return ser(v)
}

// TestRepeatedNamesRefcount holds Go to PHP 8.2 on php_serialize sessions
// where a repeat leaves one end of an R: reference: PHP writes a place
// bound by R: as its value (r: to an object written before) when it is the
// only place left that holds the reference, and as R: when another place
// that holds it is still in $_SESSION, inside a value copied for a
// reference included. Each of these came out with the other token before.
func TestRepeatedNamesRefcount(t *testing.T) {
	serialize := phpsession.FormatPHPSerialize
	cases := []repeatedCase{
		// b's last value is an object, which a|b binds by R:; with b
		// removed, a|b is the only place left: r:.
		{f: serialize, payload: []byte(`a:5:{s:4:"user";O:10:"Gxucketpxu":0:{}s:1:"b";N;s:1:"a";R:3;s:1:"b";r:2;s:3:"a|b";R:3;}`), name: "b"},
		// user binds 7's object, which 7's last occurrence (R: to b)
		// leaves: user is its only place: r:.
		{f: serialize, payload: []byte(`a:6:{i:7;N;i:7;O:8:"stdClass":0:{}s:1:"b";E:11:"Suit:Spades";s:4:"user";R:2;s:1:"b";r:3;i:7;R:4;}`), name: "n", value: phpsession.BoolValue(true)},
		// a binds 7's r: to an enum case that a|b writes first: R:.
		{f: serialize, payload: []byte(`a:7:{s:3:"a|b";E:11:"Suit:Hearts";s:1:"a";E:11:"Suit:Spades";s:1:"7";i:5;s:1:"a";d:INF;i:7;r:2;s:1:"a";R:4;s:3:"a|b";O:4:"Bag2":1:{s:0:"";E:11:"Suit:Hearts";}}`), name: "n", value: phpsession.IntValue(1)},
		// The two secrets bind b's last value; b is removed, both are
		// left, inside an object, and 7 writes the case first: R: twice.
		{f: serialize, payload: []byte(`a:7:{s:1:"b";s:0:"";s:1:"b";s:0:"";s:1:"b";E:11:"Suit:Hearts";i:7;R:3;s:4:"user";s:1:"u";s:1:"b";E:11:"Suit:Hearts";s:1:"a";O:7:"Account":3:{s:5:"login";O:7:"Account":3:{s:5:"login";s:1:"l";s:7:"\0*\0role";C:11:"LegacyToken":4:{tok=}s:15:"\0Account\0secret";R:3;}s:7:"\0*\0role";b:1;s:15:"\0Account\0secret";R:2;}}`), name: "b"},
		// a's last value, an r: to the case user wrote first, is bound
		// by R: in b: R: to the case that user's last value writes.
		{f: serialize, payload: []byte(`a:7:{s:4:"user";E:11:"Suit:Hearts";s:1:"a";i:731;s:3:"a|b";R:3;s:1:"a";r:2;s:1:"b";a:1:{s:1:"k";R:3;}s:1:"7";R:5;s:4:"user";E:11:"Suit:Hearts";}`), name: "n", value: phpsession.ObjectValue("Bag2")},
		// user's r: to b's first value, an enum case b's last value
		// writes first, is r: though R: bind that slot.
		{f: serialize, payload: []byte(`a:4:{s:1:"b";E:11:"Suit:Spades";s:4:"user";a:3:{i:0;r:2;i:1;R:2;i:2;R:2;}s:1:"b";i:1;s:1:"b";E:11:"Suit:Spades";}`), name: "n", value: phpsession.IntValue(1)},
	}
	for i := range cases {
		cases[i].payload = bytes.ReplaceAll(cases[i].payload, []byte(`\0`), []byte{0})
	}
	compareRepeated(t, cases)
}

// TestRepeatedNamesElementRefs holds Go to PHP 8.2 on php_serialize
// sessions with an r: to a slot of the outer array's value that held no
// object: the slot is the name's element, and a repeat of the name that
// put an object there makes the r: one to that object. DecodeSession
// refused the first two before.
func TestRepeatedNamesElementRefs(t *testing.T) {
	serialize := phpsession.FormatPHPSerialize
	cases := []repeatedCase{
		// PHP reads b as the object a holds.
		{f: serialize, payload: []byte(`a:3:{s:1:"a";i:1;s:1:"a";O:3:"Foo":0:{}s:1:"b";r:2;}`), name: "n", value: phpsession.IntValue(1)},
		// An r: to the element through a chain of repeats.
		{f: serialize, payload: []byte(`a:6:{s:1:"a";d:1.0E+25;i:7;C:11:"LegacyToken":4:{tok=}s:1:"a";r:3;s:1:"7";r:2;s:1:"a";s:1:"x";s:1:"a";r:3;}`), name: "n", value: phpsession.IntValue(1)},
		// The count says 2, three entries follow: PHP refuses it.
		{f: serialize, payload: []byte(`a:2:{s:1:"a";i:1;s:1:"a";O:3:"Foo":0:{}s:1:"b";r:2;}`), name: "n", value: phpsession.IntValue(1)},
		// The element holds an int again: PHP refuses the r:.
		{f: serialize, payload: []byte(`a:4:{s:1:"a";i:1;s:1:"a";O:3:"Foo":0:{}s:1:"a";i:2;s:1:"b";r:2;}`), name: "n", value: phpsession.IntValue(1)},
	}
	compareRepeated(t, cases)
}

// repeatedCase is a session payload for compareRepeated, and the change
// made to it: name set to value, or removed (the zero Value).
type repeatedCase struct {
	f       phpsession.Format
	payload []byte
	name    string
	value   phpsession.Value
}

// compareRepeated runs each case through PHP 8.2 (session_decode(), the
// change, session_encode()) and through DecodeSession, Set or Remove,
// Encode, and checks that the bytes and the names are PHP's, and that the
// unchanged session encodes to its input.
func compareRepeated(t *testing.T, cases []repeatedCase) {
	t.Helper()
	var in bytes.Buffer
	for i, cs := range cases {
		value := "-"
		if cs.value.Kind() != phpsession.Invalid {
			data, err := phpsession.Marshal(cs.value)
			if err != nil {
				t.Fatal(err)
			}
			value = base64.StdEncoding.EncodeToString(data)
		}
		fmt.Fprintf(&in, "M %d %s %s %s %s\n", i, cs.f, base64.StdEncoding.EncodeToString(cs.payload), base64.StdEncoding.EncodeToString([]byte(cs.name)), value)
	}
	for i, fields := range roundtrip(t, in.Bytes(), "M", 4, len(cases)) {
		c := cases[i]
		op := fmt.Sprintf("Set(%q, %v)", c.name, c.value)
		if c.value.Kind() == phpsession.Invalid {
			op = fmt.Sprintf("Remove(%q)", c.name)
		}
		s, err := phpsession.DecodeSession(bytes.Clone(c.payload), c.f)
		if fields[2] == "!" {
			if err == nil {
				t.Errorf("PHP cannot decode the %s session %q, DecodeSession can", c.f, c.payload)
			}
			continue
		}
		if err != nil {
			t.Errorf("DecodeSession(%q, %s): %v (PHP decodes it)", c.payload, c.f, err)
			continue
		}
		if enc, err := s.Encode(); err != nil || !bytes.Equal(enc, c.payload) {
			t.Errorf("DecodeSession(%q, %s).Encode() = %q, %v; want the input", c.payload, c.f, enc, err)
		}
		if c.value.Kind() == phpsession.Invalid {
			if !s.Remove(c.name) {
				// Nothing changed: Encode gives the input (checked above),
				// where PHP writes its $_SESSION again.
				if slices.Contains(names(t, fields[3]), c.name) {
					t.Errorf("DecodeSession(%q, %s).Remove(%q) = false, PHP has the name", c.payload, c.f, c.name)
				}
				continue
			}
		} else if err := s.Set(c.name, c.value); err != nil {
			t.Fatal(err)
		}
		want := b64(t, fields[2])
		if enc, err := s.Encode(); err != nil || !bytes.Equal(enc, want) {
			t.Errorf("DecodeSession(%q, %s), %s: Encode() = %q, %v; PHP writes %q", c.payload, c.f, op, enc, err, want)
			continue
		}
		if n := names(t, fields[3]); !slices.Equal(s.Names(), n) || s.Len() != len(n) {
			t.Errorf("DecodeSession(%q, %s), %s: Names() = %q, Len() = %d; PHP has %q", c.payload, c.f, op, s.Names(), s.Len(), n)
		}
	}
}

// genRepeatedSession returns a payload in format f (php, php_binary or
// php_serialize) of up to 7 entries whose names come from a pool of a few,
// so that most repeat, with references to earlier values when refs; and
// the pool.
//
// In php_serialize, a slot of the outer array's value is the array's
// element, which a repeat of the name overwrites in place: a reference to
// it reaches the value it holds where the reference is, so that an r: to
// it is one to the object a repeat put there. PHP refuses an r: to it once
// it holds no object, and an R: to it inside the value that overwrites it,
// so the generator makes neither.
//
// References, R: to objects included, are made often (one value in four
// where one can be), so that the shapes whose R: or r: in PHP's output
// depends on a reference's refcount after the repeats (how many of the
// places bound to it are still in $_SESSION) come up in every run.
func genRepeatedSession(r *rand.Rand, f phpsession.Format, refs bool) ([]byte, []string) {
	pool := []string{"a", "b", "user"}
	if f == phpsession.FormatPHPSerialize {
		pool = append(pool, "7", "a|b")
	}
	g := &valueGen{r: r, refs: refs, refPercent: 25}
	if f == phpsession.FormatPHPSerialize {
		g.slot = 1 // the outer array
	}
	n := 1 + r.IntN(7)
	var body []byte
	tops := map[string][]int{} // php_serialize: the slots of each name's values
	for range n {
		name := pool[r.IntN(len(pool))]
		old := tops[name]
		if len(old) > 0 {
			drop := func(slots []int) []int {
				return slices.DeleteFunc(slots, func(s int) bool { return slices.Contains(old, s) })
			}
			g.valSlots, g.objSlots = drop(g.valSlots), drop(g.objSlots)
			for c, s := range g.enumSlots {
				if slices.Contains(old, s) {
					delete(g.enumSlots, c)
				}
			}
		}
		slot := g.slot + 1
		v := g.value(0)
		if f == phpsession.FormatPHPSerialize && v.Kind() != phpsession.PHPRef { // R: takes no slot
			if refs {
				g.valSlots = append(g.valSlots, old...) // R: reaches the name's value
				if objectLike(v) {
					g.objSlots = append(g.objSlots, old...) // and r: its object
				}
			}
			tops[name] = append(old, slot)
		}
		data, err := phpsession.Marshal(v)
		if err != nil {
			panic(err)
		}
		switch f {
		case phpsession.FormatPHP:
			body = append(append(body, name+"|"...), data...)
		case phpsession.FormatPHPBinary:
			body = append(append(append(body, byte(len(name))), name...), data...)
		default:
			if name == "7" && r.IntN(2) == 0 {
				body = append(body, "i:7;"...)
			} else {
				body = fmt.Appendf(body, "s:%d:%q;", len(name), name)
			}
			body = append(body, data...)
		}
	}
	if f == phpsession.FormatPHPSerialize {
		body = append(fmt.Appendf(nil, "a:%d:{", n), append(body, '}')...)
	}
	return body, pool
}

// objectLike reports whether v is an object to PHP: an object, a
// Serializable, an enum case, or an r: to one.
func objectLike(v phpsession.Value) bool {
	switch v.Kind() {
	case phpsession.Object, phpsession.Custom, phpsession.Enum, phpsession.Ref:
		return true
	}
	return false
}

// roundtrip runs compat/roundtrip.php on in, n lines of one kind, and
// returns the fields of its output lines (nfields each) by case number.
func roundtrip(t *testing.T, in []byte, kind string, nfields, n int) [][]string {
	t.Helper()
	out := runPHPScript(t, "roundtrip.php", in, t.TempDir())
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("roundtrip.php gave %d lines for %d inputs", len(lines), n)
	}
	byCase := make([][]string, n)
	for _, line := range lines {
		fields := strings.Split(line, " ")
		i := -1
		if len(fields) == nfields && fields[0] == kind {
			if c, err := strconv.Atoi(fields[1]); err == nil {
				i = c
			}
		}
		if i < 0 || i >= n || byCase[i] != nil {
			t.Fatalf("roundtrip.php: bad line %q", line)
		}
		byCase[i] = fields
	}
	return byCase
}

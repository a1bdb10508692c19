package phpsession_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

// TestDifferentialIgbinaryReferences holds Go to PHP 8.2's igbinary
// session handler on sessions of distinct names that hold references (&
// references, objects referenced twice, enum cases repeated): PHP writes
// them (igbinary_serialize of a random php_serialize session with r: and
// R:), and PHP's session_decode(), one name unset or set, session_encode()
// are compared with DecodeSession, Remove or Set, Encode, byte for byte.
//
// A name is set only when it is new, or when no value of the session is
// bound by & (PHP assigns through a reference, which Set does not do).
func TestDifferentialIgbinaryReferences(t *testing.T) {
	seed := seedFor(t)
	r := rand.New(rand.NewPCG(seed, 0x16bef))
	var in bytes.Buffer
	pools := make([][]string, *diffN)
	for c := 0; c < *diffN; c++ {
		var payload []byte
		payload, pools[c] = genRefSession(r)
		fmt.Fprintf(&in, "G %d %s\n", c, base64.StdEncoding.EncodeToString(payload))
	}
	cases := make([]repeatedCase, *diffN)
	for i, fields := range roundtrip(t, in.Bytes(), "G", 3, *diffN) {
		if fields[2] == "!" {
			t.Fatalf("PHP cannot unserialize the session Go generated: %q", fields)
		}
		payload := b64(t, fields[2])
		pool := pools[i]
		cs := repeatedCase{f: phpsession.FormatIgbinary, payload: payload, name: append(pool, "n")[r.IntN(len(pool)+1)]}
		set := cs.name == "n" || r.IntN(3) == 0
		if set && cs.name != "n" {
			if s, err := phpsession.DecodeSession(payload, phpsession.FormatIgbinary); err != nil || sessionHas(s, func(v phpsession.Value) bool { return v.Kind() == phpsession.PHPRef }) {
				cs.name = "n"
			}
		}
		if set {
			cs.value = genSetValue(t, r)
		}
		cases[i] = cs
	}
	compareRepeated(t, cases)
	compareIgbinaryValues(t, cases)
	t.Logf("seed %d: %d igbinary sessions with references decoded, changed and encoded by PHP and Go", seed, len(cases))
}

// compareIgbinaryValues checks that each name's value, its references
// followed, is the one PHP's $_SESSION has after session_decode() of the
// case's payload (compat/roundtrip.php's D lines), both after DecodeSession
// and after the case's change, for the names it leaves alone.
func compareIgbinaryValues(t *testing.T, cases []repeatedCase) {
	t.Helper()
	var in bytes.Buffer
	for i, cs := range cases {
		fmt.Fprintf(&in, "D %d %s %s\n", i, cs.f, base64.StdEncoding.EncodeToString(cs.payload))
	}
	for i, fields := range roundtrip(t, in.Bytes(), "D", 3, len(cases)) {
		cs := cases[i]
		s, err := phpsession.DecodeSession(bytes.Clone(cs.payload), cs.f)
		if err != nil {
			continue // compareRepeated compares what PHP refuses
		}
		check := func(when string) {
			if fields[2] == "-" {
				return
			}
			for _, kv := range strings.Split(fields[2], ",") {
				k, tree, _ := strings.Cut(kv, ":")
				name := string(b64(t, k))
				if name == cs.name && when != "" {
					continue
				}
				want := string(b64(t, tree))
				var v phpsession.Value
				if err := s.Unmarshal(name, &v); err != nil {
					if !strings.Contains(want, "*") {
						t.Errorf("DecodeSession(%q, %s)%s.Unmarshal(%q): %v; PHP has %q", cs.payload, cs.f, when, name, err, want)
					}
				} else if got := dumpTree(t, v); got != want {
					t.Errorf("DecodeSession(%q, %s)%s.Unmarshal(%q) = %q; PHP has %q", cs.payload, cs.f, when, name, got, want)
				}
			}
		}
		check("")
		if cs.value.Kind() == phpsession.Invalid {
			s.Remove(cs.name)
			check(fmt.Sprintf(", Remove(%q)", cs.name))
		} else if err := s.Set(cs.name, cs.value); err == nil {
			check(fmt.Sprintf(", Set(%q, %v)", cs.name, cs.value))
		}
	}
}

// genRefSession returns a php_serialize session payload of up to 7
// entries with distinct names ~a0~, ~a1~, ~b0~, ... whose values hold r:
// and R: references to earlier values (one value in four where one can be
// made), and its names.
func genRefSession(r *rand.Rand) ([]byte, []string) {
	g := &valueGen{r: r, refs: true, rObjR: true, refPercent: 25, slot: 1}
	n := 1 + r.IntN(7)
	seen := map[byte]int{}
	var names []string
	body := fmt.Appendf(nil, "a:%d:{", n)
	for range n {
		b := "abu"[r.IntN(3)]
		name := fmt.Sprintf("~%c%d~", b, seen[b])
		seen[b]++
		names = append(names, name)
		data, err := phpsession.Marshal(g.value(0))
		if err != nil {
			panic(err)
		}
		body = append(fmt.Appendf(body, "s:%d:%q;", len(name), name), data...)
	}
	return append(body, '}'), names
}

// TestIgbinaryReferencesRefcount holds Go to PHP 8.2's igbinary session
// handler on the smallest sessions that came out of
// TestDifferentialIgbinaryReferences with bytes other than PHP's after a
// Remove. Each is built by PHP (igbinary_serialize of the php_serialize
// session below), then changed by PHP and by Go. The rules:
//   - igbinary writes a value with 0x25 (a & reference) only where its
//     place holds a PHP reference that another place holds too;
//   - an r: (objref) place holds the object, not the reference other places
//     are bound to: when the object's first place is removed, the copy
//     written at the r:'s place is plain;
//   - an object written plainly first (no 0x25; R: bound to an r: to it)
//     stays out of its & references: its place is not one of their
//     holders, so one & reference left alone is a plain objref, and a copy
//     of a value holding it writes it as a plain objref.
func TestIgbinaryReferencesRefcount(t *testing.T) {
	tests := []struct {
		name       string
		serialized string // the session, as PHP's unserialize() reads it
		remove     string
	}{{
		// a, c and d hold a reference to the Foo, b holds the Foo: b is
		// written as a plain Foo, c and d as & objrefs.
		name:       "copy at an objref's place",
		serialized: `a:4:{s:1:"a";O:3:"Foo":0:{}s:1:"b";r:2;s:1:"c";R:2;s:1:"d";R:2;}`,
		remove:     "a",
	}, {
		// a, b and c hold a reference to the Foo: b is written as & Foo.
		name:       "copy at a & reference's place",
		serialized: `a:3:{s:1:"a";O:3:"Foo":0:{}s:1:"b";R:2;s:1:"c";R:2;}`,
		remove:     "a",
	}, {
		// a holds the Foo, b and c a reference to it: b is left alone,
		// a plain objref.
		name:       "one & reference left to a plain object",
		serialized: `a:3:{s:1:"a";O:3:"Foo":0:{}s:1:"b";r:2;s:1:"c";R:3;}`,
		remove:     "c",
	}, {
		// a's p holds the Foo, b and c a reference to it: b is written
		// as & Foo, and d's copy of the stdClass has p a plain objref.
		name:       "plain object inside a copy",
		serialized: `a:4:{s:1:"a";O:8:"stdClass":1:{s:1:"p";O:3:"Foo":0:{}}s:1:"b";r:3;s:1:"c";R:4;s:1:"d";r:2;}`,
		remove:     "a",
	}}
	var in bytes.Buffer
	for i, tt := range tests {
		fmt.Fprintf(&in, "G %d %s\n", i, base64.StdEncoding.EncodeToString([]byte(tt.serialized)))
	}
	cases := make([]repeatedCase, len(tests))
	for i, fields := range roundtrip(t, in.Bytes(), "G", 3, len(tests)) {
		if fields[2] == "!" {
			t.Fatalf("%s: PHP cannot unserialize %s", tests[i].name, tests[i].serialized)
		}
		cases[i] = repeatedCase{f: phpsession.FormatIgbinary, payload: b64(t, fields[2]), name: tests[i].remove}
	}
	compareRepeated(t, cases)
}

// TestIgbinaryArrayCopies holds Go to PHP 8.2's igbinary session handler
// on sessions holding an array PHP shares in memory (copy-on-write) more
// than once, which igbinary writes in full once and then as refs to it,
// after a Remove. Each session is built by the PHP code below ($s), and
// changed by PHP and by Go. A copy stays a ref to the first occurrence
// written: inside a copy made for a removed value, after a removed name
// shifted the slots, when the first occurrence itself was removed (the
// next copy is written in full, the later ones refer to it), when the
// array holds an object (each copy then holds an r: to it), and inside a
// copied array.
func TestIgbinaryArrayCopies(t *testing.T) {
	tests := []struct {
		name   string
		php    string // sets $s, the session
		remove string
	}{{
		name:   "a shared array inside a copy of a removed object",
		php:    `$q = ['x' => null]; $o = new stdClass; $o->q = $q; $s = ['u0' => $o, 'b1' => $q, 'u2' => $o];`,
		remove: "u0",
	}, {
		name:   "the first occurrence removed",
		php:    `$a = ['y' => new stdClass]; $s = ['u0' => [$a], 'a1' => $a, 'a2' => $a];`,
		remove: "u0",
	}, {
		name:   "slots shifted before an array holding an object",
		php:    `$a = [new stdClass]; $s = ['x' => null, 'a' => $a, 'b' => $a];`,
		remove: "x",
	}, {
		name:   "the first occurrence removed, met again inside a copy of a removed object",
		php:    `$q = [new stdClass]; $o = new stdClass; $o->q = $q; $s = ['u0' => $o, 'b1' => $q, 'u2' => $o, 'b3' => $q];`,
		remove: "u0",
	}, {
		name:   "a shared array inside a copied one",
		php:    `$p = [1 => -5]; $a = ['y' => $p, 'o' => new stdClass]; $s = ['u0' => $p, 'a1' => $a, 'u2' => $a, 'a3' => $p];`,
		remove: "a1",
	}, {
		name:   "a copy inside a copied array, its first occurrence removed",
		php:    `$o = new stdClass; $in = [$o]; $a = ['y' => $in, 'z' => $in]; $s = ['u0' => $a, 'u1' => $in, 'a2' => $a];`,
		remove: "u0",
	}, {
		name:   "the last name removed, references kept",
		php:    `$o = new stdClass; $b = ['y' => $o]; $s = ['o' => $o, 'b' => $b, 'c' => $b, 'n' => 1];`,
		remove: "n",
	}}
	script := "<?php\n"
	for _, tt := range tests {
		script += "(function () { " + tt.php + " echo base64_encode(igbinary_serialize($s)), \"\\n\"; })();\n"
	}
	testenv.PHP(t, "igbinary")
	out := strings.Split(strings.TrimSpace(string(testenv.RunPHP(t, script, nil))), "\n")
	if len(out) != len(tests) {
		t.Fatalf("php printed %d lines for %d sessions", len(out), len(tests))
	}
	cases := make([]repeatedCase, len(tests))
	for i, tt := range tests {
		cases[i] = repeatedCase{f: phpsession.FormatIgbinary, payload: b64(t, out[i]), name: tt.remove}
	}
	compareRepeated(t, cases)
	compareIgbinaryValues(t, cases)
}

// igSessionsPHP prints, for argv[2] igbinary sessions PHP builds with
// random values seeded with argv[1], one line each: the base64 of
// igbinary_serialize($s) and the session's names, comma-separated. Values
// hold objects (an Account's login & bound to another property, sometimes),
// enum cases and arrays used again (PHP shares them in memory, and igbinary
// writes a copy as a ref to the first), & references between elements of
// the session array and of a top-level array, and names holding another
// name's value by & or as a copy.
const igSessionsPHP = `<?php
class Account { public $login = 'lone'; protected $role = 'admin'; private $secret = "s\0x"; }
class Bag2 { public $d = []; public function __serialize(): array { return $this->d; } public function __unserialize(array $d): void { $this->d = $d; } }
enum Suit: string { case Hearts = 'H'; case Spades = 'S'; }
mt_srand((int)$argv[1]);
function pick($a) { return $a[mt_rand(0, count($a) - 1)]; }
// gen returns a random value.
function gen($d) {
    global $OBJS, $ARRS;
    $r = mt_rand(0, $d > 3 ? 5 : 11);
    switch ($r) {
    case 0: return null;
    case 1: return mt_rand(-5, 5);
    case 2: return pick(['a', 'b', '']);
    case 3: return pick([Suit::Hearts, Suit::Spades]);
    case 4: if ($OBJS) return pick($OBJS); return 1.5;
    case 5: if ($ARRS) return pick($ARRS); return [];
    case 6: case 7:
        $a = [];
        for ($i = mt_rand(0, 3); $i > 0; $i--) { $a[pick(['x','y','z',0,1])] = gen($d + 1); }
        $k = array_keys($a);
        if (count($k) >= 2 && mt_rand(0, 2) == 0) { $a[$k[0]] = &$a[$k[1]]; }
        if (mt_rand(0, 1)) $ARRS[] = $a;
        return $a;
    case 8: case 9:
        $o = mt_rand(0, 1) ? new stdClass : new Account;
        for ($i = mt_rand(0, 2); $i > 0; $i--) { $o->{pick(['p','q','login'])} = gen($d + 1); }
        if ($o instanceof Account && mt_rand(0, 2) == 0) { $o->login = &$o->p; }
        $OBJS[] = $o;
        return $o;
    case 10: $o = new Bag2; $o->d = [gen($d+1), gen($d+1)]; $OBJS[] = $o; return $o;
    default: return gen($d);
    }
}
for ($n = (int)$argv[2], $i = 0; $i < $n; $i++) {
    $OBJS = []; $ARRS = [];
    $s = [];
    $names = [];
    for ($j = mt_rand(1, 7); $j > 0; $j--) {
        $name = '~' . pick(['a','b','u']) . count($names) . '~';
        $names[] = $name;
        $r = mt_rand(0, 9);
        if ($r < 5 || count($s) == 0) { $s[$name] = gen(0); }
        elseif ($r < 8) { $k = pick(array_keys($s)); $s[$name] = &$s[$k]; }
        else { $k = pick(array_keys($s)); $s[$name] = $s[$k]; }
    }
    echo base64_encode(igbinary_serialize($s)), ' ', implode(',', $names), "\n";
}
`

// TestDifferentialIgbinaryPHPSessions holds Go to PHP 8.2's igbinary
// session handler on sessions PHP builds itself (igSessionsPHP), with the
// shapes only PHP makes: arrays shared in memory, and & references made
// with =&. PHP's session_decode(), one name unset (or a new one set),
// session_encode() are compared with DecodeSession, Remove or Set, Encode,
// byte for byte, and each name's value with PHP's.
func TestDifferentialIgbinaryPHPSessions(t *testing.T) {
	seed := seedFor(t)
	r := rand.New(rand.NewPCG(seed, 0x16b5e5))
	testenv.PHP(t, "igbinary")
	out := testenv.RunPHP(t, igSessionsPHP, nil, strconv.FormatUint(seed%(1<<31), 10), strconv.Itoa(*diffN))
	var cases []repeatedCase
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		p, ns, _ := strings.Cut(l, " ")
		pool := strings.Split(ns, ",")
		cs := repeatedCase{f: phpsession.FormatIgbinary, payload: b64(t, p), name: pool[r.IntN(len(pool))]}
		if r.IntN(4) == 0 {
			// A new name: PHP assigns an existing one through its &
			// reference, which Set does not do.
			cs.name, cs.value = "n", phpsession.IntValue(5)
		}
		cases = append(cases, cs)
	}
	if len(cases) != *diffN {
		t.Fatalf("php printed %d sessions, want %d", len(cases), *diffN)
	}
	compareRepeated(t, cases)
	compareIgbinaryValues(t, cases)
	t.Logf("seed %d: %d igbinary sessions built by PHP decoded, changed and encoded by PHP and Go", seed, len(cases))
}

// genSetValue returns a random value to Set, without references or enum
// cases, as PHP reads it back from its serialize() form (a NAN's bits, say).
func genSetValue(t *testing.T, r *rand.Rand) phpsession.Value {
	t.Helper()
	v := (&valueGen{r: r}).value(0)
	for valueHas(v, func(v phpsession.Value) bool { return isRef(v) || v.Kind() == phpsession.Enum }) {
		v = (&valueGen{r: r}).value(0)
	}
	data, err := phpsession.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back phpsession.Value
	if err := phpsession.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

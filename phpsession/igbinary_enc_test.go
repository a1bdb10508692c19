package phpsession

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

// TestIgEncStrs writes strings into a payload as the encoder does, past
// the strings held in place and past several growths of the index, with
// room reserved for some or none, each string interned twice: the first
// time it is not found and takes the next id (then it is written), the
// second it is found with that id, as
// are all the strings before it. Many strings share their length and
// first and last bytes (the in-place index's slot), and some are prefixes
// of others, so that only comparing the bytes written tells them apart.
func TestIgEncStrs(t *testing.T) {
	for _, reserve := range []int{0, 10, 100, 3000} {
		t.Run("reserve "+strconv.Itoa(reserve), func(t *testing.T) {
			var tab igEncStrs
			tab.reserve(reserve)
			buf := []byte("header")
			const n = 5000
			name := func(i int) string { return "s" + strconv.Itoa(i%7) + strconv.Itoa(i) + "s" }
			for i := range n {
				s := name(i)
				if id, ok := tab.intern(buf, s); ok {
					t.Fatalf("intern(%q) = %d, true on its first time, want a new id %d", s, id, i)
				}
				buf = append(append(buf, igString8, byte(len(s))), s...)
				if id, ok := tab.intern(buf, s); !ok || id != uint32(i) {
					t.Fatalf("intern(%q) = %d, %v the second time, want %d, true", s, id, ok, i)
				}
			}
			for i := range n {
				if id, ok := tab.intern(buf, name(i)); !ok || id != uint32(i) {
					t.Fatalf("intern(%q) = %d, %v, want %d, true", name(i), id, ok, i)
				}
			}
			for i, s := range []string{"absent", "s0", "s00", "header", name(7)[:3]} {
				if id, ok := tab.intern(buf, s); ok {
					t.Fatalf("intern(%q) = %d, true: it was never added", s, id)
				}
				buf = append(append(buf, igString8, byte(len(s))), s...)
				if id, ok := tab.intern(buf, s); !ok || id != uint32(n+i) {
					t.Fatalf("intern(%q) = %d, %v after adding it, want %d, true", s, id, ok, n+i)
				}
			}
		})
	}
}

// TestIgStrHash checks that igStrHash spreads strings of every length up
// to past the short ones over the slots of a small index: strings that
// differ in one byte, at any place, or in length alone, rarely share a
// hash.
func TestIgStrHash(t *testing.T) {
	for n := 1; n <= 24; n++ {
		seen := make(map[uint32]string)
		collisions := 0
		base := []byte(strings.Repeat("k", n))
		try := func(s string) {
			h := igStrHash(s)
			if o, ok := seen[h]; ok && o != s {
				collisions++
			}
			seen[h] = s
		}
		for i := range n {
			for c := range 256 {
				b := append([]byte(nil), base...)
				b[i] = byte(c)
				try(string(b))
			}
		}
		try(strings.Repeat("k", n+1))
		if collisions > 2 {
			t.Errorf("strings of %d bytes: %d hash collisions among %d strings", n, collisions, len(seen))
		}
	}
}

// TestIgbinarySessionEncodePHP has PHP write igbinary sessions whose
// entries share arrays, objects, strings and & references with each other,
// in few and in many entries (past the strings searched one by one, past
// the arrays remembered in place), and checks that a session decoded from
// each, with every value set again (as TestBenchPHP does: Set would refuse
// a value whose references point into a changed entry), encodes to PHP's bytes.
func TestIgbinarySessionEncodePHP(t *testing.T) {
	testenv.PHP(t, "igbinary")
	script := `<?php
$sessions = [
    (function () { $a = [1, 'x']; return ['a' => $a, 'b' => $a, 'c' => [$a, $a], 'd' => [], 'e' => []]; })(),
    (function () { $o = new stdClass; $o->k = 'v'; $x = 5; return ['o' => $o, 'x' => &$x, 'p' => $o, 'y' => [&$x, 'x']]; })(),
    (function () { $s = []; for ($i = 0; $i < 300; $i++) { $s["k$i"] = ['w' . ($i % 40), $i % 3 ? "s$i" : 'k' . ($i + 1)]; } $s['again'] = $s['k7']; return $s; })(),
    (function () { $a = ['p' => 'q']; $s = []; for ($i = 0; $i < 40; $i++) { $s["n$i"] = [$i, [$i]]; } for ($i = 0; $i < 40; $i++) { $s["m$i"] = $s["n$i"]; } $s['z'] = $a; $s['zz'] = [$a]; return $s; })(),
    (function () { $s = []; for ($i = 0; $i < 5000; $i++) { $s["k$i"] = "v$i"; } return $s; })(),
];
foreach ($sessions as $s) {
    echo bin2hex(igbinary_serialize($s)), "\n";
}
`
	out := testenv.RunPHP(t, script, nil)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 5 {
		t.Fatalf("php printed %q", out)
	}
	for i, l := range lines {
		payload := igMustHex(l)
		s, err := DecodeSession(payload, FormatIgbinary)
		if err != nil {
			t.Fatalf("session %d: DecodeSession: %v", i, err)
		}
		igTouchAll(t, s)
		got, err := s.Encode()
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("session %d: Encode() =\n%x, %v\nwant PHP's\n%x", i, got, err, payload)
		}
	}
}

// igTouchAll sets every value of s again, the references in them kept,
// as TestBenchPHP does before its encodes.
func igTouchAll(tb testing.TB, s *Session) {
	tb.Helper()
	for i := range s.entries {
		v, err := s.value(i)
		if err != nil {
			tb.Fatal(err)
		}
		s.setVal(&s.entries[i], v)
		s.entries[i].touched = true
	}
	s.changed = true
}

// TestIgSmallMap puts keys past the entries held in place and past several
// growths of the index: each keeps its value, add finds the keys put
// before, a key never put is not found, and the zero key (a nil
// composite, which marks an empty slot) is never found, even once put.
func TestIgSmallMap(t *testing.T) {
	var m igSmallMap[*composite, int]
	comps := make([]*composite, 1000)
	for i := range comps {
		comps[i] = &composite{}
		if _, ok := m.get(comps[i]); ok {
			t.Fatalf("key %d found before it was put", i)
		}
		m.put(comps[i], i)
		for _, j := range []int{0, i / 2, i} {
			if v, ok := m.get(comps[j]); !ok || v != j {
				t.Fatalf("after %d keys: get(key %d) = %d, %v, want %d, true", i+1, j, v, ok, j)
			}
		}
	}
	if !m.add(comps[7], -1) {
		t.Fatal("add of a key put before said it had no value")
	}
	if v, _ := m.get(comps[7]); v != 7 {
		t.Fatalf("add of a key put before changed its value to %d", v)
	}
	if _, ok := m.get(&composite{}); ok {
		t.Fatal("a key never put was found")
	}
	m.put(nil, 1)
	if _, ok := m.get(nil); ok {
		t.Fatal("the nil key was found")
	}
}

package phpsession_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/phpsession"
)

// TestDifferentialIgbinaryRepeatedNames holds Go to PHP 8.2's igbinary
// session handler on payloads that write a name more than once, which
// igbinary_serialize() never does: PHP writes a session of distinct names
// ~a0~, ~a1~, ... (igbinary_serialize of a random php_serialize session),
// the test renames ~a1~, ~a2~, ... to ~a0~ in its bytes (strings of the
// same length, each its own entry of the string table), and PHP's
// session_decode(), one name set or unset, session_encode() are compared
// with DecodeSession, Set or Remove, Encode, as in
// TestDifferentialRepeatedNames.
//
// The sessions hold no references (& or an object's, a repeated enum case
// included): with repeated names, that is a known gap, and without, the
// igbinary differential tests' concern. With repeated names, DecodeSession refuses it ("key repeated in a session that holds
// references", "references in a session that repeats a key"), where PHP
// decodes it, and can write back what a use of freed memory left: the
// payload igbinary_serialize writes for
//
//	a:3:{s:4:"~a0~";O:3:"Foo":0:{}s:4:"~b0~";r:2;s:4:"~a1~";i:1;}
//
// with ~a1~ renamed is, to PHP, ~a0~ 1 and ~b0~ the Foo, and
//
//	a:3:{s:4:"~a0~";a:1:{i:0;i:1;}s:4:"~a1~";i:2;s:4:"~b0~";R:3;}
//
// is ~a0~ 2 and ~b0~ a reference to 1 (PHP keeps the element of the
// replaced array); a repeat that replaces a value some later & reference
// points into can make session_encode() fail with "igbinary_serialize_zval:
// zval has unknown type".
func TestDifferentialIgbinaryRepeatedNames(t *testing.T) {
	seed := seedFor(t)
	r := rand.New(rand.NewPCG(seed, 0x16b1))
	var in bytes.Buffer
	for c := 0; c < *diffN; c++ {
		fmt.Fprintf(&in, "G %d %s\n", c, base64.StdEncoding.EncodeToString(genDistinctSession(r)))
	}
	pool := []string{"~a0~", "~b0~", "~u0~"}
	cases := make([]repeatedCase, *diffN)
	repeats := 0
	for i, fields := range roundtrip(t, in.Bytes(), "G", 3, *diffN) {
		if fields[2] == "!" {
			t.Fatalf("PHP cannot unserialize the session Go generated: %q", fields)
		}
		payload := b64(t, fields[2])
		renamed := payload
		for _, b := range "abu" {
			for k := 1; k < 8; k++ {
				renamed = bytes.ReplaceAll(renamed, fmt.Appendf(nil, "~%c%d~", b, k), fmt.Appendf(nil, "~%c0~", b))
			}
		}
		if !bytes.Equal(renamed, payload) {
			repeats++
		}
		cs := repeatedCase{f: phpsession.FormatIgbinary, payload: renamed, name: append(pool, "n")[r.IntN(len(pool)+1)]}
		if cs.name == "n" || r.IntN(4) > 0 {
			cs.value = genSetValue(t, r)
		}
		cases[i] = cs
	}
	compareRepeated(t, cases)
	t.Logf("seed %d: %d igbinary sessions (%d with repeated names) decoded, changed and encoded by PHP and Go", seed, len(cases), repeats)
}

// genDistinctSession returns a php_serialize session payload of up to 7
// entries named ~a0~, ~a1~, ~b0~, ~u0~, ... (a letter, then how many times
// the letter came before), whose values hold no references.
func genDistinctSession(r *rand.Rand) []byte {
	g := &valueGen{r: r}
	n := 1 + r.IntN(7)
	seen := map[byte]int{}
	body := fmt.Appendf(nil, "a:%d:{", n)
	for range n {
		b := "abu"[r.IntN(3)]
		name := fmt.Sprintf("~%c%d~", b, seen[b])
		seen[b]++
		v := g.value(0)
		for valueHas(v, isRef) { // an enum case written before
			v = g.value(0)
		}
		data, err := phpsession.Marshal(v)
		if err != nil {
			panic(err)
		}
		body = append(fmt.Appendf(body, "s:%d:%q;", len(name), name), data...)
	}
	return append(body, '}')
}

// TestIgbinaryRepeatedNamesWithReferences shows, with real PHP, the gap
// TestDifferentialIgbinaryRepeatedNames leaves out: igbinary sessions
// (as igbinary_serialize wrote them, one name renamed to repeat another)
// that hold references. PHP decodes them to the values below; DecodeSession
// refuses them for now, and must give PHP's values once it decodes them.
func TestIgbinaryRepeatedNamesWithReferences(t *testing.T) {
	tests := []struct {
		name    string
		payload string // hex
		want    map[string]string
	}{{
		// a:3:{s:4:"~a0~";O:3:"Foo":0:{}s:4:"~b0~";r:2;s:4:"~a1~";i:1;}
		name:    "object reference to a replaced value",
		payload: "00000002140311047e61307e1703466f6f140011047e62307e220111047e61307e0601",
		want:    map[string]string{"~a0~": "i:1;", "~b0~": `Os:3:"Foo";{}`},
	}, {
		// a:3:{s:4:"~a0~";a:1:{i:0;i:1;}s:4:"~a1~";i:2;s:4:"~b0~";R:3;}
		name:    "& reference into a replaced array",
		payload: "00000002140311047e61307e1401060025060111047e61307e060211047e62307e250102",
		want:    map[string]string{"~a0~": "i:2;", "~b0~": "i:1;"},
	}}
	var in bytes.Buffer
	for i, tt := range tests {
		payload, err := hex.DecodeString(tt.payload)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&in, "D %d igbinary %s\n", i, base64.StdEncoding.EncodeToString(payload))
	}
	for i, fields := range roundtrip(t, in.Bytes(), "D", 3, len(tests)) {
		tt := tests[i]
		php := map[string]string{}
		for _, kv := range strings.Split(fields[2], ",") {
			k, v, _ := strings.Cut(kv, ":")
			php[string(b64(t, k))] = string(b64(t, v))
		}
		if !maps.Equal(php, tt.want) {
			t.Errorf("%s: PHP decodes %s to %q, want %q", tt.name, tt.payload, php, tt.want)
		}
		payload, _ := hex.DecodeString(tt.payload)
		s, err := phpsession.DecodeSession(payload, phpsession.FormatIgbinary)
		if err != nil {
			t.Logf("%s: DecodeSession: %v (the known gap)", tt.name, err)
			continue
		}
		for name, tree := range php {
			var v phpsession.Value
			if err := s.Unmarshal(name, &v); err != nil {
				t.Errorf("%s: DecodeSession(%s).Unmarshal(%q): %v; PHP has %q", tt.name, tt.payload, name, err, tree)
			} else if got := dumpTree(t, v); got != tree {
				t.Errorf("%s: DecodeSession(%s).Unmarshal(%q) = %q; PHP has %q", tt.name, tt.payload, name, got, tree)
			}
		}
	}
}

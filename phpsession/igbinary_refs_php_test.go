package phpsession_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"testing"

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
			v := (&valueGen{r: r}).value(0)
			for valueHas(v, func(v phpsession.Value) bool { return isRef(v) || v.Kind() == phpsession.Enum }) {
				v = (&valueGen{r: r}).value(0)
			}
			// The value as PHP reads it (its NAN, say).
			data, err := phpsession.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if err := phpsession.Unmarshal(data, &cs.value); err != nil {
				t.Fatal(err)
			}
		}
		cases[i] = cs
	}
	compareRepeated(t, cases)
	t.Logf("seed %d: %d igbinary sessions with references decoded, changed and encoded by PHP and Go", seed, len(cases))
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

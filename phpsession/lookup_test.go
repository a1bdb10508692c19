package phpsession

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/vectors"
)

// lookupAgrees checks that Lookup of every name of data, and of names data
// does not hold, gives what DecodeSession and Get give.
func lookupAgrees(t *testing.T, data []byte, f Format) {
	t.Helper()
	s, err := DecodeSession(data, f)
	if err != nil {
		t.Fatalf("DecodeSession(%q, %s): %v", data, f, err)
	}
	for _, name := range append(s.Names(), "", "absent", "k1", "0", "7") {
		want, wantOK := s.Get(name)
		got, ok, err := Lookup(data, f, name)
		if err != nil || ok != wantOK || ok && !equalEncoding(got, want) {
			t.Fatalf("Lookup(%q, %s, %q) = %v, %v, %v; Get gives %v, %v", data, f, name, got, ok, err, want, wantOK)
		}
	}
}

func TestLookupVectors(t *testing.T) {
	vs, fs := serializeVectors(t)
	for i, v := range vs {
		lookupAgrees(t, v.Payload, fs[i])
	}
	for _, v := range vectors.MustLoad(t) {
		if v.Handler == "igbinary" {
			lookupAgrees(t, v.Payload, FormatIgbinary)
		}
	}
}

// TestLookupGenerated checks Lookup on generated sessions in each text
// format, with references between entries and names written twice.
func TestLookupGenerated(t *testing.T) {
	big := benchSession(t, 20<<10)
	php, err := DecodeSession(big, FormatPHP)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{FormatPHP, FormatPHPBinary, FormatPHPSerialize} {
		s := NewSession(f)
		for _, name := range php.Names() {
			v, _ := php.Get(name)
			if err := s.Set(name, v); err != nil {
				t.Fatal(err)
			}
		}
		data, err := s.Encode()
		if err != nil {
			t.Fatal(err)
		}
		lookupAgrees(t, data, f)
	}
	for _, tc := range []struct {
		f    Format
		data string
	}{
		{FormatPHP, `a|i:1;b|s:2:"a|";a|i:3;`},
		{FormatPHP, `a|O:8:"stdClass":0:{}b|r:1;c|R:2;a|i:3;`},
		{FormatPHP, `ab|i:1;b|i:2;xb|s:4:"zab|";b|i:3;`},
		{FormatPHPBinary, "\x01a\x69:1;\x01b\x73:2:\"\x01a\";\x81a\x69:3;"},
		{FormatPHPSerialize, `a:4:{s:1:"7";i:1;i:7;i:2;s:1:"x";s:5:"i:7;x";s:1:"7";i:4;}`},
		{FormatPHPSerialize, `a:3:{s:1:"a";s:5:"";a";";s:1:"b";i:2;s:1:"a";i:3;}`},
	} {
		lookupAgrees(t, []byte(tc.data), tc.f)
	}
}

// TestLookupSameNameLater checks Lookup where a later entry has the
// searched name, or where its text appears after the entry without being an
// entry: names sharing a suffix or a last byte with it, the name and '|'
// inside a string value, a later entry right after the one found, and the
// empty name.
func TestLookupSameNameLater(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		data string
	}{
		{FormatPHP, `a|i:1;a|i:2;`},                   // the same name right after
		{FormatPHP, `b|i:1;ab|i:2;xb|i:3;`},           // later names ending in the name
		{FormatPHP, `b|i:1;ab|i:2;xb|i:3;b|i:4;`},     // and then the name itself
		{FormatPHP, `key10|i:1;key20|i:2;kez10|i:3;`}, // the same last byte, the same length
		{FormatPHP, `key10|i:1;key20|s:6:"key10|";`},  // the name and '|' in a string
		{FormatPHP, `key10|i:1;key20|s:7:"key10|x";key10|i:3;`},
		{FormatPHP, `k|i:1;x|s:1:"|";y|s:2:"k|";`}, // '|' and k| as values
		{FormatPHP, `|i:1;a|i:2;`},                 // the empty name
		{FormatPHP, `|i:1;a|i:2;|i:3;`},
		{FormatPHP, `long_name|i:1;g_name|i:2;name|i:3;`}, // suffixes of the name
		{FormatPHPBinary, "\x02ab\x69:1;\x01b\x69:2;\x02ab\x69:3;"},
		{FormatPHPBinary, "\x02ab\x69:1;\x03xab\x69:2;"},
		{FormatPHPSerialize, `a:3:{s:2:"ab";i:1;s:3:"xab";i:2;s:2:"ab";i:3;}`},
		{FormatPHPSerialize, `a:3:{i:10;i:1;s:3:"110";i:2;i:10;i:3;}`},
	} {
		lookupAgrees(t, []byte(tc.data), tc.f)
		s, err := DecodeSession([]byte(tc.data), tc.f)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range s.Names() {
			// Every later entry is found by the search: it says "may hold"
			// for the payload after the first entry of a name written twice.
			if first, last := firstAndLastEnd(t, []byte(tc.data), tc.f, name); first != last &&
				!mayHoldEntry([]byte(tc.data)[first:], tc.f, name) {
				t.Errorf("mayHoldEntry(%q after byte %d, %s, %q) = false; the name comes again", tc.data, first, tc.f, name)
			}
		}
	}
}

// firstAndLastEnd returns where the first and the last entry named name end
// in data.
func firstAndLastEnd(t *testing.T, data []byte, f Format, name string) (first, last int) {
	t.Helper()
	var sc entryScanner
	if err := sc.start(data, f, limits{}.orDefault()); err != nil {
		t.Fatal(err)
	}
	first = -1
	for sc.more() {
		var e entry
		if err := sc.next(&e); err != nil {
			t.Fatal(err)
		}
		if string(data[e.nameStart:e.nameEnd]) == name {
			if first < 0 {
				first = int(e.end)
			}
			last = int(e.end)
		}
	}
	return first, last
}

// TestMayHoldEntry checks mayHoldEntry against a plain search for the way
// each format writes an entry name, on every name and every cut of texts
// full of near misses: a false answer must be certain.
func TestMayHoldEntry(t *testing.T) {
	texts := []string{
		`ab|i:1;b|i:2;xb|s:4:"zab|";b|a:1:{s:1:"b";s:2:"b|";}|b||bb|`,
		"\x01a\x02ab\x82ab\x01b\x03xab b\x02b",
		`s:1:"a";i:7;s:2:"ab";i:17;s:1:"7";x"a";i:a;"b";"b""ab"i:ab;`,
	}
	names := []string{"", "a", "b", "ab", "xab", "bb", "7", "17", "b|", "|", "zab|"}
	for _, f := range []Format{FormatPHP, FormatPHPBinary, FormatPHPSerialize} {
		for _, text := range texts {
			for cut := range len(text) + 1 {
				rest := []byte(text[cut:])
				for _, name := range names {
					if got, want := mayHoldEntry(rest, f, name), holdsNamePlainly(rest, f, name); want && !got {
						t.Errorf("mayHoldEntry(%q, %s, %q) = false; the name is written there", rest, f, name)
					} else if got && !want && name != "" {
						t.Errorf("mayHoldEntry(%q, %s, %q) = true; the name is not written there", rest, f, name)
					}
				}
			}
		}
	}
}

// holdsNamePlainly reports whether rest holds name written as an entry name
// of format f, by trying every position.
func holdsNamePlainly(rest []byte, f Format, name string) bool {
	for at := 0; at+len(name) <= len(rest); at++ {
		if string(rest[at:at+len(name)]) != name {
			continue
		}
		after := string(rest[at+len(name):])
		switch f {
		case FormatPHP:
			if strings.HasPrefix(after, "|") {
				return true
			}
		case FormatPHPBinary:
			if at > 0 && int(rest[at-1]&binNameMask) == len(name) {
				return true
			}
		case FormatPHPSerialize:
			if at >= 2 && string(rest[at-2:at]) == `:"` && strings.HasPrefix(after, `";`) ||
				at >= 2 && string(rest[at-2:at]) == `i:` && strings.HasPrefix(after, `;`) && len(after) > 1 { // a value follows a key
				return true
			}
		}
	}
	return false
}

// TestLookupRest checks what Lookup reads of a faulty payload: a fault
// before the entry is DecodeSession's error, one after it is not looked at,
// unless the name appears after the entry.
func TestLookupRest(t *testing.T) {
	for _, tc := range []struct {
		data, name string
		want       string // the value found; "" for DecodeSession's error
	}{
		{`a|i:1;b|i:`, "a", `i:1;`},
		{`a|i:1;b|i:`, "b", ""},
		{`a|i:1;b|i:2;a|`, "a", ""},                       // a may come again: the rest is read
		{`a|i:1;b|s:3:"a|x";c|i:`, "a", ""},               // the name's text in a value: the rest is read
		{`x|i:01;a|i:1;`, "a", ""},                        // a fault before the entry
		{`a|a:1:{i:0;i:1;}b|r:9;`, "a", `a:1:{i:0;i:1;}`}, // a bad reference after it
	} {
		v, ok, err := Lookup([]byte(tc.data), FormatPHP, tc.name)
		_, derr := DecodeSession([]byte(tc.data), FormatPHP)
		if derr == nil {
			t.Fatalf("DecodeSession(%q) accepts it: not a faulty payload", tc.data)
		}
		if tc.want == "" {
			if err == nil || err.Error() != derr.Error() {
				t.Errorf("Lookup(%q, %q) = %v, %v, %v; want DecodeSession's error %v", tc.data, tc.name, v, ok, err, derr)
			}
			continue
		}
		want, _, _ := decodeValue([]byte(tc.want), limits{})
		if err != nil || !ok || !equalEncoding(v, want) {
			t.Errorf("Lookup(%q, %q) = %v, %v, %v; want %s", tc.data, tc.name, v, ok, err, tc.want)
		}
	}
	if _, _, err := Lookup([]byte(`a|i:1;`), Format(99), "a"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Lookup in an unknown format = %v, want ErrUnknownFormat", err)
	}
}

// FuzzLookup checks that Lookup never panics and, on a payload
// DecodeSession accepts, agrees with Get.
func FuzzLookup(f *testing.F) {
	vs, fs := serializeVectors(f)
	for i, v := range vs {
		f.Add(v.Payload, uint8(fs[i]), "auth")
	}
	f.Add([]byte(`a|i:1;b|i:2;a|i:3;`), uint8(FormatPHP), "a")
	f.Add([]byte(`key10|i:1;key20|s:7:"key10|x";xkey10|i:3;key10|a:1:{i:0;d:0.5;}`), uint8(FormatPHP), "key10")
	f.Add([]byte(`a:3:{s:2:"ab";i:1;s:3:"xab";s:6:"";ab";";s:2:"ab";i:3;}`), uint8(FormatPHPSerialize), "ab")
	f.Add([]byte("\x02ab\x69:1;\x03xab\x73:3:\"\x02ab\";\x82ab\x69:3;"), uint8(FormatPHPBinary), "ab")
	f.Fuzz(func(t *testing.T, data []byte, format uint8, name string) {
		fm := []Format{FormatPHP, FormatPHPBinary, FormatPHPSerialize}[int(format)%3]
		v, ok, err := Lookup(data, fm, name)
		s, derr := DecodeSession(data, fm)
		if derr != nil {
			return
		}
		want, wantOK := s.Get(name)
		if err != nil || ok != wantOK || ok && !equalEncoding(v, want) {
			t.Fatalf("Lookup(%q, %s, %q) = %v, %v, %v; Get gives %v, %v", data, fm, name, v, ok, err, want, wantOK)
		}
	})
}

// BenchmarkLookup reads one key with Lookup: the first (the byte search
// then covers the rest), the key ReadOneKey reads, and the last one (Lookup
// then reads the whole payload); and key150 of 8 sessions like the 100 KB
// one, taken in turn.
func BenchmarkLookup(b *testing.B) {
	for _, in := range benchInputs(b) {
		s, _ := DecodeSession(in.data, in.format)
		names := s.Names()
		for _, key := range []struct{ label, name string }{{"first", names[0]}, {"key", in.key}, {"last", names[len(names)-1]}} {
			b.Run(fmt.Sprintf("%s/%s", in.name, key.label), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(in.data)))
				for b.Loop() {
					if _, ok, err := Lookup(in.data, in.format, key.name); !ok || err != nil {
						b.Fatal(ok, err)
					}
				}
			})
		}
	}
	// key150 of sessions alike, one after the other (benchVariedSessions).
	b.Run("100KB-varied/key", func(b *testing.B) {
		varied := benchVariedSessions(b)
		b.ReportAllocs()
		b.SetBytes(int64(len(varied[0])))
		k := 0
		for b.Loop() {
			if _, ok, err := Lookup(varied[k], FormatPHP, "key150"); !ok || err != nil {
				b.Fatal(ok, err)
			}
			k = (k + 1) % len(varied)
		}
	})
}

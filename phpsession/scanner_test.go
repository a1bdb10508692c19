package phpsession

import (
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// scanAgrees checks that the scanner (value(false), with its fast paths)
// and the general code (value(true) with general set) agree on data within
// lim: on whether it is valid, the error, where the value ends, and the
// slots, composites, entries, references and objects counted. It returns
// the general code's build: the parser, the value and the error.
func scanAgrees(t *testing.T, data string, lim limits) (gen parser[string], v Value, err error) {
	t.Helper()
	scan := parser[[]byte]{src: []byte(data), lim: lim}
	_, serr := scan.value(false)
	gen = parser[string]{src: data, lim: lim, general: true}
	v, gerr := gen.value(true)
	if (serr == nil) != (gerr == nil) || serr != nil && serr.Error() != gerr.Error() {
		t.Fatalf("scan of %q: %v; general code: %v", data, serr, gerr)
	}
	if serr == nil && (scan.pos != gen.pos || scan.slots != gen.slots || scan.ncomp != gen.ncomp ||
		scan.nent != gen.nent || scan.nrefs != gen.nrefs || !slices.Equal(scan.objSlots, gen.objSlots)) {
		t.Fatalf("scan of %q ends at %d with slots %d, composites %d, entries %d, refs %d, objects %v; general code %d, %d, %d, %d, %d, %v",
			data, scan.pos, scan.slots, scan.ncomp, scan.nent, scan.nrefs, scan.objSlots,
			gen.pos, gen.slots, gen.ncomp, gen.nent, gen.nrefs, gen.objSlots)
	}
	return gen, v, gerr
}

// TestScannerShortcuts checks the tokens skipValue reads in its loop (a
// string with a length of one or two digits, an int, a:<digit>:{,
// O:<digit>:"<Class>":<digit>:{, a plain float, levels opening and
// closing) and their near misses against the general code, alone, as array
// keys and values, and cut short.
func TestScannerShortcuts(t *testing.T) {
	str := func(n int) string { return `s:` + strconv.Itoa(n) + `:"` + strings.Repeat("x", n) + `";` }
	tokens := []string{
		// Strings: lengths of one, two and three digits, and every way
		// the length or the quotes can be wrong.
		`s:0:"";`, `s:1:"a";`, str(9), str(10), str(99), str(100), str(123),
		`s:01:"a";`, `s:00:"";`, `s:1:"ab";`, `s:2:"a";`, `s:10:"abcdefghi";`, `s::"";`, `s:a:"a";`,
		`s:1:'a';`, `s:1:"a"`, `s:1:"a":`, `s:1"a";`, `s;1:"a";`, `s:9a:"123456789";`, `s:-1:"";`,
		`s:1:"|";`, `s:2:"";";`, `s:99:"` + strings.Repeat("y", 98) + `";`,
		// Ints: one digit, long, signed, at the int64 limits, and not
		// canonical.
		`i:0;`, `i:7;`, `i:-7;`, `i:-0;`, `i:00;`, `i:07;`, `i:10;`, `i:123456789012;`,
		`i:999999999999999999;`, `i:-999999999999999999;`, `i:9223372036854775807;`, `i:9223372036854775808;`,
		`i:-9223372036854775808;`, `i:-9223372036854775809;`, `i:;`, `i:-;`, `i:1`, `i:1:`, `i;1;`, `i:1a;`, `i:+1;`,
		// Composites: one-digit counts, counts the bytes left cannot
		// hold, and headers near misses.
		`a:0:{}`, `a:1:{i:0;N;}`, `a:2:{i:0;i:1;i:1;i:2;}`, `a:9:{}`, `a:01:{i:0;N;}`, `a:1:{}`, `a:1:{i:0;N;`,
		`a:1:[i:0;N;}`, `a:1;{i:0;N;}`, `a:x:{}`, `a:10:{` + strings.Repeat(`i:0;N;`, 10) + `}`,
		`O:8:"stdClass":0:{}`, `O:8:"stdClass":1:{s:1:"a";i:1;}`, `O:1:"-":0:{}`,
		// Objects: a class name of one to nine bytes and a one-digit
		// count, which the loop reads, and their near misses.
		`O:1:"A":1:{s:1:"p";N;}`, `O:9:"Abcdefghi":0:{}`, `O:10:"Abcdefghij":0:{}`, `O:0:"":0:{}`,
		`O:01:"A":0:{}`, `O:2:"A":0:{}`, `O:1:"AB":0:{}`, `O:1:"A:0:{}`, `O:1:'A':0:{}`, `O:1;"A":0:{}`,
		`O:1:"A";0:{}`, `O:1:"A":0;{}`, `O:1:"A":0:[}`, `O:1:"A":x:{}`, `O:1:"A":01:{s:1:"p";N;}`,
		`O:1:"A":9:{}`, `O:1:"A":10:{` + strings.Repeat(`s:1:"p";N;`, 10) + `}`, `O:1:"\":0:{}`,
		"O:1:\"\x80\":0:{}", `O:1:" ":0:{}`, `O:1:"A":1:{i:0;N;}`,
		// Nesting: levels that close together, a level with entries left
		// after an inner one closes, and counts that do not match.
		`a:2:{i:0;a:2:{i:0;a:0:{}i:1;a:1:{i:0;N;}}i:1;O:1:"A":1:{s:1:"p";a:0:{}}}`,
		`a:1:{i:0;a:1:{i:0;a:1:{i:0;N;}}}`, `a:2:{i:0;a:1:{i:0;N;i:1;N;}}`, `a:1:{i:0;a:2:{i:0;N;}}`,
		`a:1:{i:0;a:1:{i:0;N;}i:1;N;}`, `a:2:{i:0;a:1:{i:0;N;}}}`, `a:1:{i:0;N;}}`,
		// Floats: the plain form and the others.
		`d:1;`, `d:1.5;`, `d:347.1;`, `d:0.25;`, `d:.5;`, `d:5.;`, `d:.;`, `d:;`, `d:-1.5;`, `d:+1;`, `d:1e5;`,
		`d:1.5e-7;`, `d:1e;`, `d:INF;`, `d:-INF;`, `d:NAN;`, `d:1.2.3;`, `d:12345678901234567890.5;`, `d:1.5`,
		// The rest.
		`N;`, `b:0;`, `b:1;`, `b:2;`, `N:`, `x:1;`,
	}
	for _, tok := range tokens {
		for _, data := range []string{
			tok,
			`a:1:{i:0;` + tok + `}`,
			`a:1:{` + tok + `N;}`,
			`a:2:{` + tok + `N;i:1;N;}`, // a key with a valid rest after it
			`a:2:{i:0;N;` + tok + `b:1;}`,
			`a:2:{` + tok + tok + `i:5;` + tok + `}`,
			`a:1:{i:0;a:1:{s:1:"k";` + tok + `}}`,
			`O:8:"stdClass":1:{` + tok + tok + `}`,
		} {
			for cut := range len(data) + 1 {
				scanAgrees(t, data[:cut], limits{}.orDefault())
			}
			// No token here is a custom object, an enum or a reference: the
			// fast path takes every valid value they make when more input
			// follows (it leaves the last few bytes of its input to the
			// general code). A shortcut that gave up on a valid token
			// would pass the checks above and only cost time.
			if Valid([]byte(data)) {
				p := parser[[]byte]{src: []byte(data + "N;N;N;N;"), lim: limits{}.orDefault()}
				if !p.skipValue() || p.pos != len(data) {
					t.Errorf("skipValue(%q + more) = false or stopped at %d: the fast path leaves a valid value to the general code", data, p.pos)
				}
			}
		}
	}
}

// TestDecimal8 checks decimal8 and notDigits, which quotedEnd reads a
// string's length with, on every digit count, with and without leading
// zeros and with each kind of byte after the digits.
func TestDecimal8(t *testing.T) {
	for nd := 1; nd <= 8; nd++ {
		for _, digits := range []string{"12345678", "98765432", "00000009", "90000000", "99999999", "10203040"} {
			for _, after := range []string{":", "\"", "/", "a", "\x00", "\xb9", "9"} {
				text := digits[:nd] + after + "2468135"
				w := uint64(0)
				for k := 7; k >= 0; k-- {
					w = w<<8 | uint64(text[k])
				}
				want, _ := strconv.ParseUint(digits[:nd], 10, 64)
				if got := decimal8(w, nd); got != want {
					t.Errorf("decimal8(%q, %d) = %d, want %d", text[:8], nd, got, want)
				}
				wantEnd := nd
				for wantEnd < 8 && isDigit(text[wantEnd]) {
					wantEnd++
				}
				if got := bits.TrailingZeros64(notDigits(w)) >> 3; got != wantEnd {
					t.Errorf("digits of %q: %d, want %d", text[:8], got, wantEnd)
				}
			}
		}
	}
}

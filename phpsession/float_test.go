package phpsession

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

func TestAppendFloat(t *testing.T) {
	// What PHP 8.2 serialize() writes (php.md §4.2), checked again against
	// the php binary by TestAppendFloatPHP.
	tests := []struct {
		f    float64
		want string
	}{
		{0.1, "0.1"},
		{1, "1"},
		{-1, "-1"},
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1e25, "1.0E+25"},
		{1e-5, "1.0E-5"},
		{0.0001, "0.0001"},
		{1e15, "1000000000000000"},
		{1e16, "10000000000000000"},
		{1e17, "1.0E+17"},
		{123456789012345678, "1.2345678901234568E+17"},
		{1.5e-7, "1.5E-7"},
		{1.5e300, "1.5E+300"},
		{5e-324, "5.0E-324"},
		{math.MaxFloat64, "1.7976931348623157E+308"},
		{4.25, "4.25"},
		{-0.0005, "-0.0005"},
		{100000, "100000"},
		{math.Inf(1), "INF"},
		{math.Inf(-1), "-INF"},
		{math.NaN(), "NAN"},
	}
	for _, tt := range tests {
		if got := string(appendFloat(nil, tt.f)); got != tt.want {
			t.Errorf("appendFloat(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

// floatCorpus returns floats that exercise every branch of PHP's layout:
// powers of ten across the whole range, the decimal point boundaries, the
// limits of float64, integers around 2^53, and random bit patterns.
func floatCorpus(n int) []float64 {
	fs := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
		math.MaxFloat64, math.SmallestNonzeroFloat64, 2.2250738585072014e-308,
		1 << 53, 1<<53 + 2, 1<<53 - 1, 1 << 63, 0.1, 0.2, 0.3, 1.0 / 3}
	for e := -325; e <= 309; e++ {
		p := math.Pow(10, float64(e))
		fs = append(fs, p, -p, 1.5*p, 9.999999999999999*p, math.Nextafter(p, 0), math.Nextafter(p, math.Inf(1)))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for len(fs) < n {
		switch r.IntN(4) {
		case 0: // any bits
			fs = append(fs, math.Float64frombits(r.Uint64()))
		case 1: // few significant digits
			fs = append(fs, float64(r.IntN(100000))*math.Pow(10, float64(r.IntN(50)-25)))
		case 2: // around the layout switch points
			fs = append(fs, (1+r.Float64())*math.Pow(10, float64(r.IntN(8)-6)), (1+r.Float64())*math.Pow(10, float64(14+r.IntN(6))))
		default: // integers
			fs = append(fs, float64(r.Int64N(1<<62)>>r.IntN(62)))
		}
	}
	return fs
}

// TestAppendFloatPHP compares appendFloat and the float decoder with what
// the real php binary's serialize() and unserialize() do, on thousands of
// floats passed to PHP as their bits.
func TestAppendFloatPHP(t *testing.T) {
	testenv.PHP(t)
	fs := floatCorpus(6000)
	var in strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&in, "%016x\n", math.Float64bits(f))
	}
	const script = `<?php
ini_set('serialize_precision', '-1');
while (($line = fgets(STDIN)) !== false) {
    $f = unpack('E', hex2bin(trim($line)))[1];
    echo serialize($f), "\n";
}`
	out := testenv.RunPHP(t, script, []byte(in.String()))
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(fs) {
		t.Fatalf("php wrote %d lines for %d floats", len(lines), len(fs))
	}
	bad := 0
	for i, f := range fs {
		got, err := appendValue(nil, FloatValue(f))
		if err != nil || string(got) != lines[i] {
			bad++
			if bad <= 20 {
				t.Errorf("appendValue(%v [%016x]) = %s, %v; php serialize() = %s", f, math.Float64bits(f), got, err, lines[i])
			}
		}
		v, n, err := decodeValue([]byte(lines[i]), limits{})
		if err != nil || n != len(lines[i]) || v.kind() != Float || v.str != "" ||
			(v.num != math.Float64bits(f) && !math.IsNaN(f)) {
			t.Errorf("decodeValue(%s) = %v (%016x, text %q), %d, %v; want %016x", lines[i], v, v.num, v.str, n, err, math.Float64bits(f))
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d floats differ from PHP", bad, len(fs))
	}
}

// TestFloatTextPHP checks that a float written in a form PHP accepts but does
// not write keeps its text and reads as the float PHP's unserialize() reads.
func TestFloatTextPHP(t *testing.T) {
	testenv.PHP(t)
	texts := []string{"1e25", "1E+25", ".5", "5.", "+1", "00.5", "1.e5", "-.5e-3", "0.10000000000000001",
		"1e400", "-1e400", "1e-400", "123456789012345678901234567890", "1.0", "-0.0", "0.30000000000000004",
		"2.2250738585072011e-308", "4.9406564584124654e-324", "1.7976931348623158e308", "9007199254740993"}
	var in bytes.Buffer
	for _, s := range texts {
		fmt.Fprintf(&in, "d:%s;\n", s)
	}
	const script = `<?php
while (($line = fgets(STDIN)) !== false) {
    $f = unserialize(trim($line));
    echo is_float($f) ? bin2hex(pack('E', $f)) : 'FAIL', "\n";
}`
	out := strings.Fields(string(testenv.RunPHP(t, script, in.Bytes())))
	if len(out) != len(texts) {
		t.Fatalf("php wrote %d lines for %d floats", len(out), len(texts))
	}
	for i, s := range texts {
		in := "d:" + s + ";"
		v, _, err := decodeValue([]byte(in), limits{})
		if err != nil {
			t.Errorf("decodeValue(%q) = %v; php reads %s", in, err, out[i])
			continue
		}
		if got := fmt.Sprintf("%016x", v.num); got != out[i] {
			t.Errorf("decodeValue(%q) = %s, php reads %s", in, got, out[i])
		}
		if enc, err := appendValue(nil, v); err != nil || string(enc) != in {
			t.Errorf("appendValue(decodeValue(%q)) = %q, %v", in, enc, err)
		}
	}
}

// TestShortFloat checks the shortcut against strconv and appendFloat:
// whenever it says a text is canonical, its float has the bits
// floatFromText reads, and appendFloat writes exactly that text.
func TestShortFloat(t *testing.T) {
	texts := []string{"0", "-0", "1", "-1", "100", "0.1", "0.5", "4.25", "0.0001", "0.00001", "0.001", "123456789012345",
		"1234567890123456", "1000000000000000", "0.10000000000000001", "1.0", "01", "1.", ".5", "00.5", "-0.0005",
		"99999999999999.9", "0.30000000000000004", "12345.6789", "1e5", "+1", "-", "",
		"1.0E+25", "1.5E-7", "-2.5E+18", "1.0E-5", "1.50E+25", "1.5E25", "1.5e+25", "1.5E+025", "1.5E+5", "1.5E-4",
		"0.5E-7", "15.0E-7", "1.0E+308", "1.0E-320", "1.2345678901234E+40", "1.23456789012345E+40", "1.0E+", "1.E+25"}
	// Texts PHP writes that shortFloat must read itself.
	mustRead := map[string]bool{"0.1": true, "-4.25": true, "1.0E+25": true, "1.5E-7": true, "-2.5E+18": true, "1.0E+36": true}
	for s := range mustRead {
		texts = append(texts, s)
	}
	for _, f := range floatCorpus(3000) {
		texts = append(texts, string(appendFloat(nil, f)), fmt.Sprint(f), strconv.FormatFloat(f, 'f', -1, 64))
	}
	// Decimals of 1 to 17 random digits with the point anywhere in them or
	// up to 4 zeros before them: shortFloat reads them exactly or not at all.
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		digits := make([]byte, 1+r.IntN(17))
		for i := range digits {
			digits[i] = byte('0' + r.IntN(10))
		}
		dot := r.IntN(len(digits) + 5)
		var text string
		if dot <= len(digits) {
			text = string(digits[:dot]) + "." + string(digits[dot:])
		} else {
			text = "0." + strings.Repeat("0", dot-len(digits)-1) + string(digits)
		}
		text = strings.TrimSuffix(strings.TrimLeft(text, "0"), ".")
		if strings.HasPrefix(text, ".") {
			text = "0" + text
		}
		if r.IntN(2) == 0 {
			text = "-" + text
		}
		texts = append(texts, text)
		// The same digits as d.dddE±x, with an exponent of -40 to 40.
		digits[0] = byte('1' + r.IntN(9))
		frac := string(digits[1:])
		if frac == "" {
			frac = "0"
		}
		texts = append(texts, fmt.Sprintf("%c.%sE%+d", digits[0], frac, r.IntN(81)-40))
	}
	n := 0
	for _, s := range texts {
		f, ok := shortFloat(s)
		if !ok {
			if mustRead[s] {
				t.Errorf("shortFloat(%q) = false, want it read", s)
			}
			continue
		}
		n++
		if !validFloatText(s) {
			t.Errorf("shortFloat(%q) = %v, true for invalid text", s, f)
			continue
		}
		if want := floatFromText(s); math.Float64bits(f) != math.Float64bits(want) {
			t.Errorf("shortFloat(%q) = %v (%016x), strconv reads %v (%016x)", s, f, math.Float64bits(f), want, math.Float64bits(want))
		}
		if got := string(appendFloat(nil, f)); got != s {
			t.Errorf("shortFloat(%q) = true, but appendFloat writes %q", s, got)
		}
	}
	if n < 100 {
		t.Errorf("shortFloat accepted only %d texts", n)
	}
}

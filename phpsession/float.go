package phpsession

import (
	"math"
	"strconv"
	"strings"
)

// PHP writes a float with serialize_precision=-1 (the default since PHP
// 7.1) as the shortest decimal that reads back as the same float, laid out by
// zend_gcvt with precision 17: plain digits while the decimal point position
// decpt (the value is 0.DIGITS × 10^decpt) is in [-3, 17], otherwise d.dddE±x.
const (
	gcvtMinDecpt = -3
	gcvtMaxDecpt = 17
)

// appendFloat appends f as PHP 8's serialize() writes it after "d:": 0.1,
// 1.0E+25, 1.5E-7, 1000000000000000, -0, INF, -INF, NAN.
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, floatNaN...)
	case math.IsInf(f, 1):
		return append(dst, floatInf...)
	case math.IsInf(f, -1):
		return append(dst, floatNegInf...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, '-', '0')
		}
		return append(dst, '0')
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// Shortest round-trip digits in e-notation: "d.ddde±xx" or "de±xx".
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	mant, exp := e, 0
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] == 'e' {
			mant = e[:i]
			x, _ := strconv.Atoi(string(e[i+1:])) // small, well-formed
			exp = x
			break
		}
	}
	// Gather the digits without the '.'.
	var dbuf [24]byte
	digits := dbuf[:0]
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	decpt := exp + 1
	switch {
	case decpt < gcvtMinDecpt || decpt > gcvtMaxDecpt:
		dst = append(dst, digits[0], '.')
		if len(digits) == 1 {
			dst = append(dst, '0')
		} else {
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'E')
		if exp >= 0 {
			dst = append(dst, '+')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	case decpt <= 0:
		dst = append(dst, '0', '.')
		for range -decpt {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	case len(digits) <= decpt:
		dst = append(dst, digits...)
		for range decpt - len(digits) {
			dst = append(dst, '0')
		}
		return dst
	default:
		dst = append(dst, digits[:decpt]...)
		dst = append(dst, '.')
		return append(dst, digits[decpt:]...)
	}
}

// validFloatText reports whether s is a float PHP's unserialize() accepts
// after "d:": NAN, INF, -INF, or a decimal with an optional sign, optional
// fraction and optional exponent (1, -1.5, .5, 5., 1e25, 1.5E-7, +2).
func validFloatText(s string) bool { return floatTextEnd(s, 0) == len(s) }

// floatTextEnd returns where the float text at s[i] (see validFloatText)
// ends, read as far as it goes, or -1 when none starts there. The parser
// checks a float with it in one pass: the text is whole when a ';' follows.
func floatTextEnd(s string, i int) int {
	if i < len(s) && (s[i] == 'N' || s[i] == 'I' || s[i] == '-' && i+1 < len(s) && s[i+1] == 'I') {
		for _, w := range [...]string{floatNaN, floatInf, floatNegInf} {
			if strings.HasPrefix(s[i:], w) {
				return i + len(w)
			}
		}
		return -1
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	digits := i - start
	if i < len(s) && s[i] == '.' {
		i++
		frac := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		digits += i - frac
	}
	if digits == 0 {
		return -1
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == exp {
			return -1
		}
	}
	return i
}

// floatFromText returns the float that s (already checked by
// validFloatText) stands for. Like PHP's zend_strtod it rounds correctly and
// gives ±Inf past the largest float.
func floatFromText(s string) float64 {
	switch s {
	case floatNaN:
		return math.Float64frombits(0x7ff8000000000000) // PHP's NAN (math.NaN() has other bits)
	case floatInf:
		return math.Inf(1)
	case floatNegInf:
		return math.Inf(-1)
	}
	f, _ := strconv.ParseFloat(s, 64) // ErrRange still gives ±Inf or 0
	return f
}

// shortFloat returns the float s stands for when s is certainly what
// appendFloat writes for it: at most 15 significant digits (which
// round-trip exactly, so they are the shortest form), no leading zeros, a
// fraction without trailing zeros, laid out as gcvt lays out their decimal
// point position: plain digits (no '+'), or d.dddE±x (1.0E+25, 1.5E-7)
// with an exponent that fits strconv's fast path. ok false means only that
// floatFromText and appendFloat must be asked.
//
// Such a text is read as it is checked, exactly: its digits make an
// integer below 10^15 < 2^53, and the product or quotient of two floats that
// hold their values exactly is rounded once, correctly (strconv's own fast
// path).
func shortFloat(s string) (f float64, ok bool) {
	i := 0
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		i++
	}
	intStart := i
	var m uint64 // the digits; wrong once past 19 of them, which is refused below
	for i < len(s) && isDigit(s[i]) {
		m = m*10 + uint64(s[i]-'0')
		i++
	}
	intLen := i - intStart
	if intLen == 0 || intLen > 1 && s[intStart] == '0' {
		return 0, false
	}
	sig := intLen
	if s[intStart] == '0' {
		sig = 0
	}
	frac := 0
	exp := 0 // of 10, in d.dddE±x
	if i < len(s) {
		if s[i] != '.' || i+1 == len(s) {
			return 0, false
		}
		i++
		zeros := 0
		for i < len(s) && isDigit(s[i]) {
			if sig == 0 && s[i] == '0' {
				zeros++
			} else {
				sig++
			}
			m = m*10 + uint64(s[i]-'0')
			i++
			frac++
		}
		switch {
		case i < len(s) && s[i] == 'E' && intLen == 1 && s[intStart] != '0':
			// d.dddE±x, where a lone digit is written d.0E±x.
			if frac == 0 || s[i-1] == '0' && frac > 1 {
				return 0, false
			}
			if exp, ok = shortExp(s[i+1:]); !ok {
				return 0, false
			}
		case i != len(s) || s[i-1] == '0' || intLen == 1 && s[intStart] == '0' && zeros > -gcvtMinDecpt:
			return 0, false
		}
	}
	if sig > 15 {
		return 0, false
	}
	// The value is m × 10^k: one product or quotient of floats that hold
	// their values exactly, rounded once, with m moving powers of ten from
	// k while it stays below 10^15 (strconv's fast path).
	k := exp - frac
	for k >= len(exactPow10) && m < 1e14 {
		m *= 10
		k--
	}
	switch {
	case k < 0 && -k < len(exactPow10):
		f = float64(m) / exactPow10[-k]
	case k >= 0 && k < len(exactPow10):
		f = float64(m) * exactPow10[k]
	default:
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}

// shortExp returns the exponent x of the "±x" after the E of a float
// text when it is how gcvt writes one: a sign, no leading zero, and a
// decimal point position outside the range gcvt writes as plain digits.
func shortExp(s string) (x int, ok bool) {
	if len(s) < 2 || len(s) > 4 || s[0] != '+' && s[0] != '-' || s[1] == '0' {
		return 0, false
	}
	for _, c := range []byte(s[1:]) {
		if !isDigit(c) {
			return 0, false
		}
		x = x*10 + int(c-'0')
	}
	if s[0] == '-' {
		x = -x
	}
	if decpt := x + 1; decpt >= gcvtMinDecpt && decpt <= gcvtMaxDecpt {
		return 0, false
	}
	return x, true
}

// exactPow10 holds the powers of ten a float64 holds exactly (5^22 < 2^53),
// which shortFloat multiplies or divides by.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

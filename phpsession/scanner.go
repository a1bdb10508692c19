package phpsession

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// The scanner: parser.value(false) checks and skips a value without
// building it. This file holds its fast paths: skipValue, one loop over the
// usual tokens (nulls, bools, ints, floats, strings, arrays, objects) that
// a session is mostly made of (the builder, in build.go, reads what a scan
// accepted). A fast path accepts only input that is certainly valid and
// otherwise leaves the parser where it was, so that the general code in
// decode.go decides, with the same grammar and the same errors, whatever it
// did not take (custom objects, enums, references, and every error).
// FuzzDecodeValue holds the two to the same answers.

// skipScalar skips a valid N;, b:0;, b:1;, i:<int>;, d:<float>; or
// s:<len>:"<bytes>"; at p.pos, taking its slot when slot is set, and reports
// whether it did.
func (p *parser[T]) skipScalar(slot bool) bool {
	end := scalarEnd(bytesOf(p.src), p.pos)
	if end < 0 {
		return false
	}
	p.pos = end
	if slot {
		p.slots++
	}
	return true
}

// scalarEnd returns where the scalar at src[i] ends when it is a valid N;,
// b:0;, b:1;, i:<int>;, d:<float>; or s:<len>:"<bytes>";, or -1.
func scalarEnd(src []byte, i int) int {
	if i+3 >= len(src) {
		return -1
	}
	switch src[i] {
	case tokNull:
		if src[i+1] != tokEnd {
			return -1
		}
		return i + 2
	case tokBool:
		if src[i+1] != tokColon || src[i+2]&^1 != '0' || src[i+3] != tokEnd {
			return -1
		}
		return i + 4
	case tokInt:
		return intEnd(src, i)
	case tokFloat:
		return floatEnd(src, i)
	case tokString:
		_, end := quotedEnd(src, i+1, tokEnd)
		return end
	}
	return -1
}

// quotedEnd checks the :<len>:"<bytes>"<term> at src[i] and returns where
// the bytes start and where it ends, or end -1. The length is canonical: 0,
// or up to 18 digits without a leading 0. The bytes are skipped by their
// length, src[start:end-2].
func quotedEnd(src []byte, i int, term byte) (start, end int) {
	n := len(src)
	if i+1 >= n || src[i] != tokColon {
		return 0, -1
	}
	j := i + 1
	var l int
	if j+8 <= n {
		// Up to 7 digits, the usual case, read from one load.
		w := binary.LittleEndian.Uint64(src[j:])
		nd := bits.TrailingZeros64(notDigits(w)) >> 3
		if nd == 0 || nd == 8 || src[j] == '0' && nd > 1 {
			if nd != 8 {
				return 0, -1
			}
			goto long
		}
		l = int(decimal8(w, nd))
		j += nd
		goto check
	}
long:
	l = int(src[j] - '0')
	if uint(l) > 9 {
		return 0, -1
	}
	for j++; l != 0 && j < n && j-i <= maxLenDigits && isDigit(src[j]); j++ {
		l = l*10 + int(src[j]-'0')
	}
check:
	if l > n-j-4 || src[j] != tokColon || src[j+1] != tokQuote || src[j+2+l] != tokQuote || src[j+3+l] != term {
		return 0, -1
	}
	return j + 2, j + 4 + l
}

// notDigits returns w, eight bytes, with the high bit of each byte that is
// not an ASCII digit set (and maybe other bits of it): a byte is a digit
// when its high nibble is 3 and its low nibble plus 6 does not carry into
// the high one.
func notDigits(w uint64) uint64 {
	return (w&0xf0f0f0f0f0f0f0f0 ^ 0x3030303030303030) | ((w&0x0f0f0f0f0f0f0f0f + 0x0606060606060606) & 0xf0f0f0f0f0f0f0f0)
}

// decimal8 returns the number written by the first nd (1 to 8) bytes of w,
// ASCII digits, the first in the lowest byte. The digits are moved to the
// top, behind zeros, and then added up in pairs, pairs of pairs and so on.
func decimal8(w uint64, nd int) uint64 {
	x := (w & 0x0f0f0f0f0f0f0f0f) << (64 - 8*nd)
	x = (x*10 + x>>8) & 0x00ff00ff00ff00ff
	x = (x*100 + x>>16) & 0x0000ffff0000ffff
	return (x*10000 + x>>32) & 0xffffffff
}

// skipEntry skips one <key><value> pair of an array or object quickly when
// the value is a scalar, and reports whether it did; otherwise it leaves the
// parser where it was.
func (p *parser[T]) skipEntry() bool {
	at := p.pos
	if !p.skipKey() {
		return false
	}
	if !p.skipScalar(true) {
		p.pos = at
		return false
	}
	return true
}

// skipKey skips a valid i:<int>; or s:<len>:"<bytes>"; key (which takes no
// slot) and reports whether it did.
func (p *parser[T]) skipKey() bool {
	if p.pos < len(p.src) && (p.src[p.pos] == tokInt || p.src[p.pos] == tokString) {
		return p.skipScalar(false)
	}
	return false
}

// The two bytes around a string's bytes, as a little-endian uint16.
const (
	colonQuote = tokColon | tokQuote<<8 // :"
	quoteEnd   = tokQuote | tokEnd<<8   // ";
)

// maxFastDepth is how deep skipValue follows arrays and objects before it
// leaves a value to the general code.
const maxFastDepth = 32

// skipValue skips the value at p.pos when it and everything in it is
// certainly valid and made only of nulls, bools, ints, floats, strings,
// arrays and objects, taking slots and counting composites and entries as
// value(false) does, and reports whether it did. On anything else it leaves
// the parser as it was, for the general code to decide with its errors.
//
// It is the scanner's hot loop: one pass over locals, one token at a time,
// no recursion (an explicit stack of the entries left at each level),
// strings skipped by their length, digits checked eight at a time, and no
// allocation but the object slot list. The commonest tokens (a string of 1
// to 99 bytes, an int of up to 18 digits, a float <digits>.<digits>, an
// a:<digit>:{ or O:<digit>:"<Class>":<digit>:{ header) are read in the
// loop itself, since a call costs the loop its registers; the rest, and
// whatever these shortcuts do not take, goes to quotedEnd, intEnd,
// compositeHeader and floatEnd.
//
// The types in a session are random, so the tests of what comes next (a
// value's type, a close or a key, an int key or a string key) are
// mispredicted often, at some 15-20 cycles each plus the time the processor
// took to find out: most of the loop's time. So where the loop is, at a
// value or after one, is the place in the code, not a flag to test; a
// value's type is one cascade of tests, commonest first; and whether a
// level closes is a test of cur, the entries left at the innermost level,
// which is in a register and known at once, not of a byte still to be
// loaded or a count in memory. Measured slower, and so not done here: a
// switch compiled to a jump table (its one indirect jump mispredicts on
// most tokens), and keys or string lengths read without a branch (the
// conditional moves wait on the loads that a predicted branch runs ahead
// of).
func (p *parser[T]) skipValue() bool {
	src := bytesOf(p.src)
	n, i := len(src), p.pos
	slots := p.slots
	// Composites and entries are counted in p, in memory, to leave the
	// loop's registers to the rest; these restore them on a fallback.
	ncomp, nent := p.ncomp, p.nent
	nobj := len(p.objSlots)
	room := min(p.lim.maxDepth-p.depth, maxFastDepth) // levels that may still open
	var left [maxFastDepth]int32                      // entries left at each open level but the innermost (at most maxMaxSize/minEntryLen)
	sp := 0                                           // open levels
	cur := 0                                          // entries left at the innermost level; 0 when sp is 0
	var cnt, body int                                 // the count of an array or object being opened, and where its entries start
	// The shortest values near the end are left to the general code.
	for n-i >= 4 {
		// A value. The cases are tried in order, the commonest first.
		switch c := src[i]; {
		case c == tokString:
			// s:<len>:"<bytes>";
			l, d := int(src[i+2]-'0'), int(src[i+3]-'0')
			j := i + 3 // the colon after a length of one digit
			if d <= 9 {
				l, j = l*10+d, i+4
			}
			if n-i >= 8 && src[i+2]-'1' < 9 && src[j] == tokColon { // a length of 1 to 99, in one or two digits
				if l > n-j-4 || src[i+1] != tokColon || binary.LittleEndian.Uint16(src[j:]) != colonQuote ||
					binary.LittleEndian.Uint16(src[j+2+l:]) != quoteEnd {
					goto fallback
				}
				i = j + 4 + l
			} else if _, i = quotedEnd(src, i+1, tokEnd); i < 0 {
				goto fallback
			}
		case c == tokInt:
			// i:<int>;
			if src[i+3] == tokEnd && src[i+2]-'0' <= 9 && src[i+1] == tokColon {
				i += 4 // one digit
				break
			}
			j := i + 2
			if src[j] == '-' {
				j++
			}
			d := j
			j = digitsEnd(src, j)
			if nd := j - d; uint(nd-1) < 18 && j < n && src[j] == tokEnd && src[i+1] == tokColon &&
				(src[d] != '0' || nd == 1 && d == i+2) { // canonical, and far from the int64 limits
				i = j + 1
			} else if i = intEnd(src, i); i < 0 {
				goto fallback
			}
		case c == tokArray:
			if i+4 < n && src[i+1] == tokColon && src[i+2]-'0' <= 9 && src[i+3] == tokColon && src[i+4] == tokOpen {
				// a:<digit>:{
				cnt, body = int(src[i+2]-'0'), i+5
				if cnt > (n-body)/minEntryLen {
					goto fallback
				}
			} else if _, _, cnt, body = compositeHeader(src, i); body < 0 {
				goto fallback
			}
			goto open
		case c == tokObject:
			if l := int(src[i+2] - '0'); uint(l-1) < 9 && i+9+l < n && src[i+1] == tokColon && src[i+3] == tokColon && src[i+4] == tokQuote &&
				src[i+5+l] == tokQuote && src[i+6+l] == tokColon && src[i+7+l]-'0' <= 9 && src[i+8+l] == tokColon && src[i+9+l] == tokOpen &&
				validClassName(src[i+5:i+5+l]) {
				// O:<digit>:"<Class>":<digit>:{
				cnt, body = int(src[i+7+l]-'0'), i+10+l
				if cnt > (n-body)/minEntryLen {
					goto fallback
				}
			} else if _, _, cnt, body = compositeHeader(src, i); body < 0 {
				goto fallback
			}
			if p.objSlots == nil && p.pooled {
				goto fallback // value takes the scratch for the list, and comes back
			}
			p.objSlots = append(p.objSlots, int32(slots+1))
			goto open
		case c == tokNull:
			if src[i+1] != tokEnd {
				goto fallback
			}
			i += 2
		case c == tokBool:
			if src[i+1] != tokColon || src[i+2]&^1 != '0' || src[i+3] != tokEnd {
				goto fallback
			}
			i += 4
		case c == tokFloat:
			// d:<digits>.<digits>;, as PHP writes most floats
			if j := digitsEnd(src, i+2); j > i+2 && j < n && src[j] == '.' && src[i+1] == tokColon {
				if k := digitsEnd(src, j+1); k > j+1 && k < n && src[k] == tokEnd {
					i = k + 1
					break
				}
			}
			if i = floatEnd(src, i); i < 0 {
				goto fallback
			}
		default:
			goto fallback
		}
		slots++
	level:
		// After a value, or an array's or object's header: a key comes
		// when entries are left at the innermost level; otherwise the
		// level closes, or, when none is open (cur is 0 then too), the
		// value skipValue was called for is whole.
		for cur == 0 {
			if sp == 0 {
				p.pos, p.slots = i, slots
				return true
			}
			if i >= n || src[i] != tokClose {
				goto fallback
			}
			i++
			sp--
			cur = int(left[sp])
		}
		if n-i < minEntryLen { // a key and a value take 6 bytes or more
			goto fallback
		}
		cur--
		// A key: an int, mostly i:<digit>; (an array index), or a
		// string, read with a copy of the value's code above. The copy
		// has branches of its own, which the processor predicts apart
		// from the values' (keys and values through one switch measured
		// about a tenth slower on the benchmark session).
		if c := src[i]; c == tokInt {
			if src[i+3] == tokEnd && src[i+2]-'0' <= 9 && src[i+1] == tokColon {
				i += 4
			} else if i = intEnd(src, i); i < 0 {
				goto fallback
			}
		} else if c == tokString {
			l, d := int(src[i+2]-'0'), int(src[i+3]-'0')
			j := i + 3
			if d <= 9 {
				l, j = l*10+d, i+4
			}
			if src[i+2]-'1' < 9 && src[j] == tokColon {
				if l > n-j-4 || src[i+1] != tokColon || binary.LittleEndian.Uint16(src[j:]) != colonQuote ||
					binary.LittleEndian.Uint16(src[j+2+l:]) != quoteEnd {
					goto fallback
				}
				i = j + 4 + l
			} else if _, i = quotedEnd(src, i+1, tokEnd); i < 0 {
				goto fallback
			}
		} else {
			goto fallback
		}
		continue
	open:
		// An array or object, whose cnt entries start at body.
		if sp >= room {
			goto fallback
		}
		p.ncomp++
		p.nent += cnt
		left[sp] = int32(cur)
		sp++
		cur = cnt
		i = body
		slots++
		goto level
	}
fallback:
	p.objSlots = p.objSlots[:nobj]
	p.ncomp, p.nent = ncomp, nent
	return false
}

// intEnd returns where the valid i:<int64>; at src[i] ends, or -1. The
// caller has checked that src[i] is 'i' and that four bytes are left.
func intEnd(src []byte, i int) int {
	j := i + 2
	neg := src[j] == '-'
	if neg {
		j++
	}
	d := j
	j = digitsEnd(src, j)
	nd := j - d
	if src[i+1] != tokColon || j >= len(src) || src[j] != tokEnd || nd == 0 || src[d] == '0' && (nd > 1 || neg) {
		return -1
	}
	if nd >= 19 { // near the int64 limits
		if _, ok := parseCanonicalInt(src[i+2 : j]); !ok {
			return -1
		}
	}
	return j + 1
}

// compositeHeader checks the a:<n>:{ or O:<len>:"<Class>":<n>:{ at src[i]
// and returns where the class name is (src[classStart:classEnd], empty for
// an array), the count, and where the entries start, or end -1. The count
// is canonical and at most what the bytes left can hold. The caller has
// checked that src[i] is 'a' or 'O' and that four bytes are left.
func compositeHeader(src []byte, i int) (classStart, classEnd, count, end int) {
	n := len(src)
	if src[i+1] != tokColon {
		return 0, 0, 0, -1
	}
	j := i + 2
	if src[i] == tokObject {
		if classStart, j = quotedEnd(src, j-1, tokColon); j < 0 || !validClassName(src[classStart:j-2]) {
			return 0, 0, 0, -1
		}
		classEnd = j - 2
	}
	d := j
	for j < n && j-d < maxLenDigits && isDigit(src[j]) {
		count = count*10 + int(src[j]-'0')
		j++
	}
	if j == d || src[d] == '0' && j-d > 1 || j+1 >= n || src[j] != tokColon || src[j+1] != tokOpen {
		return 0, 0, 0, -1
	}
	j += 2
	if count > (n-j)/minEntryLen {
		return 0, 0, 0, -1
	}
	return classStart, classEnd, count, j
}

// floatEnd returns where the valid d:<float>; at src[i] ends, or -1. The
// caller has checked that src[i] is 'd' and that four bytes are left. The
// common form, <digits>[.<digits>], is checked as it is skipped; any other
// goes to validFloatText.
func floatEnd(src []byte, i int) int {
	if src[i+1] != tokColon {
		return -1
	}
	j := i + 2
	k := digitsEnd(src, j)
	digits := k - j
	if k < len(src) && src[k] == '.' {
		k++
		e := digitsEnd(src, k)
		digits += e - k
		k = e
	}
	if digits > 0 && k < len(src) && src[k] == tokEnd {
		return k + 1
	}
	for k < len(src) && src[k] != tokEnd {
		k++
	}
	if k >= len(src) || !validFloatText(src[j:k]) {
		return -1
	}
	return k + 1
}

// digitsEnd returns where the run of ASCII digits at src[i] ends. It looks
// at eight bytes at a time (see notDigits).
func digitsEnd(src []byte, i int) int {
	for i+8 <= len(src) {
		if notDigit := notDigits(binary.LittleEndian.Uint64(src[i:])); notDigit != 0 {
			return i + bits.TrailingZeros64(notDigit)>>3
		}
		i += 8
	}
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	return i
}

// bytesOf returns the bytes of s without copying them; the caller only
// reads them.
func bytesOf[T ~string | ~[]byte](s T) []byte {
	switch v := any(s).(type) {
	case []byte:
		return v
	case string:
		return unsafe.Slice(unsafe.StringData(v), len(v))
	}
	return []byte(s)
}

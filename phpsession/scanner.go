package phpsession

// The scanner: parser.value(false) checks and skips a value without
// building it. This file holds its fast paths: skipValue, one loop over the
// usual tokens (nulls, bools, ints, floats, strings, arrays, objects) that
// a session is mostly made of, and buildScalar, the same for scalars when a
// value is built. A fast path accepts only input that is certainly valid and
// otherwise leaves the parser where it was, so that the general code in
// decode.go decides, with the same grammar and the same errors, whatever it
// did not take (custom objects, enums, references, and every error).
// FuzzDecodeValue holds the two to the same answers.

// skipScalar skips a valid N;, b:0;, b:1;, i:<int>;, d:<float>; or
// s:<len>:"<bytes>"; at p.pos, taking its slot when slot is set, and reports
// whether it did.
func (p *parser[T]) skipScalar(slot bool) bool {
	end := scalarEnd(p.src, p.pos)
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
func scalarEnd[T ~string | ~[]byte](src T, i int) int {
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
		if src[i+1] != tokColon {
			return -1
		}
		end, ok := skipInt(src, i+2)
		if !ok {
			return -1
		}
		return end
	case tokFloat:
		if src[i+1] != tokColon {
			return -1
		}
		i += 2
		d := i
		for i < len(src) && src[i] != tokEnd {
			i++
		}
		if i >= len(src) || !validFloatText(src[d:i]) {
			return -1
		}
		return i + 1
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
func quotedEnd[T ~string | ~[]byte](src T, i int, term byte) (start, end int) {
	if i >= len(src) || src[i] != tokColon {
		return 0, -1
	}
	i++
	n, d := 0, i
	for i < len(src) && isDigit(src[i]) && i-d < maxLenDigits {
		n = n*10 + int(src[i]-'0')
		i++
	}
	if i == d || src[d] == '0' && i-d > 1 || i+1 >= len(src) || src[i] != tokColon || src[i+1] != tokQuote {
		return 0, -1
	}
	i += 2
	if n > len(src)-i-2 || src[i+n] != tokQuote || src[i+n+1] != term {
		return 0, -1
	}
	return i, i + n + 2
}

// skipInt skips a canonical int64 and the ';' after it, starting at i, and
// returns where it ends.
func skipInt[T ~string | ~[]byte](src T, i int) (int, bool) {
	start := i
	if i < len(src) && src[i] == '-' {
		i++
	}
	d := i
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	nd := i - d
	if i >= len(src) || src[i] != tokEnd || nd == 0 || src[d] == '0' && (nd > 1 || d > start) {
		return 0, false
	}
	if nd >= 19 { // near the int64 limits: let the general code check the range
		if _, ok := parseCanonicalInt(src[start:i]); !ok {
			return 0, false
		}
	}
	return i + 1, true
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

// maxFastDepth is how deep skipValue follows arrays and objects before it
// leaves a value to the general code.
const maxFastDepth = 32

// skipValue skips the value at p.pos when it and everything in it is
// certainly valid and made only of nulls, bools, ints, floats, strings,
// arrays and objects, taking slots and counting composites and entries as
// value(false) does, and reports whether it did. On anything else it leaves
// the parser as it was, for the general code to decide with its errors.
//
// It is the scanner's hot loop: one pass over locals, no recursion (an
// explicit stack of the entries left at each level), strings skipped by
// their length, no allocation but the object slot list.
func (p *parser[T]) skipValue() bool {
	src, i := p.src, p.pos
	slots, ncomp, nent := p.slots, p.ncomp, p.nent
	nobj := len(p.objSlots)
	room := p.lim.maxDepth - p.depth // levels that may still open
	var left [maxFastDepth]int       // entries left to read at each open level
	sp := 0
	for i < len(src) {
		// A value at src[i].
		slots++
		if c := src[i]; c == tokArray || c == tokObject {
			if sp == maxFastDepth || sp >= room || i+2 >= len(src) || src[i+1] != tokColon {
				break
			}
			i += 2
			if c == tokObject {
				p.objSlots = append(p.objSlots, int32(slots))
				var class int
				if class, i = quotedEnd(src, i-1, tokColon); i < 0 || !validClassName(src[class:i-2]) {
					break
				}
			}
			// <count>:{
			n, d := 0, i
			for i < len(src) && isDigit(src[i]) && i-d < maxLenDigits {
				n = n*10 + int(src[i]-'0')
				i++
			}
			if i == d || src[d] == '0' && i-d > 1 || i+1 >= len(src) || src[i] != tokColon || src[i+1] != tokOpen {
				break
			}
			i += 2
			if n > (len(src)-i)/minEntryLen {
				break
			}
			ncomp++
			nent += n
			left[sp] = n
			sp++
		} else if i = scalarEnd(src, i); i < 0 {
			break
		}
		// Close the levels that are complete, then read the next key.
		for sp > 0 && left[sp-1] == 0 {
			if i >= len(src) || src[i] != tokClose {
				goto fallback
			}
			i++
			sp--
		}
		if sp == 0 {
			p.pos, p.slots, p.ncomp, p.nent = i, slots, ncomp, nent
			return true
		}
		left[sp-1]--
		if i >= len(src) || src[i] != tokInt && src[i] != tokString {
			break
		}
		if i = scalarEnd(src, i); i < 0 {
			break
		}
	}
fallback:
	p.objSlots = p.objSlots[:nobj]
	return false
}

// buildScalar builds the valid N;, b:0;, b:1;, i:<int>; or
// s:<len>:"<bytes>"; at p.pos and moves past it, or reports false and
// leaves the parser where it was. It takes no slot: the caller does, for a
// value. A string shares the bytes of src (a string when building).
func (p *parser[T]) buildScalar() (Value, bool) {
	src, i := p.src, p.pos
	if i >= len(src) {
		return Value{}, false
	}
	var v Value
	end := -1
	switch src[i] {
	case tokNull:
		if end = scalarEnd(src, i); end >= 0 {
			v = Value{kind: Null}
		}
	case tokBool:
		if end = scalarEnd(src, i); end >= 0 {
			v = Value{kind: Bool, num: uint64(src[i+2] - '0')}
		}
	case tokInt:
		if end = scalarEnd(src, i); end >= 0 {
			n, _ := parseCanonicalInt(src[i+2 : end-1]) // checked by scalarEnd
			v = Value{kind: Int, num: uint64(n)}
		}
	case tokString:
		var start int
		if start, end = quotedEnd(src, i+1, tokEnd); end >= 0 {
			v = Value{kind: String, str: string(src[start : end-2])}
		}
	}
	if end < 0 {
		return Value{}, false
	}
	p.pos = end
	return v, true
}

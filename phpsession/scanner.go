package phpsession

// The scanner: parser.value(false) checks and skips a value without
// building it. This file holds its fast path for the tokens that make up
// most of a session (ints, strings, bools, nulls, array keys). The fast path
// accepts only input that is certainly valid and otherwise leaves the
// parser where it was, so that the general code in decode.go decides, with
// the same grammar and the same errors, whatever it did not take.

// skipScalar skips a valid N;, b:0;, b:1;, i:<int>; or s:<len>:"<bytes>";
// at p.pos, taking its slot when slot is set, and reports whether it did.
func (p *parser[T]) skipScalar(slot bool) bool {
	src, i := p.src, p.pos
	if i+3 >= len(src) {
		return false
	}
	switch src[i] {
	case tokNull:
		if src[i+1] != tokEnd {
			return false
		}
		i += 2
	case tokBool:
		if src[i+1] != tokColon || src[i+2]&^1 != '0' || src[i+3] != tokEnd {
			return false
		}
		i += 4
	case tokInt:
		if src[i+1] != tokColon {
			return false
		}
		end, ok := skipInt(src, i+2)
		if !ok {
			return false
		}
		i = end
	case tokString:
		if src[i+1] != tokColon {
			return false
		}
		i += 2
		// A canonical length: 0, or up to 18 digits without a leading 0.
		n, d := 0, i
		for i < len(src) && isDigit(src[i]) && i-d < maxLenDigits {
			n = n*10 + int(src[i]-'0')
			i++
		}
		if i == d || src[d] == '0' && i-d > 1 || i+1 >= len(src) || src[i] != tokColon || src[i+1] != tokQuote {
			return false
		}
		i += 2
		if n > len(src)-i-2 || src[i+n] != tokQuote || src[i+n+1] != tokEnd {
			return false
		}
		i += n + 2
	default:
		return false
	}
	p.pos = i
	if slot {
		p.slots++
	}
	return true
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

// skipEntries skips the <key><value> pairs of an array or object quickly
// while they are scalars, and returns how many it skipped, at most n.
func (p *parser[T]) skipEntries(n int) int {
	for i := range n {
		at, slots := p.pos, p.slots
		if !p.skipKey() || !p.skipScalar(true) {
			p.pos, p.slots = at, slots
			return i
		}
	}
	return n
}

// skipKey skips a valid i:<int>; or s:<len>:"<bytes>"; key (which takes no
// slot) and reports whether it did.
func (p *parser[T]) skipKey() bool {
	if p.pos < len(p.src) && (p.src[p.pos] == tokInt || p.src[p.pos] == tokString) {
		return p.skipScalar(false)
	}
	return false
}

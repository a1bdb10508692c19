package phpsession

import (
	"errors"
	"math"
	"slices"
	"strconv"
)

// Default limits of a decoder. defaultMaxDepth is PHP's own default
// unserialize_max_depth, so that whatever PHP's unserialize() reads, a
// decoder reads too.
const (
	defaultMaxDepth = 4096
	defaultMaxSize  = 64 << 20
	maxMaxSize      = math.MaxInt32 // offsets and slots are int32 in a Session index
	// maxMaxDepth is the deepest nesting a decoder can be set to read: the
	// parser, the builder and the walks over a Value recurse once per
	// level, and far deeper input would overflow the goroutine's stack (a
	// fatal error, not a panic).
	maxMaxDepth = 1 << 16
)

// limits bounds what a decoder accepts. A field at zero or below means its
// default (defaultMaxDepth, defaultMaxSize); orDefault fills them in and caps
// them at maxMaxDepth and maxMaxSize.
type limits struct {
	maxDepth int   // deepest nesting of arrays and objects: a top-level array is depth 1
	maxSize  int64 // largest input accepted, in bytes
}

// orDefault returns l with every unset field set to its default.
func (l limits) orDefault() limits {
	if l.maxDepth <= 0 {
		l.maxDepth = defaultMaxDepth
	}
	if l.maxSize <= 0 {
		l.maxSize = defaultMaxSize
	}
	l.maxDepth = min(l.maxDepth, maxMaxDepth)
	l.maxSize = min(l.maxSize, maxMaxSize)
	return l
}

// Smallest encodings, used to bound declared counts by the bytes left before
// anything is allocated.
const (
	minEntryLen  = len("i:0;N;") // smallest array element or object property
	maxLenDigits = 18            // a length or count of 19+ digits is refused
)

// decodeValue decodes one serialized value at the start of data and returns
// it with the number of bytes it took. Bytes after the value are not looked
// at. It checks the value completely (grammar, references, limits) before it
// builds anything: the parser checks it and counts its arrays and objects,
// then the builder builds it into memory of that size. All the strings of
// the result share one allocation, a copy of the value's bytes.
func decodeValue(data []byte, lim limits) (Value, int, error) {
	lim = lim.orDefault()
	truncated := int64(len(data)) > lim.maxSize
	if truncated {
		// Only the value's own bytes count, and a prefix as long as the
		// limit is enough to accept or reject it.
		data = data[:lim.maxSize]
	}
	p := parser{src: stringOf(data), lim: lim}
	if err := p.value(); err != nil {
		return Value{}, 0, tooLargeIfCut(err, truncated, lim.maxSize)
	}
	b := builder{src: string(data[:p.pos]), lim: lim, arena: newArena(p.ncomp, p.nent)}
	return b.value(), p.pos, nil
}

// tooLargeIfCut turns an error caused by cutting the input at the size
// limit into an ErrTooLarge one.
func tooLargeIfCut(err error, cut bool, maxSize int64) error {
	var se *SyntaxError
	if cut && errors.As(err, &se) && (se.Err == ErrUnexpectedEnd || se.Err == ErrTooLarge) {
		return &SyntaxError{Offset: maxSize, Msg: "value larger than the " + strconv.FormatInt(maxSize, 10) + "-byte limit", Err: ErrTooLarge}
	}
	return err
}

// Valid reports whether data is exactly one valid PHP serialize() value,
// with nothing after it, within the default limits (nesting up to 4096
// levels, 64 MiB).
func Valid(data []byte) bool {
	lim := limits{}.orDefault()
	if int64(len(data)) > lim.maxSize {
		return false
	}
	p := parser{src: stringOf(data), lim: lim}
	return p.value() == nil && p.pos == len(data)
}

// parser checks PHP serialize() data in src: a recursive descent over the
// grammar, one method per production, that checks every byte, builds
// nothing, and says what is wrong and where. It counts what a build needs
// (composites, entries) and what a session needs (slots, references).
// What it accepts, the builder (build.go) turns into a Value.
//
// It keeps PHP's slot table the way php_var_unserialize does: every value
// takes the next slot, except an R: reference; array keys and property names
// take none. An r: reference must point at an earlier slot that holds an
// object (PHP refuses anything else), an R: at any existing slot.
type parser struct {
	src   string
	pos   int
	base  int64 // offset of src[0] in the caller's input, for error offsets
	lim   limits
	depth int

	slots    int     // slots taken so far, counting those before src (see below)
	objSlots []int32 // the slots, in increasing order, that hold an object

	// refs, when collectRefs is set, records where each r:/R: slot number
	// is, those inside custom payloads included, and customs where each
	// custom object's payload and its length are.
	collectRefs bool
	refs        []refPos
	customs     []customPos
	// looseRefs accepts any r:/R: slot number of 1 or more without checking
	// its target, for values whose slot numbers refer to a payload the
	// parser does not see, or that a check already followed.
	looseRefs bool
	nrefs     int // r:/R: tokens seen

	// ncomp and nent count the composites (arrays, objects, custom objects)
	// and array/object entries read: the sizes of the builder's arena.
	ncomp, nent int
}

// customPos is where a custom object's payload length (the digits, at
// src[count:countEnd]) and payload (src[start:end]) are in the input.
type customPos struct {
	count, countEnd, start, end int
}

// refPos is where an r: or R: slot number is in the input.
type refPos struct {
	start, end int  // the digits, src[start:end]
	slot       int  // their value
	obj        bool // r: (object identity), not R:
}

// value checks one value at p.pos and moves past it.
func (p *parser) value() error {
	if p.common() {
		p.slots++
		return nil
	}
	return p.other()
}

// other checks a value at p.pos that common did not take, and moves past
// it.
func (p *parser) other() error {
	src, start := p.src, p.pos
	if start >= len(src) {
		return p.fail(ErrUnexpectedEnd, start, "expected a value")
	}
	tok := src[start]
	if tok != tokPHPRef {
		p.slots++
	}
	if tok == tokNull {
		p.pos++
		if !p.next(tokEnd) {
			return p.missing(tokEnd, "after N")
		}
		return nil
	}
	// Every other type byte is followed by ':', checked here once; the
	// switch below tells the type bytes from the others.
	if start+1 >= len(src) || src[start+1] != tokColon {
		if !startsValue(tok) {
			return p.unknownType(start)
		}
		return p.missingColon()
	}
	p.pos += 2
	switch tok {
	case tokBool:
		if i := p.pos; i+1 < len(src) && (src[i] == '0' || src[i] == '1') && src[i+1] == tokEnd {
			p.pos = i + 2 // the usual case
			return nil
		}
		if p.pos >= len(src) {
			return p.fail(ErrUnexpectedEnd, p.pos, "expected 0 or 1 after b:")
		}
		if c := src[p.pos]; c != '0' && c != '1' {
			return p.fail(ErrSyntax, p.pos, "expected 0 or 1 after b:")
		}
		p.pos++
		return p.missing(tokEnd, "after bool")
	case tokInt:
		_, err := p.int64(tokEnd, "int")
		return err
	case tokFloat:
		return p.float()
	case tokString:
		_, err := p.quoted(tokEnd, "string")
		return err
	case tokArray:
		return p.entries(start, "array")
	case tokObject:
		p.addObject()
		if _, err := p.class(); err != nil {
			return err
		}
		return p.entries(start, "object")
	case tokCustom:
		p.addObject()
		return p.custom()
	case tokEnum:
		p.addObject()
		at := p.pos
		s, err := p.quoted(tokEnd, "enum")
		if err != nil {
			return err
		}
		if msg := checkEnumName(s); msg != "" {
			return p.fail(ErrSyntax, at, msg)
		}
		return nil
	case tokRef, tokPHPRef:
		return p.ref(tok)
	}
	return p.unknownType(start)
}

// unknownType returns the error for the byte at src[at], which is not the
// type byte of a value.
func (p *parser) unknownType(at int) error {
	return p.fail(ErrSyntax, at, "unknown value type "+strconv.QuoteRune(rune(p.src[at])))
}

// common checks the usual form of the commonest tokens, a string
// s:<len>:"<bytes>"; or an int i:<digits>; of up to 18 digits, canonical,
// at p.pos (a value, or a key), moves past it and reports true. Anything
// else, errors included, it leaves to value and key and the functions they
// call, which check every form and word the errors. An int's digits are
// only checked (the builder reads its value), a string's length is read.
func (p *parser) common() bool {
	t := p.src[p.pos:]
	if len(t) < 4 || t[1] != tokColon {
		return false
	}
	switch t[0] {
	case tokInt: // i:<digits>;
		if isDigit(t[2]) && t[3] == tokEnd { // one digit, the commonest key
			p.pos += 4
			return true
		}
		d := 2
		if t[2] == '-' {
			d = 3
		}
		j := d
		for end := min(len(t), d+maxLenDigits); j < end && isDigit(t[j]); j++ {
		}
		if j == d || j == len(t) || t[j] != tokEnd || t[d] == '0' && (j > d+1 || d > 2) {
			return false // no digits, the end, no ';', or not canonical
		}
		p.pos += j + 1
		return true
	case tokString: // s:<n>:"<n bytes>";
		var n, j int
		if c := t[2] - '0'; c <= 9 && t[3] == tokColon { // a length of one digit
			n, j = int(c), 3
		} else if n, j = digitsAt(t, 2); j == 2 || t[2] == '0' {
			return false // no digits, or not canonical
		}
		if n >= len(t)-j-3 {
			return false // past the end
		}
		if t[j:j+2] != `:"` || t[j+n+2:j+n+4] != `";` {
			return false
		}
		p.pos += j + n + 4
		return true
	}
	return false
}

// digitsAt reads the run of decimal digits at src[i], up to maxLenDigits of
// them (so that n cannot overflow), and returns their value and where they
// end.
func digitsAt(src string, i int) (n, end int) {
	end = min(len(src), i+maxLenDigits)
	for j := i; j < end; j++ {
		c := src[j] - '0'
		if c > 9 {
			return n, j
		}
		n = n*10 + int(c)
	}
	return n, end
}

// typePrefix skips the type byte and the ':' after it.
func (p *parser) typePrefix() error {
	if i := p.pos + 1; i < len(p.src) && p.src[i] == tokColon {
		p.pos = i + 1
		return nil
	}
	return p.missingColon()
}

// missingColon returns the error for the type byte at p.pos that no ':'
// follows.
func (p *parser) missingColon() error {
	p.pos++
	return p.missing(tokColon, "after "+string(rune(p.src[p.pos-1])))
}

// next consumes the byte c if it comes next, and reports whether it did.
func (p *parser) next(c byte) bool {
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// missing returns the error for a byte c that does not come next.
func (p *parser) missing(c byte, where string) error {
	msg := "expected " + strconv.QuoteRune(rune(c)) + " " + where
	if p.pos >= len(p.src) {
		return p.fail(ErrUnexpectedEnd, p.pos, msg)
	}
	return p.fail(ErrSyntax, p.pos, msg)
}

// digitsUntil returns the end of the run of bytes before the next term byte
// and checks that there is one.
func (p *parser) digitsUntil(term byte, what string) (int, error) {
	end := p.pos
	for end < len(p.src) && p.src[end] != term {
		if !isDigit(p.src[end]) && (end > p.pos || p.src[end] != '-') {
			return 0, p.fail(ErrSyntax, end, "invalid "+what)
		}
		end++
	}
	if end >= len(p.src) {
		return 0, p.fail(ErrUnexpectedEnd, end, "expected "+strconv.QuoteRune(rune(term))+" after "+what)
	}
	return end, nil
}

// int64 reads a canonical decimal int64 (no '+', no leading zeros, no
// "-0") and the term byte after it. PHP also accepts "+5", "05" and
// out-of-range ints (clamped); they are refused here because they would not
// encode back to the same bytes.
func (p *parser) int64(term byte, what string) (int64, error) {
	// A canonical int in range, of up to 19 digits (which a uint64
	// holds), is read in one pass; anything else goes on below, which
	// words the errors.
	src, i := p.src, p.pos
	neg := i < len(src) && src[i] == '-'
	if neg {
		i++
	}
	d := i
	var u uint64
	for i < len(src) && i-d < 19 && isDigit(src[i]) {
		u = u*10 + uint64(src[i]-'0')
		i++
	}
	if nd := i - d; nd > 0 && i < len(src) && src[i] == term && (src[d] != '0' || nd == 1 && !neg) && (u <= math.MaxInt64 || neg && u == 1<<63) {
		p.pos = i + 1
		if neg {
			return -int64(u), nil
		}
		return int64(u), nil
	}
	start := p.pos
	end, err := p.digitsUntil(term, what)
	if err != nil {
		return 0, err
	}
	if end == start {
		return 0, p.fail(ErrSyntax, start, "invalid "+what)
	}
	x, ok := parseCanonicalInt(p.src[start:end])
	if !ok {
		return 0, p.fail(ErrSyntax, start, "non-canonical or out-of-range "+what)
	}
	p.pos = end + 1
	return x, nil
}

// parseCanonicalInt parses s, an optional '-' and digits, when it is the
// canonical decimal text of an int64: no leading zeros, not "-0", in range.
func parseCanonicalInt[T ~string | ~[]byte](s T) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	d := s
	if neg {
		d = s[1:]
	}
	if len(d) == 0 || len(d) > 19 || d[0] == '0' && (len(d) > 1 || neg) {
		return 0, false
	}
	var u uint64
	for i := 0; i < len(d); i++ {
		u = u*10 + uint64(d[i]-'0') // 19 digits fit in a uint64
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// length reads a canonical unsigned decimal (a length, count or slot) and
// the term byte after it.
func (p *parser) length(term byte, what, unit string) (int, error) {
	src, start := p.src, p.pos
	n, i := digitsAt(src, start)
	if i > start && i < len(src) && src[i] == term && (src[start] != '0' || i == start+1) {
		p.pos = i + 1 // the usual case
		return n, nil
	}
	p.pos = i
	switch {
	case i < len(src) && isDigit(src[i]): // past maxLenDigits
		return 0, p.fail(ErrTooLarge, start, joinWords(what, unit)+" too large")
	case p.pos == start && p.pos >= len(p.src):
		return 0, p.fail(ErrUnexpectedEnd, p.pos, "expected "+joinWords(what, unit))
	case p.pos == start:
		return 0, p.fail(ErrSyntax, p.pos, "invalid "+joinWords(what, unit))
	case p.src[start] == '0' && p.pos-start > 1:
		return 0, p.fail(ErrSyntax, start, "non-canonical "+joinWords(what, unit))
	}
	if !p.next(term) {
		return 0, p.missing(term, "after "+joinWords(what, unit))
	}
	return n, nil
}

// joinWords joins two words of an error message with a space; unit may be
// empty. Messages are built only when an error is returned.
func joinWords(what, unit string) string {
	if unit == "" {
		return what
	}
	return what + " " + unit
}

// quoted reads <len>:"<bytes>" and the term byte after the closing quote,
// and returns the bytes.
func (p *parser) quoted(term byte, what string) (string, error) {
	var none string
	n, err := p.length(tokColon, what, "length")
	if err != nil {
		return none, err
	}
	if src, i := p.src, p.pos; i+n+2 < len(src) && src[i] == tokQuote && src[i+n+1] == tokQuote && src[i+n+2] == term {
		p.pos = i + n + 3 // the usual case
		return src[i+1 : i+1+n], nil
	}
	if !p.next(tokQuote) {
		return none, p.missing(tokQuote, "before "+what)
	}
	if left := len(p.src) - p.pos; n > left-2 {
		return none, p.fail(ErrTooLarge, p.pos, what+" length "+strconv.Itoa(n)+" exceeds the "+strconv.Itoa(max(left-2, 0))+" bytes left")
	}
	s := p.src[p.pos : p.pos+n]
	p.pos += n
	if !p.next(tokQuote) {
		return none, p.missing(tokQuote, "after "+what)
	}
	if !p.next(term) {
		return none, p.missing(term, "after "+what)
	}
	return s, nil
}

// count reads the <n>:{ of an array, object or custom object, and checks n
// against the bytes left before anything is allocated. (entries reads the
// usual count of an array or object itself, and leaves the rest, and the
// errors, to count.)
func (p *parser) count(minEach int, what string) (int, error) {
	n, err := p.length(tokColon, what, "count")
	if err != nil {
		return 0, err
	}
	if !p.next(tokOpen) {
		return 0, p.missing(tokOpen, "after "+joinWords(what, "count"))
	}
	// n*minEach > left, as n > left/minEach without a division (n has at
	// most 18 digits: the product cannot overflow).
	if left := len(p.src) - p.pos; n*minEach > left {
		return 0, p.fail(ErrTooLarge, p.pos, what+" count "+strconv.Itoa(n)+" exceeds what the "+strconv.Itoa(left)+" bytes left can hold")
	}
	return n, nil
}

// class reads <len>:"<Class>": of an object or custom object.
func (p *parser) class() (string, error) {
	at := p.pos
	s, err := p.quoted(tokColon, "class name")
	if err != nil {
		return s, err
	}
	if !validClassName(s) {
		return s, p.fail(ErrSyntax, at, "invalid class name "+strconv.Quote(string(s)))
	}
	return s, nil
}

// entries checks the elements of an array or the properties of an object
// (what is "array" or "object"): <n>:{<key><value>...}.
func (p *parser) entries(start int, what string) error {
	p.depth++
	if p.depth > p.lim.maxDepth {
		return p.fail(ErrMaxDepth, start, "nesting deeper than "+strconv.Itoa(p.lim.maxDepth))
	}
	// The usual count, canonical, followed by ":{" and within what the
	// bytes left can hold, is read here; anything else by count, which
	// words the errors.
	src, i := p.src, p.pos
	var n, j int
	if i+1 < len(src) && src[i]-'0' <= 9 && src[i+1] == tokColon { // one digit
		n, j = int(src[i]-'0'), i+1
	} else {
		n, j = digitsAt(src, i)
	}
	if j > i && j+1 < len(src) && src[j] == tokColon && src[j+1] == tokOpen && (src[i] != '0' || j == i+1) && n*minEntryLen <= len(src)-j-2 {
		p.pos = j + 2
	} else {
		var err error
		if n, err = p.count(minEntryLen, what); err != nil {
			return err
		}
	}
	p.ncomp++
	p.nent += n
	for range n {
		// The usual key and value are checked here by common, as key and
		// value would check them first (a value so read takes a slot);
		// anything else goes to the rest of them, otherKey and other.
		if !p.common() {
			if err := p.otherKey(what); err != nil {
				return err
			}
		}
		if p.common() {
			p.slots++
		} else if err := p.other(); err != nil {
			return err
		}
	}
	if !p.next(tokClose) {
		return p.missing(tokClose, "after "+strconv.Itoa(n)+" "+what+" entries")
	}
	p.depth--
	return nil
}

// key checks an array key or property name: an int or a string. (PHP
// turns a string key holding a canonical int into an int key; the builder
// keeps it a String, so that it encodes back to the same bytes.)
func (p *parser) key(what string) error {
	if p.common() {
		return nil
	}
	return p.otherKey(what)
}

// otherKey checks an array key or property name that common did not take.
func (p *parser) otherKey(what string) error {
	if p.pos >= len(p.src) {
		return p.fail(ErrUnexpectedEnd, p.pos, "expected "+what+" key")
	}
	switch p.src[p.pos] {
	case tokInt:
		p.pos++
		if !p.next(tokColon) {
			return p.missing(tokColon, "after i")
		}
		_, err := p.int64(tokEnd, "int key")
		return err
	case tokString:
		p.pos++
		if !p.next(tokColon) {
			return p.missing(tokColon, "after s")
		}
		_, err := p.quoted(tokEnd, "string key")
		return err
	}
	return p.fail(ErrSyntax, p.pos, what+" key must be an int or a string")
}

// float checks the <float>; of d:<float>;, after the "d:".
func (p *parser) float() error {
	if end := floatTextEnd(p.src, p.pos); end >= 0 && end < len(p.src) && p.src[end] == tokEnd {
		p.pos = end + 1
		return nil
	}
	// Not a float followed by ';': which error.
	start := p.pos
	end := start
	for end < len(p.src) && p.src[end] != tokEnd {
		end++
	}
	if end >= len(p.src) {
		return p.fail(ErrUnexpectedEnd, end, "expected ';' after float")
	}
	return p.fail(ErrSyntax, start, "invalid float")
}

// floatOfText returns the Float value of s, a text validFloatText accepts,
// keeping s when appendFloat would write the float otherwise.
func floatOfText(s string) Value {
	if f, ok := shortFloat(s); ok {
		return Value{comp: scalarComp(Float), num: math.Float64bits(f)}
	}
	f := floatFromText(s)
	v := Value{comp: scalarComp(Float), num: math.Float64bits(f)}
	var buf [32]byte
	if string(appendFloat(buf[:0], f)) != s {
		v.str = s
	}
	return v
}

// custom checks the <len>:"<Class>":<n>:{<payload>} of a custom object,
// after the "C:".
func (p *parser) custom() error {
	if _, err := p.class(); err != nil {
		return err
	}
	countAt := p.pos
	n, err := p.count(1, "custom payload")
	if err != nil {
		return err
	}
	if p.collectRefs {
		p.customs = append(p.customs, customPos{count: countAt, countEnd: p.pos - 2, start: p.pos, end: p.pos + n})
	}
	if err := p.payloadSlots(p.pos, p.pos+n); err != nil {
		return err
	}
	p.pos += n
	if !p.next(tokClose) {
		return p.missing(tokClose, "after custom payload")
	}
	p.ncomp++
	return nil
}

// countPayloadSlots returns how many slots the values in a Custom payload
// at nesting depth take by PHP's rule (see payloadSlots), reading
// references inside it loosely: out of context, any slot number of 1 or
// more may be valid.
func countPayloadSlots(payload string, depth int, lim limits) int {
	if !mayHoldValues(payload) {
		return 0
	}
	p := parser{src: payload, lim: lim, depth: depth, looseRefs: true, slots: 1}
	if err := p.payloadSlots(0, len(payload)); err != nil {
		return 0
	}
	return p.slots - 1
}

// payloadSlots takes the slots of the values in the custom payload
// src[start:end], following PHP's rule for Serializable classes.
//
// When a class's serialize() itself calls serialize(), the inner calls share
// the outer call's slot table: each value they write takes a slot after the
// C: value's own, references inside the payload use the outer numbers, and
// the values after the C: value are numbered after them. Reading it back,
// PHP's unserialize() counts them the same way when the class's
// unserialize() calls unserialize() on its payload. So a payload that is
// entirely a sequence of one or more valid values, read with the slot table
// as it stands, takes their slots; any other payload ("tok=abc") is opaque
// text and takes none. (igbinary does not share its table with a nested
// serialize(): it keeps C: payloads opaque.)
//
// The payloads PHP 7.3 and older wrote for ArrayObject, ArrayIterator and
// SplObjectStorage ("x:i:0;a:1:{...};m:a:0:{}", "x:i:1;O:...,N;;m:a:0:{}")
// and for SplDoublyLinkedList, SplQueue and SplStack ("i:4;:s:1:\"a\";")
// are values between separators (see eachPayloadValue): PHP 8.2 still
// reads them, each value taking a slot in turn, so they take theirs too.
//
// A payload counts as one more level of nesting: payloadSlots returns an
// error only when the nesting limit is passed.
func (p *parser) payloadSlots(start, end int) error {
	if start == end || !mayHoldValues(p.src[start:end]) {
		return nil
	}
	if p.depth+1 > p.lim.maxDepth {
		return p.fail(ErrMaxDepth, start, "nesting deeper than "+strconv.Itoa(p.lim.maxDepth))
	}
	for form := range payloadForms {
		sub := parser{
			src: p.src[:end], pos: start, base: p.base, lim: p.lim, depth: p.depth + 1,
			slots: p.slots, objSlots: p.objSlots[:len(p.objSlots):len(p.objSlots)], // append copies
			looseRefs: p.looseRefs, collectRefs: p.collectRefs,
		}
		err := sub.eachPayloadValue(form, sub.value)
		if errors.Is(err, ErrMaxDepth) {
			return err
		}
		if err == nil {
			p.slots, p.objSlots = sub.slots, sub.objSlots
			p.nrefs += sub.nrefs
			p.refs, p.customs = append(p.refs, sub.refs...), append(p.customs, sub.customs...)
			return nil
		}
	}
	return nil // not serialized data: opaque text
}

// payloadForm is a way a custom payload may hold serialized values.
type payloadForm int

const (
	payloadList   payloadForm = iota // values one after the other: V V ...
	payloadSPL                       // "x:" V, then V ";" or V "," V ";" each, then "m:" V
	payloadSPLDLL                    // V, then ":" V each
	payloadForms                     // the number of forms
)

// errOpaque is what eachPayloadValue returns for a payload not in its form.
var errOpaque = errors.New("phpsession: opaque custom payload")

// mayHoldValues reports whether a custom payload starts as one holding
// values does: with a value, or with the "x:" of payloadSPL.
func mayHoldValues(payload string) bool {
	return len(payload) > 0 && (startsValue(payload[0]) || len(payload) > 1 && payload[0] == 'x' && payload[1] == ':')
}

// eachPayloadValue reads the payload from p.pos to the end of p.src in the
// given form, calling value to read each value (which it must consume);
// it returns errOpaque when the payload is not in that form, or value's
// error.
func (p *parser) eachPayloadValue(form payloadForm, value func() error) error {
	end := len(p.src)
	sep := func(c byte) error {
		if !p.next(c) {
			return errOpaque
		}
		return nil
	}
	switch form {
	case payloadList:
		if !startsValue(p.src[p.pos]) {
			return errOpaque
		}
		for p.pos < end {
			if err := value(); err != nil {
				return err
			}
		}
		return nil
	case payloadSPLDLL:
		if err := value(); err != nil {
			return err
		}
		for p.pos < end {
			if err := sep(':'); err != nil {
				return err
			}
			if p.pos == end {
				return errOpaque
			}
			if err := value(); err != nil {
				return err
			}
		}
		return nil
	}
	// payloadSPL: the flags or count, the storage or object-value pairs,
	// and the members.
	if err := sep('x'); err != nil {
		return err
	}
	if err := sep(':'); err != nil {
		return err
	}
	if err := value(); err != nil {
		return err
	}
	for p.pos < end {
		if p.next('m') {
			if err := sep(':'); err != nil {
				return err
			}
			if err := value(); err != nil {
				return err
			}
			if p.pos != end {
				return errOpaque
			}
			return nil
		}
		if err := value(); err != nil {
			return err
		}
		if p.next(',') {
			if err := value(); err != nil {
				return err
			}
		}
		if err := sep(';'); err != nil {
			return err
		}
	}
	return errOpaque
}

// startsValue reports whether c is the type byte of a serialized value.
func startsValue(c byte) bool {
	switch c {
	case tokNull, tokBool, tokInt, tokFloat, tokString, tokArray, tokObject, tokCustom, tokEnum, tokRef, tokPHPRef:
		return true
	}
	return false
}

// ref reads the <slot>; of r:<slot>; or R:<slot>; (tok), after the "r:"
// or "R:".
func (p *parser) ref(tok byte) error {
	start := p.pos
	slot, err := p.length(tokEnd, "reference", "")
	if err != nil {
		return err
	}
	p.nrefs++
	if p.collectRefs {
		p.refs = append(p.refs, refPos{start: start, end: p.pos - 1, slot: slot, obj: tok == tokRef})
	}
	if tok == tokRef {
		// The r: took a slot before its target is looked up: it must point
		// at an earlier one, holding an object.
		switch {
		case slot < 1:
			return p.fail(ErrBadReference, start, "reference to slot 0")
		case p.looseRefs:
		case slot >= p.slots:
			return p.fail(ErrBadReference, start, "r: reference to slot "+strconv.Itoa(slot)+", only "+strconv.Itoa(p.slots-1)+" before it")
		case !p.isObjSlot(slot):
			return p.fail(ErrBadReference, start, "r: reference to slot "+strconv.Itoa(slot)+", which holds no object")
		}
		p.addObject()
	} else {
		switch {
		case slot < 1:
			return p.fail(ErrBadReference, start, "reference to slot 0")
		case p.looseRefs:
		case slot > p.slots:
			return p.fail(ErrBadReference, start, "R: reference to slot "+strconv.Itoa(slot)+", only "+strconv.Itoa(p.slots)+" before it")
		}
	}
	return nil
}

// addObject records that the value in the last slot taken is an object.
// The first takes room for 16, a session's few objects in one allocation.
func (p *parser) addObject() {
	if p.objSlots == nil {
		p.objSlots = make([]int32, 0, 16)
	}
	p.objSlots = append(p.objSlots, int32(p.slots))
}

// isObjSlot reports whether slot holds an object.
func (p *parser) isObjSlot(slot int) bool {
	_, found := slices.BinarySearch(p.objSlots, int32(slot))
	return found
}

// fail returns a *SyntaxError at src offset off.
func (p *parser) fail(sentinel error, off int, msg string) error {
	return &SyntaxError{Offset: p.base + int64(off), Msg: msg, Err: sentinel}
}

// validClassName reports whether PHP's unserialize() accepts s as a class
// name: not empty, and only ASCII letters, digits, '_', '\\' and bytes
// 0x80-0xff (zend_is_valid_class_name).
func validClassName[T ~string | ~[]byte](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '\\' || c >= 0x80) {
			return false
		}
	}
	return true
}

// checkEnumName returns what is wrong with the "Enum:Case" text of an E:
// value, or "". The enum must be a valid class name and the case a
// non-empty identifier.
func checkEnumName[T ~string | ~[]byte](s T) string {
	i := 0
	for i < len(s) && s[i] != ':' {
		i++
	}
	if i == len(s) {
		return "enum " + strconv.Quote(string(s)) + " has no ':' before its case"
	}
	if !validClassName(s[:i]) {
		return "invalid enum name " + strconv.Quote(string(s[:i]))
	}
	c := s[i+1:]
	if len(c) == 0 {
		return "enum " + strconv.Quote(string(s)) + " has an empty case name"
	}
	for j := 0; j < len(c); j++ {
		b := c[j]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b >= 0x80 || j > 0 && isDigit(b)) {
			return "invalid enum case name " + strconv.Quote(string(c))
		}
	}
	return ""
}

// payloadValues decodes the values in a custom object's payload when, by
// PHP's rule for Serializable payloads (see payloadSlots), they take slots;
// ok is false for an opaque payload. slots holds the values of the slots
// before them (the custom object's own last), as appendSlots builds it, so
// that references inside the payload are checked as in the whole payload.
// appendSlots and Session.slotRoots call it to count slots as PHP does.
func payloadValues(payload string, slots []Value) (vals []Value, ok bool) {
	if !mayHoldValues(payload) {
		return nil, false
	}
	for form := range payloadForms {
		p := parser{src: payload, lim: limits{}.orDefault(), slots: len(slots)}
		for i, v := range slots {
			if k := v.kind(); k == Object || k == Custom || k == Enum {
				p.objSlots = append(p.objSlots, int32(i+1))
			}
		}
		vals = vals[:0]
		err := p.eachPayloadValue(form, func() error {
			start, ncomp, nent := p.pos, p.ncomp, p.nent
			if err := p.value(); err != nil {
				return err
			}
			b := builder{src: payload, pos: start, lim: p.lim, arena: newArena(p.ncomp-ncomp, p.nent-nent)}
			vals = append(vals, b.value())
			return nil
		})
		if err == nil {
			return vals, true
		}
	}
	return nil, false
}

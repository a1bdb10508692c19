package phpsession

import (
	"bytes"
	"fmt"
	"strconv"
)

// Lookup returns the value of the entry name in a session payload written
// by PHP with session.serialize_handler f: what DecodeSession(data, f) and
// then [Session.Get] return, without indexing the whole payload. It reads
// and checks the entries up to name, decodes name's value, and looks at the
// rest only to make sure that no later entry has the same name (PHP reads
// the last one), which a search of the bytes settles at once unless the
// name's text appears again. It is the cheapest way to read one key of a
// large session: it does not pay for the entries after the key.
//
// Lookup does not check the payload past the entry it returns, so it may
// return a value from a payload that DecodeSession rejects (and that PHP
// would destroy) for a fault further on. Decode with DecodeSession a session
// that is to be written back, or whose validity matters.
//
// ok is false when no entry has the name. The errors are DecodeSession's for
// the part of the payload Lookup reads. An igbinary payload is decoded whole,
// as DecodeSession does.
func Lookup(data []byte, f Format, name string) (v Value, ok bool, err error) {
	lim := limits{}.orDefault()
	switch f {
	case FormatPHP, FormatPHPBinary, FormatPHPSerialize:
	case FormatIgbinary:
		s, err := DecodeSession(data, f)
		if err != nil {
			return Value{}, false, err
		}
		v, ok = s.Get(name)
		return v, ok, nil
	default:
		return Value{}, false, fmt.Errorf("phpsession: %w %s", ErrUnknownFormat, f)
	}
	if int64(len(data)) > lim.maxSize {
		return Value{}, false, &SyntaxError{Offset: lim.maxSize, Msg: "session larger than the " + strconv.FormatInt(lim.maxSize, 10) + "-byte limit", Err: ErrTooLarge}
	}
	var sc entryScanner
	if err := sc.start(data, f, lim); err != nil {
		return Value{}, false, err
	}
	// The slots that hold objects are needed only while scanning.
	sc.p.pooled = true
	defer sc.p.releaseScratch()
	var found scanned
	for sc.more() {
		var e scanned
		if err := sc.next(&e); err != nil {
			return Value{}, false, err
		}
		if string(data[e.nameStart:e.nameEnd]) != name {
			continue
		}
		found, ok = e, true
		if !mayHoldEntry(data[e.end:], f, name) {
			break
		}
	}
	if !sc.more() {
		if err := sc.finish(); err != nil {
			return Value{}, false, err
		}
	}
	if !ok {
		return Value{}, false, nil
	}
	// As Session.value decodes an entry.
	p := parser[string]{src: string(data[found.start:found.end]), lim: lim, looseRefs: true, slots: int(found.first) - 1}
	if f == FormatPHPSerialize {
		p.depth = 1
	}
	p.slabs(int(found.ncomp), int(found.nent))
	if v, err = p.value(true); err != nil { // cannot happen: the scan checked it
		return Value{}, false, err
	}
	return v, true, nil
}

// mayHoldEntry reports whether rest, the payload after an entry, may hold
// another entry named name in format f: whether name's bytes appear in it
// the way an entry name is written (name| in php; after a length byte of
// len(name) in php_binary; "name"; or i:name; as a php_serialize key). A
// false answer is certain; a true one may be text inside a value.
//
// For php it looks for name| with indexPHPName. Otherwise it looks for the
// name's rarest byte with bytes.IndexByte, which skips the common bytes of
// serialized data at memory speed, and checks the text around each one it
// finds, one byte first: most of what it finds is the byte in some other
// text.
func mayHoldEntry(rest []byte, f Format, name string) bool {
	if name == "" {
		return len(rest) > 0
	}
	if f == FormatPHP {
		return indexPHPName(rest, name) >= 0
	}
	anchor := rarestByte(name)
	c := name[anchor]
	check := len(name) - 1 // a second byte to look at before comparing
	if anchor == check {
		check = 0
	}
	for off := anchor; off < len(rest); {
		i := bytes.IndexByte(rest[off:], c)
		if i < 0 {
			return false
		}
		at := off + i - anchor // where name would start
		off += i + 1
		end := at + len(name)
		if end > len(rest) || rest[at+check] != name[check] || string(rest[at:end]) != name {
			continue
		}
		switch f {
		case FormatPHPBinary:
			if at > 0 && int(rest[at-1]&binNameMask) == len(name) {
				return true
			}
		case FormatPHPSerialize:
			if at >= 2 && end+1 < len(rest) &&
				(rest[at-2] == tokColon && rest[at-1] == tokQuote && rest[end] == tokQuote && rest[end+1] == tokEnd ||
					rest[at-2] == tokInt && rest[at-1] == tokColon && rest[end] == tokEnd) {
				return true
			}
		}
	}
	return false
}

// indexPHPNameByPipe returns where name| first appears in s, or -1. It
// stops at each '|' (bytes.IndexByte), one per php entry and rare in
// values, and compares the byte before it with name's last before it
// compares the name. On amd64, indexPHPName stops only where name's last
// two bytes come before a '|', looking at 64 positions at a time (AVX-512 or
// AVX2; 32 with SSE2 on older processors and for inputs under 66 bytes),
// and compares the name without a call; it uses this for a name of one
// byte.
func indexPHPNameByPipe(s []byte, name string) int {
	last := name[len(name)-1]
	for j := len(name); j < len(s); j++ { // j: where the '|' may be
		i := bytes.IndexByte(s[j:], tokSessionName)
		if i < 0 {
			return -1
		}
		j += i
		if s[j-1] == last && string(s[j-len(name):j]) == name {
			return j - len(name)
		}
	}
	return -1
}

// rarestByte returns the index of the byte of s that is likely the least
// common in a session payload.
func rarestByte(s string) int {
	best := 0
	for i := 1; i < len(s); i++ {
		if byteCommonness(s[i]) < byteCommonness(s[best]) {
			best = i
		}
	}
	return best
}

// byteCommonness ranks how common a byte is in serialized PHP data: its
// syntax (digits, "s:i:a:", quotes, ';', braces) first, then lowercase
// text, then the rest. '|' is rare: once per entry in the php format.
func byteCommonness(c byte) int {
	switch {
	case isDigit(c), c == tokColon, c == tokEnd, c == tokQuote, c == tokOpen, c == tokClose,
		c == tokString, c == tokInt, c == tokArray:
		return 4
	case c >= 'a' && c <= 'z', c == ' ', c == '_':
		return 3
	case c >= 'A' && c <= 'Z', c == '.', c == '-':
		return 2
	case c == tokSessionName:
		return 0
	}
	return 1
}

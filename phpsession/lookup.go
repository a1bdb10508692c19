package phpsession

import (
	"fmt"
	"strconv"
	"strings"
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
	var found entry
	for sc.more() {
		var e entry
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
	// As Session.value decodes an entry, from a copy: the caller keeps data.
	b := builder{src: string(data[found.start:found.end]), lim: lim, arena: newArena(int(found.ncomp), int(found.nent))}
	if f == FormatPHPSerialize {
		b.depth = 1
	}
	v = b.value()
	return v, true, nil
}

// mayHoldEntry reports whether rest, the payload after an entry, may hold
// another entry named name in format f: whether name's bytes appear in it
// the way an entry name is written (name| in php; after a length byte of
// len(name) in php_binary; "name"; or i:name; as a php_serialize key). A
// false answer is certain; a true one may be text inside a value. It finds
// each occurrence of the name (in php, of name|) with strings.Index and
// checks the bytes around it.
func mayHoldEntry(rest []byte, f Format, name string) bool {
	if name == "" {
		return len(rest) > 0
	}
	text := stringOf(rest)
	if f == FormatPHP {
		return strings.Contains(text, name+string(tokSessionName))
	}
	for off := 0; off < len(text); {
		i := strings.Index(text[off:], name)
		if i < 0 {
			return false
		}
		at := off + i // where the name starts
		end := at + len(name)
		off = at + 1
		switch f {
		case FormatPHPBinary:
			if at > 0 && int(text[at-1]&binNameMask) == len(name) {
				return true
			}
		case FormatPHPSerialize:
			if at >= 2 && end+1 < len(text) &&
				(text[at-2] == tokColon && text[at-1] == tokQuote && text[end] == tokQuote && text[end+1] == tokEnd ||
					text[at-2] == tokInt && text[at-1] == tokColon && text[end] == tokEnd) {
				return true
			}
		}
	}
	return false
}

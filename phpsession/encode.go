package phpsession

import (
	"fmt"
	"math"
	"strconv"
)

// appendValue appends v as PHP 8's serialize() writes it to dst.
//
// Everything decodeValue returns encodes back to its exact input bytes: a
// Float keeps the text it was read from when that is not PHP's default
// form, and array keys are written as they are. In particular a String key
// holding a canonical int ("5") is written as s:1:"5"; PHP itself would have
// written i:5 and reads s:1:"5" back as the int key 5. [ArrayValue] and
// [Value.Set] normalise such keys, so only decoded data carries them.
//
// It returns an error wrapping [ErrUnsupportedValue] for what PHP cannot
// read back: an Invalid value, an array key that is not an Int or String, an
// invalid class or enum name, a reference to slot 0.
func appendValue(dst []byte, v Value) ([]byte, error) {
	return appendValueDepth(dst, v, 0)
}

func appendValueDepth(dst []byte, v Value, depth int) ([]byte, error) {
	k := v.kind()
	switch k {
	case Null:
		return append(dst, tokNull, tokEnd), nil
	case Bool:
		return append(dst, tokBool, tokColon, '0'+byte(v.num&1), tokEnd), nil
	case Int:
		dst = append(dst, tokInt, tokColon)
		return append(strconv.AppendInt(dst, int64(v.num), 10), tokEnd), nil
	case Float:
		dst = append(dst, tokFloat, tokColon)
		if v.str != "" {
			dst = append(dst, v.str...)
		} else {
			dst = appendFloat(dst, math.Float64frombits(v.num))
		}
		return append(dst, tokEnd), nil
	case String:
		return appendString(dst, tokString, v.str, tokEnd), nil
	case Array, Object:
		if depth >= defaultMaxDepth {
			return dst, fmt.Errorf("phpsession: cannot encode %s nested deeper than %d levels (PHP would not read it back): %w", k, defaultMaxDepth, ErrUnsupportedValue)
		}
		es := v.comp.entries
		if k == Array {
			dst = append(dst, tokArray, tokColon)
		} else {
			if !validClassName(v.str) {
				return dst, fmt.Errorf("phpsession: cannot encode object of class %q: invalid class name: %w", v.str, ErrUnsupportedValue)
			}
			dst = appendString(dst, tokObject, v.str, tokColon)
		}
		dst = strconv.AppendInt(dst, int64(len(es)), 10)
		dst = append(dst, tokColon, tokOpen)
		for _, e := range es {
			switch e.Key.kind() {
			case Int:
				dst = append(dst, tokInt, tokColon)
				dst = append(strconv.AppendInt(dst, int64(e.Key.num), 10), tokEnd)
			case String:
				dst = appendString(dst, tokString, e.Key.str, tokEnd)
			default:
				return dst, fmt.Errorf("phpsession: cannot encode %s key of kind %s (want int or string): %w", k, e.Key.kind(), ErrUnsupportedValue)
			}
			var err error
			if dst, err = appendValueDepth(dst, e.Value, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, tokClose), nil
	case Custom:
		if !validClassName(v.str) {
			return dst, fmt.Errorf("phpsession: cannot encode custom object of class %q: invalid class name: %w", v.str, ErrUnsupportedValue)
		}
		payload := v.comp.payloadOrEmpty()
		dst = appendString(dst, tokCustom, v.str, tokColon)
		dst = strconv.AppendInt(dst, int64(len(payload)), 10)
		dst = append(dst, tokColon, tokOpen)
		dst = append(dst, payload...)
		return append(dst, tokClose), nil
	case Enum:
		if msg := checkEnumName(v.str); msg != "" {
			return dst, fmt.Errorf("phpsession: cannot encode %s: %w", msg, ErrUnsupportedValue)
		}
		return appendString(dst, tokEnum, v.str, tokEnd), nil
	case Ref, PHPRef:
		if v.num < 1 || v.num > math.MaxInt32 {
			return dst, fmt.Errorf("phpsession: cannot encode %s to slot %d: %w", k, int64(v.num), ErrUnsupportedValue)
		}
		tok := byte(tokRef)
		if k == PHPRef {
			tok = tokPHPRef
		}
		dst = append(dst, tok, tokColon)
		return append(strconv.AppendUint(dst, v.num, 10), tokEnd), nil
	}
	return dst, fmt.Errorf("phpsession: cannot encode a value of kind %s: %w", k, ErrUnsupportedValue)
}

// appendString appends tok:<len>:"<s>"<term>.
func appendString(dst []byte, tok byte, s string, term byte) []byte {
	dst = append(dst, tok, tokColon)
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, tokColon, tokQuote)
	dst = append(dst, s...)
	return append(dst, tokQuote, term)
}

// countSlots returns the number of PHP slots v takes when serialized: one
// for every value, nested ones included, except R: references.
func countSlots(v Value) int {
	n, _, _ := slotsRefs(v, 0)
	return n
}

// slotsRefs returns countSlots(v) and hasRefs(v), in one walk, for a v at
// the given depth. ok is false, and the walk stops, where v nests arrays
// or objects more than defaultMaxDepth levels deep, as one that holds
// itself does without end: the encoders refuse it (see appendValue).
func slotsRefs(v Value, depth int) (n int, refs, ok bool) {
	n = 1
	switch v.kind() {
	case PHPRef:
		return 0, true, true
	case Ref:
		return 1, true, true
	case Custom:
		n += int(v.comp.payloadSlots)
	case Array, Object:
		if depth >= defaultMaxDepth {
			return n, refs, false
		}
		for _, e := range v.comp.entries {
			m, r, ok := slotsRefs(e.Value, depth+1)
			n, refs = n+m, refs || r
			if !ok {
				return n, refs, false
			}
		}
	}
	return n, refs, true
}

// hasRefs reports whether v holds an r: or R: reference. It also reports
// true for a v that nests arrays or objects more than defaultMaxDepth
// levels deep (one that holds itself does), so that its callers take the way that
// checks v, and refuse it, rather than walk it without end.
func hasRefs(v Value) bool { return hasRefsAt(v, 0) }

// hasRefsAt is hasRefs for a v at the given depth.
func hasRefsAt(v Value, depth int) bool {
	switch v.kind() {
	case Ref, PHPRef:
		return true
	case Array, Object:
		if depth >= defaultMaxDepth {
			return true
		}
		for _, e := range v.comp.entries {
			if hasRefsAt(e.Value, depth+1) {
				return true
			}
		}
	}
	return false
}

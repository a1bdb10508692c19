package adapters

import (
	"fmt"
	"strings"
)

// Layout chooses the exact keys, files and value bytes a store uses, so that
// the PHP side finds the same session. Each store documents what each layout
// means for it.
//
// The zero Layout is LayoutPhalcon5.
type Layout int

// The layouts.
const (
	// LayoutPhalcon5 is Phalcon 5's session adapters (Stream <savePath>/<id>,
	// Redis sess-reds-<id> holding s:N:"<payload>";, Libmemcached
	// sess-memc-<id> likewise).
	LayoutPhalcon5 Layout = iota
	// LayoutPhalcon4 is Phalcon 4's: as Phalcon 5 but Libmemcached stores the
	// raw payload, and Libmemcached keys are hashed with CRC-15 (see the
	// memcachedstore package).
	LayoutPhalcon4
	// LayoutNative is PHP's own session handlers: files (sess_<id>, with the
	// N;MODE;path depth), phpredis (PHPREDIS_SESSION:<id>, raw payload) and
	// php-memcached (memc.sess.key.<id>, raw payload).
	LayoutNative
)

var layoutNames = [...]string{
	LayoutPhalcon5: "phalcon5",
	LayoutPhalcon4: "phalcon4",
	LayoutNative:   "php",
}

// String returns the name of the layout: "phalcon5", "phalcon4" or "php".
func (l Layout) String() string {
	if l >= 0 && int(l) < len(layoutNames) {
		return layoutNames[l]
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// ParseLayout returns the Layout named s ("phalcon5", "phalcon4", "php"; ""
// means phalcon5).
func ParseLayout(s string) (Layout, error) {
	if s == "" {
		return LayoutPhalcon5, nil
	}
	for l, name := range layoutNames {
		if strings.EqualFold(name, s) {
			return Layout(l), nil
		}
	}
	if strings.EqualFold(s, "native") {
		return LayoutNative, nil
	}
	return 0, fmt.Errorf("adapters: unknown layout %q (want phalcon5, phalcon4 or php)", s)
}

// MaxIDLength is the longest session id PHP accepts (PS_MAX_SID_LENGTH).
const MaxIDLength = 256

// ValidID returns nil if id can be used as a session id by every store: 1
// to [MaxIDLength] bytes, none of them a control byte, a space, a slash or
// backslash, or one of <>'" (the bytes PHP's session core drops), and not "."
// or "..". PHP's own ids use only [a-zA-Z0-9,-]. Otherwise it returns an
// error wrapping [ErrInvalidID] that names the first bad byte and its
// offset.
func ValidID(id string) error {
	if id == "" {
		return fmt.Errorf("adapters: %w: empty", ErrInvalidID)
	}
	if len(id) > MaxIDLength {
		return fmt.Errorf("adapters: %w: %d bytes, more than %d", ErrInvalidID, len(id), MaxIDLength)
	}
	if id == "." || id == ".." {
		return fmt.Errorf("adapters: %w: %q", ErrInvalidID, id)
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c <= ' ' || c == 0x7f, c == '/', c == '\\', c == '<', c == '>', c == '\'', c == '"':
			return fmt.Errorf("adapters: %w: byte %q at offset %d", ErrInvalidID, c, i)
		}
	}
	return nil
}

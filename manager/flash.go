package manager

import "github.com/sessbridge/sessbridge/phpsession"

// Session keys that Phalcon components own. Each is stored with the
// uniqueId prefix, like any key set through the Manager.
const (
	// FlashKey is where Phalcon's Flash\Session keeps messages: an array of
	// type => list of messages.
	FlashKey = "_flashMessages"
	// CSRFKeyKey is where Phalcon's Security keeps the CSRF token's name.
	CSRFKeyKey = "$PHALCON/CSRF/KEY$"
	// CSRFTokenKey is where Phalcon's Security keeps the CSRF token's value.
	CSRFTokenKey = "$PHALCON/CSRF$"
	// CookiePrefix, followed by a cookie's name, is where Phalcon's
	// Http\Cookie keeps that cookie's definition (expire, path, domain,
	// secure, httpOnly, options).
	CookiePrefix = "_PHCOOKIE_"
)

// Flash is Phalcon's Flash\Session over a session: messages by type (such as
// "error", "success", "notice", "warning") that survive until read. A
// Flash comes from [Session.Flash] or [Session.FlashAt] only: the zero Flash
// has no session, and its methods panic.
type Flash struct {
	s   *Session
	key string
}

// Flash returns the session's flash messages under [FlashKey].
func (s *Session) Flash() *Flash { return &Flash{s: s, key: FlashKey} }

// FlashAt returns flash messages under another key (Phalcon 5.15+'s custom
// session key).
func (s *Session) FlashAt(key string) *Flash { return &Flash{s: s, key: key} }

func (f *Flash) messages() phpsession.Value {
	v := f.s.Get(f.key, phpsession.Value{})
	if v.Kind() != phpsession.Array {
		return phpsession.ArrayValue()
	}
	return v.Clone()
}

// Add appends a message of type typ (Phalcon's message($type, $message)).
// It returns [ErrNotActive] when the session is not started.
func (f *Flash) Add(typ, message string) error {
	all := f.messages()
	t := phpsession.StringValue(typ)
	list, _ := all.Index(typ)
	if list.Kind() != phpsession.Array {
		list = phpsession.ListValue()
	}
	list.Set(phpsession.IntValue(int64(nextIndex(list))), phpsession.StringValue(message))
	all.Set(t, list)
	return f.s.Set(f.key, all)
}

// nextIndex is the key PHP's $a[] = ... uses: one more than the largest int
// key, or 0.
func nextIndex(a phpsession.Value) int64 {
	next := int64(0)
	for _, e := range a.Entries() {
		if i, ok := e.Key.Int(); ok && i >= next {
			next = i + 1
		}
	}
	return next
}

// Has reports whether there are messages of type typ, or of any type when
// typ is "" (Phalcon's has()).
func (f *Flash) Has(typ string) bool {
	all := f.messages()
	if typ == "" {
		return all.Len() > 0
	}
	_, ok := all.Index(typ)
	return ok
}

// Messages returns the messages of type typ, and with remove deletes them
// from the session (Phalcon's getMessages($type, $remove)). Messages that are
// not strings are left out.
func (f *Flash) Messages(typ string, remove bool) []string {
	all := f.messages()
	list, ok := all.Index(typ)
	if !ok {
		return nil
	}
	if remove {
		all.Delete(phpsession.StringValue(typ))
		_ = f.s.Set(f.key, all) // Phalcon keeps the key, even when empty

	}
	return messageStrings(list)
}

// All returns every message by type, and with remove deletes them all
// (Phalcon's getMessages(null, $remove)).
func (f *Flash) All(remove bool) map[string][]string {
	all := f.messages()
	out := make(map[string][]string, all.Len())
	for k, v := range all.All() {
		out[keyString(k)] = messageStrings(v)
	}
	if remove {
		f.s.Remove(f.key)
	}
	return out
}

// Clear removes every message (Phalcon's clear()).
func (f *Flash) Clear() { f.s.Remove(f.key) }

func messageStrings(list phpsession.Value) []string {
	var out []string
	for _, v := range list.All() {
		if s, ok := v.Str(); ok {
			out = append(out, s)
		}
	}
	return out
}

package manager

import (
	"iter"
	"strconv"
	"strings"

	"github.com/sessbridge/sessbridge/phpsession"
)

// Bag is Phalcon's Session\Bag: a named array kept under one session key
// (with the uniqueId prefix), whose elements are looked up without regard to
// case. Every change writes the whole array back to the session; Clear
// removes the key.
//
// Phalcon's persistent bag ($this->persistent in a controller) is a Bag named
// after the class, without the leading backslash, such as
// `App\Controllers\UsersController` (Phalcon 4); under Phalcon 5 the app's
// DI definition chooses the name.
//
// A Bag is not safe for concurrent use; each goroutine can take its own from
// [Session.Bag]. A Bag comes from Session.Bag only: the zero Bag has no
// session, and its methods other than Name and Count panic.
type Bag struct {
	s    *Session
	name string
	data phpsession.Value // PHP array, elements in original case
}

// Bag returns the bag called name, loaded from the session (Phalcon's
// new Bag($session, $name)); anything under name that is not an array reads
// as empty. Under the Phalcon 5 profiles a bag that is not in the session yet
// is written there, empty, as Phalcon 5's constructor does.
func (s *Session) Bag(name string) *Bag {
	v := s.Get(name, phpsession.Value{})
	b := &Bag{s: s, name: name}
	if v.Kind() == phpsession.Array {
		b.data = v.Clone()
	} else {
		b.data = phpsession.ArrayValue()
		if !s.m.cfg.Profile.isV4() && !v.IsValid() && s.Exists() {
			_ = s.Set(name, b.data.Clone())
		}
	}
	return b
}

// Name returns the bag's name.
func (b *Bag) Name() string { return b.name }

// fold is the case folding of lookups: mb_strtolower in Phalcon 5,
// strtolower (ASCII) in Phalcon 4.
func (b *Bag) fold(k string) string {
	if b.s.m.cfg.Profile.isV4() {
		return asciiLower(k)
	}
	return strings.ToLower(k)
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// keyString is a PHP array key as the string PHP code sees.
func keyString(k phpsession.Value) string {
	if i, ok := k.Int(); ok {
		return strconv.FormatInt(i, 10)
	}
	s, _ := k.Str()
	return s
}

// find returns the key of the element that a lookup of element resolves to:
// the last-written case variant, as Phalcon's lowerKeys map does.
func (b *Bag) find(element string) (phpsession.Value, bool) {
	want := b.fold(element)
	var (
		key   phpsession.Value
		found bool
	)
	for _, e := range b.data.Entries() {
		if b.fold(keyString(e.Key)) == want {
			key, found = e.Key, true
		}
	}
	return key, found
}

// Get returns the element, looked up without regard to case, or def when
// there is none; under the Phalcon 5 profiles a null element also gives def.
func (b *Bag) Get(element string, def phpsession.Value) phpsession.Value {
	k, ok := b.find(element)
	if !ok {
		return def
	}
	v, _ := b.data.Index(k)
	if v.IsNull() && !b.s.m.cfg.Profile.isV4() {
		return def
	}
	return v
}

// Has reports whether the element exists, without regard to case (a null
// element exists).
func (b *Bag) Has(element string) bool {
	_, ok := b.find(element)
	return ok
}

// Set sets the element and writes the bag to the session. Under ProfileV5 an
// element differing only in case is replaced; older profiles keep both, as
// Phalcon before 5.15 does. It returns the session's error ([ErrNotActive]
// when the session is not started).
func (b *Bag) Set(element string, v phpsession.Value) error {
	if b.s.m.cfg.Profile == ProfileV5 {
		if k, ok := b.find(element); ok && keyString(k) != element {
			b.data.Delete(k)
		}
	}
	b.data.Set(phpsession.StringValue(element), v)
	return b.s.Set(b.name, b.data.Clone())
}

// Remove removes the element, looked up without regard to case, and writes
// the bag to the session.
func (b *Bag) Remove(element string) error {
	k, ok := b.find(element)
	if !ok {
		return nil
	}
	b.data.Delete(k)
	return b.s.Set(b.name, b.data.Clone())
}

// Clear empties the bag and removes its key from the session.
func (b *Bag) Clear() {
	b.data = phpsession.ArrayValue()
	b.s.Remove(b.name)
}

// Count returns the number of elements.
func (b *Bag) Count() int { return b.data.Len() }

// All iterates over the elements in order, keys in their original case.
func (b *Bag) All() iter.Seq2[string, phpsession.Value] {
	return func(yield func(string, phpsession.Value) bool) {
		for _, e := range b.data.Entries() {
			if !yield(keyString(e.Key), e.Value) {
				return
			}
		}
	}
}

// ToArray returns a copy of the bag as the PHP array stored in the session.
func (b *Bag) ToArray() phpsession.Value { return b.data.Clone() }

package manager

import (
	"testing"

	"github.com/sessbridge/sessbridge/phpsession"
)

// Phalcon: tests/unit/Session/Bag/*Test (ConstructTest, GetTest, HasTest,
// RemoveTest, ClearTest, CountTest, GetIteratorTest, ToArrayTest).
func TestBag(t *testing.T) {
	m, _, _ := newManager(t, Config{})
	ctx, s := started(t, m, "")
	bag := s.Bag("BagTest")
	if !s.Has("BagTest") {
		t.Error("Phalcon 5 Bag constructor did not write the empty bag")
	}
	for k, v := range map[string]phpsession.Value{"one": str("two"), "three": str("four"), "five": str("six")} {
		if err := bag.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if bag.Count() != 3 {
		t.Errorf("Count = %d, want 3", bag.Count())
	}
	if got := bag.Get("THREE", phpsession.Value{}); !got.Equal(str("four")) {
		t.Errorf("Get(THREE) = %v, want four", got)
	}
	if !bag.Has("three") || !bag.Has("THREE") || bag.Has("unknown") {
		t.Error("Has is not case-insensitive")
	}
	if err := bag.Remove("FIVE"); err != nil {
		t.Fatal(err)
	}
	if bag.Has("five") || bag.Count() != 2 {
		t.Errorf("after Remove(FIVE): Has(five) %v, Count %d", bag.Has("five"), bag.Count())
	}
	keys := []string{}
	for k := range bag.All() {
		keys = append(keys, k)
	}
	if len(keys) != 2 {
		t.Errorf("All() keys %q", keys)
	}
	// The session holds a plain PHP array (ConstructTest).
	want := bag.ToArray()
	if got := s.Get("BagTest", phpsession.Value{}); !got.Equal(want) {
		t.Errorf("session BagTest = %v, want %v", got, want)
	}
	id := commit(t, m, ctx)

	// A new Bag pulls existing session data.
	_, s2 := started(t, m, id)
	if got := s2.Bag("BagTest").Get("one", phpsession.Value{}); !got.Equal(str("two")) {
		t.Errorf("reloaded bag one = %v, want two", got)
	}
	b2 := s2.Bag("BagTest")
	b2.Clear()
	if b2.Count() != 0 || s2.Has("BagTest") {
		t.Errorf("Clear: Count %d, session key present %v", b2.Count(), s2.Has("BagTest"))
	}
}

// Phalcon 5.15+ keeps only the latest case variant; earlier versions keep
// both, with lookups resolving to the last written.
func TestBagCaseVariants(t *testing.T) {
	for _, tt := range []struct {
		p    Profile
		want int
	}{{ProfileV5, 1}, {ProfileV50, 2}, {ProfileV41, 2}} {
		m, _, _ := newManager(t, Config{Profile: tt.p})
		_, s := started(t, m, "")
		b := s.Bag("b")
		b.Set("Foo", phpsession.IntValue(1))
		b.Set("foo", phpsession.IntValue(2))
		if b.Count() != tt.want {
			t.Errorf("%v: Count after Foo, foo = %d, want %d", tt.p, b.Count(), tt.want)
		}
		if got := b.Get("FOO", phpsession.Value{}); !got.Equal(phpsession.IntValue(2)) {
			t.Errorf("%v: Get(FOO) = %v, want 2", tt.p, got)
		}
	}
}

func TestBagNull(t *testing.T) {
	for _, p := range []Profile{ProfileV5, ProfileV41} {
		m, _, _ := newManager(t, Config{Profile: p})
		_, s := started(t, m, "")
		b := s.Bag("b")
		b.Set("n", phpsession.NullValue())
		got := b.Get("n", str("def"))
		if p == ProfileV5 && !got.Equal(str("def")) || p == ProfileV41 && !got.IsNull() {
			t.Errorf("%v: Get(stored null) = %v", p, got)
		}
		if !b.Has("n") {
			t.Errorf("%v: Has(stored null) = false, want true (array_key_exists)", p)
		}
	}
}

// Phalcon Flash\Session semantics.
func TestFlash(t *testing.T) {
	m, _, _ := newManager(t, Config{UniqueID: "shop"})
	ctx, s := started(t, m, "")
	f := s.Flash()
	if f.Has("") {
		t.Error("Has on empty flash = true")
	}
	f.Add("error", "e1")
	f.Add("error", "e2")
	f.Add("success", "s1")
	if !s.Has(FlashKey) {
		t.Fatal("no _flashMessages key")
	}
	if !f.Has("error") || f.Has("notice") || !f.Has("") {
		t.Error("Has by type is wrong")
	}
	if got := f.Messages("error", true); len(got) != 2 || got[0] != "e1" || got[1] != "e2" {
		t.Errorf("Messages(error) = %q", got)
	}
	if f.Has("error") || !f.Has("success") {
		t.Error("Messages(error, remove) did not remove only errors")
	}
	all := f.All(true)
	if len(all) != 1 || len(all["success"]) != 1 {
		t.Errorf("All = %v", all)
	}
	if s.Has(FlashKey) {
		t.Error("All(remove) left the key")
	}
	f.Add("notice", "n")
	f.Clear()
	if f.Has("") {
		t.Error("Clear left messages")
	}
	id := commit(t, m, ctx)
	sess, _ := stored(t, m, id)
	if sess.Has("shop#_flashMessages") {
		t.Error("flash key left in the store")
	}
}

// Phalcon 4 folds with strtolower (ASCII only), Phalcon 5 with
// mb_strtolower.
func TestBagFolding(t *testing.T) {
	for _, tt := range []struct {
		p     Profile
		found bool
	}{{ProfileV5, true}, {ProfileV41, false}} {
		m, _, _ := newManager(t, Config{Profile: tt.p})
		_, s := started(t, m, "")
		b := s.Bag("b")
		b.Set("ÄRGER", phpsession.IntValue(1))
		if got := b.Has("ärger"); got != tt.found {
			t.Errorf("%v: Has(ärger) after Set(ÄRGER) = %v, want %v", tt.p, got, tt.found)
		}
		if !b.Has("Ärger") {
			t.Errorf("%v: Has(Ärger) = false; ASCII letters fold in every version", tt.p)
		}
	}
}

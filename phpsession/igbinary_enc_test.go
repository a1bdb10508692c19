package phpsession

import (
	"strconv"
	"testing"
)

// TestIgStrTable interns strings past the strings searched one by one and
// past several growths of the index, each string twice: the first time it
// takes the next id, the second it is found with that id, as are all the
// strings before it; a string added again (as the decoder does) is still
// found.
func TestIgStrTable(t *testing.T) {
	var tab igStrTable
	const n = 5000
	name := func(i int) string { return "s" + strconv.Itoa(i%7) + strconv.Itoa(i) }
	for i := range n {
		s := name(i)
		if id, ok := tab.intern(s); ok {
			t.Fatalf("intern(%q) = %d, true on its first time, want new id %d", s, id, i)
		}
		if id, ok := tab.intern(s); !ok || id != uint32(i) {
			t.Fatalf("intern(%q) = %d, %v the second time, want %d, true", s, id, ok, i)
		}
		if tab.len() != i+1 || tab.at(i) != s {
			t.Fatalf("after %d strings: len %d, at(%d) = %q, want %q", i+1, tab.len(), i, tab.at(i), s)
		}
	}
	for i := range n {
		if id, ok := tab.find(name(i)); !ok || id != uint32(i) {
			t.Fatalf("find(%q) = %d, %v, want %d, true", name(i), id, ok, i)
		}
	}
	if _, ok := tab.find("absent"); ok {
		t.Fatal(`find("absent") found it`)
	}
	tab.add(name(3))
	if id, ok := tab.find(name(3)); !ok || (id != 3 && id != n) {
		t.Fatalf("find(%q) after adding it again = %d, %v, want 3 or %d, true", name(3), id, ok, n)
	}
	if tab.at(n) != name(3) {
		t.Fatalf("at(%d) = %q, want %q", n, tab.at(n), name(3))
	}
}

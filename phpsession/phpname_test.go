package phpsession

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"
)

// indexPHPNamePath is one way indexPHPName may search, named for tests.
type indexPHPNamePath struct {
	name  string
	index func(s []byte, name string) int
}

// TestIndexPHPName checks indexPHPName, and each way it may search on this
// machine (indexPHPNamePaths), against bytes.Index of name+"|": for names
// of one to six bytes, every length of input up to three turns of the
// widest vector loop and some, every place of the name (and none), near
// misses around it, and three alignments, with name| written across the
// input's start and across its end, where a search that reads outside the
// input would take it.
func TestIndexPHPName(t *testing.T) {
	paths := append(indexPHPNamePaths(t), indexPHPNamePath{"indexPHPName", indexPHPName})
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) {
			for _, name := range []string{"q", "50", "key150", "ab|", "\xff\x80", "||", "aaaa"} {
				end := name + "|"
				// Near misses: name's last two bytes and '|' without the
				// rest, the rest without the '|', and the name's first
				// byte alone.
				miss := []byte("." + end[max(len(end)-3, 0):] + "." + name + "." + name[:1] + "..")
				buf := make([]byte, 240)
				for n := range 210 {
					for at := -1; at+len(end) <= n; at++ { // where name| is; -1: nowhere
						for off := 8; off < 11; off++ {
							for i := range buf {
								buf[i] = miss[i%len(miss)]
							}
							s := buf[off : off+n]
							// name| from off-8+1 bytes before the input
							// (its last bytes inside), and ending off-8
							// bytes before its end (with the '|' just past
							// it, at off 8).
							copy(buf[off-(off-8+1):], end)
							copy(buf[off+n-len(end)+1-(off-8):], end)
							if at >= 0 {
								copy(s[at:], end)
							}
							if got, want := path.index(s, name), bytes.Index(s, []byte(end)); got != want {
								t.Fatalf("%s(%q, %q) = %d; want %d", path.name, s, name, got, want)
							}
						}
					}
				}
			}
			// Long inputs, with the name's last bytes and '|' in every
			// entry, a few in each turn of a vector loop.
			s := []byte(strings.Repeat(`order_id|s:3:"r_id|";`, 500))
			for _, at := range []int{0, 31, 32, 33, 63, 64, 65, 5000, len(s) - 72, len(s) - 40, len(s) - 8} {
				s2 := bytes.Clone(s)
				copy(s2[at:], "user_id|")
				if got := path.index(s2, "user_id"); got != at {
					t.Errorf("%s of user_id| written at %d of %d bytes = %d", path.name, at, len(s2), got)
				}
			}
			if got := path.index(s, "user_id"); got != -1 {
				t.Errorf("%s of user_id in %d bytes without it = %d", path.name, len(s), got)
			}
		})
	}
}

// TestIndexPHPNameAlignments checks each way indexPHPName may search where
// the vector loops change step: the first turn starts where the input
// does, the next ones at a multiple of 64 bytes of memory, and the last
// ends where the input does, so turns overlap by an amount that depends on
// the input's address. For each of the 64 addresses modulo 64 and lengths
// of up to four turns, name| is written at every place near a turn's edge
// (and nowhere), after a near miss, name's last two bytes and '|', which
// each turn around it finds and must pass over.
func TestIndexPHPNameAlignments(t *testing.T) {
	paths := append(indexPHPNamePaths(t), indexPHPNamePath{"indexPHPName", indexPHPName})
	const name, miss = "key150", "50|"
	end := name + "|"
	buf := make([]byte, 64+64+260)
	base := 64 - int(uintptr(unsafe.Pointer(&buf[0]))%64) // buf[base:] is 64-byte aligned
	for _, path := range paths {
		for off := range 64 {
			for n := 66; n <= 260; n++ {
				s := buf[base+off : base+off+n]
				// Where name| is written: -1 nowhere, else with name's last
				// two bytes (where the loops look) around each edge.
				places := []int{-1}
				for _, edge := range []int{0, 64 - off, 128 - off, 192 - off, n - 3} {
					for d := -3; d <= 3; d++ {
						if at := edge + d - (len(name) - 2); at >= 0 && at+len(end) <= n {
							places = append(places, at)
						}
					}
				}
				for _, at := range places {
					for i := range s {
						s[i] = '.'
					}
					for i := 3; i+len(miss) <= n; i += 29 {
						copy(s[i:], miss)
					}
					if at >= 0 {
						copy(s[at:], end)
					}
					if got, want := path.index(s, name), bytes.Index(s, []byte(end)); got != want {
						t.Fatalf("%s(%q, %q) at address %d modulo 64 = %d; want %d", path.name, s, name, off, got, want)
					}
				}
			}
		}
	}
}

// FuzzIndexPHPName checks each way indexPHPName may search on this machine
// against bytes.Index of name+"|", on the input as it is and with name|
// written into it at a place the fuzzer picks.
func FuzzIndexPHPName(f *testing.F) {
	f.Add([]byte(strings.Repeat(`order_id|s:3:"r_id|";`, 8)), "user_id", uint16(70))
	f.Add([]byte(strings.Repeat("50|.key150.k..", 12)), "key150", uint16(100))
	f.Add([]byte(strings.Repeat("|", 140)), "||", uint16(66))
	paths := append(indexPHPNamePaths(f), indexPHPNamePath{"indexPHPName", indexPHPName})
	f.Fuzz(func(t *testing.T, s []byte, name string, at uint16) {
		if name == "" {
			return
		}
		end := []byte(name + "|")
		for _, s := range [][]byte{s, withNameAt(s, end, int(at))} {
			want := bytes.Index(s, end)
			for _, path := range paths {
				if got := path.index(s, name); got != want {
					t.Fatalf("%s(%q, %q) = %d; want %d", path.name, s, name, got, want)
				}
			}
		}
	})
}

// withNameAt returns a copy of s with end written at at, if it fits there.
func withNameAt(s, end []byte, at int) []byte {
	s = bytes.Clone(s)
	if at+len(end) <= len(s) {
		copy(s[at:], end)
	}
	return s
}

// BenchmarkIndexPHPName times the search Lookup runs after the entry it
// reads, on the benchmark session after key150 and after the first key, and
// on its worst cases: every '|' after the name's last two bytes (names
// ending alike, as user_id and order_id), many '|' in string values, a
// one-byte name, and a 64 MiB payload.
func BenchmarkIndexPHPName(b *testing.B) {
	data := benchSession(b, 100<<10)
	key150 := bytes.Index(data, []byte("key150|"))
	for _, tc := range []struct {
		label string
		rest  func() []byte
		name  string
	}{
		{"after-key150", func() []byte { return data[key150+len("key150|"):] }, "key150"},
		{"after-first", func() []byte { return data[len("key0|"):] }, "key0"},
		{"same-suffix", func() []byte { return []byte(strings.Repeat(`order_id|s:12:"abcdefghijkl";`, 3000)) }, "user_id"},
		{"pipes-in-values", func() []byte { return []byte(strings.Repeat(`k|s:20:"||||||||||||||||||||";`, 3000)) }, "key150"},
		{"one-byte-name", func() []byte { return data }, "q"},
		{"64MiB", func() []byte { return bytes.Repeat(data, 64<<20/len(data)) }, "absent"},
	} {
		b.Run(tc.label, func(b *testing.B) {
			rest := tc.rest()
			b.SetBytes(int64(len(rest)))
			for b.Loop() {
				if indexPHPName(rest, tc.name) >= 0 {
					b.Fatal("found")
				}
			}
		})
	}
}

package phpsession

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/elliotchance/phpserialize"
)

// benchSession returns a generated php-format session of about size bytes:
// many keys holding nested arrays, strings, numbers and objects, as an
// application's session grows. It is the same for every run.
func benchSession(tb testing.TB, size int) []byte {
	tb.Helper()
	return benchSessionSeed(tb, size, 7)
}

// benchSessionSeed returns the session benchSession does with seed 7, and
// others alike with other seeds: the same kinds of values in the same
// proportions, not the same bytes.
func benchSessionSeed(tb testing.TB, size int, seed uint64) []byte {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, seed))
	words := strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua Princess Vespa — ß ✓ cart item price qty")
	text := func(n int) Value {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		return StringValue(b.String())
	}
	var item func(depth int) Value
	item = func(depth int) Value {
		switch k := r.IntN(10); {
		case k < 3:
			return text(5 + r.IntN(60))
		case k < 5:
			return IntValue(r.Int64N(1 << 40))
		case k == 5:
			return FloatValue(float64(r.IntN(100000)) / 100)
		case k == 6:
			return BoolValue(r.IntN(2) == 1)
		case k == 7 && depth < 4:
			return ObjectValue("Account", Entry{StringValue("login"), text(8)},
				Entry{StringValue("\x00*\x00role"), text(5)}, Entry{StringValue("\x00Account\x00secret"), text(12)})
		case depth < 4:
			n := 1 + r.IntN(6)
			a := ArrayValue()
			for i := range n {
				if r.IntN(2) == 0 {
					a.Set(IntValue(int64(i)), item(depth+1))
				} else {
					a.Set(StringValue(fmt.Sprintf("k%d", r.IntN(1000))), item(depth+1))
				}
			}
			return a
		}
		return NullValue()
	}
	s := NewSession(FormatPHP)
	for i := 0; ; i++ {
		if err := s.Set(fmt.Sprintf("key%d", i), item(0)); err != nil {
			tb.Fatal(err)
		}
		if i%16 == 0 {
			out, err := s.Encode()
			if err != nil {
				tb.Fatal(err)
			}
			if len(out) >= size {
				return out
			}
		}
	}
}

// benchVariedSessions returns 8 sessions like the 100 KB benchmark session,
// generated with other seeds, which a benchmark takes in turn. A processor
// learns the branches of one payload decoded over and over, which a
// server, with a new session each request, does not see; these 800 KB are
// meant to hold more branches than it can learn.
func benchVariedSessions(tb testing.TB) [][]byte {
	tb.Helper()
	var sessions [][]byte
	for seed := range uint64(8) {
		sessions = append(sessions, benchSessionSeed(tb, 100<<10, 8+seed))
	}
	return sessions
}

type benchInput struct {
	name   string
	data   []byte
	format Format
	key    string // the entry "read one key" reads
}

func benchInputs(b *testing.B) []benchInput {
	ins := []benchInput{{name: "100KB", data: benchSession(b, 100<<10), format: FormatPHP, key: "key150"}}
	vs, fs := serializeVectors(b)
	for i, v := range vs {
		if v.Adapter == "stream" && (v.Scenario == "big" || v.Scenario == "objects" || v.Scenario == "login" || v.Scenario == "scalars" || v.Scenario == "arrays") {
			s, err := DecodeSession(v.Payload, fs[i])
			if err != nil {
				b.Fatal(err)
			}
			names := s.Names()
			ins = append(ins, benchInput{name: v.Scenario + "-" + v.Handler, data: v.Payload, format: fs[i], key: names[len(names)/2]})
		}
	}
	return ins
}

// BenchmarkDecodeSession decodes a whole session: DecodeSession, then Get of
// every entry.
func BenchmarkDecodeSession(b *testing.B) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, benchFullDecode(in))
	}
}

func benchFullDecode(in benchInput) func(*testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(in.data)))
		for b.Loop() {
			s, err := DecodeSession(in.data, in.format)
			if err != nil {
				b.Fatal(err)
			}
			for i := range s.entries {
				if _, err := s.value(i); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

func benchReadOneKey(in benchInput) func(*testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(in.data)))
		for b.Loop() {
			s, err := DecodeSession(in.data, in.format)
			if err != nil {
				b.Fatal(err)
			}
			if _, ok := s.Get(in.key); !ok {
				b.Fatalf("no %q", in.key)
			}
		}
	}
}

// BenchmarkReadOneKey is the common request: DecodeSession and Get of one
// entry.
func BenchmarkReadOneKey(b *testing.B) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, benchReadOneKey(in))
	}
	in := benchInputs(b)[0]
	b.Run(in.name+"-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(in.data)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s, err := DecodeSession(in.data, in.format)
				if err != nil {
					b.Error(err)
					return
				}
				s.Get(in.key)
			}
		})
	})
}

// BenchmarkDecodeEncode decodes every entry, changes one, and encodes the
// session with every value re-encoded (not copied from the input).
func BenchmarkDecodeEncode(b *testing.B) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.data)))
			var out []byte
			for b.Loop() {
				s, err := DecodeSession(in.data, in.format)
				if err != nil {
					b.Fatal(err)
				}
				for i := range s.entries {
					v, _ := s.value(i)
					s.setVal(&s.entries[i], v)
					s.entries[i].touched = true
				}
				s.changed = true
				if out, err = s.AppendEncode(out[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeValue encodes one decoded value (the 100 KB session as a
// php_serialize array).
func BenchmarkEncodeValue(b *testing.B) {
	arr := benchSessionValue(b)
	out, _ := appendValue(nil, arr)
	b.ReportAllocs()
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		out, _ = appendValue(out[:0], arr)
	}
}

// BenchmarkDecodeValue decodes one value (the 100 KB session as a
// php_serialize array), as unserialize() does.
func BenchmarkDecodeValue(b *testing.B) {
	data := benchSessionArray(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := decodeValue(data, limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValid checks one value (the 100 KB session as a php_serialize
// array) without building it: the parser's check, which every decode and
// DecodeSession runs over all of its input.
func BenchmarkValid(b *testing.B) {
	data := benchSessionArray(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if !Valid(data) {
			b.Fatal("not valid")
		}
	}
}

// benchSessionValue returns the 100 KB benchmark session as one array
// value, as php_serialize holds it.
func benchSessionValue(b *testing.B) Value {
	s, err := DecodeSession(benchSession(b, 100<<10), FormatPHP)
	if err != nil {
		b.Fatal(err)
	}
	arr := ArrayValue()
	for _, n := range s.Names() {
		v, _ := s.Get(n)
		arr.Set(StringValue(n), v)
	}
	return arr
}

// benchSessionArray returns the 100 KB benchmark session as one
// php_serialize array.
func benchSessionArray(b *testing.B) []byte {
	data, err := appendValue(nil, benchSessionValue(b))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkElliotchance decodes the inputs as one value with
// elliotchance/phpserialize v1.4.0 (UnmarshalAssociativeArray), and with
// decodeValue on the same bytes, to compare the two. An input it
// cannot decode is skipped with its error.
func BenchmarkElliotchance(b *testing.B) {
	arr := benchSessionValue(b)
	full, _ := appendValue(nil, arr)
	// The same session without objects and floats, which elliotchance
	// decodes (objects it cannot).
	plain := ArrayValue()
	for _, e := range arr.Entries() {
		if !hasObjectOrFloat(e.Value) {
			plain.Set(e.Key, e.Value)
		}
	}
	sub, _ := appendValue(nil, plain)
	for _, in := range []struct {
		name string
		data []byte
	}{{"100KB", full}, {"100KB-subset", sub}} {
		b.Run(in.name+"/elliotchance", func(b *testing.B) {
			if _, err := phpserialize.UnmarshalAssociativeArray(in.data); err != nil {
				b.Skipf("elliotchance cannot decode it: %v", err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				phpserialize.UnmarshalAssociativeArray(in.data)
			}
		})
		b.Run(in.name+"/phpsession", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				if _, _, err := decodeValue(in.data, limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// hasObjectOrFloat reports whether v is or holds an object or a float.
func hasObjectOrFloat(v Value) bool {
	switch v.Kind() {
	case Object, Custom, Float:
		return true
	case Array:
		for _, e := range v.Entries() {
			if hasObjectOrFloat(e.Value) {
				return true
			}
		}
	}
	return false
}

// BenchmarkRequestSession is phpsession's part of the manager's request
// cycle (manager/bench_test.go): decode a small logged-in session, read
// auth and hits, set hits, encode.
func BenchmarkRequestSession(b *testing.B) {
	payload := []byte(`auth|a:3:{s:2:"id";i:42;s:4:"name";s:11:"Dark Helmet";s:5:"roles";a:2:{i:0;s:5:"admin";i:1;s:4:"user";}}csrf|s:6:"a1b2c3";hits|i:0;`)
	b.ReportAllocs()
	var out []byte
	for b.Loop() {
		s, err := DecodeSession(payload, FormatPHP)
		if err != nil {
			b.Fatal(err)
		}
		s.Get("auth")
		hits, _ := s.Get("hits")
		n, _ := hits.Int()
		if err := s.Set("hits", IntValue(n+1)); err != nil {
			b.Fatal(err)
		}
		if out, err = s.AppendEncode(out[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// manyKeysSession returns a php-format session of n entries, "k0" to
// "k<n-1>", each holding a short string.
func manyKeysSession(n int) []byte {
	var b []byte
	for i := range n {
		b = fmt.Appendf(b, `k%d|s:5:"v%04d";`, i, i%10000)
	}
	return b
}

// BenchmarkManyKeys shows how the time to use every entry of a session
// grows with the number of entries (it should grow linearly): decode, then
// Get of every name; the JSON form; Unmarshal of every entry into a map.
func BenchmarkManyKeys(b *testing.B) {
	uses := []struct {
		name string
		use  func(*Session) error
	}{
		{"get", func(s *Session) error {
			for _, name := range s.Names() {
				if _, ok := s.Get(name); !ok {
					return fmt.Errorf("Get(%q) found nothing", name)
				}
			}
			return nil
		}},
		{"json", func(s *Session) error {
			_, err := s.MarshalJSON()
			return err
		}},
		{"unmarshal", func(s *Session) error {
			m := make(map[string]string, s.Len())
			for _, name := range s.Names() {
				var v string
				if err := s.Unmarshal(name, &v); err != nil {
					return err
				}
				m[name] = v
			}
			return nil
		}},
	}
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		data := manyKeysSession(n)
		for _, u := range uses {
			b.Run(fmt.Sprintf("%s/%dk", u.name, n/1000), func(b *testing.B) { benchDecodeUse(b, data, u.use) })
		}
	}
}

// BenchmarkOneKeyRepeated decodes 60 MB of one name written ten million
// times (`k|i:1;`) and reads it: DecodeSession folds the repeats into one
// entry as it reads them, so the memory it takes (B/op) stays a few MB
// over the payload's.
func BenchmarkOneKeyRepeated(b *testing.B) {
	data := bytes.Repeat([]byte("k|i:1;"), 10_000_000)
	benchDecodeUse(b, data, func(s *Session) error {
		if v, ok := s.Get("k"); !ok || !v.Equal(IntValue(1)) || s.Len() != 1 {
			return fmt.Errorf("Get(k) = %v, %v; Len() = %d", v, ok, s.Len())
		}
		return nil
	})
}

// benchDecodeUse times DecodeSession of data, a php-format session, and
// use of the session.
func benchDecodeUse(b *testing.B, data []byte, use func(*Session) error) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s, err := DecodeSession(data, FormatPHP)
		if err != nil {
			b.Fatal(err)
		}
		if err := use(s); err != nil {
			b.Fatal(err)
		}
	}
}

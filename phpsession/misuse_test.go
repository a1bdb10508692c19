package phpsession

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Go code that calls the public API in odd but legal ways: nil receivers,
// zero Values, values that point at themselves, limits set far out. Each
// must give an error or a documented result, not a panic, a hang or a
// crash of the process, and lose nothing without a word.

// misuseCase is one odd call; it returns what went wrong, or "".
type misuseCase struct {
	name string
	call func() string
}

// runMisuse runs each case, failing with its name when it panics or has
// not returned within 10 s.
func runMisuse(t *testing.T, cases []misuseCase) {
	t.Helper()
	for _, c := range cases {
		done := make(chan string, 1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					done <- fmt.Sprintf("panic: %v", r)
				}
			}()
			done <- c.call()
		}()
		select {
		case msg := <-done:
			if msg != "" {
				t.Errorf("%s: %s", c.name, msg)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: no answer after 10 s", c.name)
		}
	}
}

// inChild runs the test calling it again in a child process and fails it
// when the child fails or dies: a stack overflow is a fatal error that no
// recover catches and that would end the whole test binary. It returns
// true in the child, which then runs the test's body.
func inChild(t *testing.T) bool {
	t.Helper()
	const env = "PHPSESSION_MISUSE_CHILD"
	if os.Getenv(env) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		lines := strings.SplitN(string(out), "\n", 12)
		t.Fatalf("child process: %v\n%s", err, strings.Join(lines[:min(len(lines), 11)], "\n"))
	}
	return false
}

func TestMisuseNilReceivers(t *testing.T) {
	runMisuse(t, []misuseCase{
		{"(*Value)(nil).UnmarshalJSON", func() string {
			if err := (*Value)(nil).UnmarshalJSON([]byte(`{"i":1}`)); err == nil {
				return "no error"
			}
			return ""
		}},
		{"(*Session)(nil).UnmarshalJSON", func() string {
			err := (*Session)(nil).UnmarshalJSON([]byte(`{"format":"php","entries":[["a",{"i":1}]]}`))
			if err == nil {
				return "no error"
			}
			return ""
		}},
	})
}

// TestMisuseArrayKeys checks that ArrayValue keeps an entry whose key is
// not an int or a string, as ObjectValue does, so that encoding refuses
// the array instead of writing it without the entry.
func TestMisuseArrayKeys(t *testing.T) {
	for _, key := range []Value{{}, FloatValue(1), NullValue(), ListValue()} {
		a := ArrayValue(Entry{StringValue("x"), IntValue(1)}, Entry{key, IntValue(2)})
		if a.Len() != 2 {
			t.Errorf("ArrayValue with a %s key: Len = %d, want 2 (the entry dropped)", key.Kind(), a.Len())
		}
		for _, f := range Formats() {
			s := NewSession(f)
			if err := s.Set("a", a); err != nil {
				t.Fatalf("%s: Set: %v", f, err)
			}
			if b, err := s.Encode(); !errors.Is(err, ErrUnsupportedValue) {
				t.Errorf("%s: Encode of an array with a %s key = %q, %v; want an error wrapping ErrUnsupportedValue", f, key.Kind(), b, err)
			}
		}
		if b, err := Marshal(a); b != nil || !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("Marshal of an array with a %s key = %q, %v; want nil and an error wrapping ErrUnsupportedValue", key.Kind(), b, err)
		}
	}
}

// TestMisuseMarshalPartial checks that Marshal gives no bytes with its
// error, as json.Marshal does, not what it wrote before it failed.
func TestMisuseMarshalPartial(t *testing.T) {
	for _, v := range []any{
		ListValue(IntValue(1), Value{}),
		map[string]Value{"a": ListValue(IntValue(1), EnumValue("", "x"))},
	} {
		if b, err := Marshal(v); b != nil || !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("Marshal(%v) = %q, %v; want nil and an error wrapping ErrUnsupportedValue", v, b, err)
		}
	}
}

// TestMisuseMarshalPointerCycle marshals cycles of pointers that nest
// nothing, which Marshal followed without end until the stack overflowed.
func TestMisuseMarshalPointerCycle(t *testing.T) {
	if !inChild(t) {
		return
	}
	type P *P
	var p P
	p = &p
	var x any
	x = &x
	type S struct{ X any }
	s := S{}
	s.X = &s.X
	for name, v := range map[string]any{"*any": x, "type P *P": p, "struct field": s} {
		if b, err := Marshal(v); !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("%s: Marshal = %q, %v; want an error wrapping ErrUnsupportedValue", name, b, err)
		}
	}
	// A long chain of distinct pointers is no cycle.
	var chain any = 1
	for range 200 {
		c := chain
		chain = &c
	}
	if b, err := Marshal(chain); err != nil || string(b) != "i:1;" {
		t.Errorf("Marshal of 200 pointers to 1 = %q, %v; want i:1;", b, err)
	}
}

// TestMisuseDecoderMaxDepth sets a Decoder's depth limit far beyond what
// the recursive decoder can go, and decodes nesting that deep: the limit
// is capped at 65536 levels, and deeper input is refused with ErrMaxDepth
// instead of overflowing the stack.
func TestMisuseDecoderMaxDepth(t *testing.T) {
	if !inChild(t) {
		return
	}
	const maxDepth = 65536 // as SetMaxDepth documents
	nested := func(n int) string {
		return strings.Repeat("a:1:{i:0;", n) + "N;" + strings.Repeat("}", n)
	}
	// The deepest allowed decodes, and the walks over it end.
	d := NewDecoder(strings.NewReader(nested(maxDepth)))
	d.SetMaxDepth(1 << 40)
	var v Value
	if err := d.Decode(&v); err != nil {
		t.Fatalf("Decode of %d levels: %v", maxDepth, err)
	}
	if c := v.Clone(); !v.Equal(v) || c.Len() != 1 {
		t.Errorf("Clone or Equal of %d levels", maxDepth)
	}
	if _, err := v.MarshalJSON(); !errors.Is(err, ErrUnsupportedValue) {
		t.Errorf("MarshalJSON of %d levels: %v, want an error wrapping ErrUnsupportedValue", maxDepth, err)
	}
	var a any
	if err := fromValue(v, &a); !errors.Is(err, ErrMaxDepth) {
		t.Errorf("Unmarshal of %d levels: %v, want an error wrapping ErrMaxDepth", maxDepth, err)
	}
	// One level more, and two million (which overflowed the stack).
	for _, n := range []int{maxDepth + 1, 2 << 20} {
		d := NewDecoder(strings.NewReader(nested(n)))
		d.SetMaxDepth(1 << 40)
		if err := d.Decode(&v); !errors.Is(err, ErrMaxDepth) {
			t.Errorf("Decode of %d levels: %v, want an error wrapping ErrMaxDepth", n, err)
		}
		d = NewDecoder(strings.NewReader("a|" + nested(n)))
		d.SetMaxDepth(1 << 40)
		if _, err := d.DecodeSession(FormatPHP); !errors.Is(err, ErrMaxDepth) {
			t.Errorf("DecodeSession of %d levels: %v, want an error wrapping ErrMaxDepth", n, err)
		}
		ig := "\x00\x00\x00\x02\x14\x01\x11\x01a" + strings.Repeat("\x14\x01\x06\x00", n) + "\x00"
		d = NewDecoder(strings.NewReader(ig))
		d.SetMaxDepth(1 << 40)
		if _, err := d.DecodeSession(FormatIgbinary); !errors.Is(err, ErrMaxDepth) {
			t.Errorf("igbinary DecodeSession of %d levels: %v, want an error wrapping ErrMaxDepth", n, err)
		}
	}
}

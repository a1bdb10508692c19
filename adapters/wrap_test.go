package adapters

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestWrapUnwrap(t *testing.T) {
	for _, p := range []string{"", "a|i:1;", "s:3:\"x\";", strings.Repeat("\"x\";\x00\xff", 700)} {
		w := Wrap([]byte(p))
		if got := AppendWrap([]byte("keep"), []byte(p)); !bytes.Equal(got, append([]byte("keep"), w...)) {
			t.Errorf("AppendWrap(%q) = %q, want keep+%q", p, got, w)
		}
		got, err := Unwrap(w)
		if err != nil || string(got) != p {
			t.Errorf("Unwrap(Wrap(%q)) = %q, %v", p, got, err)
		}
	}
	if got := string(Wrap([]byte("a|i:1;"))); got != `s:6:"a|i:1;";` {
		t.Errorf("Wrap = %s", got)
	}
}

func TestUnwrapRejects(t *testing.T) {
	for _, v := range []string{"", "a|i:1;", `s:5:"abc";`, `s:3:"abc"`, `s:03:"abc";`, `s:-1:"";`, `s:3:"abc";x`, `i:5;`, `s:99999999999:"";`} {
		if _, err := Unwrap([]byte(v)); !errors.Is(err, ErrNotWrapped) {
			t.Errorf("Unwrap(%q) error = %v, want ErrNotWrapped", v, err)
		}
	}
}

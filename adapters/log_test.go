package adapters_test

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/adapters"
)

func TestHashID(t *testing.T) {
	const id = "4b0c3a9d1e2f4a5b6c7d8e9f0a1b2c3d"
	h := adapters.HashID(id)
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(h) {
		t.Fatalf("HashID(%q) = %q, want 16 hex digits", id, h)
	}
	if h2 := adapters.HashID(id); h2 != h {
		t.Errorf("HashID(%q) twice = %q and %q, want the same", id, h, h2)
	}
	if other := adapters.HashID(id[:31] + "e"); other == h {
		t.Errorf("HashID of two ids = %q for both", h)
	}
	if strings.Contains(id, h) || strings.Contains(h, id[:8]) {
		t.Errorf("HashID(%q) = %q shows part of the id", id, h)
	}
	if got := adapters.HashID(""); got != "" {
		t.Errorf(`HashID("") = %q, want ""`, got)
	}
}

func TestIDAttr(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	l.Info("session read", adapters.IDAttr(id))
	out := buf.String()
	if strings.Contains(out, id) {
		t.Fatalf("log line %q holds the id in clear", out)
	}
	if want := "session=" + adapters.HashID(id); !strings.Contains(out, want) {
		t.Errorf("log line %q, want it to hold %q", out, want)
	}
}

func TestRedactIDs(t *testing.T) {
	const a, b = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	tests := []struct {
		name, text string
		ids        []string
		want       string
	}{
		{"none", "manager: no id here", []string{a}, "manager: no id here"},
		{"one", `manager: reading session "` + a + `": eof`, []string{a}, `manager: reading session "#` + adapters.HashID(a) + `": eof`},
		{"two", a + " then " + b, []string{"", a, b}, "#" + adapters.HashID(a) + " then #" + adapters.HashID(b)},
		{"empty ids", "text", []string{"", ""}, "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := adapters.RedactIDs(tt.text, tt.ids...); got != tt.want {
				t.Errorf("RedactIDs(%q, %q) = %q, want %q", tt.text, tt.ids, got, tt.want)
			}
		})
	}
}

//go:build unix

package filestore

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLogGC(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dir := t.TempDir()
	s := newStore(t, Options{Dir: dir, Logger: logger})
	old := filepath.Join(dir, "0123456789abcdef")
	if err := os.WriteFile(old, []byte("a|i:1;"), 0o600); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	n, err := s.GC(context.Background(), time.Minute)
	if err != nil || n != 1 {
		t.Fatalf("GC = %d, %v, want 1 removed", n, err)
	}
	if out := buf.String(); !strings.Contains(out, `msg="expired sessions removed"`) || !strings.Contains(out, "removed=1") {
		t.Errorf("log %q, want a debug line with removed=1", out)
	}
}

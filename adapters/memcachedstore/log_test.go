package memcachedstore

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
)

func TestLogLockBusy(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newStore(t, Options{Servers: startServers(t, 1), LockWaitMin: 5 * time.Millisecond, Logger: logger})
	ctx := context.Background()
	const id = "0123456789abcdef0123456789abcdef"
	unlock, err := s.Lock(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(20*time.Millisecond, func() { unlock(ctx) })
	unlock2, err := s.Lock(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	unlock2(ctx)
	out := buf.String()
	if !strings.Contains(out, `msg="session lock busy"`) || !strings.Contains(out, "session="+adapters.HashID(id)) || strings.Contains(out, id) {
		t.Errorf("log %q, want a debug line naming the session by its hash only", out)
	}
}

package redisstore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

func TestLogLockBusy(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { client.Close() })
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(client, Options{Locking: true, LockWait: 5 * time.Millisecond, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const id = "0123456789abcdef0123456789abcdef"
	unlock, err := s.Lock(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("a lock taken at once logged %q", buf.String())
	}
	time.AfterFunc(30*time.Millisecond, func() { unlock(ctx) })
	unlock2, err := s.Lock(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	unlock2(ctx)
	out := buf.String()
	if !strings.Contains(out, `msg="session lock was busy"`) || !strings.Contains(out, "session="+adapters.HashID(id)) || strings.Contains(out, id) {
		t.Errorf("log %q, want a debug line naming the session by its hash only", out)
	}
}

func TestGoRedisLogger(t *testing.T) {
	var buf bytes.Buffer
	l := goRedisLogger{slog.New(slog.NewTextHandler(&buf, nil))}
	l.Printf(context.Background(), "redis: connection pool: %v", errors.New("dial tcp: refused"))
	if want := `level=WARN msg=go-redis line="redis: connection pool: dial tcp: refused"`; !strings.Contains(buf.String(), want) {
		t.Errorf("log %q, want %q", buf.String(), want)
	}
	buf.Reset()
	quiet := goRedisLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError}))}
	quiet.Printf(context.Background(), "redis: %s", "x")
	if buf.Len() != 0 {
		t.Errorf("a Warn line reached an Error-level logger: %q", buf.String())
	}
}

package redisstore

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// logger returns Options.Logger, or slog.Default() when it is nil.
func (s *Store) logger() *slog.Logger {
	if s.opts.Logger != nil {
		return s.opts.Logger
	}
	return slog.Default()
}

// LogGoRedis sends go-redis's own log lines (connection pool and
// reconnection trouble, which go-redis otherwise prints to stderr) to l at
// level Warn, as the message "go-redis" with the line in the attribute
// "line"; a nil l means slog.Default() at the time of each line.
//
// go-redis has one logger for the whole process ([redis.SetLogger]), so
// this is a process-wide setting, made once in main: neither [Open] nor
// [New] changes it behind the program's back, since the program (or
// another library) may have set it already. go-redis's lines name
// addresses and errors, not session ids or values.
func LogGoRedis(l *slog.Logger) { redis.SetLogger(goRedisLogger{l}) }

// goRedisLogger is go-redis's Logging interface over a slog.Logger.
type goRedisLogger struct{ l *slog.Logger }

func (g goRedisLogger) Printf(ctx context.Context, format string, v ...any) {
	l := g.l
	if l == nil {
		l = slog.Default()
	}
	if !l.Enabled(ctx, slog.LevelWarn) {
		return
	}
	l.LogAttrs(ctx, slog.LevelWarn, "go-redis", slog.String("line", fmt.Sprintf(format, v...)))
}

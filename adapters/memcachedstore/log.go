package memcachedstore

import "log/slog"

// logger returns Options.Logger, or slog.Default() when it is nil.
func (s *Store) logger() *slog.Logger {
	if s.opts.Logger != nil {
		return s.opts.Logger
	}
	return slog.Default()
}

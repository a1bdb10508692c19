package manager

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/sessbridge/sessbridge/adapters"
)

// logger returns Config.Logger, or slog.Default() when it is nil.
func (m *Manager) logger() *slog.Logger {
	if m.cfg.Logger != nil {
		return m.cfg.Logger
	}
	return slog.Default()
}

// logError is the default [Config.ErrorFunc]: it logs err at level Error,
// naming the session by its hash ([adapters.HashID]) and with the session's
// ids in err's text replaced by their hashes, then replies 500 Internal
// Server Error, or 503 Service Unavailable with Retry-After when the
// session's lock could not be taken.
func (m *Manager) logError(w http.ResponseWriter, r *http.Request, err error) {
	var id, cookieID string
	if s, ok := r.Context().Value(contextKey{m}).(*Session); ok {
		s.mu.Lock()
		id, cookieID = s.id, s.cookieID
		s.mu.Unlock()
	}
	if id == "" {
		id = cookieID
	}
	m.logger().LogAttrs(r.Context(), slog.LevelError, "session load or save failed",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		adapters.IDAttr(id),
		slog.String("error", adapters.RedactIDs(err.Error(), id, cookieID)))
	if errors.Is(err, adapters.ErrLockTimeout) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
		return
	}
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}

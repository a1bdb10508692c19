package manager

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// LoadAndSave is net/http middleware that gives each request its session
// and saves it before the response starts.
//
// It reads the session cookie (URL-decoded like PHP's $_COOKIE) and calls
// [Manager.Load]; the handler gets the session with [Manager.Session] and
// calls [Session.Start] to use it, as a Phalcon app calls start(). A handler
// that never starts the session costs no store I/O. When the handler first
// writes (WriteHeader, Write, Flush, ReadFrom) or returns, LoadAndSave calls
// [Manager.Commit] and sets the cookie: the id when it is new or changed
// (with Expires and Max-Age when Cookie.Lifetime is set), an expired cookie
// after Destroy. It adds "Vary: Cookie" whenever the session was used.
// Errors go to Config.ErrorFunc, and the handler's output is then dropped.
// Changes made after the response started are saved when the handler
// returns; an error then reaches ErrorFunc with a ResponseWriter that
// discards what it writes, as the response is already on its way.
//
// Each save runs on a context detached from the request's (a client that
// leaves does not cut it short) and bounded by Config.CommitTimeout. Under
// Config.LockRequests the session lock taken by Start is released by the
// first commit, and also when the handler panics.
//
// The ResponseWriter passed on implements Unwrap, so http.ResponseController
// reaches the original one (Flush, Hijack, deadlines); a hijacked connection
// commits first.
//
// LoadAndSave panics when next is nil, as http.ServeMux.Handle does: a
// nil handler would fail on every request instead.
func (m *Manager) LoadAndSave(next http.Handler) http.Handler {
	if next == nil {
		panic("manager: LoadAndSave of a nil handler")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// One allocation for the session and the writer wrapper.
		st := new(requestState)
		s := &st.s
		m.initSession(s, requestCookie(r, m.cfg.Name), r)
		sw := &st.w
		*sw = responseWriter{ResponseWriter: w, m: m, s: s, r: r.WithContext(contextWithSession(r.Context(), m, s))}
		if m.cfg.LockRequests {
			defer sw.releaseLock() // also when next panics
		}
		next.ServeHTTP(sw, sw.r)
		sw.finish()
	})
}

// requestState is what LoadAndSave allocates per request.
type requestState struct {
	s Session
	w responseWriter
}

// requestCookie returns the value of r's cookie name, URL-decoded like
// PHP's $_COOKIE, or "" when there is none.
func requestCookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return phpURLDecode(c.Value)
}

// responseWriter commits the session before the first byte of the response.
type responseWriter struct {
	http.ResponseWriter
	m *Manager
	s *Session
	r *http.Request

	committed bool
	failed    bool
}

var errCommitFailed = errors.New("manager: response dropped: the session could not be saved")

// commitNow saves the session and sets the cookie headers, once.
func (w *responseWriter) commitNow() {
	if w.committed {
		return
	}
	w.committed = true
	w.s.headersSent.Store(true)
	if err := w.saveAndSetCookie(); err != nil {
		w.failed = true
		w.m.cfg.ErrorFunc(w.ResponseWriter, w.r, err)
	}
}

func (w *responseWriter) saveAndSetCookie() error {
	s, m := w.s, w.m
	// s.commit, not m.Commit: the context lookup would cost an allocation.
	ctx, cancel := w.commitContext()
	id, expiry, err := s.commit(ctx)
	cancel()
	if err != nil {
		return err
	}
	s.mu.Lock()
	name, cookieID, destroyed := s.name, s.cookieID, s.destroyed
	s.mu.Unlock()
	h := w.Header()
	if id == "" && !destroyed {
		return nil
	}
	if !headerHasToken(h.Values("Vary"), "Cookie") {
		h.Add("Vary", "Cookie")
	}
	switch {
	case id != "" && id != cookieID:
		http.SetCookie(w.ResponseWriter, m.cookie(name, url.QueryEscape(id), expiry))
	case id == "" && destroyed:
		c := m.cookie(name, "", time.Unix(1, 0))
		c.MaxAge = -1
		http.SetCookie(w.ResponseWriter, c)
	}
	return nil
}

// commitContext returns the context of a save: the request's values, not
// its cancellation, and at most Config.CommitTimeout.
func (w *responseWriter) commitContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(w.r.Context()), w.m.cfg.CommitTimeout)
}

// releaseLock releases the session lock if the request still holds it:
// the handler panicked before the commit.
func (w *responseWriter) releaseLock() {
	w.s.mu.Lock()
	held := w.s.held != nil
	w.s.mu.Unlock()
	if !held {
		return
	}
	ctx, cancel := w.commitContext()
	defer cancel()
	if err := w.s.Release(ctx); err != nil {
		w.m.cfg.ErrorFunc(discardHeaders{w.ResponseWriter}, w.r, err)
	}
}

func (m *Manager) cookie(name, value string, expiry time.Time) *http.Cookie {
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     m.cfg.Cookie.Path,
		Domain:   m.cfg.Cookie.Domain,
		Secure:   m.cfg.Cookie.Secure,
		HttpOnly: m.cfg.Cookie.HTTPOnly,
		SameSite: m.cfg.Cookie.SameSite,
	}
	if !expiry.IsZero() {
		c.Expires = expiry.UTC()
		c.MaxAge = int(time.Until(expiry).Round(time.Second) / time.Second)
		if c.MaxAge <= 0 {
			c.MaxAge = -1
		}
	}
	return c
}

// finish commits when the handler wrote nothing, and saves changes made
// after the response started.
func (w *responseWriter) finish() {
	if !w.committed {
		w.commitNow()
		return
	}
	if w.failed {
		return
	}
	w.s.mu.Lock()
	dirty := w.s.active && len(w.s.changes) > 0
	w.s.mu.Unlock()
	if dirty {
		ctx, cancel := w.commitContext()
		defer cancel()
		if _, _, err := w.s.commit(ctx); err != nil {
			// Too late for an error page: the response has started.
			w.m.cfg.ErrorFunc(discardHeaders{w.ResponseWriter}, w.r, err)
		}
	}
}

func (w *responseWriter) WriteHeader(code int) {
	w.commitNow()
	if w.failed {
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.commitNow()
	if w.failed {
		return 0, errCommitFailed
	}
	return w.ResponseWriter.Write(b)
}

// ReadFrom keeps io.Copy's sendfile path.
func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	w.commitNow()
	if w.failed {
		return 0, errCommitFailed
	}
	return io.Copy(w.ResponseWriter, r)
}

// Flush commits, then flushes if the underlying writer can.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError is Flush returning the error, for http.ResponseController.
func (w *responseWriter) FlushError() error {
	w.commitNow()
	if w.failed {
		return errCommitFailed
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack commits, then hands over the connection.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.commitNow()
	if w.failed {
		return nil, nil, errCommitFailed
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap returns the original ResponseWriter, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// discardHeaders lets ErrorFunc run after the response started without
// writing a second status line.
type discardHeaders struct{ http.ResponseWriter }

func (d discardHeaders) WriteHeader(int)             {}
func (d discardHeaders) Write(b []byte) (int, error) { return len(b), nil }
func (d discardHeaders) Header() http.Header         { return http.Header{} }

func headerHasToken(values []string, token string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// phpURLDecode decodes a cookie value as PHP does for $_COOKIE (urldecode):
// %XX becomes the byte, '+' a space, and a '%' not followed by two hex
// digits stays as it is.
func phpURLDecode(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

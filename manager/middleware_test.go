package manager

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/phpsession"
)

// serve runs one request through m.LoadAndSave(h) with the given cookie
// value (sent raw; "" for none).
func serve(t *testing.T, m *Manager, cookie string, h http.HandlerFunc) *http.Response {
	t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	if cookie != "" {
		r.Header.Set("Cookie", m.Config().Name+"="+cookie)
	}
	w := httptest.NewRecorder()
	m.LoadAndSave(h).ServeHTTP(w, r)
	return w.Result()
}

func sessionCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestLoadAndSaveUntouchedSessionDoesNoIO(t *testing.T) {
	m, store, _ := newManager(t, Config{})
	resp := serve(t, m, "abcdef0123456789abcdef0123456789", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	})
	if n := store.io(); n != 0 {
		t.Errorf("%d store operations for a handler that never started the session, want 0", n)
	}
	if len(resp.Cookies()) != 0 || resp.Header.Get("Vary") != "" {
		t.Errorf("Set-Cookie %v, Vary %q; want neither", resp.Cookies(), resp.Header.Get("Vary"))
	}
}

func TestLoadAndSaveCookie(t *testing.T) {
	m, _, _ := newManager(t, Config{
		Name:                "sb",
		SIDBitsPerCharacter: 6,
		Cookie:              Cookie{Lifetime: time.Hour, Path: "/app", Domain: "example.com", Secure: true, HTTPOnly: true, SameSite: http.SameSiteLaxMode},
	})
	var id string
	resp := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		if err := s.Start(r.Context()); err != nil {
			t.Error(err)
		}
		s.Set("user", phpsession.StringValue("bob"))
		id = s.ID()
	})
	c := sessionCookie(resp, "sb")
	if c == nil {
		t.Fatalf("no session cookie in %v", resp.Header)
	}
	// PHP urlencodes the id: ',' goes out as %2C.
	if want := strings.ReplaceAll(id, ",", "%2C"); c.Value != want {
		t.Errorf("cookie value %q, want %q", c.Value, want)
	}
	if c.Path != "/app" || c.Domain != "example.com" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 3600 {
		t.Errorf("cookie attributes %+v", c)
	}
	if resp.Header.Get("Vary") != "Cookie" {
		t.Errorf("Vary = %q, want Cookie", resp.Header.Get("Vary"))
	}

	// The next request sends the cookie back as the browser does, %2C and
	// all; no new cookie goes out, and the session is the same.
	resp = serve(t, m, c.Value, func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		s.Start(r.Context())
		if got := s.Get("user", phpsession.Value{}); !got.Equal(phpsession.StringValue("bob")) || s.ID() != id {
			t.Errorf("second request: id %q user %v; want %q bob", s.ID(), got, id)
		}
	})
	if c := sessionCookie(resp, "sb"); c != nil {
		t.Errorf("cookie re-sent for an unchanged id: %v", c)
	}

	// Destroy expires the cookie.
	resp = serve(t, m, c.Value, func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		s.Start(r.Context())
		if err := s.Destroy(r.Context()); err != nil {
			t.Error(err)
		}
	})
	if c := sessionCookie(resp, "sb"); c == nil || c.MaxAge != -1 || c.Value != "" {
		t.Errorf("cookie after Destroy = %+v, want an expired one", c)
	}
}

func TestLoadAndSaveCommitsBeforeWrite(t *testing.T) {
	m, _, dir := newManager(t, Config{})
	resp := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		s.Start(r.Context())
		s.Set("k", phpsession.IntValue(1))
		io.WriteString(w, "body")
		// The response has started: the session must already be stored.
		if _, err := os.Stat(dir + "/" + s.ID()); err != nil {
			t.Errorf("session not saved before the first Write: %v", err)
		}
		if err := s.Start(r.Context()); err != nil {
			t.Errorf("Start on an active session = %v", err)
		}
		// Changes after the response started are still saved at the end.
		s.Set("late", phpsession.IntValue(2))
	})
	c := sessionCookie(resp, "PHPSESSID")
	if c == nil {
		t.Fatal("no cookie")
	}
	sess, _ := stored(t, m, c.Value)
	if !sess.Has("k") || !sess.Has("late") {
		t.Errorf("stored keys %q, want k and late", sess.Names())
	}
}

func TestLoadAndSaveStartAfterHeaders(t *testing.T) {
	m, _, _ := newManager(t, Config{})
	serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		err := m.Session(r.Context()).Start(r.Context())
		if !errors.Is(err, ErrHeadersSent) {
			t.Errorf("Start after WriteHeader = %v, want ErrHeadersSent (Phalcon returns false)", err)
		}
	})
}

func TestLoadAndSaveResponseController(t *testing.T) {
	m, _, _ := newManager(t, Config{})
	resp := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		s.Start(r.Context())
		s.Set("k", phpsession.IntValue(1))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush through ResponseController: %v", err)
		}
	})
	if resp.Header.Get("Vary") == "" || sessionCookie(resp, "PHPSESSID") == nil {
		t.Error("Flush did not commit the session first")
	}
}

func TestLoadAndSaveError(t *testing.T) {
	m, _, dir := newManager(t, Config{})
	var gotErr error
	m.cfg.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		gotErr = err
		http.Error(w, "session error", http.StatusServiceUnavailable)
	}
	resp := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		s.Start(r.Context())
		s.Set("k", phpsession.IntValue(1))
		os.RemoveAll(dir) // the save must fail
		io.WriteString(w, "never sent")
	})
	body, _ := io.ReadAll(resp.Body)
	if gotErr == nil || resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(body), "never sent") {
		t.Errorf("status %d body %q err %v; want ErrorFunc's 503 and no handler output", resp.StatusCode, body, gotErr)
	}
}

func TestPHPURLDecode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "abc"},
		{"a%2Cb-c", "a,b-c"},
		{"a%2cb", "a,b"},
		{"a+b", "a b"},
		{"100%", "100%"},
		{"%zz", "%zz"},
		{"%4", "%4"},
	}
	for _, tt := range tests {
		if got := phpURLDecode(tt.in); got != tt.want {
			t.Errorf("phpURLDecode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Two managers (two cookie names, two stores) wrap one handler: each has its
// own session in the context.
func TestTwoManagers(t *testing.T) {
	a, _, _ := newManager(t, Config{Name: "A"})
	b, _, _ := newManager(t, Config{Name: "B"})
	h := a.LoadAndSave(b.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sa, sb := a.Session(r.Context()), b.Session(r.Context())
		if sa == sb {
			t.Error("both managers returned the same session")
		}
		sa.Start(r.Context())
		sb.Start(r.Context())
		sa.Set("who", str("a"))
		sb.Set("who", str("b"))
	})))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	resp := w.Result()
	ca, cb := sessionCookie(resp, "A"), sessionCookie(resp, "B")
	if ca == nil || cb == nil {
		t.Fatalf("cookies %v", resp.Cookies())
	}
	if sa, _ := stored(t, a, ca.Value); !sa.Has("who") {
		t.Error("manager A's session not saved")
	}
	if sb, _ := stored(t, b, cb.Value); !sb.Has("who") {
		t.Error("manager B's session not saved")
	}
}

// SetName before Start makes Start read the cookie of that name, as PHP's
// session_name() before session_start() does.
func TestSetNameReadsThatCookie(t *testing.T) {
	m, _, _ := newManager(t, Config{})
	ctx, s := started(t, m, "")
	s.Set("k", str("v"))
	id := commit(t, m, ctx)

	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: "otherid0123456789abcdefghij"})
	r.AddCookie(&http.Cookie{Name: "admin", Value: id})
	w := httptest.NewRecorder()
	m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		if err := s.SetName("admin"); err != nil {
			t.Fatal(err)
		}
		s.Start(r.Context())
		if s.ID() != id || !s.Has("k") {
			t.Errorf("after SetName(admin): id %q, want %q from the admin cookie", s.ID(), id)
		}
	})).ServeHTTP(w, r)
	if c := sessionCookie(w.Result(), "admin"); c != nil {
		t.Errorf("cookie re-sent for an unchanged id: %v", c)
	}
}

// One session used from several goroutines of a handler (run with -race).
func TestSessionConcurrentUse(t *testing.T) {
	m, _, _ := newManager(t, Config{})
	ctx, s := started(t, m, "")
	done := make(chan bool)
	for i := range 8 {
		go func() {
			for j := range 50 {
				k := "k" + strconv.Itoa(i)
				s.Set(k, phpsession.IntValue(int64(j)))
				s.Get(k, phpsession.Value{})
				s.Has(k)
				s.Bag("bag").Set(k, phpsession.IntValue(1))
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
	id := commit(t, m, ctx)
	sess, _ := stored(t, m, id)
	if sess.Len() != 9 {
		t.Errorf("stored %d keys %q, want k0..k7 and bag", sess.Len(), sess.Names())
	}
}

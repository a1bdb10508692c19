package manager

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpini"
	"github.com/sessbridge/sessbridge/phpsession"
)

// TestCookieMatchesPHP gives PHP and phpini.ParseFile the same php.ini and compares
// the Set-Cookie each sends for a new session, attribute by attribute.
func TestCookieMatchesPHP(t *testing.T) {
	php := testenv.PHP(t)
	dir := t.TempDir()
	ini := filepath.Join(dir, "php.ini")
	src := "session.save_path = \"" + dir + "\"\n" + `session.name = SBSESS
session.cookie_lifetime = 3600
session.cookie_path = /app
session.cookie_domain = example.com
session.cookie_secure = On
session.cookie_httponly = 1
session.cookie_samesite = "Strict"
session.sid_bits_per_character = 6
session.cache_limiter =
`
	if err := os.WriteFile(ini, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "start.php")
	if err := os.WriteFile(script, []byte(`<?php session_start(); echo session_id();`), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	testenv.StartProcess(t, filepath.Join(dir, "php.log"), php, "-n", "-c", ini, "-S", addr, script)
	if err := testenv.WaitForTCP(addr, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	phpID, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	phpCookies := resp.Cookies()
	if len(phpCookies) != 1 {
		t.Fatalf("PHP sent %v", resp.Header["Set-Cookie"])
	}
	want := phpCookies[0]

	parsed, err := phpini.ParseFile(ini, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFromINI(parsed)
	if err != nil {
		t.Fatal(err)
	}
	m, _, _ := newManager(t, cfg)
	w := httptest.NewRecorder()
	m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		s.Start(r.Context())
		s.Set("k", phpsession.IntValue(1))
	})).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	got := sessionCookie(w.Result(), "SBSESS")
	if got == nil {
		t.Fatalf("Go sent %v", w.Result().Header["Set-Cookie"])
	}
	if got.Name != want.Name || got.Path != want.Path || got.Domain != want.Domain ||
		got.Secure != want.Secure || got.HttpOnly != want.HttpOnly || got.SameSite != want.SameSite ||
		got.MaxAge != want.MaxAge || got.Expires.Sub(want.Expires).Abs() > 5*time.Second {
		t.Errorf("Go's cookie  %s\nPHP's cookie %s", w.Result().Header.Get("Set-Cookie"), resp.Header.Get("Set-Cookie"))
	}
	// Both URL-encode the id (',' as %2C) and make ids of the same length.
	if phpURLDecode(want.Value) != string(phpID) {
		t.Errorf("PHP's cookie %q does not decode to its id %q", want.Value, phpID)
	}
	if len(phpURLDecode(got.Value)) != len(phpID) {
		t.Errorf("Go's id %q, PHP's %q: lengths differ", phpURLDecode(got.Value), phpID)
	}
}

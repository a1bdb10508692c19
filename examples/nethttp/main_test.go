package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

// get sends GET /hello with the session cookie id ("" for none) and returns
// the body and the session cookie the app sent back, if any.
func get(t *testing.T, srv *httptest.Server, id string) (string, *http.Cookie) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/hello", nil)
	if id != "" {
		req.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: id})
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /hello = %d %q, want 200", resp.StatusCode, body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "PHPSESSID" {
			return string(body), c
		}
	}
	return string(body), nil
}

// TestHelloSharesSessionWithPHP: PHP's files handler writes a session, the
// app serves it, and PHP reads back the flash message the app added; a new
// session the app starts reaches the client's cookie and PHP.
func TestHelloSharesSessionWithPHP(t *testing.T) {
	dir := t.TempDir()
	const id = "4f1c2b3a5d6e7f8091a2b3c4d5e6f708"
	testenv.PHPFilesSession(t, dir, id, `$_SESSION['user'] = 'ana';`)

	handler, err := newHandler(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()

	if body, _ := get(t, srv, id); body != "hello ana\n" {
		t.Errorf("GET /hello = %q, want %q", body, "hello ana\n")
	}
	got := testenv.PHPFilesSession(t, dir, id, `echo $_SESSION['user'], '|', json_encode($_SESSION['_flashMessages']);`)
	if want := `ana|{"success":["Hello ana, from net\/http"]}`; got != want {
		t.Errorf("PHP reads back %s, want %s", got, want)
	}

	// No cookie: a new session, saved before the response started, so
	// that its cookie went out with it.
	body, cookie := get(t, srv, "")
	if body != "hello stranger\n" || cookie == nil {
		t.Fatalf("GET /hello without a cookie = %q, cookie %v; want a greeting and a new session cookie", body, cookie)
	}
	got = testenv.PHPFilesSession(t, dir, cookie.Value, `echo json_encode($_SESSION);`)
	if want := `{"_flashMessages":{"success":["Hello stranger, from net\/http"]}}`; got != want {
		t.Errorf("PHP reads the new session as %s, want %s", got, want)
	}
}

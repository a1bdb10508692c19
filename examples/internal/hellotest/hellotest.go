// Package hellotest is the test every router example under examples/ runs:
// real PHP (its files handler) writes a session, the example app serves it,
// and PHP reads back what the app set.
package hellotest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

// Run tests an example app that, on GET /hello, greets $_SESSION['user']
// ("hello ana\n", "hello stranger\n" without one) and adds the flash message
// "Hello <user>, from <from>". newApp builds the app on the session
// directory of PHP's files handler.
//
// PHP writes a session holding user "ana"; the app greets her; PHP then
// reads the flash message back. A request without a cookie must get a new
// session whose cookie went out with the response (the session was saved
// before the body), and PHP must read that session's flash message too.
func Run(t *testing.T, from string, newApp func(dir string) (http.Handler, error)) {
	dir := t.TempDir()
	const id = "4f1c2b3a5d6e7f8091a2b3c4d5e6f708"
	testenv.PHPFilesSession(t, dir, id, `$_SESSION['user'] = 'ana';`)

	app, err := newApp(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	defer srv.Close()

	if body, _ := get(t, srv, id); body != "hello ana\n" {
		t.Errorf("GET /hello = %q, want %q", body, "hello ana\n")
	}
	got := testenv.PHPFilesSession(t, dir, id, `echo $_SESSION['user'], '|', json_encode($_SESSION['_flashMessages'], JSON_UNESCAPED_SLASHES);`)
	if want := `ana|{"success":["Hello ana, from ` + from + `"]}`; got != want {
		t.Errorf("PHP reads back %s, want %s", got, want)
	}

	body, cookie := get(t, srv, "")
	if body != "hello stranger\n" || cookie == nil {
		t.Fatalf("GET /hello without a cookie = %q, cookie %v; want a greeting and a new session cookie", body, cookie)
	}
	got = testenv.PHPFilesSession(t, dir, cookie.Value, `echo json_encode($_SESSION, JSON_UNESCAPED_SLASHES);`)
	if want := `{"_flashMessages":{"success":["Hello stranger, from ` + from + `"]}}`; got != want {
		t.Errorf("PHP reads the new session as %s, want %s", got, want)
	}
}

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
	if !strings.Contains(resp.Header.Get("Vary"), "Cookie") {
		t.Errorf("GET /hello: Vary %q, want Cookie", resp.Header.Get("Vary"))
	}
	for _, c := range resp.Cookies() {
		if c.Name == "PHPSESSID" {
			return string(body), c
		}
	}
	return string(body), nil
}

package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

// TestHelloSharesSessionWithPHP: PHP's files handler writes a session, the
// app serves it, and PHP reads back the flash message the app added.
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
	req, _ := http.NewRequest("GET", srv.URL+"/hello", nil)
	req.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: id})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "hello ana\n" {
		t.Fatalf("GET /hello = %d %q, want 200 %q", resp.StatusCode, body, "hello ana\n")
	}

	got := testenv.PHPFilesSession(t, dir, id, `echo $_SESSION['user'], '|', json_encode($_SESSION['_flashMessages']);`)
	if want := `ana|{"success":["Hello ana, from net\/http"]}`; got != want {
		t.Errorf("PHP reads back %s, want %s", got, want)
	}
}

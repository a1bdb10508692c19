package manager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

// phpWriteSessions has PHP's files handler write one session per
// serialize_handler into the save path argv[1], under the id
// "fmt<handler>" (the handler's name without "_"), and one igbinary session
// holding an object whose __sleep names a property twice, under
// "fmtsleepdup", which PHP reads back but phpsession's igbinary decoder
// refuses. It prints nothing.
const phpWriteSessions = `<?php
class SleepDup { public $a = 1; public $b = 2; function __sleep() { return ['a', 'a', 'b']; } }
ini_set('session.save_path', $argv[1]);
ini_set('session.use_cookies', '0');
ini_set('session.cache_limiter', '');
foreach (['php', 'php_serialize', 'php_binary', 'igbinary'] as $h) {
    ini_set('session.serialize_handler', $h);
    session_id('fmt' . str_replace('_', '', $h));
    session_start();
    $_SESSION['auth'] = ['name' => 'Lone Starr', 'id' => 42];
    $_SESSION['n'] = 7;
    session_write_close();
}
session_id('fmtsleepdup');
session_start();
$_SESSION['user'] = 'dark';
$_SESSION['obj'] = new SleepDup();
session_write_close();
`

// phpReadSessions reads, with PHP's files handler in save path argv[1],
// each session named on stdin as "<id> <serialize_handler>" per line and
// prints {"<id>": {"started": bool, "keys": [...]}} as JSON.
const phpReadSessions = `<?php
class SleepDup { public $a = 1; public $b = 2; function __sleep() { return ['a', 'a', 'b']; } }
ini_set('session.save_path', $argv[1]);
ini_set('session.use_cookies', '0');
ini_set('session.cache_limiter', '');
$out = [];
foreach (explode("\n", trim(stream_get_contents(STDIN))) as $line) {
    [$id, $h] = explode(' ', $line);
    ini_set('session.serialize_handler', $h);
    session_id($id);
    $ok = @session_start();
    $out[$id] = ['started' => $ok, 'keys' => $ok ? array_keys($_SESSION) : []];
    if ($ok) session_abort();
}
echo json_encode($out);
`

func phpSessionID(f phpsession.Format) string {
	return "fmt" + strings.ReplaceAll(f.String(), "_", "")
}

// tryStart runs one request through LoadAndSave with the session cookie
// id; its handler starts the session and answers 500 with the error, as a
// handler that cannot go on without its session does. It returns the
// response and Start's error.
func tryStart(m *Manager, id string) (*httptest.ResponseRecorder, error) {
	var startErr error
	h := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		if startErr = s.Start(r.Context()); startErr != nil {
			http.Error(w, startErr.Error(), http.StatusInternalServerError)
			return
		}
		s.Set("go", phpsession.BoolValue(true))
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: id})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w, startErr
}

// TestFormatMismatchLeavesSession has real PHP write a session in each
// format with its files handler, and a Go manager configured for each
// other format meet it: Start returns a *FormatMismatchError naming the
// format PHP used, the request sets no cookie, the file is byte-identical
// afterwards, and PHP still reads every one of them.
func TestFormatMismatchLeavesSession(t *testing.T) {
	testenv.PHP(t, "igbinary")
	phpDir := t.TempDir()
	testenv.RunPHP(t, phpWriteSessions, nil, phpDir)
	payload := map[phpsession.Format][]byte{}
	for _, f := range phpsession.Formats() {
		b, err := os.ReadFile(filepath.Join(phpDir, "sess_"+phpSessionID(f)))
		if err != nil {
			t.Fatal(err)
		}
		payload[f] = b
	}

	dir := t.TempDir()
	store, err := filestore.New(filestore.Options{Dir: dir, Layout: adapters.LayoutNative})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	defer log.SetOutput(log.Writer())
	log.SetOutput(&logs)
	var readBack strings.Builder
	for _, configured := range phpsession.Formats() {
		m, err := New(store, Config{Format: configured})
		if err != nil {
			t.Fatal(err)
		}
		for _, found := range phpsession.Formats() {
			if found == configured {
				continue
			}
			id := "as" + strings.ReplaceAll(configured.String(), "_", "") + phpSessionID(found)
			path := filepath.Join(dir, "sess_"+id)
			if err := os.WriteFile(path, payload[found], 0o600); err != nil {
				t.Fatal(err)
			}
			w, err := tryStart(m, id)
			var fe *FormatMismatchError
			if !errors.As(err, &fe) || !errors.Is(err, ErrFormatMismatch) || fe.Found != found || fe.Configured != configured || fe.ID != id {
				t.Errorf("%v meets %v: Start = %v, want a *FormatMismatchError{Configured: %v, Found: %v}", configured, found, err, configured, found)
			}
			if c := w.Result().Cookies(); len(c) != 0 {
				t.Errorf("%v meets %v: the response sets cookies %v", configured, found, c)
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, payload[found]) {
				t.Errorf("%v meets %v: the session file holds %q (%v) after the request, want PHP's %q", configured, found, got, err, payload[found])
			}
			readBack.WriteString(id + " " + found.String() + "\n")
		}
	}
	// Each of the four managers logs its first mismatch, once.
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 4 {
		t.Errorf("the managers logged %d lines, want 4, one each:\n%s", len(lines), logs.String())
	}
	for _, l := range lines {
		if !strings.Contains(l, "a stored session is in format") || strings.Contains(l, "fmt") {
			t.Errorf("log line %q: want the formats, and no session id", l)
		}
	}
	var php map[string]struct {
		Started bool     `json:"started"`
		Keys    []string `json:"keys"`
	}
	out := testenv.RunPHP(t, phpReadSessions, []byte(readBack.String()), dir)
	if err := json.Unmarshal(out, &php); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(php) != 12 {
		t.Errorf("PHP read %d sessions, want 12: %s", len(php), out)
	}
	for id, r := range php {
		if !r.Started || strings.Join(r.Keys, ",") != "auth,n" {
			t.Errorf("PHP reading %s after the Go request: started %v, keys %q; want true, [auth n]", id, r.Started, r.Keys)
		}
	}
}

// TestIgbinaryUnreadableLeavesSession: an igbinary session that PHP wrote
// and reads back, but phpsession's decoder refuses (an object whose
// __sleep names a property twice), is an error and is left untouched, in
// a manager configured for igbinary (a *DecodeError, not destroyed) and
// for php (a *FormatMismatchError naming igbinary). So is a payload whose
// igbinary header is valid and whose value is not.
func TestIgbinaryUnreadableLeavesSession(t *testing.T) {
	testenv.PHP(t, "igbinary")
	dir := t.TempDir()
	testenv.RunPHP(t, phpWriteSessions, nil, dir)
	path := filepath.Join(dir, "sess_fmtsleepdup")
	sleepDup, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	codecReads := false
	if _, err := phpsession.DecodeSession(sleepDup, phpsession.FormatIgbinary); err == nil {
		codecReads = true
		t.Log("phpsession now decodes an object whose __sleep repeats a name: only the header-only payload is checked")
	}
	store, err := filestore.New(filestore.Options{Dir: dir, Layout: adapters.LayoutNative})
	if err != nil {
		t.Fatal(err)
	}
	junk := []byte("\x00\x00\x00\x02\xff\xff")
	if err := os.WriteFile(filepath.Join(dir, "sess_headeronly"), junk, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id         string
		configured phpsession.Format
		stored     []byte
		mismatch   bool
	}{
		{"fmtsleepdup", phpsession.FormatIgbinary, sleepDup, false},
		{"fmtsleepdup", phpsession.FormatPHP, sleepDup, true},
		{"headeronly", phpsession.FormatIgbinary, junk, false},
		{"headeronly", phpsession.FormatPHPSerialize, junk, true},
	}
	for _, tt := range tests {
		if codecReads && tt.id == "fmtsleepdup" {
			continue
		}
		m, err := New(store, Config{Format: tt.configured})
		if err != nil {
			t.Fatal(err)
		}
		w, err := tryStart(m, tt.id)
		var de *DecodeError
		var fe *FormatMismatchError
		switch {
		case tt.mismatch && (!errors.As(err, &fe) || fe.Found != phpsession.FormatIgbinary):
			t.Errorf("%s as %v: Start = %v, want a *FormatMismatchError finding igbinary", tt.id, tt.configured, err)
		case !tt.mismatch && (!errors.As(err, &de) || de.Destroyed || errors.Is(err, ErrFormatMismatch)):
			t.Errorf("%s as %v: Start = %v, want a *DecodeError, not destroyed", tt.id, tt.configured, err)
		}
		if c := w.Result().Cookies(); len(c) != 0 {
			t.Errorf("%s as %v: the response sets cookies %v", tt.id, tt.configured, c)
		}
		if got, err := os.ReadFile(filepath.Join(dir, "sess_"+tt.id)); err != nil || !bytes.Equal(got, tt.stored) {
			t.Errorf("%s as %v: the session file holds %q (%v), want %q", tt.id, tt.configured, got, err, tt.stored)
		}
	}
	out := testenv.RunPHP(t, phpReadSessions, []byte("fmtsleepdup igbinary\n"), dir)
	if want := `{"fmtsleepdup":{"started":true,"keys":["user","obj"]}}`; string(out) != want {
		t.Errorf("PHP reading the session after the Go requests: %s, want %s", out, want)
	}
}

// TestFormatMismatchOnServers: on Redis and Memcached too, a php_serialize
// session PHP wrote is left byte-identical by a manager configured for php.
func TestFormatMismatchOnServers(t *testing.T) {
	ctx := context.Background()
	stored := []byte(`a:2:{s:4:"auth";a:1:{s:4:"name";s:10:"Lone Starr";}s:1:"n";i:7;}`)
	for _, kind := range []string{"redis", "memcached"} {
		t.Run(kind, func(t *testing.T) {
			store, _ := openShared(t, kind, false)
			m, err := New(store, Config{Format: phpsession.FormatPHP})
			if err != nil {
				t.Fatal(err)
			}
			id, err := m.NewID()
			if err != nil {
				t.Fatal(err)
			}
			if err := store.Write(ctx, id, stored, 0); err != nil {
				t.Fatal(err)
			}
			_, err = tryStart(m, id)
			var fe *FormatMismatchError
			if !errors.As(err, &fe) || fe.Found != phpsession.FormatPHPSerialize {
				t.Errorf("Start = %v, want a *FormatMismatchError finding php_serialize", err)
			}
			if got, found, err := store.Read(ctx, id); err != nil || !found || !bytes.Equal(got, stored) {
				t.Errorf("after the request the store holds %q, %v, %v; want %q", got, found, err, stored)
			}
		})
	}
}

// TestUnreadableIDsStartNewSessions sends cookie ids of 256 bytes and
// 4 KiB to a manager on every store: each request starts a new session
// and saves it (200), as PHP does, where a 256-byte id made the file
// store fail with "file name too long". Only Redis can hold a 256-byte
// id: it starts an empty session under it, as PHP without strict mode.
func TestUnreadableIDsStartNewSessions(t *testing.T) {
	ctx := context.Background()
	type tcase struct {
		name  string
		store func(t *testing.T) adapters.Store
	}
	fileStore := func(layout adapters.Layout) func(t *testing.T) adapters.Store {
		return func(t *testing.T) adapters.Store {
			s, err := filestore.New(filestore.Options{Dir: t.TempDir(), Layout: layout})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	shared := func(kind string) func(t *testing.T) adapters.Store {
		return func(t *testing.T) adapters.Store { s, _ := openShared(t, kind, false); return s }
	}
	cases := []tcase{
		{"files/phalcon5", fileStore(adapters.LayoutPhalcon5)},
		{"files/php", fileStore(adapters.LayoutNative)},
		{"redis", shared("redis")},
		{"memcached", shared("memcached")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := tc.store(t)
			m, err := New(store, Config{})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{256, 4096} {
				cookieID := strings.Repeat("a1b2c3d4", n/8)
				w, err := tryStart(m, cookieID)
				if err != nil || w.Code != http.StatusOK {
					t.Fatalf("%d-byte id: Start = %v, status %d; want a new session", n, err, w.Code)
				}
				id := cookieID
				if c := w.Result().Cookies(); len(c) == 1 {
					id = c[0].Value
				}
				if id == cookieID && (n > adapters.MaxIDLength || tc.name != "redis") {
					t.Fatalf("%d-byte id: the response kept the id (cookies %v), want a new one", n, w.Result().Cookies())
				}
				data, found, err := store.Read(ctx, id)
				if err != nil || !found || string(data) != "go|b:1;" {
					t.Errorf("%d-byte id: the new session %.20q... holds %q, %v, %v; want go|b:1;", n, id, data, found, err)
				}
			}
		})
	}
}

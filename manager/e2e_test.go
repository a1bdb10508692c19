package manager

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/adapters/memcachedstore"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

func phpAppDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "internal", "phpapp")
}

// storeEnv is the environment internal/phpapp/handlers.php reads.
type storeEnv struct {
	kind     string // stream, locking-stream, redis, memcached
	savePath string
	addr     string
}

func (e storeEnv) vars(format phpsession.Format) []string {
	return []string{"SB_STORE=" + e.kind, "SB_SAVE_PATH=" + e.savePath, "SB_ADDR=" + e.addr, "SB_FORMAT=" + format.String()}
}

// testStores are the stores the end-to-end tests share with PHP.
var testStores = []string{"stream", "redis", "memcached"}

// openShared returns a Go store and the PHP environment for the same
// sessions.
func openShared(t *testing.T, kind string, locking bool) (adapters.Store, storeEnv) {
	t.Helper()
	switch kind {
	case "stream":
		dir := t.TempDir()
		s, err := filestore.New(filestore.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		env := storeEnv{kind: "stream", savePath: dir}
		if locking {
			env.kind = "locking-stream"
		}
		return s, env
	case "redis":
		srv := testenv.StartRedis(t)
		client := redis.NewClient(&redis.Options{Addr: srv.Addr})
		t.Cleanup(func() { client.Close() })
		s, err := redisstore.New(client, redisstore.Options{Locking: locking, LockWait: time.Millisecond, LockRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		env := storeEnv{kind: "redis", addr: srv.Addr}
		if locking {
			env.kind = "redis-locking"
		}
		return s, env
	case "memcached":
		srv := testenv.StartMemcached(t)
		s, err := memcachedstore.New(memcachedstore.Options{Servers: []memcachedstore.Server{{Host: "127.0.0.1", Port: srv.Port}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, storeEnv{kind: "memcached", addr: srv.Addr}
	}
	t.Fatalf("unknown store %q", kind)
	return nil, storeEnv{}
}

// appResult is what internal/phpapp/index.php prints.
type appResult struct {
	ID      string                     `json:"id"`
	Flash   map[string][]string        `json:"flash"`
	Session map[string]json.RawMessage `json:"session"`
}

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v\n%s", url, err, body)
		}
	}
}

// goApp is the Go side: the manager's middleware around a few handlers.
func goApp(t *testing.T, m *Manager) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		if err := s.Start(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		name, _ := s.Get("auth", phpsession.Value{}).Lookup("name")
		str, _ := name.Str()
		json.NewEncoder(w).Encode(map[string]string{"id": s.ID(), "name": str})
	})
	mux.HandleFunc("/flash", func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		s.Start(r.Context())
		if err := s.Flash().Add("success", "Hello from Go"); err != nil {
			http.Error(w, err.Error(), 500)
		}
		io.WriteString(w, "{}")
	})
	mux.HandleFunc("/regen", func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		s.Start(r.Context())
		if err := s.RegenerateID(r.Context(), true); err != nil {
			http.Error(w, err.Error(), 500)
		}
		json.NewEncoder(w).Encode(map[string]string{"id": s.ID()})
	})
	srv := httptest.NewServer(m.LoadAndSave(mux))
	t.Cleanup(srv.Close)
	return srv
}

// TestEndToEndWithPHP shares one browser (cookie jar) between the PHP app
// and a Go app on the same store: PHP logs in, Go sees the user; Go adds a
// flash message, PHP shows it; Go regenerates the id, PHP follows; PHP
// destroys the session, Go sees none.
func TestEndToEndWithPHP(t *testing.T) {
	type tcase struct {
		kind     string
		format   phpsession.Format
		uniqueID string
	}
	var cases []tcase
	for _, kind := range testStores {
		for _, format := range phpsession.Formats() {
			cases = append(cases, tcase{kind, format, ""})
		}
	}
	cases = append(cases, tcase{"stream", phpsession.FormatPHP, "shop"}, tcase{"redis", phpsession.FormatPHPSerialize, "shop"})
	for _, tc := range cases {
		kind, format := tc.kind, tc.format
		name := kind + "/" + format.String()
		if tc.uniqueID != "" {
			name += "/uniqueId=" + tc.uniqueID
		}
		t.Run(name, func(t *testing.T) {
			store, env := openShared(t, kind, false)
			m, err := New(store, Config{Format: format, UniqueID: tc.uniqueID})
			if err != nil {
				t.Fatal(err)
			}
			phpURL := startPHPAppEnv(t, append(env.vars(format), "SB_UNIQUE="+tc.uniqueID))
			goURL := goApp(t, m).URL
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

			var login appResult
			getJSON(t, c, phpURL+"/?a=login&name=Lone+Starr", &login)
			var who map[string]string
			getJSON(t, c, goURL+"/whoami", &who)
			if who["name"] != "Lone Starr" || who["id"] != login.ID {
				t.Fatalf("Go sees %v, want PHP's user Lone Starr in session %s", who, login.ID)
			}

			getJSON(t, c, goURL+"/flash", nil)
			var show appResult
			getJSON(t, c, phpURL+"/?a=show", &show)
			if msgs := show.Flash["success"]; len(msgs) != 1 || msgs[0] != "Hello from Go" {
				t.Fatalf("PHP shows flash %v, want Go's message", show.Flash)
			}

			var regen map[string]string
			getJSON(t, c, goURL+"/regen", &regen)
			if regen["id"] == login.ID {
				t.Fatal("RegenerateID kept the id")
			}
			var peek appResult
			getJSON(t, c, phpURL+"/?a=peek", &peek)
			if peek.ID != regen["id"] || peek.Session[m.cfg.Profile.uniqueKey(tc.uniqueID, "auth")] == nil {
				t.Fatalf("PHP after Go's regenerate: id %s (want %s), session %s", peek.ID, regen["id"], peek.Session)
			}
			if _, found, _ := store.Read(context.Background(), login.ID); found {
				t.Error("the old session is still stored after RegenerateID(true)")
			}

			getJSON(t, c, phpURL+"/?a=destroy", nil)
			getJSON(t, c, goURL+"/whoami", &who)
			if who["name"] != "" {
				t.Fatalf("Go still sees %v after PHP destroyed the session", who)
			}
		})
	}
}

func startPHPAppEnv(t *testing.T, env []string) string {
	t.Helper()
	php := testenv.PHP(t, "redis", "memcached", "igbinary")
	port := testenv.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logPath := filepath.Join(t.TempDir(), "php-server.log")
	for _, kv := range env {
		k, v, _ := cutEq(kv)
		t.Setenv(k, v) // inherited by the server process
	}
	testenv.StartProcess(t, logPath, php, "-S", addr, filepath.Join(phpAppDir(t), "index.php"))
	if err := testenv.WaitForTCP(addr, 10*time.Second); err != nil {
		log, _ := os.ReadFile(logPath)
		t.Fatalf("%v\n%s", err, log)
	}
	return "http://" + addr
}

func cutEq(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

// TestEndToEndStrictMode checks that a session Go creates is in the store
// before its cookie goes out: a strict-mode PHP keeps Go's id instead of
// swapping it for one of its own.
func TestEndToEndStrictMode(t *testing.T) {
	for _, kind := range testStores {
		t.Run(kind, func(t *testing.T) {
			store, env := openShared(t, kind, false)
			m, err := New(store, Config{StrictMode: true})
			if err != nil {
				t.Fatal(err)
			}
			phpURL := startPHPAppEnv(t, append(env.vars(phpsession.FormatPHP), "SB_STRICT=1"))
			goURL := goApp(t, m).URL
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

			var who map[string]string
			getJSON(t, c, goURL+"/whoami", &who)
			var peek appResult
			getJSON(t, c, phpURL+"/?a=peek", &peek)
			if peek.ID != who["id"] {
				t.Errorf("strict PHP swapped Go's new session %s for %s", who["id"], peek.ID)
			}
		})
	}
}

// TestEndToEndSixBitIDs: Go's 6-bit ids hold ',' and '-'; the ',' goes out
// as %2C as PHP sends it, and PHP (and Phalcon 5.14.2+'s cookie check)
// reads back the same id.
func TestEndToEndSixBitIDs(t *testing.T) {
	store, env := openShared(t, "stream", false)
	m, err := New(store, Config{SIDBitsPerCharacter: 6, SIDLength: 26})
	if err != nil {
		t.Fatal(err)
	}
	phpURL := startPHPAppEnv(t, env.vars(phpsession.FormatPHP))
	goURL := goApp(t, m).URL
	for attempt := 0; ; attempt++ {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		var who map[string]string
		getJSON(t, c, goURL+"/whoami", &who)
		if !strings.ContainsAny(who["id"], ",-") {
			if attempt > 50 {
				t.Fatal("no id with ',' or '-' in 50 tries")
			}
			continue
		}
		var peek appResult
		getJSON(t, c, phpURL+"/?a=peek", &peek)
		if peek.ID != who["id"] {
			t.Errorf("PHP read session %q, Go made %q", peek.ID, who["id"])
		}
		return
	}
}

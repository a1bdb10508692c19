package manager_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/manager"
	"github.com/sessbridge/sessbridge/phpini"
	"github.com/sessbridge/sessbridge/phpsession"
)

func ExampleManager_LoadAndSave() {
	dir, _ := os.MkdirTemp("", "sessions")
	defer os.RemoveAll(dir)
	store, err := filestore.New(filestore.Options{Dir: dir}) // Phalcon's Stream adapter
	if err != nil {
		log.Fatal(err)
	}
	m, err := manager.New(store, manager.Config{})
	if err != nil {
		log.Fatal(err)
	}

	// A session PHP wrote earlier.
	id := "0123456789abcdef0123456789abcdef"
	os.WriteFile(filepath.Join(dir, id), []byte(`auth|a:1:{s:4:"name";s:11:"Dark Helmet";}`), 0o644)

	h := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		if err := s.Start(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		name, _ := s.Get("auth", phpsession.Value{}).Lookup("name")
		str, _ := name.Str()
		s.Flash().Add("success", "Welcome back")
		fmt.Fprintf(w, "hello %s", str)
	}))

	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: id})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body, _ := io.ReadAll(w.Result().Body)
	stored, _ := os.ReadFile(filepath.Join(dir, id))
	fmt.Println(string(body))
	fmt.Println(w.Result().Header.Get("Vary"))
	fmt.Println(string(stored))
	// Output:
	// hello Dark Helmet
	// Cookie
	// auth|a:1:{s:4:"name";s:11:"Dark Helmet";}_flashMessages|a:1:{s:7:"success";a:1:{i:0;s:12:"Welcome back";}}
}

func ExampleSession_Bag() {
	dir, _ := os.MkdirTemp("", "sessions")
	defer os.RemoveAll(dir)
	store, _ := filestore.New(filestore.Options{Dir: dir})
	m, _ := manager.New(store, manager.Config{UniqueID: "shop"})

	ctx := m.Load(context.Background(), "")
	s := m.Session(ctx)
	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}
	cart := s.Bag("cart")
	cart.Set("Items", phpsession.IntValue(3))
	n, _ := cart.Get("items", phpsession.IntValue(0)).Int() // case-insensitive
	fmt.Println(n)
	id, _, err := m.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	stored, _ := os.ReadFile(filepath.Join(dir, id))
	fmt.Println(string(stored))
	// Output:
	// 3
	// shop#cart|a:1:{s:5:"Items";i:3;}
}

func ExampleConfigFromINI() {
	dir, _ := os.MkdirTemp("", "php")
	defer os.RemoveAll(dir)
	ini := filepath.Join(dir, "php.ini")
	os.WriteFile(ini, []byte(`
[Session]
session.name = APPSESSID
session.serialize_handler = php_serialize
session.sid_length = 26
session.sid_bits_per_character = 5
session.cookie_httponly = On
session.use_strict_mode = 1
`), 0o644)

	php, err := phpini.ParseFile(ini)
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := manager.ConfigFromINI(php)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Name, cfg.Format, cfg.SIDLength, cfg.SIDBitsPerCharacter, cfg.Cookie.HTTPOnly, cfg.StrictMode)
	// Output: APPSESSID php_serialize 26 5 true true
}

// Load, Session and Commit serve code that carries the session id some
// other way than the cookie, such as a header or a websocket handshake.
func ExampleManager_Load() {
	dir, _ := os.MkdirTemp("", "sessions")
	defer os.RemoveAll(dir)
	store, _ := filestore.New(filestore.Options{Dir: dir})
	m, _ := manager.New(store, manager.Config{})

	ctx := m.Load(context.Background(), "") // no id yet: Start makes one
	s := m.Session(ctx)
	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}
	s.Set("token", phpsession.StringValue("abc"))
	id, _, err := m.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}

	ctx = m.Load(context.Background(), id) // a later request with that id
	s = m.Session(ctx)
	s.Start(ctx)
	token, _ := s.Get("token", phpsession.Value{}).Str()
	fmt.Println(len(id), token)
	// Output: 32 abc
}

// With LockRequests, a request holds the session's lock (here PHP's files
// handler's flock of sess_<id>) from Start to Commit, so that a counter
// incremented by Go and PHP requests at once loses nothing. A second
// request that cannot get the lock in time gets a *manager.LockError.
func ExampleConfig_lockRequests() {
	dir, _ := os.MkdirTemp("", "sessions")
	defer os.RemoveAll(dir)
	store, err := filestore.New(filestore.Options{Dir: dir, Layout: adapters.LayoutNative})
	if err != nil {
		log.Fatal(err)
	}
	m, err := manager.New(store, manager.Config{LockRequests: true, LockTimeout: 100 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	id := "0123456789abcdef0123456789abcdef"
	os.WriteFile(filepath.Join(dir, "sess_"+id), []byte(`hits|i:41;`), 0o600)

	// The flow LoadAndSave runs, for code outside net/http.
	ctx := m.Load(context.Background(), id)
	s := m.Session(ctx)
	defer s.Release(ctx) // releases the lock if Commit is never reached
	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}

	// Meanwhile another request on the same session waits, then gives up.
	other := m.Load(context.Background(), id)
	err = m.Session(other).Start(other)
	var lerr *manager.LockError
	fmt.Println(errors.As(err, &lerr), errors.Is(err, adapters.ErrLockTimeout))

	n, _ := s.Get("hits", phpsession.IntValue(0)).Int()
	s.Set("hits", phpsession.IntValue(n+1))
	if _, _, err := m.Commit(ctx); err != nil { // writes, then releases the lock
		log.Fatal(err)
	}
	stored, _ := os.ReadFile(filepath.Join(dir, "sess_"+id))
	fmt.Println(string(stored))
	// Output:
	// true true
	// hits|i:42;
}

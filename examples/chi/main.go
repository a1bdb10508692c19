// Command chi is a chi server that shares its sessions with a PHP app using
// PHP's own files session handler: it greets the user the PHP app logged in
// and leaves a flash message that the PHP app (Phalcon's Flash\Session)
// shows on its next page.
//
// The manager's LoadAndSave is ordinary net/http middleware, which chi's
// Use takes as it is.
//
// Usage (the directory is PHP's session.save_path):
//
//	SESSION_DIR=/var/lib/php/sessions LISTEN=:8080 go run .
//
// Then GET /hello with the PHPSESSID cookie of a PHP session that holds
// $_SESSION['user'].
package main

import (
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/manager"
	"github.com/sessbridge/sessbridge/phpsession"
)

func main() {
	router, err := newRouter(getenv("SESSION_DIR", "/var/lib/php/sessions"))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: getenv("LISTEN", ":8080"), Handler: router, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// newRouter returns the app, with the sessions PHP's files handler keeps in
// dir (sess_<id> files, PHPSESSID cookie, php serialize_handler).
func newRouter(dir string) (http.Handler, error) {
	store, err := filestore.New(filestore.Options{Dir: dir, Layout: adapters.LayoutNative})
	if err != nil {
		return nil, err
	}
	sessions, err := manager.New(store, manager.Config{Logger: slog.Default()})
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	// LoadAndSave gives every request its session and saves it before the
	// response starts.
	r.Use(sessions.LoadAndSave)
	r.Get("/hello", func(w http.ResponseWriter, r *http.Request) {
		s := sessions.Session(r.Context())
		if err := s.Start(r.Context()); err != nil {
			http.Error(w, "session unavailable", http.StatusInternalServerError)
			return
		}
		user, _ := s.Get("user", phpsession.StringValue("stranger")).Str()
		if err := s.Flash().Add("success", "Hello "+user+", from chi"); err != nil {
			http.Error(w, "session unavailable", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "hello %s\n", user)
	})
	return r, nil
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

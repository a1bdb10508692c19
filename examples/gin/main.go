// Command gin is a gin server that shares its sessions with a PHP app using
// PHP's own files session handler: it greets the user the PHP app logged in
// and leaves a flash message that the PHP app (Phalcon's Flash\Session)
// shows on its next page.
//
// gin's middleware cannot wrap its own ResponseWriter from outside, and the
// session must be saved before the response starts, so the manager's
// LoadAndSave wraps the whole gin engine (an http.Handler); a handler finds
// its session in c.Request.Context(). A request that never starts its
// session costs no store I/O.
//
// Usage (the directory is PHP's session.save_path):
//
//	SESSION_DIR=/var/lib/php/sessions LISTEN=:8080 go run .
//
// Then GET /hello with the PHPSESSID cookie of a PHP session that holds
// $_SESSION['user'].
package main

import (
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/manager"
	"github.com/sessbridge/sessbridge/phpsession"
)

func main() {
	handler, err := newHandler(getenv("SESSION_DIR", "/var/lib/php/sessions"))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: getenv("LISTEN", ":8080"), Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// newHandler returns the app, with the sessions PHP's files handler keeps
// in dir (sess_<id> files, PHPSESSID cookie, php serialize_handler).
func newHandler(dir string) (http.Handler, error) {
	store, err := filestore.New(filestore.Options{Dir: dir, Layout: adapters.LayoutNative})
	if err != nil {
		return nil, err
	}
	sessions, err := manager.New(store, manager.Config{Logger: slog.Default()})
	if err != nil {
		return nil, err
	}
	engine := gin.New()
	engine.Use(gin.Recovery())
	engine.GET("/hello", func(c *gin.Context) {
		ctx := c.Request.Context()
		s := sessions.Session(ctx)
		if err := s.Start(ctx); err != nil {
			c.String(http.StatusInternalServerError, "session unavailable")
			return
		}
		user, _ := s.Get("user", phpsession.StringValue("stranger")).Str()
		if err := s.Flash().Add("success", "Hello "+user+", from gin"); err != nil {
			c.String(http.StatusInternalServerError, "session unavailable")
			return
		}
		c.String(http.StatusOK, "hello %s\n", user)
	})
	// LoadAndSave gives every request its session and saves it before the
	// response starts.
	return sessions.LoadAndSave(engine), nil
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

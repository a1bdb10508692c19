// Command echo is an Echo server that shares its sessions with a PHP app
// using PHP's own files session handler: it greets the user the PHP app
// logged in and leaves a flash message that the PHP app (Phalcon's
// Flash\Session) shows on its next page.
//
// The manager's LoadAndSave is net/http middleware; echo.WrapMiddleware
// makes it Echo middleware, which hands the handler a Response over the
// writer that saves the session before the response starts.
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

	"github.com/labstack/echo/v4"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/manager"
	"github.com/sessbridge/sessbridge/phpsession"
)

func main() {
	e, err := newEcho(getenv("SESSION_DIR", "/var/lib/php/sessions"))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: getenv("LISTEN", ":8080"), Handler: e, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// newEcho returns the app, with the sessions PHP's files handler keeps in
// dir (sess_<id> files, PHPSESSID cookie, php serialize_handler).
func newEcho(dir string) (*echo.Echo, error) {
	store, err := filestore.New(filestore.Options{Dir: dir, Layout: adapters.LayoutNative})
	if err != nil {
		return nil, err
	}
	sessions, err := manager.New(store, manager.Config{Logger: slog.Default()})
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner = true
	// LoadAndSave gives every request its session and saves it before the
	// response starts.
	e.Use(echo.WrapMiddleware(sessions.LoadAndSave))
	e.GET("/hello", func(c echo.Context) error {
		ctx := c.Request().Context()
		s := sessions.Session(ctx)
		if err := s.Start(ctx); err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, "session unavailable")
		}
		user, _ := s.Get("user", phpsession.StringValue("stranger")).Str()
		if err := s.Flash().Add("success", "Hello "+user+", from echo"); err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, "session unavailable")
		}
		return c.String(http.StatusOK, "hello "+user+"\n")
	})
	return e, nil
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Command shared-session is a Go web app that shares its sessions with a
// Phalcon app: it reads the user the Phalcon app logged in and adds flash
// messages the Phalcon app shows. docker-compose.yml runs it next to
// docker/phalcon/index.php, both on the same Redis.
//
// Usage:
//
//	SESSBRIDGE_STORE=redis://127.0.0.1:6379 LISTEN=:8081 go run ./examples/shared-session
//
// Routes: GET / shows the session's user and keys; GET /flash?msg=M adds a
// "success" flash message.
package main

import (
	"context"
	"encoding/json"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/adapters/storeurl"
	"github.com/sessbridge/sessbridge/manager"
	"github.com/sessbridge/sessbridge/phpsession"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	store := os.Getenv("SESSBRIDGE_STORE")
	if store == "" {
		store = "redis://127.0.0.1:6379"
	}
	addr := os.Getenv("LISTEN")
	if addr == "" {
		addr = ":8081"
	}
	// go-redis's own lines (connection pool trouble) go to the same log as
	// the manager's.
	redisstore.LogGoRedis(slog.Default())
	st, err := storeurl.Open(ctx, store)
	if err != nil {
		log.Fatal(err)
	}
	m, err := manager.New(st, manager.Config{Logger: slog.Default()})
	if err != nil {
		log.Fatal(err)
	}

	srv := &http.Server{Addr: addr, Handler: m.LoadAndSave(app(m)), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	slog.Info("shared-session: listening", "addr", addr, "store", storeurl.Redact(store))
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// app serves the routes, behind m.LoadAndSave:
//
//   - GET / starts the session and answers {"id", "user", "keys"}, where
//     user is auth.name as the Phalcon app stored it at login;
//   - GET /flash?msg=M adds M as a "success" flash message in Phalcon's
//     _flashMessages layout, which the Phalcon app shows next, and answers
//     {"id", "flashed"}.
func app(m *manager.Manager) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		if err := s.Start(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		name, _ := s.Get("auth", phpsession.NullValue()).Lookup("name")
		user, _ := name.Str()
		writeJSON(w, map[string]any{"id": s.ID(), "user": user, "keys": s.Keys()})
	})
	mux.HandleFunc("GET /flash", func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		if err := s.Start(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		msg := r.URL.Query().Get("msg")
		if msg == "" {
			msg = "Hello from Go!"
		}
		if err := s.Flash().Add("success", msg); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, map[string]any{"id": s.ID(), "flashed": msg})
	})
	return mux
}

// writeJSON writes v as the JSON response.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

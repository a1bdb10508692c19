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
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/sessbridge/sessbridge/adapters/storeurl"
	"github.com/sessbridge/sessbridge/compat"
	"github.com/sessbridge/sessbridge/manager"
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
	st, err := storeurl.Open(ctx, store)
	if err != nil {
		log.Fatal(err)
	}
	m, err := manager.New(st, manager.Config{})
	if err != nil {
		log.Fatal(err)
	}

	srv := &http.Server{Addr: addr, Handler: m.LoadAndSave(compat.GoApp(m)), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Printf("shared-session: listening on %s, store %s", addr, storeurl.Redact(store))
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// writeJSON writes v as the JSON response.

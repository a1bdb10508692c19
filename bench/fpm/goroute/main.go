// Command goroute is the Go side of the PHP-FPM benchmark (bench/fpm): one
// net/http route behind sessbridge's middleware doing the work the PHP route
// does, read "auth", increment "hits", save, and answering the new hits.
//
// Usage:
//
//	goroute -listen 127.0.0.1:8080 -store 'redis://127.0.0.1:6379' -save merge [-debug 127.0.0.1:6060]
//
// -store is any URL adapters/storeurl opens (layout=php for phpredis's
// keys). -save is merge, merge-locked or replace (manager.SaveMode).
// -lock-requests holds the store's lock from Start to the save. With
// -debug, net/http/pprof (/debug/pprof/) and expvar (/debug/vars, with the
// runtime's memstats) are served on that address, apart from the route.
// SIGTERM or SIGINT stops it.
package main

import (
	"context"
	"errors"
	_ "expvar" // served only on -debug's own listener
	"flag"
	"fmt"
	"log"
	"net/http"
	_ "net/http/pprof" // the same
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/sessbridge/sessbridge/adapters/storeurl"
	"github.com/sessbridge/sessbridge/manager"
	"github.com/sessbridge/sessbridge/phpsession"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "`address` to serve the route on")
	store := flag.String("store", "redis://127.0.0.1:6379", "store `URL` (adapters/storeurl)")
	save := flag.String("save", "merge", "save `mode`: merge, merge-locked or replace")
	debugAddr := flag.String("debug", "", "serve net/http/pprof and expvar on this `address`")
	lockRequests := flag.Bool("lock-requests", false, "hold the store's lock from Start to the save (manager.Config.LockRequests)")
	flag.Parse()
	log.SetPrefix("goroute: ")
	log.SetFlags(0)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *listen, *store, *save, *lockRequests, *debugAddr); err != nil {
		log.Fatal(err)
	}
}

// saveModes are the -save values.
var saveModes = map[string]manager.SaveMode{
	manager.SaveMerge.String():       manager.SaveMerge,
	manager.SaveMergeLocked.String(): manager.SaveMergeLocked,
	manager.SaveReplace.String():     manager.SaveReplace,
}

func run(ctx context.Context, listen, storeURL, save string, lockRequests bool, debugAddr string) error {
	mode, ok := saveModes[save]
	if !ok {
		return fmt.Errorf("unknown save mode %q", save)
	}
	st, err := storeurl.Open(ctx, storeURL)
	if err != nil {
		return err
	}
	m, err := manager.New(st, manager.Config{Save: mode, LockRequests: lockRequests})
	if err != nil {
		return err
	}
	if debugAddr != "" {
		go func() {
			// http.DefaultServeMux holds only pprof's and expvar's handlers.
			log.Print(http.ListenAndServe(debugAddr, nil))
		}()
	}
	srv := &http.Server{Addr: listen, Handler: m.LoadAndSave(route(m)), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// route is the benchmarked work, as bench/fpm/route.php does it in PHP:
// start the session, answer 403 without "auth", increment "hits" and answer
// its new value.
func route(m *manager.Manager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		if err := s.Start(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if !s.Get("auth", phpsession.Value{}).IsValid() {
			http.Error(w, "no auth in the session", http.StatusForbidden)
			return
		}
		n, _ := s.Get("hits", phpsession.IntValue(0)).Int()
		if err := s.Set("hits", phpsession.IntValue(n+1)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write(strconv.AppendInt(nil, n+1, 10))
	})
}

package cli

import (
	"net/http"

	"github.com/sessbridge/sessbridge/manager"
	"github.com/sessbridge/sessbridge/phpsession"
)

// demoFlash is the flash message demoGoApp adds when /flash gets no msg.
const demoFlash = "Hello from Go!"

// demoGoApp is the Go side of the demo, to be served behind m.LoadAndSave
// (examples/shared-session is the same app, written for copying). It
// calls seen with the id of every session it starts:
//
//   - GET / starts the session and answers {"id", "user", "keys"}, where
//     user is auth.name as the PHP app stored it at login;
//   - GET /flash?msg=M adds M (default demoFlash) as a "success" flash
//     message in Phalcon's _flashMessages layout, which the PHP app shows
//     next, and answers {"id", "flashed"}.
func demoGoApp(m *manager.Manager, seen func(id string)) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		if err := s.Start(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		seen(s.ID())
		name, _ := s.Get("auth", phpsession.NullValue()).Lookup("name")
		user, _ := name.Str()
		demoJSON(w, map[string]any{"id": s.ID(), "user": user, "keys": s.Keys()})
	})
	mux.HandleFunc("GET /flash", func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		if err := s.Start(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		seen(s.ID())
		msg := r.URL.Query().Get("msg")
		if msg == "" {
			msg = demoFlash
		}
		if err := s.Flash().Add("success", msg); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		demoJSON(w, map[string]any{"id": s.ID(), "flashed": msg})
	})
	return mux
}

// demoJSON answers v as JSON.
func demoJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	writeJSON(w, v)
}

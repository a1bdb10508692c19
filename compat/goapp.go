package compat

import (
	"encoding/json"
	"net/http"

	"github.com/sessbridge/sessbridge/manager"
	"github.com/sessbridge/sessbridge/phpsession"
)

// DefaultFlash is the flash message GoApp adds when /flash gets no msg.
const DefaultFlash = "Hello from Go!"

// GoApp is the Go side of the demo (sessbridge demo) and of the Docker
// example (examples/shared-session), to be served behind m.LoadAndSave:
//
//   - GET / starts the session and answers {"id", "user", "keys"}, where
//     user is auth.name as the PHP app stored it at login;
//   - GET /flash?msg=M adds M (default [DefaultFlash]) as a "success" flash
//     message in Phalcon's _flashMessages layout, which the PHP app shows
//     next, and answers {"id", "flashed"}.
func GoApp(m *manager.Manager) http.Handler {
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
			msg = DefaultFlash
		}
		if err := s.Flash().Add("success", msg); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, map[string]any{"id": s.ID(), "flashed": msg})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// Package vectors loads the Phalcon test vectors, the sessions a real
// Phalcon 5.18.1 wrote (testdata/phalcon5-sessions.jsonl, documented in
// testdata/README.md), for the tests of every package.
package vectors

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// File is the vectors file, relative to the module root.
const File = "testdata/phalcon5-sessions.jsonl"

// Session is one line of the vectors file: one session written by
// Phalcon\Session\Manager through one adapter with one
// session.serialize_handler.
type Session struct {
	// Adapter is Phalcon's session adapter: "stream", "redis" or
	// "libmemcached".
	Adapter string `json:"adapter"`
	// Handler is PHP's session.serialize_handler: "php", "php_serialize",
	// "php_binary" or "igbinary".
	Handler string `json:"handler"`
	// Scenario names what the PHP code put in the session.
	Scenario string `json:"scenario"`
	// ID is the session id.
	ID string `json:"id"`
	// UniqueID is the Manager's uniqueId option ("" when none).
	UniqueID string `json:"unique_id"`
	// Key is where the session landed: the file name inside the Stream save
	// path, or the Redis or Memcached key.
	Key string `json:"key"`
	// Stored is the exact bytes in the store (empty for an empty file).
	Stored []byte `json:"stored_b64"`
	// Flags is the Memcached item flags; nil for the other adapters.
	Flags *uint32 `json:"flags"`
	// TTL is the Redis TTL right after the write, or the Memcached exptime
	// Phalcon used, in seconds; nil for Stream.
	TTL *int64 `json:"ttl"`
	// Payload is the session payload PHP produced (session_encode()),
	// before the adapter wrapped it.
	Payload []byte `json:"payload_b64"`
	// Dump is $_SESSION as PHP saw it, in the typed form testdata/README.md
	// describes.
	Dump json.RawMessage `json:"dump"`
}

// String names the session as adapter/handler/scenario.
func (s Session) String() string { return s.Adapter + "/" + s.Handler + "/" + s.Scenario }

// Path returns the absolute path of the vectors file, found by walking up
// from the working directory to the module root (the directory holding
// go.mod).
func Path() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("vectors: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, filepath.FromSlash(File)), nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("vectors: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("vectors: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Load reads every session of the vectors file, in file order.
func Load() ([]Session, error) {
	path, err := Path()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	return parse(path, data)
}

// parse decodes the JSON Lines of data, read from path.
func parse(path string, data []byte) ([]Session, error) {
	var vs []Session
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for line := 1; sc.Scan(); line++ {
		var s Session
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("vectors: %s line %d: %w", path, line, err)
		}
		vs = append(vs, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("vectors: %s: %w", path, err)
	}
	return vs, nil
}

// MustLoad is Load for tests: it fails tb on error or when the file holds
// no sessions.
func MustLoad(tb testing.TB) []Session {
	tb.Helper()
	vs, err := Load()
	if err != nil {
		tb.Fatal(err)
	}
	if len(vs) == 0 {
		tb.Fatalf("vectors: %s holds no sessions", File)
	}
	return vs
}

// Filter returns the sessions of vs written through adapter with handler;
// an empty adapter or handler matches any.
func Filter(vs []Session, adapter, handler string) []Session {
	var out []Session
	for _, v := range vs {
		if (adapter == "" || v.Adapter == adapter) && (handler == "" || v.Handler == handler) {
			out = append(out, v)
		}
	}
	return out
}

// MustFilter is Filter for tests: it fails tb when no session matches.
func MustFilter(tb testing.TB, vs []Session, adapter, handler string) []Session {
	tb.Helper()
	out := Filter(vs, adapter, handler)
	if len(out) == 0 {
		tb.Fatalf("vectors: no %q/%q session in %s", adapter, handler, File)
	}
	return out
}

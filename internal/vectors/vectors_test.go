package vectors

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoad checks every line decodes into a Session whose fields follow
// testdata/README.md, by checking each against the raw JSON of its line.
func TestLoad(t *testing.T) {
	vs := MustLoad(t)
	path, err := Path()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(vs) != len(lines) {
		t.Fatalf("Load() = %d sessions, file has %d lines", len(vs), len(lines))
	}
	for i, v := range vs {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(lines[i]), &raw); err != nil {
			t.Fatal(err)
		}
		for field, got := range map[string]string{
			"adapter": v.Adapter, "handler": v.Handler, "scenario": v.Scenario,
			"id": v.ID, "unique_id": v.UniqueID, "key": v.Key,
			"stored_b64":  base64.StdEncoding.EncodeToString(v.Stored),
			"payload_b64": base64.StdEncoding.EncodeToString(v.Payload),
		} {
			var want string
			if err := json.Unmarshal(raw[field], &want); err != nil {
				t.Fatalf("line %d %s: %v", i+1, field, err)
			}
			if got != want {
				t.Errorf("line %d %s = %q, want %q", i+1, field, got, want)
			}
		}
		if v.Adapter == "" || v.ID == "" || len(v.Dump) == 0 || string(v.Dump) != string(raw["dump"]) {
			t.Errorf("line %d: %v: adapter, id or dump missing", i+1, v)
		}
		if (v.Flags != nil) != (v.Adapter == "libmemcached") {
			t.Errorf("%v: flags = %v, want them only for libmemcached", v, v.Flags)
		}
		if (v.TTL == nil) != (v.Adapter == "stream") {
			t.Errorf("%v: ttl = %v, want it for redis and libmemcached", v, v.TTL)
		}
	}
}

// TestPathFromSubdirectory checks Load finds the file from any directory
// of the module, as every package's tests run in their own.
func TestPathFromSubdirectory(t *testing.T) {
	want, err := Path()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(filepath.Dir(want), ".."))
	got, err := Path()
	if err != nil || got != want {
		t.Errorf("Path() from the module root = %q, %v; want %q", got, err, want)
	}
	t.Chdir(t.TempDir())
	if _, err := Path(); err == nil {
		t.Error("Path() outside any module = nil error")
	}
}

func TestParseError(t *testing.T) {
	_, err := parse("x.jsonl", []byte("{\"adapter\":\"redis\"}\n{bad\n"))
	if err == nil || !strings.Contains(err.Error(), "x.jsonl line 2") {
		t.Errorf("parse(bad line 2) = %v, want an error naming x.jsonl line 2", err)
	}
}

func TestFilter(t *testing.T) {
	vs := MustLoad(t)
	for _, tt := range []struct{ adapter, handler string }{
		{"stream", ""}, {"redis", "igbinary"}, {"", "php"}, {"", ""},
	} {
		got := Filter(vs, tt.adapter, tt.handler)
		if len(got) == 0 {
			t.Errorf("Filter(%q, %q) is empty", tt.adapter, tt.handler)
		}
		n := 0
		for _, v := range vs {
			if (tt.adapter == "" || v.Adapter == tt.adapter) && (tt.handler == "" || v.Handler == tt.handler) {
				n++
			}
		}
		for _, v := range got {
			if tt.adapter != "" && v.Adapter != tt.adapter || tt.handler != "" && v.Handler != tt.handler {
				t.Errorf("Filter(%q, %q) holds %v", tt.adapter, tt.handler, v)
			}
		}
		if len(got) != n {
			t.Errorf("Filter(%q, %q) = %d sessions, want %d", tt.adapter, tt.handler, len(got), n)
		}
	}
}

func TestMustFilter(t *testing.T) {
	vs := MustLoad(t)
	if got, want := len(MustFilter(t, vs, "redis", "")), len(Filter(vs, "redis", "")); got != want {
		t.Errorf("MustFilter(redis) = %d sessions, want %d", got, want)
	}
	ft := &fakeTB{TB: t}
	func() {
		defer func() { recover() }()
		MustFilter(ft, vs, "nosuch", "")
	}()
	if !ft.failed {
		t.Error("MustFilter(nosuch) did not fail the test")
	}
}

// fakeTB records Fatalf instead of stopping the test.
type fakeTB struct {
	testing.TB
	failed bool
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(string, ...any) {
	f.failed = true
	panic("fatal")
}

package compat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

// runMatrix runs the matrix on stores and fails the test on an error.
func runMatrix(t *testing.T, cfg Config) *Report {
	t.Helper()
	cfg.PHP = testenv.PHP(t, "redis", "memcached", "igbinary")
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestMatrix runs the full matrix against real stores: the Stream and
// files handlers in temp dirs, Phalcon's Redis adapter and phpredis's
// handler on a standalone redis-server, Phalcon's Libmemcached adapter and
// php-memcached's handler on three memcached servers, each with the four
// serialize handlers. Every cell must pass.
func TestMatrix(t *testing.T) {
	rd := testenv.StartRedis(t)
	mc := []*testenv.Memcached{testenv.StartMemcached(t), testenv.StartMemcached(t), testenv.StartMemcached(t)}
	var hosts []string
	for _, m := range mc {
		hosts = append(hosts, m.Addr)
	}
	mcHosts := strings.Join(hosts, ",")
	stores := []string{
		"file://" + t.TempDir(),
		"file://" + t.TempDir() + "?prefix=app-",
		"file://" + t.TempDir() + "?layout=php",
		"redis://" + rd.Addr + "/3",
		"phpredis://" + rd.Addr,
		"memcached://" + mcHosts,
		"memcached://" + mcHosts + "?weights=1,3,2",
		"phpmemcached://" + mcHosts,
	}
	rep := runMatrix(t, Config{Stores: stores})
	if want := len(stores) * 4; len(rep.Results) != want {
		t.Fatalf("%d results, want %d", len(rep.Results), want)
	}
	for _, r := range rep.Results {
		if !r.OK() {
			t.Errorf("%s %s %s: php→go %+v, go→php %+v, bytes %+v", r.Store, r.Layout, r.Format, r.PHPToGo, r.GoToPHP, r.Bytes)
		}
	}
	// The big entry makes the payload large enough for php-memcached to
	// compress it.
	for _, r := range rep.Results {
		if r.PayloadBytes <= 2000 {
			t.Errorf("%s %s: payload of %d bytes, want more than 2000 (memcached compression)", r.Store, r.Format, r.PayloadBytes)
		}
	}
	if !rep.OK() || rep.Failures() != 0 {
		t.Errorf("OK() = %v, Failures() = %d", rep.OK(), rep.Failures())
	}
}

// TestDefaultStore: without stores, the matrix runs on a Stream store in a
// temp dir.
func TestDefaultStore(t *testing.T) {
	rep := runMatrix(t, Config{})
	if len(rep.Results) != 4 {
		t.Fatalf("%d results, want 4", len(rep.Results))
	}
	for _, r := range rep.Results {
		if !r.OK() || !strings.HasPrefix(r.Store, "file://") || r.Layout != adapters.LayoutPhalcon5 {
			t.Errorf("%+v", r)
		}
	}
}

// flipStore flips one byte of every payload it writes, past the first
// entry: a store that corrupts data.
type flipStore struct {
	adapters.Store
	onRead bool // flip on read instead of write
}

func flip(data []byte) []byte {
	out := append([]byte(nil), data...)
	if len(out) > 40 {
		out[len(out)/2] ^= 0x01
	}
	return out
}

func (s flipStore) Read(ctx context.Context, id string) ([]byte, bool, error) {
	data, found, err := s.Store.Read(ctx, id)
	if s.onRead {
		data = flip(data)
	}
	return data, found, err
}

func (s flipStore) Write(ctx context.Context, id string, data []byte, ttl time.Duration) error {
	if !s.onRead {
		data = flip(data)
	}
	return s.Store.Write(ctx, id, data, ttl)
}

// TestBrokenStore proves the matrix reports a mismatch: a store that
// flips a byte on write fails the bytes and Go→PHP checks, one that flips
// a byte on read fails PHP→Go.
func TestBrokenStore(t *testing.T) {
	for _, onRead := range []bool{false, true} {
		t.Run(fmt.Sprintf("onRead=%v", onRead), func(t *testing.T) {
			rep := runMatrix(t, Config{WrapStore: func(st adapters.Store) adapters.Store {
				return flipStore{Store: st, onRead: onRead}
			}})
			if rep.OK() || rep.Failures() != len(rep.Results) {
				t.Fatalf("OK() = %v, %d of %d cells fail; want all failing", rep.OK(), rep.Failures(), len(rep.Results))
			}
			for _, r := range rep.Results {
				if onRead && r.PHPToGo.OK {
					t.Errorf("%s: PHP→Go passed through a store corrupting reads", r.Format)
				}
				if !onRead && (!r.PHPToGo.OK || r.Bytes.OK || r.GoToPHP.OK) {
					t.Errorf("%s: %+v; want PHP→Go ok, bytes and Go→PHP failing", r.Format, r)
				}
			}
		})
	}
}

// TestNoPHP: a missing php is ErrNoPHP.
func TestNoPHP(t *testing.T) {
	_, err := Run(context.Background(), Config{PHP: "/nonexistent/php"})
	if !errors.Is(err, ErrNoPHP) {
		t.Fatalf("err = %v, want ErrNoPHP", err)
	}
}

// phpWrite has compat.php write the fixture into a Stream store in a temp
// dir with format f, and returns the store's payload and PHP's dump.
func phpWrite(t *testing.T, f phpsession.Format) (*phpsession.Session, json.RawMessage) {
	t.Helper()
	php := testenv.PHP(t, "igbinary")
	r := &runner{php: php, work: t.TempDir(), timeout: time.Minute}
	if err := r.writeScripts(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	resp, err := r.call(t.Context(), request{Backend: "stream", Dir: dir, Handler: f.String(), ID: "dump1", Op: "write"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := phpsession.DecodeSession(resp.Encoded, f)
	if err != nil {
		t.Fatal(err)
	}
	return s, resp.Dump
}

// TestDumpCoversEveryKind: the fixture holds every kind of PHP value, so
// the matrix compares each of them.
func TestDumpCoversEveryKind(t *testing.T) {
	for _, f := range phpsession.Formats() {
		s, _ := phpWrite(t, f)
		seen := map[phpsession.Kind]bool{}
		var walk func(v phpsession.Value)
		walk = func(v phpsession.Value) {
			seen[v.Kind()] = true
			for _, e := range v.Entries() {
				walk(e.Value)
			}
		}
		for _, n := range s.Names() {
			v, _ := s.Get(n)
			walk(v)
		}
		for k := phpsession.Null; k <= phpsession.PHPRef; k++ {
			if !seen[k] {
				t.Errorf("%s: the fixture has no %s value", f, k)
			}
		}
	}
}

// TestCompareDump: the dump comparison finds a change anywhere in the
// session, down to a nested value, a float's sign and a private property.
func TestCompareDump(t *testing.T) {
	s, dump := phpWrite(t, phpsession.FormatPHPSerialize)
	if p := compareDump(s, dump); p != "" {
		t.Fatalf("unchanged session: %s", p)
	}
	changes := []struct {
		name   string
		key    string
		change func(v phpsession.Value) phpsession.Value
	}{
		{"nested", "map", func(v phpsession.Value) phpsession.Value {
			x, _ := v.Lookup("x")
			x.Set(phpsession.StringValue("y"), phpsession.BoolValue(false))
			v.Set(phpsession.StringValue("x"), x)
			return v
		}},
		{"negzero", "negzero", func(phpsession.Value) phpsession.Value { return phpsession.FloatValue(0) }},
		{"private", "user", func(v phpsession.Value) phpsession.Value {
			v.Set(phpsession.StringValue("\x00CompatUser\x00secret"), phpsession.StringValue("12345"))
			return v
		}},
		{"enum", "suit", func(phpsession.Value) phpsession.Value { return phpsession.EnumValue("CompatSuit", "Hearts") }},
		{"binary", "binary", func(phpsession.Value) phpsession.Value { return phpsession.StringValue("\x00\xff") }},
	}
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			s := s.Clone()
			v, ok := s.Get(c.key)
			if !ok {
				t.Fatalf("no key %q", c.key)
			}
			if err := s.Set(c.key, c.change(v.Clone())); err != nil {
				t.Fatal(err)
			}
			if p := compareDump(s, dump); !strings.Contains(p, fmt.Sprintf("key %q", c.key)) {
				t.Errorf("compareDump = %q, want a difference at key %q", p, c.key)
			}
		})
	}
}

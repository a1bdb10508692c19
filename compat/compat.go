// Package compat runs the PHP↔Go compatibility matrix: for each store and
// session.serialize_handler, real PHP writes a rich session through the code
// path Phalcon (or PHP's native handler) uses, Go reads and decodes it, Go
// changes a key and writes it back, and PHP reads the result.
//
// The PHP half is embedded (compat.php, with phalcon_stream_handler.php for
// the Stream adapter), so the matrix runs anywhere a php CLI is installed:
//
//	rep, err := compat.Run(ctx, compat.Config{Stores: []string{"redis://127.0.0.1:6379"}})
//	if err != nil { ... }      // could not run (no php, store unreachable)
//	if !rep.OK() { ... }       // PHP and Go disagree somewhere: rep.Results say where
//
// The redis and memcached backends need PHP's redis and memcached
// extensions; igbinary needs the igbinary extension.
package compat

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/memcachedstore"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/adapters/storeurl"
	"github.com/sessbridge/sessbridge/phpsession"
)

//go:embed compat.php
var compatScript []byte

//go:embed phalcon_stream_handler.php
var streamHandlerScript []byte

// The change the Go side makes; compat.php's fixtureAsGoChanged must agree.
const (
	changedKey   = "counter"
	changedValue = 42
	addedKey     = "go_flash"
	addedValue   = "hello from Go \u2713"
)

// ErrNoPHP means the php CLI was not found.
var ErrNoPHP = errors.New("compat: php not found (install it with: apt-get install php-cli)")

// Config says what the matrix covers.
type Config struct {
	// PHP is the php CLI to run. Default: "php" on $PATH.
	PHP string
	// Stores are the store URLs to test (see package storeurl). Supported:
	// file (any layout, depth 0), redis and phpredis (standalone), memcached
	// and phpmemcached. Default: a Stream (file) store in a new temp dir.
	Stores []string
	// Formats are the session.serialize_handler values to test. Default:
	// all four (phpsession.Formats).
	Formats []phpsession.Format
	// WrapStore, when set, wraps every store Go reads and writes through
	// (tests use it to inject faults). Default: nil.
	WrapStore func(adapters.Store) adapters.Store
	// Timeout bounds each PHP run. Default: 1 minute.
	Timeout time.Duration
}

// Check is the outcome of one direction of a matrix cell.
type Check struct {
	OK bool `json:"ok"`
	// Problem says what differed or failed; "" when OK.
	Problem string `json:"problem,omitempty"`
}

// Result is one cell of the matrix: one store with one format.
type Result struct {
	Store  string            `json:"store"` // the URL, password redacted
	Layout adapters.Layout   `json:"-"`
	Format phpsession.Format `json:"-"`
	// PHPToGo: Go read and decoded what PHP wrote, equal to PHP's dump.
	PHPToGo Check `json:"php_to_go"`
	// GoToPHP: PHP read what Go wrote after changing a key, equal to the
	// fixture with that change, and untouched entries kept their bytes.
	GoToPHP Check `json:"go_to_php"`
	// Bytes: Go re-encoding and rewriting the session without a change
	// stores exactly the bytes PHP stored.
	Bytes Check `json:"bytes"`
	// PayloadBytes is the size of the payload PHP wrote.
	PayloadBytes int `json:"payload_bytes"`
}

// MarshalJSON adds the layout and format names.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		Layout string `json:"layout"`
		Format string `json:"format"`
	}{plain(r), r.Layout.String(), r.Format.String()})
}

// OK reports whether every check of the cell passed.
func (r Result) OK() bool { return r.PHPToGo.OK && r.GoToPHP.OK && r.Bytes.OK }

// Report is the outcome of the matrix.
type Report struct {
	Results []Result `json:"results"`
}

// OK reports whether every cell passed.
func (r *Report) OK() bool {
	for _, res := range r.Results {
		if !res.OK() {
			return false
		}
	}
	return true
}

// Failures returns the number of cells with a failed check.
func (r *Report) Failures() int {
	n := 0
	for _, res := range r.Results {
		if !res.OK() {
			n++
		}
	}
	return n
}

// Run runs the matrix. It returns an error when the matrix cannot run (no
// php, a bad store URL, a store that does not answer, a PHP script that
// fails); differences between PHP and Go are reported in the Report, not as
// an error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	php := cfg.PHP
	if php == "" {
		php = "php"
	}
	php, err := exec.LookPath(php)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoPHP, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	formats := cfg.Formats
	if len(formats) == 0 {
		formats = phpsession.Formats()
	}
	work, err := os.MkdirTemp("", "sessbridge-compat-")
	if err != nil {
		return nil, fmt.Errorf("compat: %w", err)
	}
	defer os.RemoveAll(work)
	r := &runner{php: php, work: work, timeout: cfg.Timeout}
	if err := r.writeScripts(); err != nil {
		return nil, err
	}
	stores := cfg.Stores
	if len(stores) == 0 {
		dir := filepath.Join(work, "sessions")
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, fmt.Errorf("compat: %w", err)
		}
		stores = []string{"file://" + filepath.ToSlash(dir)}
	}

	rep := &Report{}
	for _, rawURL := range stores {
		sc, err := storeurl.Parse(rawURL)
		if err != nil {
			return nil, fmt.Errorf("compat: %w", err)
		}
		req, err := phpBackend(sc)
		if err != nil {
			return nil, err
		}
		st, err := sc.Open(ctx)
		if err != nil {
			return nil, fmt.Errorf("compat: %w", err)
		}
		if cfg.WrapStore != nil {
			st = cfg.WrapStore(st)
		}
		for _, f := range formats {
			res, err := r.cell(ctx, st, req, f)
			if err != nil {
				closeStore(st)
				return nil, fmt.Errorf("compat: %s, %s: %w", sc, f, err)
			}
			res.Store, res.Layout = sc.String(), sc.Layout()
			rep.Results = append(rep.Results, res)
		}
		closeStore(st)
	}
	return rep, nil
}

// closeStore closes a store that holds connections.
func closeStore(st adapters.Store) {
	if c, ok := st.(io.Closer); ok {
		c.Close()
	}
}

// request is the JSON compat.php reads on stdin.
type request struct {
	Backend  string  `json:"backend"`
	Handler  string  `json:"handler"`
	ID       string  `json:"id"`
	Op       string  `json:"op"`
	Dir      string  `json:"dir"`
	Prefix   string  `json:"prefix"`
	Host     string  `json:"host"`
	Port     int     `json:"port"`
	Index    int     `json:"index"`
	Password string  `json:"password"`
	Lifetime int     `json:"lifetime"`
	Servers  [][]any `json:"servers"`
	ExpectGo bool    `json:"expect_go"`
}

// response is what compat.php prints.
type response struct {
	Dump    json.RawMessage `json:"dump"`
	Encoded []byte          `json:"encoded"`
	Raw     []byte          `json:"raw"`
	// Equal is, for read, whether $_SESSION is the expected fixture; for
	// raw, whether the stored value exists.
	Equal bool `json:"equal"`
}

// phpBackend returns the request fields that configure PHP for the store
// sc describes.
func phpBackend(sc *storeurl.Config) (request, error) {
	native := sc.Layout() == adapters.LayoutNative
	switch {
	case sc.File != nil:
		o := sc.File
		if native {
			if o.Depth != 0 {
				return request{}, fmt.Errorf("compat: %s: a files save_path with depth %d is not supported", sc, o.Depth)
			}
			return request{Backend: "files", Dir: o.Dir}, nil
		}
		return request{Backend: "stream", Dir: o.Dir, Prefix: o.Prefix}, nil
	case sc.Redis != nil:
		o := sc.Redis
		if o.Socket != "" || o.SentinelMaster != "" || o.TLS != nil || o.Username != "" || len(o.ClusterAddrs) > 0 {
			return request{}, fmt.Errorf("compat: %s: only standalone TCP Redis without a username is supported", sc)
		}
		req := request{Backend: "phalcon-redis", Host: o.Host, Port: o.Port, Index: o.Index, Password: o.Password,
			Prefix: o.Prefix, Lifetime: int(o.Lifetime / time.Second)}
		if native {
			req.Backend = "phpredis"
		}
		if req.Host == "" {
			req.Host = "127.0.0.1"
		}
		if req.Port == 0 {
			req.Port = 6379
		}
		if req.Prefix == "" {
			req.Prefix = redisstore.DefaultPrefix
			if native {
				req.Prefix = redisstore.NativePrefix
			}
		}
		if req.Lifetime == 0 {
			req.Lifetime = int(redisstore.DefaultLifetime / time.Second)
			if native {
				req.Lifetime = int(redisstore.NativeLifetime / time.Second)
			}
		}
		return req, nil
	case sc.Memcached != nil:
		o := sc.Memcached
		req := request{Backend: "phalcon-memcached", Prefix: o.Prefix, Lifetime: int(o.Lifetime / time.Second)}
		if native {
			req.Backend = "phpmemcached"
		}
		if req.Prefix == "" {
			req.Prefix = memcachedstore.DefaultPrefix
			if native {
				req.Prefix = memcachedstore.NativePrefix
			}
		}
		if req.Lifetime == 0 {
			req.Lifetime = int(memcachedstore.DefaultLifetime / time.Second)
		}
		servers := o.Servers
		if len(servers) == 0 {
			servers = []memcachedstore.Server{{Host: "127.0.0.1"}}
		}
		for _, s := range servers {
			port, weight := s.Port, s.Weight
			if port == 0 {
				port = 11211
			}
			if weight == 0 {
				weight = 1
			}
			req.Servers = append(req.Servers, []any{s.Host, port, weight})
		}
		return req, nil
	}
	return request{}, fmt.Errorf("compat: %s: PHP cannot use this store", sc)
}

// runner runs compat.php.
type runner struct {
	php     string
	work    string // temp dir holding the scripts
	timeout time.Duration
	seq     int
}

// writeScripts writes the embedded scripts into the work dir.
func (r *runner) writeScripts() error {
	for name, b := range map[string][]byte{"compat.php": compatScript, "phalcon_stream_handler.php": streamHandlerScript} {
		if err := os.WriteFile(filepath.Join(r.work, name), b, 0o600); err != nil {
			return fmt.Errorf("compat: %w", err)
		}
	}
	return nil
}

// call runs compat.php with req.
func (r *runner) call(ctx context.Context, req request) (*response, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.php, "-d", "display_errors=stderr", "-d", "error_reporting=E_ALL & ~E_DEPRECATED",
		filepath.Join(r.work, "compat.php"), filepath.Join(r.work, "phalcon_stream_handler.php"))
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("php %s of session %s: %v: %s", req.Op, req.ID, err, strings.TrimSpace(stderr.String()))
	}
	var resp response
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("php %s of session %s: bad output %q (stderr %q): %w", req.Op, req.ID, truncate(stdout.String()), truncate(stderr.String()), err)
	}
	return &resp, nil
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// cell runs one store × format cell.
func (r *runner) cell(ctx context.Context, st adapters.Store, base request, f phpsession.Format) (Result, error) {
	res := Result{Format: f}
	r.seq++
	id := fmt.Sprintf("compat%d%s%d", os.Getpid(), strings.ReplaceAll(f.String(), "_", ""), r.seq)
	defer st.Destroy(context.WithoutCancel(ctx), id)
	req := base
	req.Handler, req.ID = f.String(), id

	// PHP writes the fixture; its raw stored value is the reference bytes.
	req.Op = "write"
	wrote, err := r.call(ctx, req)
	if err != nil {
		return res, err
	}
	res.PayloadBytes = len(wrote.Encoded)
	req.Op = "raw"
	raw1, err := r.call(ctx, req)
	if err != nil {
		return res, err
	}
	if !raw1.Equal {
		return res, fmt.Errorf("PHP's client does not find the session %s PHP just wrote", id)
	}

	// PHP → Go.
	s, payload, problem := readDecode(ctx, st, id, f)
	if problem == "" {
		problem = compareDump(s, wrote.Dump)
	}
	if problem == "" && !bytes.Equal(payload, wrote.Encoded) {
		problem = fmt.Sprintf("Go read %d payload bytes, PHP encoded %d", len(payload), len(wrote.Encoded))
	}
	res.PHPToGo = check(problem)
	if problem != "" {
		res.GoToPHP = check("skipped: Go could not read the session")
		res.Bytes = res.GoToPHP
		return res, nil
	}

	// Bytes: rewrite without a change, through the encoder.
	res.Bytes = check(r.rewriteUnchanged(ctx, st, req, s, raw1.Raw))

	// Go → PHP: change one key, add one, write; PHP reads.
	res.GoToPHP = check(r.goToPHP(ctx, st, req, s))
	return res, nil
}

// readDecode reads session id from st and decodes it.
func readDecode(ctx context.Context, st adapters.Store, id string, f phpsession.Format) (*phpsession.Session, []byte, string) {
	data, found, err := st.Read(ctx, id)
	switch {
	case err != nil:
		return nil, nil, fmt.Sprintf("read: %v", err)
	case !found:
		return nil, nil, "read: session not found"
	}
	s, err := phpsession.DecodeSession(data, f)
	if err != nil {
		return nil, data, fmt.Sprintf("decode: %v", err)
	}
	return s, data, ""
}

// rewriteUnchanged re-encodes s from its JSON document (so every value
// goes through the encoder), writes it and compares the stored value PHP
// sees with want.
func (r *runner) rewriteUnchanged(ctx context.Context, st adapters.Store, req request, s *phpsession.Session, want []byte) string {
	doc, err := s.MarshalJSON()
	if err != nil {
		return fmt.Sprintf("to JSON: %v", err)
	}
	s2 := new(phpsession.Session)
	if err := s2.UnmarshalJSON(doc); err != nil {
		return fmt.Sprintf("from JSON: %v", err)
	}
	out, err := s2.Encode()
	if err != nil {
		return fmt.Sprintf("encode: %v", err)
	}
	if err := st.Write(ctx, req.ID, out, 0); err != nil {
		return fmt.Sprintf("write: %v", err)
	}
	req.Op = "raw"
	raw2, err := r.call(ctx, req)
	if err != nil {
		return err.Error()
	}
	if !raw2.Equal {
		return "PHP's client does not find the session Go wrote"
	}
	if !bytes.Equal(raw2.Raw, want) {
		return fmt.Sprintf("stored value differs at byte %d (%d bytes, PHP stored %d)", firstDiff(raw2.Raw, want), len(raw2.Raw), len(want))
	}
	return ""
}

// goToPHP changes s as compat.php's fixtureAsGoChanged expects, writes it,
// and has PHP read it back.
func (r *runner) goToPHP(ctx context.Context, st adapters.Store, req request, s *phpsession.Session) string {
	s = s.Clone()
	if err := s.Set(changedKey, phpsession.IntValue(changedValue)); err != nil {
		return fmt.Sprintf("set %s: %v", changedKey, err)
	}
	if err := s.Set(addedKey, phpsession.StringValue(addedValue)); err != nil {
		return fmt.Sprintf("set %s: %v", addedKey, err)
	}
	before, _, _ := readDecode(ctx, st, req.ID, s.Format())
	out, err := s.Encode()
	if err != nil {
		return fmt.Sprintf("encode: %v", err)
	}
	if err := st.Write(ctx, req.ID, out, 0); err != nil {
		return fmt.Sprintf("write: %v", err)
	}
	// Untouched entries keep their bytes.
	after, err := phpsession.DecodeSession(out, s.Format())
	if err != nil {
		return fmt.Sprintf("Go cannot decode what it wrote: %v", err)
	}
	if before != nil {
		for _, name := range before.Names() {
			if name == changedKey {
				continue
			}
			a, _ := before.Raw(name)
			b, _ := after.Raw(name)
			if !bytes.Equal(a, b) {
				return fmt.Sprintf("untouched key %q changed bytes", name)
			}
		}
	}
	req.Op, req.ExpectGo = "read", true
	got, err := r.call(ctx, req)
	if err != nil {
		return err.Error()
	}
	if !got.Equal {
		return "PHP read a session different from the fixture with Go's change"
	}
	return compareDump(after, got.Dump)
}

// check turns a problem into a Check.
func check(problem string) Check { return Check{OK: problem == "", Problem: problem} }

// firstDiff returns the offset of the first byte where a and b differ.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// compareDump compares the session Go decoded with the dump compat.php
// made of $_SESSION; it returns "" when they agree.
func compareDump(s *phpsession.Session, phpDump json.RawMessage) string {
	var want []any
	if err := json.Unmarshal(phpDump, &want); err != nil {
		return fmt.Sprintf("bad PHP dump: %v", err)
	}
	got := dumpSession(s)
	wantJSON, _ := json.Marshal(want)
	gotJSON, _ := json.Marshal(got)
	if bytes.Equal(wantJSON, gotJSON) {
		return ""
	}
	names := s.Names()
	for i := range max(len(want), len(got)) {
		if i >= len(want) || i >= len(got) {
			return fmt.Sprintf("Go has %d keys, PHP %d", len(got), len(want))
		}
		w, _ := json.Marshal(want[i])
		g, _ := json.Marshal(got[i])
		if !bytes.Equal(w, g) {
			return fmt.Sprintf("key %q: Go decoded %s, PHP has %s", names[i], truncate(string(g)), truncate(string(w)))
		}
	}
	return "dumps differ"
}

// dumpSession describes s as compat.php's Dumper describes $_SESSION.
func dumpSession(s *phpsession.Session) []any {
	out := []any{}
	for _, name := range s.Names() {
		v, ok := s.Get(name)
		if !ok {
			continue
		}
		out = append(out, []any{dumpKey(phpsession.StringValue(name)), dumpValue(v)})
	}
	return out
}

// dumpKey describes an array key.
func dumpKey(k phpsession.Value) map[string]any {
	if i, ok := k.Int(); ok {
		return map[string]any{"t": "int", "v": strconv.FormatInt(i, 10)}
	}
	b, _ := k.Bytes()
	return map[string]any{"t": "string", "v": base64.StdEncoding.EncodeToString(b)}
}

// dumpValue describes one value.
func dumpValue(v phpsession.Value) map[string]any {
	switch v.Kind() {
	case phpsession.Null:
		return map[string]any{"t": "null"}
	case phpsession.Bool:
		b, _ := v.Bool()
		return map[string]any{"t": "bool", "v": map[bool]string{false: "0", true: "1"}[b]}
	case phpsession.Int:
		i, _ := v.Int()
		return map[string]any{"t": "int", "v": strconv.FormatInt(i, 10)}
	case phpsession.Float:
		f, _ := v.Float()
		return map[string]any{"t": "float", "v": fmt.Sprintf("%016x", math.Float64bits(f))}
	case phpsession.String:
		b, _ := v.Bytes()
		return map[string]any{"t": "string", "v": base64.StdEncoding.EncodeToString(b)}
	case phpsession.Array:
		return map[string]any{"t": "array", "e": dumpEntries(v.Entries())}
	case phpsession.Object:
		return map[string]any{"t": "object", "c": v.Class(), "e": dumpEntries(v.Entries())}
	case phpsession.Custom:
		return map[string]any{"t": "custom", "c": v.Class(), "p": base64.StdEncoding.EncodeToString(v.Payload())}
	case phpsession.Enum:
		return map[string]any{"t": "enum", "c": v.Class(), "n": v.EnumCase()}
	case phpsession.Ref, phpsession.PHPRef:
		return map[string]any{"t": "ref"}
	}
	return map[string]any{"t": "unknown", "v": v.Kind().String()}
}

// dumpEntries describes the entries of an array or object.
func dumpEntries(es []phpsession.Entry) []any {
	out := []any{}
	for _, e := range es {
		out = append(out, []any{dumpKey(e.Key), dumpValue(e.Value)})
	}
	return out
}

package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

func TestNewCmdSet(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		want    setOptions
		wantErr string
	}{
		{"json", []string{"--store", "noop:", "abc", "n", `{"i":1}`}, setOptions{storeFlags: storeFlags{Store: "noop:"}, ID: "abc", Key: "n", Value: `{"i":1}`}, ""},
		{"php", []string{"--store", "noop:", "--php", "abc", "n", `i:1;`}, setOptions{storeFlags: storeFlags{Store: "noop:"}, ID: "abc", Key: "n", Value: `i:1;`, PHP: true}, ""},
		{"empty key", []string{"--store", "noop:", "abc", "", `{"N":null}`}, setOptions{storeFlags: storeFlags{Store: "noop:"}, ID: "abc", Value: `{"N":null}`}, ""},
		{"no value", []string{"--store", "noop:", "abc", "n"}, setOptions{}, "set: missing VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _ := testStreams("", false)
			f := &Factory{IO: ios}
			var got *setOptions
			cmd := newCmdSet(f, func(_ context.Context, o *setOptions) error { got = o; return nil })
			err := execute(f, cmd, tt.argv...)
			if tt.wantErr != "" {
				var fe *FlagError
				if !errors.As(err, &fe) || err.Error() != tt.wantErr {
					t.Fatalf("set %q: err = %v, want FlagError %q", tt.argv, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("set %q: %v", tt.argv, err)
			}
			tt.want.IO = ios
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("set %q: options = %+v, want %+v", tt.argv, *got, tt.want)
			}
		})
	}
}

// TestSetRun sets keys in real stores and shows the stored bytes after.
func TestSetRun(t *testing.T) {
	env := newStoreEnv(t, true)
	const start = `auth|a:1:{s:2:"id";i:42;}csrf|s:6:"a1b2c3";`
	tests := []struct {
		name     string
		store    string // "file", "native" (PHP's files handler), "redis"
		handler  phpsession.Format
		initial  string // "" : no session
		key, val string
		php      bool
		wantErr  bool
	}{
		{name: "add-key", store: "file", initial: start, key: "locale", val: `{"s":"de_DE"}`},
		{name: "replace-key", store: "file", initial: start, key: "auth", val: `{"a":[["id",{"i":7}]]}`},
		{name: "new-session", store: "file", key: "n", val: `{"i":1}`},
		{name: "php-value", store: "file", initial: start, key: "obj", val: `O:8:"stdClass":1:{s:1:"a";d:0.1;}`, php: true},
		{name: "php_serialize-numeric-key", store: "file", handler: phpsession.FormatPHPSerialize, initial: `a:1:{s:1:"a";b:1;}`, key: "7", val: `{"N":null}`},
		{name: "native", store: "native", initial: start, key: "cart", val: `{"a":[[0,{"i":3}]]}`},
		{name: "redis-wrapped", store: "redis", initial: start, key: "locale", val: `{"s":"de_DE"}`},
		{name: "pipe-key", store: "file", initial: start, key: "a|b", val: `{"i":1}`, wantErr: true},
		{name: "numeric-key", store: "file", initial: start, key: "7", val: `{"i":1}`, wantErr: true},
		{name: "reference", store: "file", initial: start, key: "r", val: `{"a":[[0,{"R":1}]]}`, wantErr: true},
		{name: "bad-json", store: "file", initial: start, key: "n", val: `{"i":"x"}`, wantErr: true},
		{name: "null", store: "file", initial: start, key: "n", val: `null`, wantErr: true},
		{name: "bad-php", store: "file", initial: start, key: "n", val: `i:1`, php: true, wantErr: true},
		{name: "bare-string", store: "file", initial: start, key: "n", val: `hello`, wantErr: true},
		{name: "undecodable-session", store: "file", initial: `auth|i:4`, key: "n", val: `{"i":1}`, wantErr: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("set%02d", i)
			var sf storeFlags
			var read func() []byte
			switch tt.store {
			case "file", "native":
				name := id
				sf.Store = "file://" + env.dir
				if tt.store == "native" {
					name, sf.Store = "sess_"+id, sf.Store+"?layout=php"
				}
				if tt.initial != "" {
					writeSessionFile(t, env.dir, name, []byte(tt.initial))
				}
				read = func() []byte {
					b, _ := os.ReadFile(filepath.Join(env.dir, name))
					return b
				}
			case "redis":
				sf.Store = "redis://" + env.redis + "/1"
				c := env.redisClient(t, 1)
				if tt.initial != "" {
					c.Set(t.Context(), "sess-reds-"+id, fmt.Sprintf("s:%d:\"%s\";", len(tt.initial), tt.initial), 0)
				}
				read = func() []byte {
					b, _ := c.Get(t.Context(), "sess-reds-"+id).Bytes()
					return b
				}
			}
			sf.Handler = tt.handler
			ios, stdout, _ := testStreams("", false)
			err := setRun(t.Context(), &setOptions{IO: ios, storeFlags: sf, ID: id, Key: tt.key, Value: tt.val, PHP: tt.php})
			if (err != nil) != tt.wantErr {
				t.Fatalf("setRun() = %v, want error: %v", err, tt.wantErr)
			}
			after := read()
			if tt.wantErr && tt.initial != "" && string(after) != tt.initial {
				t.Errorf("a refused set changed the session to %q", after)
			}
			if tt.name == "add-key" && !bytes.HasPrefix(after, []byte(start)) {
				t.Errorf("adding a key changed the other entries: %q", after)
			}
			golden(t, "set/"+tt.name, []byte(env.scrub(runOutput(stdout.String()+"stored: "+string(after)+"\n", err))))
		})
	}
}

// TestSetPHPReadsBack has PHP's own files handler read sessions that set
// wrote, and write them back: the bytes must not change.
func TestSetPHPReadsBack(t *testing.T) {
	dir := t.TempDir()
	values := []struct {
		handler phpsession.Format
		key     string
		val     string
		php     bool
	}{
		{phpsession.FormatPHP, "s", `{"s":"caf\u00e9 \"quoted\" ;|{}"}`, false},
		{phpsession.FormatPHP, "f", `{"d":"0.1"}`, false},
		{phpsession.FormatPHP, "o", "O:7:\"Account\":2:{s:5:\"login\";s:4:\"lone\";s:7:\"\x00*\x00role\";s:5:\"admin\";}", true},
		{phpsession.FormatPHPSerialize, "7", `{"a":[[0,{"b":true}],["k",{"N":null}]]}`, false},
		{phpsession.FormatPHPBinary, "bin", `{"s64":"AP8="}`, false},
	}
	for i, v := range values {
		id := fmt.Sprintf("phpback%d", i)
		sf := storeFlags{Store: "file://" + dir + "?layout=php", Handler: v.handler}
		ios, _, _ := testStreams("", false)
		writeSessionFile(t, dir, "sess_"+id, nil)
		if err := setRun(t.Context(), &setOptions{IO: ios, storeFlags: sf, ID: id, Key: "first", Value: `{"i":1}`}); err != nil {
			t.Fatal(err)
		}
		if err := setRun(t.Context(), &setOptions{IO: ios, storeFlags: sf, ID: id, Key: v.key, Value: v.val, PHP: v.php}); err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, "sess_"+id))
		if err != nil {
			t.Fatal(err)
		}
		script := `<?php
ini_set('session.save_path', $argv[1]);
ini_set('session.serialize_handler', $argv[3]);
ini_set('session.use_strict_mode', '0');
session_id($argv[2]);
session_start();
echo session_encode();
`
		got := testenv.RunPHP(t, script, nil, dir, id, v.handler.String())
		if !bytes.Equal(got, want) {
			t.Errorf("%s %s: PHP read back and encoded\n%q\nset wrote\n%q", v.handler, v.key, got, want)
		}
	}
}

// TestSetConcurrent sets distinct keys of one session from many goroutines
// at once: with the stores' compare-and-swap writes, none may be lost.
func TestSetConcurrent(t *testing.T) {
	env := newStoreEnv(t, true)
	memc := testenv.StartMemcached(t).Addr
	for _, store := range []string{"file://" + env.dir, "redis://" + env.redis, "memcached://" + memc} {
		for _, create := range []bool{false, true} {
			name := store[:strings.Index(store, ":")] + map[bool]string{false: "/existing", true: "/create"}[create]
			t.Run(name, func(t *testing.T) {
				id := "shared-" + strconv.FormatBool(create)
				if !create {
					ios, _, _ := testStreams("", false)
					if err := setRun(t.Context(), &setOptions{IO: ios, storeFlags: storeFlags{Store: store}, ID: id, Key: "first", Value: `{"N":null}`}); err != nil {
						t.Fatal(err)
					}
				}
				testConcurrentSets(t, store, id, create)
			})
		}
	}
}

// testConcurrentSets sets 16 keys of session id at once and checks that
// the session then has all of them.
func testConcurrentSets(t *testing.T, store, id string, create bool) {
	t.Helper()
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ios, _, _ := testStreams("", false)
			errs <- setRun(t.Context(), &setOptions{IO: ios, storeFlags: storeFlags{Store: store}, ID: id, Key: fmt.Sprintf("k%02d", i), Value: fmt.Sprintf(`{"i":%d}`, i)})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	ios, stdout, _ := testStreams("", false)
	if err := getRun(t.Context(), &getOptions{IO: ios, storeFlags: storeFlags{Store: store}, ID: id, Output: outputTable}); err != nil {
		t.Fatal(err)
	}
	want := n + 1 // and "first"
	if create {
		want = n
	}
	if got := strings.Count(stdout.String(), "\n"); got != want {
		t.Errorf("after %d concurrent sets the session has %d keys, want %d:\n%s", n, got, want, stdout)
	}
}

// TestSetValueSources reads VALUE from stdin ("-") and from a file
// ("@FILE"), here a 5 MB string that no command line takes, and prints
// what it did with --output json.
func TestSetValueSources(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 5<<20)
	file := filepath.Join(dir, "value.json")
	if err := os.WriteFile(file, []byte(`{"s":"`+big+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	store := storeFlags{Store: "file://" + dir}
	tests := []struct {
		name, in, val, want string
		out                 outputFormat
	}{
		{name: "stdin", in: `{"i":7}`, val: "-", want: `n|i:7;`},
		{name: "file", val: "@" + file, want: `n|s:5242880:"` + big + `";`},
		{name: "json", in: `{"b":true}`, val: "-", out: outputJSON, want: `n|b:1;`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, stdout, _ := testStreams(tt.in, false)
			if err := setRun(t.Context(), &setOptions{IO: ios, Output: tt.out, storeFlags: store, ID: "v" + tt.name, Key: "n", Value: tt.val}); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "v"+tt.name)); string(b) != tt.want {
				t.Errorf("stored %.60q, want %.60q", b, tt.want)
			}
			if tt.out == outputJSON {
				golden(t, "set/output-json", stdout.Bytes())
			} else if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
	ios, _, _ := testStreams("", false)
	err := setRun(t.Context(), &setOptions{IO: ios, storeFlags: store, ID: "v", Key: "n", Value: "@" + filepath.Join(dir, "missing")})
	if err == nil || !strings.Contains(err.Error(), "VALUE: open") {
		t.Errorf("set @missing = %v, want an error naming VALUE and the file", err)
	}
}

package cli

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

func TestNewCmdDemo(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		want    demoOptions
		wantErr string
	}{
		{"live", nil, demoOptions{PHP: "php"}, ""},
		{"live once redis", []string{"--once", "--store", "redis://h:1", "--php", "/usr/bin/php8.2"}, demoOptions{PHP: "/usr/bin/php8.2", Store: "redis://h:1", Once: true}, ""},
		{"vectors", []string{"--vectors", "v.jsonl"}, demoOptions{PHP: "php", Vectors: "v.jsonl"}, ""},
		{"vectors empty", []string{"--vectors", ""}, demoOptions{}, "--vectors: give the JSON Lines file, such as testdata/phalcon5-sessions.jsonl"},
		{"vectors once", []string{"--vectors", "v.jsonl", "--once"}, demoOptions{}, "--vectors runs offline: it takes no --store or --once"},
		{"args", []string{"x"}, demoOptions{}, "demo: too many arguments: want at most 0, got 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _ := testStreams("", false)
			f := &Factory{IO: ios}
			var got *demoOptions
			cmd := newCmdDemo(f, func(o *demoOptions) error { got = o; return nil })
			err := execute(f, cmd, tt.argv...)
			if tt.wantErr != "" {
				var fe *FlagError
				if !errors.As(err, &fe) || err.Error() != tt.wantErr {
					t.Fatalf("demo %q: err = %v, want FlagError %q", tt.argv, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("demo %q: %v", tt.argv, err)
			}
			tt.want.IO = ios
			if *got != tt.want {
				t.Errorf("demo %q: options = %+v, want %+v", tt.argv, *got, tt.want)
			}
		})
	}
}

func TestDemoRun(t *testing.T) {
	tests := []struct {
		name    string
		tty     bool
		output  outputFormat
		vectors string
		wantErr error
	}{
		{name: "tty", tty: true, vectors: vectorsPath},
		{name: "piped", vectors: vectorsPath},
		{name: "corrupt", tty: true, vectors: "testdata/demo/corrupt.jsonl", wantErr: errMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, stdout, stderr := testStreams("", tt.tty)
			err := demoRun(&demoOptions{IO: ios, Output: tt.output, Vectors: tt.vectors})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("demoRun() = %v, want %v", err, tt.wantErr)
			}
			out := stdout.String()
			if stderr.Len() > 0 {
				out += "--- stderr:\n" + stderr.String()
			}
			if err != nil {
				out += "--- error:\n" + err.Error() + "\n"
			}
			golden(t, "demo/"+tt.name, []byte(out))
		})
	}
}

func TestDemoRunJSON(t *testing.T) {
	ios, stdout, _ := testStreams("", false)
	if err := demoRun(&demoOptions{IO: ios, Output: outputJSON, Vectors: vectorsPath}); err != nil {
		t.Fatal(err)
	}
	var got []demoScenario
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("--output json is not the documented shape: %v", err)
	}
	if len(got) != 10 {
		t.Fatalf("--output json: %d scenarios, want 10", len(got))
	}
	for _, sc := range got {
		if len(sc.Payloads) != 12 || len(sc.Problems) != 0 || !json.Valid(sc.Session) {
			t.Errorf("scenario %s: %d payloads, problems %q, session %s", sc.Scenario, len(sc.Payloads), sc.Problems, sc.Session)
		}
		for _, p := range sc.Payloads {
			if !p.RoundTrip {
				t.Errorf("scenario %s, %s/%s: round_trip false", sc.Scenario, p.Adapter, p.Handler)
			}
		}
	}
}

// TestDemoLive runs demo --once, the scripted walk of make demo, on the
// default Stream store and on a Redis server: the Go side must see the
// user the PHP side logged in, and PHP must show the flash message Go
// added (demoWalk fails with errMismatch otherwise).
func TestDemoLive(t *testing.T) {
	php := testenv.PHP(t, "redis")
	rd := testenv.StartRedis(t)
	for _, store := range []string{"", "redis://" + rd.Addr} {
		t.Run("store="+store, func(t *testing.T) {
			ios, stdout, stderr := testStreams("", false)
			args := []string{"demo", "--once", "--php", php}
			if store != "" {
				args = append(args, "--store", store)
			}
			if code := run(t.Context(), args, ios); code != exitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			for _, want := range []string{
				`2. Go   GET /                sees user "Dark Helmet"`,
				`4. PHP  GET /?a=show         shows flash <div class="successMessage">Hello from Go!</div>` + "\n",
				"✓ PHP and Go share the session both ways.",
			} {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, stdout)
				}
			}
			if hint := "Point both at Redis instead"; strings.Contains(stdout.String(), hint) != (store == "") {
				t.Errorf("output has %q: %v, want %v (only when not on Redis already):\n%s", hint, !(store == ""), store == "", stdout)
			}
			if store != "" {
				c := redis.NewClient(&redis.Options{Addr: rd.Addr})
				defer c.Close()
				if keys, err := c.Keys(t.Context(), "*").Result(); err != nil || len(keys) != 0 {
					t.Errorf("the demo left keys %q (%v) in Redis", keys, err)
				}
			}
		})
	}
}

// TestDemoNoPHP: without php the demo says how to get it and fails.
func TestDemoNoPHP(t *testing.T) {
	ios, _, stderr := testStreams("", false)
	if code := run(t.Context(), []string{"demo", "--once", "--php", "/nonexistent/php"}, ios); code != exitError {
		t.Fatalf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(stderr.String(), "apt-get install php-cli") {
		t.Errorf("stderr %q lacks the install hint", stderr)
	}
}

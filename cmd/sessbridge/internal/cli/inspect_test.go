package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/internal/vectors"
	"github.com/sessbridge/sessbridge/phpsession"
)

func TestInspectRun(t *testing.T) {
	env := newStoreEnv(t, true)
	memc := testenv.StartMemcached(t).Addr
	vs := vectors.MustLoad(t)
	objects := findVector(t, vs, "objects", "stream", "igbinary")
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time { return mtime.Add(25 * time.Minute) }
	for id, p := range map[string][]byte{
		"plain":  []byte(`auth|a:1:{s:2:"id";i:42;}csrf|s:6:"a1b2c3";`),
		"binary": objects.Payload,
		"locked": []byte(`n|i:1;`),
	} {
		writeSessionFile(t, env.dir, id, p)
		if err := os.Chtimes(filepath.Join(env.dir, id), mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	holdSession(t, env.dir, "locked")
	c := env.redisClient(t, 0)
	c.Set(t.Context(), "sess-reds-r1", adapters.Wrap([]byte(`a:1:{s:1:"n";i:1;}`)), time.Hour)
	c.Set(t.Context(), "sess-reds-r2", adapters.Wrap([]byte(`n|i:1;`)), 0)
	c.Set(t.Context(), "sess-reds-r2-lock", "token", time.Minute)
	c.Set(t.Context(), "PHPREDIS_SESSION:r3", `n|i:1;`, 0)
	c.Set(t.Context(), "PHPREDIS_SESSION:r3_LOCK", "token", time.Minute)
	ios, _, _ := testStreams("", false)
	if err := setRun(t.Context(), &setOptions{IO: ios, storeFlags: storeFlags{Store: "memcached://" + memc}, ID: "m1", Key: "n", Value: `{"i":1}`}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		tty     bool
		opts    inspectOptions
		wantErr bool
	}{
		{name: "file", tty: true, opts: inspectOptions{storeFlags: storeFlags{Store: "file://" + env.dir}, ID: "plain"}},
		{name: "file-igbinary-json", opts: inspectOptions{storeFlags: storeFlags{Store: "file://" + env.dir, Handler: phpsession.FormatIgbinary}, ID: "binary", Output: outputJSON}},
		{name: "file-locked", tty: true, opts: inspectOptions{storeFlags: storeFlags{Store: "file://" + env.dir}, ID: "locked"}},
		{name: "redis-ttl", tty: true, opts: inspectOptions{storeFlags: storeFlags{Store: "redis://" + env.redis, Handler: phpsession.FormatPHPSerialize}, ID: "r1"}},
		{name: "redis-locked", tty: true, opts: inspectOptions{storeFlags: storeFlags{Store: "redis://" + env.redis}, ID: "r2"}},
		{name: "phpredis-locked", tty: true, opts: inspectOptions{storeFlags: storeFlags{Store: "phpredis://" + env.redis}, ID: "r3"}},
		{name: "memcached", tty: true, opts: inspectOptions{storeFlags: storeFlags{Store: "memcached://" + memc}, ID: "m1"}},
		{name: "missing", opts: inspectOptions{storeFlags: storeFlags{Store: "file://" + env.dir}, ID: "nope"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, stdout, _ := testStreams("", tt.tty)
			tt.opts.IO, tt.opts.Now = ios, now
			err := inspectRun(t.Context(), &tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("inspectRun() = %v, want error: %v", err, tt.wantErr)
			}
			out := strings.ReplaceAll(env.scrub(runOutput(stdout.String(), err)), memc, "$MEMCACHED")
			if tt.name == "memcached" {
				// Memcached counts whole seconds of a clock it updates
				// once a second: the TTL of the 1 h write may read 59m59s.
				out = strings.Replace(out, "59m59s", "1h0m0s", 1)
			}
			golden(t, "inspect/"+tt.name, []byte(out))
		})
	}
}

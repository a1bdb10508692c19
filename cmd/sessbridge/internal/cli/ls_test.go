package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
)

func TestNewCmdLs(t *testing.T) {
	tests := []struct {
		name    string
		argv    string
		want    lsOptions
		wantErr string
	}{
		{"plain", "--store noop:", lsOptions{storeFlags: storeFlags{Store: "noop:"}}, ""},
		{"keys", "--store noop: --keys", lsOptions{storeFlags: storeFlags{Store: "noop:"}, Keys: true}, ""},
		{"argument", "--store noop: abc", lsOptions{}, "ls: too many arguments: want at most 0, got 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _ := testStreams("", false)
			f := &Factory{IO: ios}
			var got *lsOptions
			cmd := newCmdLs(f, func(_ context.Context, o *lsOptions) error { got = o; return nil })
			err := execute(f, cmd, strings.Fields(tt.argv)...)
			if tt.wantErr != "" {
				var fe *FlagError
				if !errors.As(err, &fe) || err.Error() != tt.wantErr {
					t.Fatalf("ls %s: err = %v, want FlagError %q", tt.argv, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ls %s: %v", tt.argv, err)
			}
			tt.want.IO = ios
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("ls %s: options = %+v, want %+v", tt.argv, *got, tt.want)
			}
		})
	}
}

func TestLsRun(t *testing.T) {
	env := newStoreEnv(t, true)
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time { return mtime.Add(90 * time.Second) }
	files := map[string]string{
		"b2": `auth|a:1:{s:2:"id";i:42;}csrf|s:6:"a1b2c3";`,
		"a1": ``,
		"c3": `broken|i:4`,
	}
	for id, p := range files {
		writeSessionFile(t, env.dir, id, []byte(p))
		if err := os.Chtimes(filepath.Join(env.dir, id), mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	c := env.redisClient(t, 3)
	c.Set(t.Context(), "sess-reds-withttl", adapters.Wrap([]byte(`n|i:1;`)), time.Hour)
	c.Set(t.Context(), "sess-reds-forever", adapters.Wrap([]byte(`m|b:1;`)), 0)
	c.Set(t.Context(), "other-key", "x", 0)
	fileStore := storeFlags{Store: "file://" + env.dir}
	redisStore := storeFlags{Store: "redis://" + env.redis + "/3"}
	tests := []struct {
		name    string
		tty     bool
		opts    lsOptions
		wantErr bool
	}{
		{name: "file-tty", tty: true, opts: lsOptions{storeFlags: fileStore}},
		{name: "file-keys-tty", tty: true, opts: lsOptions{storeFlags: fileStore, Keys: true}},
		{name: "file-keys-piped", opts: lsOptions{storeFlags: fileStore, Keys: true}},
		{name: "file-keys-json", opts: lsOptions{storeFlags: fileStore, Keys: true, Output: outputJSON}},
		{name: "redis-keys", tty: true, opts: lsOptions{storeFlags: redisStore, Keys: true}},
		{name: "redis-json", opts: lsOptions{storeFlags: redisStore, Output: outputJSON}},
		{name: "memcached", opts: lsOptions{storeFlags: storeFlags{Store: "memcached://127.0.0.1:1"}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, stdout, _ := testStreams("", tt.tty)
			tt.opts.IO, tt.opts.Now = ios, now
			err := lsRun(t.Context(), &tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("lsRun() = %v, want error: %v", err, tt.wantErr)
			}
			out := stdout.String()
			if !tt.tty { // streamed in the store's order
				lines := strings.SplitAfter(out, "\n")
				slices.Sort(lines)
				out = strings.Join(lines, "")
			}
			golden(t, "ls/"+tt.name, []byte(env.scrub(runOutput(out, err))))
		})
	}
	ios, _, _ := testStreams("", false)
	if err := lsRun(t.Context(), &lsOptions{IO: ios, storeFlags: storeFlags{Store: "phpmemcached://127.0.0.1:1"}}); !errors.Is(err, errCannotList) {
		t.Errorf("lsRun on memcached = %v, want errCannotList", err)
	}
}

// holdSession holds the session file of id in dir as a PHP request does:
// an exclusive flock (taken by a store of its own), until the test ends.
func holdSession(t *testing.T, dir, id string) {
	t.Helper()
	holder, err := filestore.New(filestore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := holder.Lock(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unlock(context.Background()) })
}

// TestLsLocked: ls does not wait for a session PHP holds; it shows what is
// stored and says the session is locked.
func TestLsLocked(t *testing.T) {
	dir := t.TempDir()
	writeSessionFile(t, dir, "held", []byte(`n|i:1;`))
	writeSessionFile(t, dir, "free", []byte(`m|i:22;`))
	holdSession(t, dir, "held")
	ios, stdout, _ := testStreams("", false)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second) // far below the 30 s lock wait
	defer cancel()
	if err := lsRun(ctx, &lsOptions{IO: ios, storeFlags: storeFlags{Store: "file://" + dir}, Output: outputJSON}); err != nil {
		t.Fatal(err)
	}
	got := map[string]lsEntry{}
	dec := json.NewDecoder(stdout)
	for dec.More() {
		var e lsEntry
		if err := dec.Decode(&e); err != nil {
			t.Fatal(err)
		}
		got[e.ID] = e
	}
	if e := got["held"]; !e.Locked || e.Size != 6 {
		t.Errorf("held session: %+v, want locked, size 6", e)
	}
	if e := got["free"]; e.Locked || e.Size != 7 {
		t.Errorf("free session: %+v, want not locked, size 7", e)
	}
}

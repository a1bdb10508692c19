package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/adapters"
)

func TestNewCmdRm(t *testing.T) {
	tests := []struct {
		name    string
		argv    string
		want    rmOptions
		wantErr string
	}{
		{"session", "--store noop: abc", rmOptions{storeFlags: storeFlags{Store: "noop:"}, ID: "abc"}, ""},
		{"key", "--store noop: abc cart", rmOptions{storeFlags: storeFlags{Store: "noop:"}, ID: "abc", Key: "cart", HasKey: true}, ""},
		{"no id", "--store noop:", rmOptions{}, "rm: missing ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _ := testStreams("", false)
			f := &Factory{IO: ios}
			var got *rmOptions
			cmd := newCmdRm(f, func(_ context.Context, o *rmOptions) error { got = o; return nil })
			err := execute(f, cmd, strings.Fields(tt.argv)...)
			if tt.wantErr != "" {
				var fe *FlagError
				if !errors.As(err, &fe) || err.Error() != tt.wantErr {
					t.Fatalf("rm %s: err = %v, want FlagError %q", tt.argv, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("rm %s: %v", tt.argv, err)
			}
			tt.want.IO = ios
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("rm %s: options = %+v, want %+v", tt.argv, *got, tt.want)
			}
		})
	}
}

func TestRmRun(t *testing.T) {
	env := newStoreEnv(t, true)
	const start = `auth|a:1:{s:2:"id";i:42;}cart|a:1:{i:0;i:3;}csrf|s:6:"a1b2c3";`
	c := env.redisClient(t, 0)
	tests := []struct {
		name     string
		store    string // "file" or "redis"
		id       string
		initial  bool
		key      string
		wantGone bool
		wantErr  bool
		out      outputFormat
	}{
		{name: "file-session", store: "file", id: "rm1", initial: true, wantGone: true},
		{name: "file-missing-session", store: "file", id: "rm2", wantGone: true},
		{name: "file-key", store: "file", id: "rm3", initial: true, key: "cart"},
		{name: "file-missing-key", store: "file", id: "rm4", initial: true, key: "nope", wantErr: true},
		{name: "file-key-missing-session", store: "file", id: "rm5", key: "cart", wantGone: true, wantErr: true},
		{name: "redis-session", store: "redis", id: "rm6", initial: true, wantGone: true},
		{name: "redis-key", store: "redis", id: "rm7", initial: true, key: "auth"},
		{name: "file-session-json", store: "file", id: "rm8", initial: true, wantGone: true, out: outputJSON},
		{name: "file-key-json", store: "file", id: "rm9", initial: true, key: "cart", out: outputJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sf storeFlags
			var read func() (string, bool)
			if tt.store == "file" {
				sf.Store = "file://" + env.dir
				if tt.initial {
					writeSessionFile(t, env.dir, tt.id, []byte(start))
				}
				read = func() (string, bool) {
					b, err := os.ReadFile(filepath.Join(env.dir, tt.id))
					return string(b), err == nil
				}
			} else {
				sf.Store = "redis://" + env.redis
				if tt.initial {
					c.Set(t.Context(), "sess-reds-"+tt.id, adapters.Wrap([]byte(start)), 0)
				}
				read = func() (string, bool) {
					b, err := c.Get(t.Context(), "sess-reds-"+tt.id).Result()
					return b, err == nil
				}
			}
			ios, stdout, _ := testStreams("", false)
			err := rmRun(t.Context(), &rmOptions{IO: ios, Output: tt.out, storeFlags: sf, ID: tt.id, Key: tt.key, HasKey: tt.key != ""})
			if (err != nil) != tt.wantErr {
				t.Fatalf("rmRun() = %v, want error: %v", err, tt.wantErr)
			}
			after, found := read()
			if found == tt.wantGone {
				t.Errorf("after rm, session found = %v, want %v", found, !tt.wantGone)
			}
			golden(t, "rm/"+tt.name, []byte(env.scrub(runOutput(stdout.String()+"stored: "+after+"\n", err))))
		})
	}
}

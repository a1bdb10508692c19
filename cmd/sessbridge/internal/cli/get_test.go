package cli

import (
	"context"
	"errors"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/internal/vectors"
	"github.com/sessbridge/sessbridge/phpsession"
)

func TestNewCmdGet(t *testing.T) {
	tests := []struct {
		name    string
		argv    string
		want    getOptions
		wantErr string
	}{
		{"session", "--store noop: abc", getOptions{storeFlags: storeFlags{Store: "noop:"}, ID: "abc"}, ""},
		{"key", "--store noop: abc auth", getOptions{storeFlags: storeFlags{Store: "noop:"}, ID: "abc", Key: "auth", HasKey: true}, ""},
		{"handler", "--store noop: --handler php_binary abc", getOptions{storeFlags: storeFlags{Store: "noop:", Handler: phpsession.FormatPHPBinary, HasHandler: true}, ID: "abc"}, ""},
		{"no id", "--store noop:", getOptions{}, "get: missing ID"},
		{"three args", "--store noop: a b c", getOptions{}, "get: too many arguments: get takes ID and KEY, got 3"},
		{"lock timeout", "--store noop: --lock-timeout 5 abc", getOptions{storeFlags: storeFlags{Store: "noop:"}, ID: "abc", LockTimeout: 5 * time.Second}, ""},
		{"bad lock timeout", "--store noop: --lock-timeout 0 abc", getOptions{}, "--lock-timeout: want a positive time, got 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _ := testStreams("", false)
			f := &Factory{IO: ios}
			var got *getOptions
			cmd := newCmdGet(f, func(_ context.Context, o *getOptions) error { got = o; return nil })
			err := execute(f, cmd, strings.Fields(tt.argv)...)
			if tt.wantErr != "" {
				var fe *FlagError
				if !errors.As(err, &fe) || err.Error() != tt.wantErr {
					t.Fatalf("get %s: err = %v, want FlagError %q", tt.argv, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("get %s: %v", tt.argv, err)
			}
			tt.want.IO = ios
			if tt.want.LockTimeout == 0 {
				tt.want.LockTimeout = defaultLockTimeout
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("get %s: options = %+v, want %+v", tt.argv, *got, tt.want)
			}
		})
	}
}

func TestGetRun(t *testing.T) {
	env := newStoreEnv(t, true)
	vs := vectors.MustLoad(t)
	login := findVector(t, vs, "login", "stream", "php")
	writeSessionFile(t, env.dir, login.ID, login.Payload)
	refs := findVector(t, vs, "references", "redis", "php_serialize")
	if err := env.redisClient(t, 0).Set(t.Context(), "sess-reds-"+refs.ID, refs.Stored, 0).Err(); err != nil {
		t.Fatal(err)
	}
	fileStore := storeFlags{Store: "file://" + env.dir}
	redisStore := storeFlags{Store: "redis://" + env.redis, Handler: phpsession.FormatPHPSerialize}
	tests := []struct {
		name    string
		tty     bool
		opts    getOptions
		wantErr bool
	}{
		{name: "file-session", opts: getOptions{storeFlags: fileStore, ID: login.ID}},
		{name: "file-session-table", tty: true, opts: getOptions{storeFlags: fileStore, ID: login.ID, Output: outputTable}},
		{name: "file-key", opts: getOptions{storeFlags: fileStore, ID: login.ID, Key: "auth", HasKey: true}},
		{name: "file-key-table", opts: getOptions{storeFlags: fileStore, ID: login.ID, Key: "csrf", HasKey: true, Output: outputTable}},
		{name: "redis-references", opts: getOptions{storeFlags: redisStore, ID: refs.ID}},
		{name: "redis-references-table", tty: true, opts: getOptions{storeFlags: redisStore, ID: refs.ID, Output: outputTable}},
		{name: "missing-session", opts: getOptions{storeFlags: fileStore, ID: "nope"}, wantErr: true},
		{name: "missing-key", opts: getOptions{storeFlags: fileStore, ID: login.ID, Key: "nope", HasKey: true}, wantErr: true},
		{name: "wrong-handler", opts: getOptions{storeFlags: storeFlags{Store: "file://" + env.dir, Handler: phpsession.FormatPHPSerialize}, ID: login.ID}, wantErr: true},
		{name: "bad-url", opts: getOptions{storeFlags: storeFlags{Store: "redis://:hunter2@" + env.redis + "?colour=red"}, ID: "x"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, stdout, _ := testStreams("", tt.tty)
			tt.opts.IO = ios
			err := getRun(t.Context(), &tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("getRun() = %v, want error: %v", err, tt.wantErr)
			}
			if tt.wantErr && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows the password: %v", err)
			}
			golden(t, "get/"+tt.name, []byte(env.scrub(runOutput(stdout.String(), err))))
		})
	}
}

// TestGetLayoutHint asks for sessions under the wrong layout: the error
// names the layout that has them.
func TestGetLayoutHint(t *testing.T) {
	env := newStoreEnv(t, true)
	writeSessionFile(t, env.dir, "sess_abc", []byte(`n|i:1;`))
	writeSessionFile(t, env.dir, "def", []byte(`n|i:1;`))
	c := env.redisClient(t, 0)
	c.Set(t.Context(), "PHPREDIS_SESSION:abc", `n|i:1;`, 0)
	c.Set(t.Context(), "sess-reds-def", `s:6:"n|i:1;";`, 0)
	var out strings.Builder
	for _, tt := range []struct{ store, id string }{
		{"file://" + env.dir, "abc"},
		{"file://" + env.dir + "?layout=php", "def"},
		{"redis://" + env.redis, "abc"},
		{"phpredis://" + env.redis, "def"},
		{"redis://" + env.redis, "nope"},
	} {
		ios, _, _ := testStreams("", false)
		err := getRun(t.Context(), &getOptions{IO: ios, storeFlags: storeFlags{Store: tt.store}, ID: tt.id})
		out.WriteString(runOutput("", err))
	}
	golden(t, "get/layout-hint", []byte(env.scrub(out.String())))
}

// TestGetLocked reads a session another process holds locked: get says it
// waits, and gives up after --lock-timeout.
func TestGetLocked(t *testing.T) {
	dir := t.TempDir()
	writeSessionFile(t, dir, "held", []byte(`n|i:1;`))
	holder, err := filestore.New(filestore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := holder.Lock(t.Context(), "held")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock(t.Context())
	ios, stdout, stderr := testStreams("", false)
	code := run(t.Context(), []string{"get", "held", "--store", "file://" + dir, "--lock-timeout", "1.5"}, ios)
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	golden(t, "get/locked", []byte(strings.ReplaceAll(stdout.String()+"--- stderr:\n"+stderr.String(), dir, "$DIR")))
}

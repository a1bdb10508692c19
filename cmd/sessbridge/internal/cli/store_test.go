package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

// storeEnv is a set of real stores for command tests: a directory for
// file stores and a Redis server started for the test.
type testStoreEnv struct {
	dir   string
	redis string // host:port
}

// newStoreEnv returns a temporary directory and, when withRedis, a fresh
// Redis server.
func newStoreEnv(t *testing.T, withRedis bool) *testStoreEnv {
	t.Helper()
	e := &testStoreEnv{dir: t.TempDir()}
	if withRedis {
		e.redis = testenv.StartRedis(t).Addr
	}
	return e
}

// scrub replaces the test's temporary directory and Redis address in out
// so that goldens do not depend on them.
func (e *testStoreEnv) scrub(out string) string {
	out = strings.ReplaceAll(out, e.dir, "$DIR")
	if e.redis != "" {
		out = strings.ReplaceAll(out, e.redis, "$REDIS")
	}
	return out
}

// writeSessionFile writes a session file of Phalcon's Stream adapter.
func writeSessionFile(t *testing.T, dir, id string, payload []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, id), payload, 0o600); err != nil {
		t.Fatal(err)
	}
}

// redisClient returns a client of db on the test's Redis.
func (e *testStoreEnv) redisClient(t *testing.T, db int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: e.redis, DB: db})
	t.Cleanup(func() { c.Close() })
	return c
}

// runOutput is what a command printed, with its error after "--- error:".
func runOutput(stdout string, err error) string {
	if err != nil {
		stdout += "--- error:\n" + err.Error() + "\n"
	}
	return stdout
}

func TestParseStoreFlags(t *testing.T) {
	iniPath := filepath.Join(t.TempDir(), "php.ini")
	dir := t.TempDir()
	if err := os.WriteFile(iniPath, []byte("session.save_path = \""+dir+"\"\nsession.serialize_handler = php_serialize\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     string
		argv    string
		want    storeFlags
		wantFmt phpsession.Format // of openStore
		wantErr string
	}{
		{name: "store flag", argv: "--store file://" + dir, want: storeFlags{Store: "file://" + dir}},
		{name: "env", env: "file://" + dir, want: storeFlags{Store: "file://" + dir}},
		{name: "flag over env", env: "noop:", argv: "--store file://" + dir, want: storeFlags{Store: "file://" + dir}},
		{name: "handler", argv: "--store file://" + dir + " --handler igbinary", want: storeFlags{Store: "file://" + dir, Handler: phpsession.FormatIgbinary, HasHandler: true}, wantFmt: phpsession.FormatIgbinary},
		{name: "php.ini handler", argv: "--php-ini " + iniPath, want: storeFlags{PHPINI: iniPath}, wantFmt: phpsession.FormatPHPSerialize},
		{name: "handler over php.ini", argv: "--php-ini " + iniPath + " --handler php_binary", want: storeFlags{PHPINI: iniPath, Handler: phpsession.FormatPHPBinary, HasHandler: true}, wantFmt: phpsession.FormatPHPBinary},
		{name: "no store", wantErr: "no store: give --store URL, --php-ini FILE or set $SESSBRIDGE_STORE"},
		{name: "both", argv: "--store noop: --php-ini x", wantErr: "give --store or --php-ini, not both"},
		{name: "bad handler", argv: "--store noop: --handler yaml", wantErr: `--handler: phpsession: unknown session format "yaml" (want php, php_serialize, php_binary or igbinary)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(storeEnv, tt.env)
			ios, _, _ := testStreams("", false)
			f := &Factory{IO: ios}
			var got *gcOptions
			cmd := newCmdGC(f, func(_ context.Context, o *gcOptions) error { got = o; return nil })
			err := execute(f, cmd, strings.Fields(tt.argv)...)
			if tt.wantErr != "" {
				var fe *FlagError
				if !errors.As(err, &fe) || err.Error() != tt.wantErr {
					t.Fatalf("gc %s: err = %v, want FlagError %q", tt.argv, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("gc %s: %v", tt.argv, err)
			}
			if !reflect.DeepEqual(got.storeFlags, tt.want) {
				t.Errorf("gc %s: store flags = %+v, want %+v", tt.argv, got.storeFlags, tt.want)
			}
			st, err := openStore(t.Context(), got.storeFlags)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if st.Format != tt.wantFmt {
				t.Errorf("gc %s: opened with handler %v, want %v", tt.argv, st.Format, tt.wantFmt)
			}
		})
	}
}

// TestStoreCommandsExitCodes runs the store commands as sessbridge does
// and checks the exit codes their help documents.
func TestStoreCommandsExitCodes(t *testing.T) {
	dir := t.TempDir()
	writeSessionFile(t, dir, "abc", []byte(`n|i:1;`))
	store := "--store=file://" + dir
	tests := []struct {
		name    string
		argv    []string
		want    exitCode
		wantErr string // in stderr
	}{
		{"get", []string{"get", store, "abc"}, exitOK, ""},
		{"get missing", []string{"get", store, "nope"}, exitError, "session nope: not found"},
		{"get no store", []string{"get", "abc"}, exitUsage, "no store"},
		{"get bad url", []string{"get", "--store=mysql://x", "abc"}, exitError, "unknown store URL scheme"},
		{"set", []string{"set", store, "abc", "m", `{"b":true}`}, exitOK, ""},
		{"set unstorable", []string{"set", store, "abc", "a|b", `{"b":true}`}, exitError, "contains '|'"},
		{"rm key missing", []string{"rm", store, "abc", "zzz"}, exitError, "key zzz: not found"},
		{"ls", []string{"ls", store}, exitOK, ""},
		{"ls memcached", []string{"ls", "--store=memcached://127.0.0.1:1"}, exitError, "cannot list"},
		{"inspect", []string{"inspect", store, "abc"}, exitOK, ""},
		{"gc bad lifetime", []string{"gc", store, "--max-lifetime=0s"}, exitUsage, "--max-lifetime"},
		{"migrate same store", []string{"migrate", "--from=file://" + dir, "--to=file://" + dir, "--delete-source"}, exitError, "same store"},
		{"rm", []string{"rm", store, "abc"}, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(storeEnv, "")
			ios, _, stderr := testStreams("", false)
			if got := run(t.Context(), tt.argv, ios); got != tt.want {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tt.argv, got, tt.want, stderr)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.argv, stderr, tt.wantErr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "abc")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after rm, session file: %v", err)
	}
}

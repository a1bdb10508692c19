package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

// testPW is the password of the corpus: no output may hold it, or any
// long part of it.
const testPW = "Zq9vK7wYj"

// TestNoSecretPrinted runs every command that opens a store, on its
// success and error paths, over a corpus of password-bearing URLs (the
// shapes that printed the password before, on a Redis that requires it, on
// a closed port, with the password in the environment), and checks that no
// output holds the password.
func TestNoSecretPrinted(t *testing.T) {
	rd := testenv.StartRedis(t, "requirepass "+testPW)
	closed := "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	dir := t.TempDir()
	writeSessionFile(t, dir, "abc", []byte(`n|i:1;`))
	t.Setenv("SB_TEST_PW", testPW)
	urls := []string{
		"redis://:" + testPW + "@" + rd.Addr + "/0",
		"redis://default:" + testPW + "@" + rd.Addr + "/0?prefix=x",
		"redis://:" + testPW + "@" + closed + "/0",
		"redis://:wrong" + testPW + "@" + rd.Addr + "/0",
		"redis://" + rd.Addr + "/0?password_env=SB_TEST_PW",
		"phpredis://" + rd.Addr + "?auth=" + testPW,
		"phpredis://" + rd.Addr + "?auth%5B%5D=default&auth%5B%5D=" + testPW,
		"redis://:ab#" + testPW + "@" + rd.Addr + "/0",
		"redis://:ab/" + testPW + "@" + rd.Addr + "/0",
		"redis://:ab?" + testPW + "@" + rd.Addr + "/0",
		"redis://" + rd.Addr + "/0?password=" + testPW,
		"redis+sentinel://" + closed + "/m?sentinel_password=" + testPW,
		"redis+sentinel://:" + testPW + "@" + closed + "/m",
		"redis+cluster://:" + testPW + "@" + closed,
		"memcached://u:" + testPW + "@" + closed,
		"redis://:" + testPW + "@" + rd.Addr + "/0?bogus=1",
		"redis://:" + testPW + "@" + rd.Addr + "/99",
		"redis://:" + testPW + "@" + rd.Addr + "/0?x=" + testPW,
		"redis://:" + testPW + "@" + rd.Addr + ";x",
		"redis://:ab " + testPW + "@" + rd.Addr + "/0",
		"redis://:ab\"" + testPW + "@" + rd.Addr + "/0",
		"redis://" + rd.Addr + "/0?timeout=1;auth=" + testPW,
	}
	commands := [][]string{
		{"get", "abc"},
		{"get", "abc", "n"},
		{"get"},
		{"set", "abc", "n", `{"i":2}`},
		{"set", "abc", "n", "hello"},
		{"rm", "abc", "n"},
		{"rm", "abc"},
		{"ls"},
		{"ls", "--output", "json"},
		{"inspect", "abc"},
		{"gc"},
		{"gc", "--dry-run"},
		{"get", "abc", "--handler", "bogus"},
	}
	check := func(t *testing.T, argv []string, env string) {
		t.Helper()
		if env != "" {
			t.Setenv(storeEnv, env)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		ios, stdout, stderr := testStreams(`{"s":"x"}`, false)
		start := time.Now()
		code := run(ctx, argv, ios)
		if os.Getenv("SB_DEBUG") != "" {
			t.Logf("%q: %d %s%s", argv, code, stdout, stderr)
		}
		if d := time.Since(start); d > time.Second {
			t.Logf("sessbridge %q took %v", argv, d)
		}
		for _, out := range []string{stdout.String(), stderr.String()} {
			if strings.Contains(out, testPW) || strings.Contains(out, testPW[1:6]) {
				t.Errorf("sessbridge %q printed the password:\n%s", argv, out)
			}
		}
	}
	for i, u := range urls {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			if strings.Contains(u, closed) {
				// Each run waits for the client's retries: one command.
				check(t, []string{"set", "abc", "n", `{"i":2}`, "--store", u}, "")
				return
			}
			check(t, []string{"migrate", "--from", "file://" + dir, "--to", u}, "") // the session the others read
			for _, c := range commands {
				check(t, append(append([]string{}, c...), "--store", u), "")
			}
			check(t, []string{"get", "abc", "--store=" + u}, "")
			check(t, []string{"get", "abc"}, u)
			check(t, []string{"migrate", "--from", u, "--to", "file://" + dir}, "")
			check(t, []string{"migrate", "--from", u, "--to", u, "--delete-source"}, "")
			check(t, []string{"compat", "--store", u, "--php", filepath.Join(dir, "no-php")}, "")
			check(t, []string{"demo", "--once", "--store", u, "--php", filepath.Join(dir, "no-php")}, "")
		})
	}
	// A php.ini naming the store.
	ini := filepath.Join(dir, "php.ini")
	if err := os.WriteFile(ini, []byte("session.save_handler = redis\nsession.save_path = \"tcp://"+closed+"?auth="+testPW+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	check(t, []string{"get", "abc", "--php-ini", ini}, "")
	check(t, []string{"gc", "--php-ini", ini}, "")
	// The default password variable.
	t.Setenv("SESSBRIDGE_REDIS_PASSWORD", testPW)
	check(t, []string{"get", "abc", "--store", "redis://" + closed}, "")
	check(t, []string{"ls", "--store", "redis://" + rd.Addr + "/0"}, "")
}

func TestRedact(t *testing.T) {
	addSecrets("from-the-env-var")
	tests := []struct{ in, want string }{
		{"dial redis://:pw@h:1: refused", "dial redis://:xxxxx@h:1: refused"},
		{"auth failed for from-the-env-var", "auth failed for xxxxx"},
		{"nothing secret", "nothing secret"},
	}
	for _, tt := range tests {
		if got := redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

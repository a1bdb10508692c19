package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// gcDir writes a directory of Phalcon Stream sessions, old and fresh, among
// files that are not sessions, and returns it.
func gcDir(t *testing.T, dir string) string {
	t.Helper()
	old := time.Now().Add(-2 * time.Hour)
	files := []struct {
		name, content string
		old           bool
	}{
		{"old1", `n|i:1;`, true},
		{"old2", `a:1:{s:1:"n";i:1;}`, true},
		{"new1", `n|i:1;`, false},
		{"notes.txt", "remember the milk\n", true},
		{"host", "bind 0.0.0.0\n", true},
		{"LOCK", "", true},
		{"0123456789abcdefghijklmn", "", true}, // an empty session PHP named
		{"sess_old3", `n|i:1;`, true},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if f.old {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// dirNames returns the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func TestGCRun(t *testing.T) {
	env := newStoreEnv(t, true)
	all := []string{"0123456789abcdefghijklmn", "LOCK", "host", "new1", "notes.txt", "old1", "old2", "sess_old3"}
	tests := []struct {
		name   string
		store  string // $DIR is the session directory
		opts   gcOptions
		left   []string // files left after; nil: all
		stderr bool     // compare stderr too
	}{
		{name: "file-dry-run", store: "file://$DIR", opts: gcOptions{DryRun: true, MaxLifetime: time.Hour}, stderr: true},
		{name: "file", store: "file://$DIR", opts: gcOptions{MaxLifetime: time.Hour}, left: []string{"LOCK", "host", "new1", "notes.txt", "sess_old3"}},
		{name: "file-json", store: "file://$DIR", opts: gcOptions{Output: outputJSON, MaxLifetime: time.Hour}, left: []string{"LOCK", "host", "new1", "notes.txt", "sess_old3"}},
		{name: "file-prefix", store: "file://$DIR?prefix=sess_", opts: gcOptions{MaxLifetime: time.Hour}, left: slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == "sess_old3" })},
		{name: "file-php", store: "file://$DIR?layout=php", opts: gcOptions{MaxLifetime: 3 * time.Hour}},
		{name: "redis", store: "redis://" + env.redis},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := gcDir(t, t.TempDir())
			ios, stdout, stderr := testStreams("", false)
			opts := tt.opts
			opts.IO, opts.storeFlags = ios, storeFlags{Store: strings.ReplaceAll(tt.store, "$DIR", dir)}
			err := gcRun(t.Context(), &opts)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.left
			if want == nil {
				want = all
			}
			if got := dirNames(t, dir); !slices.Equal(got, want) {
				t.Errorf("files left = %q, want %q", got, want)
			}
			out := stdout.String()
			if tt.stderr {
				out += "--- stderr:\n" + stderr.String()
			}
			golden(t, "gc/"+tt.name, []byte(env.scrub(out)))
		})
	}
}

// TestGCPHPINI takes gc_maxlifetime from a php.ini, unless --max-lifetime
// is given.
func TestGCPHPINI(t *testing.T) {
	dir := t.TempDir()
	sess := filepath.Join(dir, "s")
	if err := os.Mkdir(sess, 0o700); err != nil {
		t.Fatal(err)
	}
	ini := filepath.Join(dir, "php.ini")
	if err := os.WriteFile(ini, []byte("session.save_path = \""+sess+"\"\nsession.gc_maxlifetime = 60\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(sess, "sess_twominutes")
	writeSessionFile(t, sess, "sess_twominutes", []byte(`n|i:1;`))
	two := time.Now().Add(-2 * time.Minute)
	if err := os.Chtimes(p, two, two); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		argv []string
		gone bool
	}{
		{[]string{"--max-lifetime", "1440"}, false},
		{[]string{"--max-lifetime", "24m"}, false},
		{nil, true},
	} {
		ios, stdout, stderr := testStreams("", false)
		code := run(t.Context(), append([]string{"gc", "--php-ini", ini}, tt.argv...), ios)
		_, err := os.Stat(p)
		if code != exitOK || os.IsNotExist(err) != tt.gone {
			t.Errorf("gc --php-ini %v = %d, removed %v, want removed %v\n%s%s", tt.argv, code, os.IsNotExist(err), tt.gone, stdout, stderr)
		}
	}
}

func TestSecondsFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"1440", 1440 * time.Second, false},
		{"0.5", 500 * time.Millisecond, false},
		{"24m", 24 * time.Minute, false},
		{"1h30m", 90 * time.Minute, false},
		{"soon", 0, true},
		{"-5", -5 * time.Second, true},
	}
	for _, tt := range tests {
		var d time.Duration
		err := secondsFlag{&d}.Set(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && d != tt.want) {
			t.Errorf("Set(%q) = %v, %v; want %v, error %v", tt.in, d, err, tt.want, tt.wantErr)
		}
	}
}

package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fsAppendFL is FS_APPEND_FL of linux/fs.h, which x/sys/unix does not
// name: a directory with it takes new entries and removes none.
const fsAppendFL = 0x20

// denyRemoval makes the removal of every file of dir fail, for real: the
// directory becomes append-only (FS_APPEND_FL, which stops root too) when
// the test runs as root, read-only (mode 0555) otherwise. The test is
// skipped where the file system or the container forbids the flag.
func denyRemoval(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return
	}
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err == nil {
		err = unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsAppendFL))
	}
	if err != nil {
		t.Skipf("cannot make %s append-only: %v", dir, err)
	}
	t.Cleanup(func() {
		f, err := os.Open(dir)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags)); err != nil {
			t.Errorf("clearing the append-only flag of %s: %v", dir, err)
		}
	})
}

// TestGCFailures runs gc on a directory whose files cannot be removed:
// each old session is a failure, printed on stderr and written to the
// --failures file, the others are left as usual, and gc exits with 1;
// with --max-failures 2 it stops after two failures in a row and says so.
func TestGCFailures(t *testing.T) {
	old := time.Now().Add(-2 * time.Hour)
	tests := []struct {
		name     string
		files    []string // all old sessions, but "new1" and "notes.txt"
		args     []string
		failures int // lines in the --failures file
		sessions int // old sessions left
	}{
		{"failures", []string{"old1", "old2", "old3", "new1", "notes.txt"}, []string{"--max-failures", "0"}, 3, 3},
		{"max-failures", []string{"old1", "old2", "old3", "old4", "old5"}, []string{"--max-failures", "2"}, 2, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, name := range tt.files {
				p := filepath.Join(dir, name)
				content := `n|i:1;`
				if name == "notes.txt" {
					content = "remember the milk\n"
				}
				if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
				if name != "new1" {
					if err := os.Chtimes(p, old, old); err != nil {
						t.Fatal(err)
					}
				}
			}
			denyRemoval(t, dir)
			failures := filepath.Join(t.TempDir(), "failures.tsv")
			ios, stdout, stderr := testStreams("", false)
			argv := append([]string{"gc", "--store", "file://" + dir, "--max-lifetime", "3600", "--failures", failures}, tt.args...)
			code := run(context.WithoutCancel(t.Context()), argv, ios)
			if code != exitError {
				t.Errorf("sessbridge %q exited with %d, want %d", argv, code, exitError)
			}
			if got := dirNames(t, dir); !slices.Equal(got, slices.Sorted(slices.Values(tt.files))) {
				t.Errorf("files left = %q, want all of %q", got, tt.files)
			}
			b, err := os.ReadFile(failures)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if len(lines) != tt.failures {
				t.Errorf("--failures file holds %d lines, want %d:\n%s", len(lines), tt.failures, b)
			}
			for _, l := range lines {
				id, msg, ok := strings.Cut(l, "\t")
				if !ok || !strings.HasPrefix(id, "old") || !strings.Contains(msg, filepath.Join(dir, id)) {
					t.Errorf("--failures line %q, want an old session's id, a tab, and an error naming its file", l)
				}
			}
			// Directory order decides which sessions fail first: sort
			// the lines, and number the ids in the order they come.
			slices.Sort(lines)
			out := "--- stdout:\n" + stdout.String() + "--- stderr:\n" + stderr.String() + "--- failures:\n" + strings.Join(lines, "\n") + "\n--- exit: " + strconv.Itoa(int(code)) + "\n"
			out = strings.NewReplacer(failures, "$FAILURES", dir, "$DIR", "permission denied", "operation not permitted").Replace(out)
			out = regexp.MustCompile(`old[0-9]`).ReplaceAllString(out, "oldN")
			golden(t, "gc/"+tt.name, []byte(out))
		})
	}
}

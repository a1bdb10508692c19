//go:build unix

package filestore

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/vectors"
)

// phpIDBytes are the bytes PHP's files handler allows in an id.
const phpIDBytes = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,-"

// makeDepthDirs creates the depth directories for every id, as an
// administrator would for PHP (mod_files.sh).
func makeDepthDirs(t testing.TB, dir string, depth int) {
	t.Helper()
	if depth == 0 {
		return
	}
	for _, c := range phpIDBytes {
		sub := filepath.Join(dir, string(c))
		if err := os.Mkdir(sub, 0o700); err != nil {
			t.Fatal(err)
		}
		makeDepthDirs(t, sub, depth-1)
	}
}

func newStore(t testing.TB, opts Options) *Store {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	makeDepthDirs(t, opts.Dir, opts.Depth)
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v) = %v", opts, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"Phalcon5", Options{}},
		{"Phalcon4Prefix", Options{Layout: adapters.LayoutPhalcon4, Prefix: "my-custom-prefix-"}},
		{"Native", Options{Layout: adapters.LayoutNative}},
		{"NativeDepth1", Options{Layout: adapters.LayoutNative, Depth: 1, FileMode: 0o640}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) adapters.Store { return newStore(t, tt.opts) })
		})
	}
}

func TestPath(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		id   string
		want string // relative to Dir; "" means an invalid id
	}{
		{"Phalcon", Options{}, "abc,DEF-123", "abc,DEF-123"},
		{"PhalconPrefix", Options{Prefix: "p-"}, "x", "p-x"},
		{"PhalconDotted", Options{}, ".hidden", ".hidden"},
		{"Native", Options{Layout: adapters.LayoutNative}, "abc", "sess_abc"},
		{"NativeDepth", Options{Layout: adapters.LayoutNative, Depth: 2}, "abc", "a/b/sess_abc"},
		{"NativeTooShort", Options{Layout: adapters.LayoutNative, Depth: 3}, "abc", ""},
		{"NativeUnderscore", Options{Layout: adapters.LayoutNative}, "a_b", ""},
		{"NativeDot", Options{Layout: adapters.LayoutNative, Depth: 1}, ".x", ""},
		{"Slash", Options{}, "a/b", ""},
		{"DotDot", Options{}, "..", ""},
		{"Empty", Options{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Dir = t.TempDir()
			s, err := New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Path(tt.id)
			if tt.want == "" {
				if !errors.Is(err, adapters.ErrInvalidID) {
					t.Fatalf("Path(%q) = %q, %v; want an error wrapping ErrInvalidID", tt.id, got, err)
				}
				return
			}
			if want := filepath.Join(tt.opts.Dir, tt.want); err != nil || got != want {
				t.Fatalf("Path(%q) = %q, %v; want %q", tt.id, got, err, want)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	tests := []struct {
		name string
		opts Options
	}{
		{"NoDir", Options{}},
		{"MissingDir", Options{Dir: filepath.Join(dir, "missing")}},
		{"NotDir", Options{Dir: file}},
		{"PhalconDepth", Options{Dir: dir, Depth: 1}},
		{"NativePrefix", Options{Dir: dir, Layout: adapters.LayoutNative, Prefix: "php_"}},
		{"NativeNegativeDepth", Options{Dir: dir, Layout: adapters.LayoutNative, Depth: -1}},
		{"PrefixSlash", Options{Dir: dir, Prefix: "a/"}},
		{"FileModeType", Options{Dir: dir, FileMode: os.ModeDir | 0o600}},
		{"Layout", Options{Dir: dir, Layout: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := New(tt.opts); err == nil || !strings.HasPrefix(err.Error(), "filestore: ") {
				t.Fatalf("New(%+v) = %v, %v; want a filestore error", tt.opts, s, err)
			}
		})
	}
}

func TestParseSavePath(t *testing.T) {
	tests := []struct {
		in      string
		want    Options
		wantErr bool
	}{
		{in: "/var/lib/php/sessions", want: Options{Dir: "/var/lib/php/sessions", FileMode: 0o600}},
		{in: "2;/tmp/s", want: Options{Dir: "/tmp/s", Depth: 2, FileMode: 0o600}},
		{in: "2;0640;/tmp/s", want: Options{Dir: "/tmp/s", Depth: 2, FileMode: 0o640}},
		{in: "0;644;/tmp/s", want: Options{Dir: "/tmp/s", FileMode: 0o644}},
		{in: "1;0600;/a;b", want: Options{Dir: "/a;b", Depth: 1, FileMode: 0o600}},
		{in: "1;2750;/s", want: Options{Dir: "/s", Depth: 1, FileMode: os.ModeSetgid | 0o750}},
		{in: "", want: Options{Dir: os.TempDir(), FileMode: 0o600}},
		{in: "1;", want: Options{Dir: os.TempDir(), Depth: 1, FileMode: 0o600}},
		{in: "x;/tmp", wantErr: true},
		{in: "-1;/tmp", wantErr: true},
		{in: "256;/tmp", wantErr: true},
		{in: "1;0800;/tmp", wantErr: true},
		{in: "1;17777;/tmp", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseSavePath(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseSavePath(%q) = %+v, want an error", tt.in, got)
			}
			continue
		}
		tt.want.Layout = adapters.LayoutNative
		if err != nil || got != tt.want {
			t.Errorf("ParseSavePath(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// TestPhalconStreamVectors checks the files a real Phalcon 5 Stream adapter
// wrote: Go writes the same bytes at the same path, and reads them back.
func TestPhalconStreamVectors(t *testing.T) {
	ctx := context.Background()
	for _, v := range vectors.MustFilter(t, vectors.MustLoad(t), "stream", "") {
		t.Run(v.Handler+"/"+v.Scenario, func(t *testing.T) {
			s := newStore(t, Options{})
			// Phalcon wrote the payload; an empty php session left an
			// empty file (updateTimestamp touched it), which is what
			// writing the empty payload gives too.
			if err := s.Write(ctx, v.ID, v.Payload, 0); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(s.dir, v.Key))
			if err != nil || !bytes.Equal(got, v.Stored) {
				t.Fatalf("file %s after Write = %q, %v; want %q", v.Key, got, err, v.Stored)
			}
			fi, _ := os.Stat(filepath.Join(s.dir, v.Key))
			if want := os.FileMode(0o666 &^ umask()); fi.Mode().Perm() != want {
				t.Errorf("file mode %v, want %v (0666 minus umask, as file_put_contents)", fi.Mode().Perm(), want)
			}

			r := newStore(t, Options{})
			if err := os.WriteFile(filepath.Join(r.dir, v.Key), v.Stored, 0o644); err != nil {
				t.Fatal(err)
			}
			data, found, err := r.Read(ctx, v.ID)
			if err != nil || !found || !bytes.Equal(data, v.Payload) {
				t.Fatalf("Read(%q) = %q, %v, %v; want %q", v.ID, data, found, err, v.Payload)
			}
		})
	}
}

func umask() os.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
}

func TestSymlinkAndFIFORefused(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, Options{})
	target := filepath.Join(t.TempDir(), "target")
	os.WriteFile(target, []byte("secret"), 0o600)
	if err := os.Symlink(target, filepath.Join(s.dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(s.dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"link", "fifo"} {
		if _, _, err := s.Read(ctx, id); !errors.Is(err, ErrNotRegular) {
			t.Errorf("Read(%q) = %v, want ErrNotRegular", id, err)
		}
		if err := s.Write(ctx, id, []byte("x"), 0); !errors.Is(err, ErrNotRegular) {
			t.Errorf("Write(%q) = %v, want ErrNotRegular", id, err)
		}
		if ok, err := s.Exists(ctx, id); ok || err != nil {
			t.Errorf("Exists(%q) = %v, %v; want false, nil", id, ok, err)
		}
	}
	if got, _ := os.ReadFile(target); string(got) != "secret" {
		t.Fatalf("symlink target changed to %q", got)
	}
}

func TestMaxSize(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, Options{MaxSize: 10})
	os.WriteFile(filepath.Join(s.dir, "big"), make([]byte, 11), 0o600)
	os.WriteFile(filepath.Join(s.dir, "fits"), make([]byte, 10), 0o600)
	if _, _, err := s.Read(ctx, "big"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Read(big) = %v, want ErrTooLarge", err)
	}
	if data, found, err := s.Read(ctx, "fits"); err != nil || !found || len(data) != 10 {
		t.Errorf("Read(fits) = %d bytes, %v, %v", len(data), found, err)
	}
}

// TestWriteFailureKeepsOld makes the write of the new bytes fail part-way,
// as a full disk does, and checks that the old session is intact.
func TestWriteFailureKeepsOld(t *testing.T) {
	ctx := context.Background()
	old := []byte(strings.Repeat("o", 1000))
	for _, layout := range []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutNative} {
		for _, held := range []bool{false, true} {
			t.Run(layout.String()+map[bool]string{false: "", true: "/Locked"}[held], func(t *testing.T) {
				s := newStore(t, Options{Layout: layout})
				const id = "fulldisk"
				if err := s.Write(ctx, id, old, 0); err != nil {
					t.Fatal(err)
				}
				s.writeAt = func(f *os.File, b []byte, off int64) (int, error) {
					// Half the bytes land, then the disk is full.
					n, _ := f.WriteAt(b[:len(b)/2], off)
					return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
				}
				if held {
					unlock, err := s.Lock(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					defer unlock(ctx)
				}
				err := s.Write(ctx, id, []byte(strings.Repeat("n", 5000)), 0)
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("Write on a full disk = %v, want ENOSPC", err)
				}
				s.writeAt = (*os.File).WriteAt
				path, _ := s.Path(id)
				if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
					t.Fatalf("after a failed write the file holds %d bytes %.20q..., want the old %d bytes", len(got), got, len(old))
				}
			})
		}
	}
}

// TestFailedFirstWriteLeavesNothing makes the first write of a new
// session fail, as a full disk does, and checks that no file is left: not
// by Write, WriteIfVersion, a write under Lock, nor one after Destroy under
// Lock.
func TestFailedFirstWriteLeavesNothing(t *testing.T) {
	ctx := context.Background()
	const id = "newcomer"
	writes := []struct {
		name  string
		write func(s *Store) error
	}{
		{"Write", func(s *Store) error { return s.Write(ctx, id, []byte("a|i:1;"), 0) }},
		{"WriteIfVersion", func(s *Store) error {
			_, _, v, err := s.ReadVersion(ctx, id)
			if err != nil {
				return err
			}
			return s.WriteIfVersion(ctx, id, []byte("a|i:1;"), 0, v)
		}},
		{"Locked", func(s *Store) error {
			unlock, err := s.Lock(ctx, id)
			if err != nil {
				return err
			}
			defer unlock(ctx)
			err = s.Write(ctx, id, []byte("a|i:1;"), 0)
			if _, found, rerr := s.Read(ctx, id); rerr != nil || found {
				t.Errorf("Read under the lock after the failed write = %v, %v; want not found", found, rerr)
			}
			return err
		}},
		{"DestroyedLocked", func(s *Store) error {
			s.writeAt = (*os.File).WriteAt
			if err := s.Write(ctx, id, []byte("old|i:0;"), 0); err != nil {
				return err
			}
			unlock, err := s.Lock(ctx, id)
			if err != nil {
				return err
			}
			defer unlock(ctx)
			if err := s.Destroy(ctx, id); err != nil {
				return err
			}
			s.writeAt = enospc
			return s.Write(ctx, id, []byte("a|i:1;"), 0)
		}},
	}
	for _, layout := range []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutNative} {
		for _, w := range writes {
			t.Run(layout.String()+"/"+w.name, func(t *testing.T) {
				s := newStore(t, Options{Layout: layout})
				s.writeAt = enospc
				if err := w.write(s); !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("first write on a full disk = %v, want ENOSPC", err)
				}
				s.writeAt = (*os.File).WriteAt
				if names := dirNames(t, s.dir); len(names) != 0 {
					t.Fatalf("after a failed first write the directory holds %q, want nothing", names)
				}
				if _, found, err := s.Read(ctx, id); err != nil || found {
					t.Fatalf("Read after a failed first write = %v, %v; want not found", found, err)
				}
				// The id is usable once the disk has room again.
				if err := s.Write(ctx, id, []byte("b|i:2;"), 0); err != nil {
					t.Fatalf("Write after the failure = %v", err)
				}
			})
		}
	}
}

// enospc fails a write with no byte written, as a full disk does.
func enospc(f *os.File, b []byte, off int64) (int, error) {
	return 0, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

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
	return names
}

// TestLongID checks that an id whose file name would pass NAME_MAX is an
// invalid id (a manager then starts a new session, as PHP does), not a
// failure of the file system.
func TestLongID(t *testing.T) {
	ctx := context.Background()
	for _, layout := range []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutNative} {
		s := newStore(t, Options{Layout: layout})
		longest := strings.Repeat("a", maxNameLength-len(s.prefix))
		if err := s.Write(ctx, longest, []byte("a|i:1;"), 0); err != nil {
			t.Errorf("%v: Write of a %d-byte id = %v, want nil", layout, len(longest), err)
		}
		for _, n := range []int{len(longest) + 1, 256, 4096} {
			id := strings.Repeat("a", n)
			if _, _, err := s.Read(ctx, id); !errors.Is(err, adapters.ErrInvalidID) {
				t.Errorf("%v: Read of a %d-byte id = %v, want ErrInvalidID", layout, n, err)
			}
			if err := s.Write(ctx, id, []byte("a|i:1;"), 0); !errors.Is(err, adapters.ErrInvalidID) {
				t.Errorf("%v: Write of a %d-byte id = %v, want ErrInvalidID", layout, n, err)
			}
		}
	}
}

// TestFullDisk fills a real small tmpfs (needs root to mount it; skipped
// otherwise, TestWriteFailureKeepsOld covers the same path by injection).
func TestFullDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := mountTmpfs(dir, "64k"); err != nil {
		t.Skipf("cannot mount a tmpfs (%v); the injected failure test covers this", err)
	}
	t.Cleanup(func() { unmount(dir) })
	for _, layout := range []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutNative} {
		t.Run(layout.String(), func(t *testing.T) {
			s := newStore(t, Options{Dir: dir, Layout: layout})
			old := bytes.Repeat([]byte("old-session|"), 1000) // 12 KB
			if err := s.Write(ctx, "victim", old, 0); err != nil {
				t.Fatal(err)
			}
			// Fill the rest of the disk.
			filler := filepath.Join(dir, "filler")
			f, err := os.Create(filler)
			if err != nil {
				t.Fatal(err)
			}
			for {
				if _, err := f.Write(make([]byte, 4096)); err != nil {
					break
				}
			}
			f.Close()
			defer os.Remove(filler)
			err = s.Write(ctx, "victim", bytes.Repeat([]byte("new-session|"), 2000), 0)
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Write on a full disk = %v, want ENOSPC", err)
			}
			// A new session that does not fit leaves no file behind
			// (tmpfs still has inodes, so the create succeeds).
			err = s.Write(ctx, "newcomer", bytes.Repeat([]byte("new-session|"), 2000), 0)
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Write of a new session on a full disk = %v, want ENOSPC", err)
			}
			if path, _ := s.Path("newcomer"); fileExists(path) {
				t.Fatalf("a failed first write left %s behind", path)
			}
			data, found, err := s.Read(ctx, "victim")
			if err != nil || !found || !bytes.Equal(data, old) {
				t.Fatalf("Read after a failed write = %d bytes, %v, %v; want the old %d bytes", len(data), found, err, len(old))
			}
			// A shorter session still fits in the old one's space.
			if err := s.Write(ctx, "victim", []byte("short|i:1;"), 0); err != nil {
				t.Fatalf("shrinking Write on a full disk = %v", err)
			}
			if err := s.Destroy(ctx, "victim"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGC(t *testing.T) {
	ctx := context.Background()
	old := time.Now().Add(-2 * time.Hour)
	tests := []struct {
		name        string
		opts        Options
		files       []string // created, then aged unless in fresh
		fresh       []string
		wantRemoved []string
	}{
		{
			name:        "PhalconEmptyPrefix",
			opts:        Options{},
			files:       []string{"a1", "b2", "sess_c3", "notes.txt", ".hidden"},
			fresh:       []string{"b2"},
			wantRemoved: []string{"a1", "notes.txt", "sess_c3"}, // any old file but dot files: Phalcon's danger
		},
		{
			name:        "PhalconPrefix",
			opts:        Options{Prefix: "px-"},
			files:       []string{"px-a1", "px-b2", "other"},
			fresh:       []string{"px-b2"},
			wantRemoved: []string{"px-a1"},
		},
		{
			name:        "Native",
			opts:        Options{Layout: adapters.LayoutNative},
			files:       []string{"sess_a1", "sess_b2", "sess_bad_id", "other"},
			fresh:       []string{"sess_b2"},
			wantRemoved: []string{"sess_a1", "sess_bad_id"},
		},
		{
			name:  "NativeDepth",
			opts:  Options{Layout: adapters.LayoutNative, Depth: 1},
			files: []string{"a/sess_a1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, tt.opts)
			for _, name := range tt.files {
				p := filepath.Join(s.dir, name)
				os.WriteFile(p, []byte("x"), 0o600)
				if !slices.Contains(tt.fresh, name) {
					os.Chtimes(p, old, old)
				}
			}
			removed, err := s.GC(ctx, time.Hour)
			if err != nil || removed != len(tt.wantRemoved) {
				t.Fatalf("GC = %d, %v; want %d, nil", removed, err, len(tt.wantRemoved))
			}
			for _, name := range tt.files {
				_, err := os.Stat(filepath.Join(s.dir, name))
				if gone := errors.Is(err, fs.ErrNotExist); gone != slices.Contains(tt.wantRemoved, name) {
					t.Errorf("after GC, %s removed = %v", name, gone)
				}
			}
		})
	}
}

// TestGCSkipsLocked checks that GC never removes a session a request holds.
func TestGCSkipsLocked(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, Options{Layout: adapters.LayoutNative})
	if err := s.Write(ctx, "held", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Path("held")
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(p, old, old)
	unlock, err := s.Lock(ctx, "held")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.GC(ctx, time.Hour); n != 0 || err != nil {
		t.Fatalf("GC with the session locked = %d, %v; want 0, nil", n, err)
	}
	unlock(ctx)
	if n, err := s.GC(ctx, time.Hour); n != 1 || err != nil {
		t.Fatalf("GC after unlock = %d, %v; want 1, nil", n, err)
	}
}

// TestDestroyIdle destroys old sessions only, never a fresh or held one,
// also below depth directories, where GC does nothing.
func TestDestroyIdle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, Options{Layout: adapters.LayoutNative, Depth: 1})
	old := time.Now().Add(-2 * time.Hour)
	for _, id := range []string{"aold", "afresh", "aheld"} {
		if err := s.Write(ctx, id, []byte("x"), 0); err != nil {
			t.Fatal(err)
		}
		if id != "afresh" {
			p, _ := s.Path(id)
			os.Chtimes(p, old, old)
		}
	}
	unlock, err := s.Lock(ctx, "aheld")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock(ctx)
	tests := []struct {
		id   string
		want bool
	}{{"aold", true}, {"aold", false}, {"afresh", false}, {"aheld", false}, {"amissing", false}}
	for _, tt := range tests {
		if got, err := s.DestroyIdle(ctx, tt.id, time.Hour); got != tt.want || err != nil {
			t.Errorf("DestroyIdle(%q, 1h) = %v, %v; want %v, nil", tt.id, got, err, tt.want)
		}
	}
	if _, err := s.DestroyIdle(ctx, "a/b", time.Hour); !errors.Is(err, adapters.ErrInvalidID) {
		t.Errorf("DestroyIdle(%q) = %v, want %v", "a/b", err, adapters.ErrInvalidID)
	}
	if _, err := s.DestroyIdle(ctx, "afresh", 0); err == nil {
		t.Errorf("DestroyIdle(idle 0) = nil error, want one")
	}
	for _, id := range []string{"afresh", "aheld"} {
		if _, found, err := s.Read(ctx, id); !found || err != nil {
			t.Errorf("after DestroyIdle, Read(%q) = found %v, %v; want it kept", id, found, err)
		}
	}
}

func TestTouch(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, Options{})
	if err := s.Write(ctx, "t1", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Path("t1")
	old := time.Now().Add(-100 * time.Second)
	os.Chtimes(p, old, old)
	if err := s.Touch(ctx, "t1", 0); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if !fi.ModTime().After(time.Now().Add(-10 * time.Second)) {
		t.Fatalf("mtime after Touch = %v, want about now", fi.ModTime())
	}
	if n, err := s.GC(ctx, time.Minute); n != 0 || err != nil {
		t.Fatalf("GC after Touch = %d, %v; want 0, nil", n, err)
	}
}

func TestNativeOwnership(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to chown a file to another user")
	}
	// As root, PHP (and the store) accept any owner.
	ctx := context.Background()
	s := newStore(t, Options{Layout: adapters.LayoutNative})
	p, _ := s.Path("foreign")
	os.WriteFile(p, []byte("x"), 0o600)
	os.Chown(p, 12345, 12345)
	if _, found, err := s.Read(ctx, "foreign"); err != nil || !found {
		t.Fatalf("Read as root = %v, %v; want found", found, err)
	}
}

// TestWaitersSeeDestroy: a Read or Write that waited for the lock while the
// session was destroyed must not use the unlinked file. The reader finds
// nothing; the writer writes a new file that later reads see.
func TestWaitersSeeDestroy(t *testing.T) {
	ctx := context.Background()
	for _, layout := range []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutNative} {
		t.Run(layout.String(), func(t *testing.T) {
			s := newStore(t, Options{Layout: layout})
			other := newStore(t, Options{Dir: s.dir, Layout: layout}) // another "process"
			const id = "racer"
			if err := s.Write(ctx, id, []byte("old|b:1;"), 0); err != nil {
				t.Fatal(err)
			}
			unlock, err := s.Lock(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			type result struct {
				data  []byte
				found bool
				err   error
			}
			read := make(chan result, 1)
			wrote := make(chan error, 1)
			go func() {
				data, found, err := other.Read(ctx, id)
				read <- result{data, found, err}
			}()
			time.Sleep(50 * time.Millisecond) // let the reader block on the flock
			if err := s.Destroy(ctx, id); err != nil {
				t.Fatal(err)
			}
			unlock(ctx)
			if r := <-read; r.err != nil || r.found {
				t.Fatalf("Read that waited across Destroy = %q, %v, %v; want missing", r.data, r.found, r.err)
			}

			if err := s.Write(ctx, id, []byte("old|b:1;"), 0); err != nil {
				t.Fatal(err)
			}
			unlock, err = s.Lock(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			go func() { wrote <- other.Write(ctx, id, []byte("new|b:1;"), 0) }()
			time.Sleep(50 * time.Millisecond)
			if err := s.Destroy(ctx, id); err != nil {
				t.Fatal(err)
			}
			unlock(ctx)
			if err := <-wrote; err != nil {
				t.Fatal(err)
			}
			if data, found, err := s.Read(ctx, id); err != nil || !found || string(data) != "new|b:1;" {
				t.Fatalf("Read after a write that waited across Destroy = %q, %v, %v; want the new session", data, found, err)
			}
		})
	}
}

func TestSessionsSkipsStrangers(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		opts  Options
		files []string
		want  []string
	}{
		{"Phalcon", Options{Prefix: "p-"}, []string{"p-a1", "p-b2", "other", "p-bad id", "p-"}, []string{"a1", "b2"}},
		{"Native", Options{Layout: adapters.LayoutNative}, []string{"sess_a1", "sess_b_2", "x", "sess_"}, []string{"a1"}},
		{"NativeDepth", Options{Layout: adapters.LayoutNative, Depth: 1}, []string{"a/sess_a1", "a/sess_b1", "b/sess_b2", "b/sess_b", "sess_c3"}, []string{"a1", "b2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, tt.opts)
			for _, f := range tt.files {
				if err := os.WriteFile(filepath.Join(s.dir, f), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			os.Mkdir(filepath.Join(s.dir, "p-dir"), 0o700)
			var got []string
			if err := s.Sessions(ctx, func(id string) bool { got = append(got, id); return true }); err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Sessions = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzPath checks that no id maps outside the session directory.
func FuzzPath(f *testing.F) {
	for _, id := range []string{"abc", "..", "../x", "a/b", "sess_x", ".", "a\x00b", "-,"} {
		f.Add(id, 0)
		f.Add(id, 2)
	}
	dir := f.TempDir()
	stores := map[int]*Store{}
	for _, o := range []Options{{Dir: dir}, {Dir: dir, Layout: adapters.LayoutNative}, {Dir: dir, Layout: adapters.LayoutNative, Depth: 2}} {
		s, err := New(o)
		if err != nil {
			f.Fatal(err)
		}
		stores[len(stores)] = s
	}
	f.Fuzz(func(t *testing.T, id string, which int) {
		s := stores[(which%3+3)%3]
		p, err := s.Path(id)
		if err != nil {
			if !errors.Is(err, adapters.ErrInvalidID) {
				t.Fatalf("Path(%q) = %v, want ErrInvalidID", id, err)
			}
			return
		}
		rel, rerr := filepath.Rel(dir, p)
		if rerr != nil || rel == ".." || strings.HasPrefix(rel, "../") || filepath.Base(p) != s.prefix+id || filepath.Clean(p) != p {
			t.Fatalf("Path(%q) = %q, outside %s", id, p, dir)
		}
	})
}

// TestCASUnderLock: the CAS calls go through a lock the process holds.
func TestCASUnderLock(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, Options{Layout: adapters.LayoutNative})
	write := func(id string, v adapters.Version, data string) error {
		return s.WriteIfVersion(ctx, id, []byte(data), 0, v)
	}
	// A new id: Lock creates the file, which still counts as missing.
	unlock, err := s.Lock(ctx, "new1")
	if err != nil {
		t.Fatal(err)
	}
	_, found, missing, err := s.ReadVersion(ctx, "new1")
	if err != nil || found {
		t.Fatalf("ReadVersion of a new id under Lock = %v, %v", found, err)
	}
	if err := write("new1", missing, "a|i:1;"); err != nil {
		t.Fatalf("WriteIfVersion(missing) under Lock = %v", err)
	}
	if err := write("new1", missing, "b|i:1;"); !errors.Is(err, adapters.ErrConflict) {
		t.Fatalf("second WriteIfVersion(missing) under Lock = %v, want ErrConflict", err)
	}
	_, _, v, _ := s.ReadVersion(ctx, "new1")
	if err := s.Write(ctx, "new1", []byte("c|i:1;"), 0); err != nil {
		t.Fatal(err)
	}
	if err := write("new1", v, "d|i:1;"); !errors.Is(err, adapters.ErrConflict) {
		t.Fatalf("stale WriteIfVersion under Lock = %v, want ErrConflict", err)
	}
	_, _, v, _ = s.ReadVersion(ctx, "new1")
	if err := write("new1", v, "e|i:1;"); err != nil {
		t.Fatalf("WriteIfVersion under Lock = %v", err)
	}
	unlock(ctx)
	if data, _, _ := s.Read(ctx, "new1"); string(data) != "e|i:1;" {
		t.Fatalf("Read = %q", data)
	}
	if err := write("new1", "not a version", "x"); err == nil || errors.Is(err, adapters.ErrConflict) {
		t.Fatalf("WriteIfVersion with a foreign version = %v, want a plain error", err)
	}
}

func TestLockTimeoutOption(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, Options{LockTimeout: 100 * time.Millisecond})
	unlock, err := s.Lock(ctx, "busy")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock(ctx)
	other := newStore(t, Options{Dir: s.dir, LockTimeout: 100 * time.Millisecond})
	for op, err := range map[string]error{
		"Lock":  func() error { _, err := s.Lock(ctx, "busy"); return err }(),
		"Write": other.Write(ctx, "busy", []byte("x"), 0),
	} {
		if !errors.Is(err, adapters.ErrLockTimeout) || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s with the session locked and no ctx deadline = %v, want ErrLockTimeout from LockTimeout", op, err)
		}
	}
}

func TestMissingDepthDirs(t *testing.T) {
	ctx := context.Background()
	s, err := New(Options{Dir: t.TempDir(), Layout: adapters.LayoutNative, Depth: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := s.Read(ctx, "abcdef"); found || err != nil {
		t.Errorf("Read without depth dirs = %v, %v; want missing", found, err)
	}
	for op, err := range map[string]error{
		"Write": s.Write(ctx, "abcdef", []byte("x"), 0),
		"Lock":  func() error { _, err := s.Lock(ctx, "abcdef"); return err }(),
	} {
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "create them") {
			t.Errorf("%s without depth dirs = %v, want ErrNotExist with a hint", op, err)
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

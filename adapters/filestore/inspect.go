//go:build unix

package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/sessbridge/sessbridge/adapters"
)

var (
	_ adapters.Expirer   = (*Store)(nil)
	_ adapters.Inspector = (*Store)(nil)
	_ adapters.Peeker    = (*Store)(nil)
)

// Expiry returns when the session file of id was last modified (written,
// or touched by [Store.Touch]): [Store.GC] and PHP's gc remove it once that
// is gc_maxlifetime ago. Files have no TTL.
func (s *Store) Expiry(ctx context.Context, id string) (adapters.Expiry, bool, error) {
	path, err := s.start(ctx, id)
	if err != nil {
		return adapters.Expiry{}, false, err
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return adapters.Expiry{}, false, nil
	}
	if err != nil {
		return adapters.Expiry{}, false, wrap("expiry", err)
	}
	if !fi.Mode().IsRegular() {
		return adapters.Expiry{}, false, wrap("expiry", fmt.Errorf("%s: %w", path, ErrNotRegular))
	}
	return adapters.Expiry{Modified: fi.ModTime()}, true, nil
}

// Inspect returns the path of the session file of id, its bytes and
// whether a process holds its flock, which it finds out by trying a shared
// flock without waiting. When the lock is free the file is read under that
// shared flock; when it is held, without it (the bytes may then be those of
// a write in progress). The payload is the file's bytes.
func (s *Store) Inspect(ctx context.Context, id string) (adapters.Inspection, bool, error) {
	path, err := s.start(ctx, id)
	if err != nil {
		return adapters.Inspection{}, false, err
	}
	in := adapters.Inspection{Location: path, Lock: adapters.LockUnknown}
	f, held, err := s.openShared(path)
	if errors.Is(err, fs.ErrNotExist) {
		return in, false, nil
	}
	if err != nil {
		return in, false, wrap("inspect", err)
	}
	defer f.Close()
	in.Lock = adapters.LockFree
	if held {
		in.Lock = adapters.LockHeld
	}
	st, err := fstat(f)
	if err == nil {
		in.Stored, err = s.readFile(f, st.Size)
	}
	if err != nil {
		return in, false, wrap("inspect", err)
	}
	if st.Nlink == 0 { // destroyed while opened
		return adapters.Inspection{}, false, nil
	}
	in.Payload = in.Stored
	return in, true, nil
}

// Peek reads the session file of id like [Store.Read], under a shared
// flock, but does not wait for it: while another process (PHP's files
// handler, for the whole request) or another *Store holds the exclusive
// flock, it returns at once an error wrapping [adapters.ErrLockTimeout].
// A lock this *Store holds through [Store.Lock] does not stop it.
func (s *Store) Peek(ctx context.Context, id string) ([]byte, bool, error) {
	path, err := s.start(ctx, id)
	if err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	_, ours := s.held[path]
	s.mu.Unlock()
	if ours {
		return s.Read(ctx, id)
	}
	f, held, err := s.openShared(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrap("peek", err)
	}
	defer f.Close()
	if held {
		return nil, false, wrap("peek", fmt.Errorf("flock %s: %w: held by another process", path, adapters.ErrLockTimeout))
	}
	st, err := fstat(f)
	if err != nil {
		return nil, false, wrap("peek", err)
	}
	if st.Nlink == 0 { // destroyed while opened
		return nil, false, nil
	}
	data, err := s.readFile(f, st.Size)
	if err != nil {
		return nil, false, wrap("peek", err)
	}
	return data, true, nil
}

// openShared opens path read-only and tries a shared flock on it without
// waiting; held reports that another holder's exclusive flock stopped it.
// Closing f releases the flock.
func (s *Store) openShared(path string) (f *os.File, held bool, err error) {
	f, err = s.openFile(path, unix.O_RDONLY)
	if err != nil {
		return nil, false, err
	}
	for {
		switch err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err {
		case nil:
			return f, false, nil
		case unix.EINTR:
			continue
		case unix.EWOULDBLOCK:
			return f, true, nil
		default:
			f.Close()
			return nil, false, &fs.PathError{Op: "flock", Path: path, Err: err}
		}
	}
}

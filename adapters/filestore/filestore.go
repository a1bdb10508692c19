//go:build unix

package filestore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sessbridge/sessbridge/adapters"
)

// Store is a directory of session files. It implements [adapters.Store],
// [adapters.Toucher], [adapters.Validator], [adapters.Locker],
// [adapters.CASWriter], [adapters.Lister] and [adapters.IdleDestroyer], and
// is safe for concurrent use.
type Store struct {
	opts   Options
	dir    string // cleaned Options.Dir
	prefix string
	mode   uint32 // raw open(2) mode

	mu   sync.Mutex
	held map[string]*heldLock // locks taken by Lock, by file path

	// writeAt writes to a session file; tests replace it to fail writes.
	writeAt func(f *os.File, b []byte, off int64) (int, error)
}

var (
	_ adapters.Store         = (*Store)(nil)
	_ adapters.Toucher       = (*Store)(nil)
	_ adapters.Validator     = (*Store)(nil)
	_ adapters.Locker        = (*Store)(nil)
	_ adapters.CASWriter     = (*Store)(nil)
	_ adapters.Lister        = (*Store)(nil)
	_ adapters.IdleDestroyer = (*Store)(nil)
)

// New returns a store for opts. It checks that Dir is a writable directory
// (Phalcon's "The session save path [...] is not writable") and that the
// options fit the layout.
func New(opts Options) (*Store, error) {
	o := opts // New never changes the caller's Options.
	if o.Dir == "" {
		return nil, errors.New("filestore: Options.Dir is empty")
	}
	switch o.Layout {
	case adapters.LayoutPhalcon5, adapters.LayoutPhalcon4:
		if o.Depth != 0 {
			return nil, fmt.Errorf("filestore: Options.Depth is %d, but Phalcon's Stream adapter has no depth directories", o.Depth)
		}
		if o.FileMode == 0 {
			o.FileMode = 0o666
		}
	case adapters.LayoutNative:
		if o.Prefix != "" && o.Prefix != NativePrefix {
			return nil, fmt.Errorf("filestore: Options.Prefix %q: PHP's files handler always uses %q", o.Prefix, NativePrefix)
		}
		o.Prefix = NativePrefix
		if o.Depth < 0 || o.Depth >= adapters.MaxIDLength {
			return nil, fmt.Errorf("filestore: Options.Depth %d out of range 0..%d", o.Depth, adapters.MaxIDLength-1)
		}
		if o.FileMode == 0 {
			o.FileMode = 0o600
		}
	default:
		return nil, fmt.Errorf("filestore: unknown layout %v", o.Layout)
	}
	if strings.ContainsAny(o.Prefix, "/\x00") {
		return nil, fmt.Errorf("filestore: Options.Prefix %q holds a slash or NUL", o.Prefix)
	}
	const modeBits = os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky
	if o.FileMode&^modeBits != 0 {
		return nil, fmt.Errorf("filestore: Options.FileMode %v has bits other than permission, setuid, setgid and sticky", o.FileMode)
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.LockPollInterval <= 0 {
		o.LockPollInterval = DefaultLockPollInterval
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	dir := filepath.Clean(o.Dir)
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("filestore: session directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("filestore: session directory %s is not a directory", dir)
	}
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
		return nil, fmt.Errorf("filestore: the session save path [%s] is not writable: %w", dir, err)
	}
	mode := uint32(o.FileMode.Perm())
	if o.FileMode&os.ModeSetuid != 0 {
		mode |= unix.S_ISUID
	}
	if o.FileMode&os.ModeSetgid != 0 {
		mode |= unix.S_ISGID
	}
	if o.FileMode&os.ModeSticky != 0 {
		mode |= unix.S_ISVTX
	}
	return &Store{
		opts:    o,
		dir:     dir,
		prefix:  o.Prefix,
		mode:    mode,
		held:    map[string]*heldLock{},
		writeAt: (*os.File).WriteAt,
	}, nil
}

// Options returns the store's options with the defaults filled in.
func (s *Store) Options() Options { return s.opts }

// Path returns the file that holds session id, or an error wrapping
// [adapters.ErrInvalidID].
func (s *Store) Path(id string) (string, error) {
	if err := adapters.ValidID(id); err != nil {
		return "", fmt.Errorf("filestore: %w", err)
	}
	if n := len(s.prefix) + len(id); n > maxNameLength {
		// Else open(2) fails with ENAMETOOLONG: PHP's files handler
		// refuses such an id too, and PHP starts a new session.
		return "", fmt.Errorf("filestore: %w: id of %d bytes makes a %d-byte file name, the limit is %d",
			adapters.ErrInvalidID, len(id), n, maxNameLength)
	}
	if s.opts.Layout == adapters.LayoutNative {
		if err := validNativeID(id); err != nil {
			return "", err
		}
		if len(id) <= s.opts.Depth {
			return "", fmt.Errorf("filestore: %w: %d bytes, but save_path depth %d needs more", adapters.ErrInvalidID, len(id), s.opts.Depth)
		}
	}
	elems := make([]string, 0, s.opts.Depth+2)
	elems = append(elems, s.dir)
	for i := range s.opts.Depth {
		elems = append(elems, id[i:i+1])
	}
	p := filepath.Join(append(elems, s.prefix+id)...)
	// Defence in depth: the path must name the file it was built for,
	// exactly Depth directories below Dir.
	dir := p
	for range s.opts.Depth + 1 {
		dir = filepath.Dir(dir)
	}
	if dir != s.dir || filepath.Base(p) != s.prefix+id {
		return "", fmt.Errorf("filestore: %w: %q leaves the session directory", adapters.ErrInvalidID, id)
	}
	return p, nil
}

// maxNameLength is the longest file name Linux filesystems and the BSDs
// accept (NAME_MAX).
const maxNameLength = 255

// validNativeID applies PHP's files handler's own id check
// (php_session_valid_key): [a-zA-Z0-9,-] only.
func validNativeID(id string) error {
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isNativeIDByte(c) {
			return fmt.Errorf("filestore: %w: byte %q at offset %d is not one PHP's files handler accepts ([a-zA-Z0-9,-])", adapters.ErrInvalidID, c, i)
		}
	}
	return nil
}

func isNativeIDByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == ',' || c == '-'
}

// start checks the context and the id and returns the session's path.
func (s *Store) start(ctx context.Context, id string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("filestore: %w", err)
	}
	return s.Path(id)
}

// heldLock is a session file locked by Lock, used by every call on that id
// until Unlock.
type heldLock struct {
	mu       sync.Mutex
	f        *os.File // the locked descriptor (after Destroy, the unlinked inode)
	fresh    bool     // Lock created the file and nothing was written yet
	gone     bool     // destroyed under the lock; a write re-creates the file
	released bool     // Unlock ran; f is closed
}

// withHeld runs fn on the lock this process holds on path, if any, and
// reports whether it did.
func (s *Store) withHeld(path string, fn func(h *heldLock) error) (bool, error) {
	s.mu.Lock()
	h := s.held[path]
	s.mu.Unlock()
	if h == nil {
		return false, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released {
		return false, nil
	}
	return true, fn(h)
}

// how a session file is opened and locked.
type openMode int

const (
	openRead     openMode = iota // read only, LOCK_SH, must exist
	openWrite                    // read-write, LOCK_EX, created if missing
	openExisting                 // read-write, LOCK_EX, must exist
	openNew                      // read-write, LOCK_EX, must not exist
)

// maxReopen bounds how often opening retries when the file it locked was
// unlinked meanwhile.
const maxReopen = 100

// open opens path and takes its flock, waiting as long as ctx and
// LockTimeout allow. It makes sure the locked inode is still the session
// file (not unlinked by Destroy or GC while we waited), and reports whether
// it created the file. A missing file (openRead, openExisting) or an
// existing one (openNew) gives an error wrapping fs.ErrNotExist or
// fs.ErrExist.
func (s *Store) open(ctx context.Context, path string, mode openMode) (f *os.File, size int64, created bool, err error) {
	how := unix.LOCK_EX
	if mode == openRead {
		how = unix.LOCK_SH
	}
	var deadline time.Time
	for range maxReopen {
		switch mode {
		case openRead:
			f, err = s.openFile(path, unix.O_RDONLY)
		case openExisting:
			f, err = s.openFile(path, unix.O_RDWR)
		case openNew:
			f, err = s.openFile(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL)
			created = err == nil
		case openWrite:
			f, err = s.openFile(path, unix.O_RDWR)
			if errors.Is(err, fs.ErrNotExist) {
				f, err = s.openFile(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL)
				created = err == nil
				if errors.Is(err, fs.ErrExist) {
					continue // created by someone else meanwhile: open it
				}
			}
		}
		if err != nil {
			return nil, 0, false, err
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(s.opts.LockTimeout)
		}
		if err := s.flock(ctx, f, how, path, deadline); err != nil {
			f.Close()
			return nil, 0, false, err
		}
		st, err := fstat(f)
		if err != nil {
			f.Close()
			return nil, 0, false, err
		}
		if st.Nlink > 0 {
			return f, st.Size, created, nil
		}
		f.Close() // unlinked while we waited for the lock: open the new one
	}
	return nil, 0, false, fmt.Errorf("%s was replaced %d times while waiting for its lock", path, maxReopen)
}

// openFile opens a session file without following a symlink or blocking on
// a FIFO, and checks that it is a regular file (and, for LayoutNative,
// PHP's ownership rule).
func (s *Store) openFile(path string, flag int) (*os.File, error) {
	fd, err := unix.Open(path, flag|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, s.mode)
	for err == unix.EINTR {
		fd, err = unix.Open(path, flag|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, s.mode)
	}
	if err != nil {
		if err == unix.ELOOP {
			return nil, fmt.Errorf("%s: %w (a symlink)", path, ErrNotRegular)
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	if s.opts.Layout == adapters.LayoutNative {
		uid, euid := uint32(os.Getuid()), uint32(os.Geteuid())
		if st.Uid != 0 && st.Uid != uid && st.Uid != euid && uid != 0 {
			unix.Close(fd)
			return nil, fmt.Errorf("%s: %w (uid %d)", path, ErrNotOwned, st.Uid)
		}
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

type fileStat struct {
	Size  int64
	Nlink uint64
	Ino   uint64
	Dev   uint64
}

func fstat(f *os.File) (fileStat, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileStat{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, fmt.Errorf("%s: no stat data", f.Name())
	}
	return fileStat{Size: fi.Size(), Nlink: uint64(st.Nlink), Ino: uint64(st.Ino), Dev: uint64(st.Dev)}, nil
}

// flock takes a BSD flock on f, polling so that ctx and the deadline are
// honoured.
func (s *Store) flock(ctx context.Context, f *os.File, how int, path string, deadline time.Time) error {
	fd := int(f.Fd())
	wait := time.Millisecond
	var timer *time.Timer
	for {
		err := unix.Flock(fd, how|unix.LOCK_NB)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EWOULDBLOCK:
		default:
			return &fs.PathError{Op: "flock", Path: path, Err: err}
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("flock %s: %w (%w)", path, adapters.ErrLockTimeout, err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("flock %s: %w after %v", path, adapters.ErrLockTimeout, s.opts.LockTimeout)
		}
		if timer == nil {
			timer = time.NewTimer(min(wait, left))
			defer timer.Stop()
		} else {
			timer.Reset(min(wait, left))
		}
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
		wait = min(2*wait, s.opts.LockPollInterval)
	}
}

// readFile reads a locked session file of the given size.
func (s *Store) readFile(f *os.File, size int64) ([]byte, error) {
	if size > s.opts.MaxSize {
		return nil, fmt.Errorf("%s: %w: %d bytes, limit %d", f.Name(), ErrTooLarge, size, s.opts.MaxSize)
	}
	buf := make([]byte, size)
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return buf[:n], nil
}

// writeFile replaces the contents of the locked file f, size bytes long,
// with data, in place. If the bytes past the old end cannot be written
// (a full disk), the file is cut back to its old size and is unchanged.
func (s *Store) writeFile(f *os.File, size int64, data []byte) error {
	n := int64(len(data))
	if n > size {
		if _, err := s.writeAt(f, data[size:], size); err != nil {
			if terr := f.Truncate(size); terr != nil {
				return fmt.Errorf("%w (and restoring its size: %v)", err, terr)
			}
			return err
		}
		data = data[:size]
	}
	if len(data) > 0 {
		if _, err := s.writeAt(f, data, 0); err != nil {
			return err
		}
	}
	if n < size {
		if err := f.Truncate(n); err != nil {
			return err
		}
	}
	return nil
}

// Read returns the session payload in the file of id, read under a shared
// flock (Phalcon's LOCK_SH; it waits while PHP's files handler holds the
// session). A missing file is found == false. An empty file is an empty
// session, found, except a file that [Store.Lock] itself just created.
func (s *Store) Read(ctx context.Context, id string) ([]byte, bool, error) {
	data, found, _, err := s.read(ctx, id, false)
	return data, found, err
}

// read is Read, and ReadVersion when version is true.
func (s *Store) read(ctx context.Context, id string, version bool) (data []byte, found bool, v fileVersion, err error) {
	path, err := s.start(ctx, id)
	if err != nil {
		return nil, false, fileVersion{}, err
	}
	ok, err := s.withHeld(path, func(h *heldLock) error {
		if h.fresh || h.gone {
			return nil
		}
		st, err := fstat(h.f)
		if err == nil {
			data, err = s.readFile(h.f, st.Size)
		}
		found = err == nil
		return err
	})
	if !ok {
		var f *os.File
		var size int64
		f, size, _, err = s.open(ctx, path, openRead)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, fileVersion{}, nil
		}
		if err != nil {
			return nil, false, fileVersion{}, wrap("read", err)
		}
		defer f.Close()
		data, err = s.readFile(f, size)
		found = err == nil
	}
	if err != nil {
		return nil, false, fileVersion{}, wrap("read", err)
	}
	if version && found {
		v = versionOf(data)
	}
	return data, found, v, nil
}

// wrap gives an internal error the package prefix and the operation, once,
// at the exported method's return.
func wrap(op string, err error) error {
	return fmt.Errorf("filestore: %s: %w", op, err)
}

// Write replaces the session file of id with data, in place under an
// exclusive flock, creating the file (with FileMode) if needed. ttl is
// ignored: files expire through [Store.GC]. If the write fails, the
// previous contents are intact (see the package doc).
func (s *Store) Write(ctx context.Context, id string, data []byte, ttl time.Duration) error {
	path, err := s.start(ctx, id)
	if err != nil {
		return err
	}
	ok, err := s.withHeld(path, func(h *heldLock) error { return s.writeHeld(ctx, path, h, data) })
	if !ok {
		var f *os.File
		var size int64
		var created bool
		f, size, created, err = s.open(ctx, path, openWrite)
		if err != nil {
			return wrap("write", s.explainMissingDir(err))
		}
		err = s.writeFile(f, size, data)
		if err != nil && created {
			err = removeCreated(f, path, err)
		}
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		return wrap("write", err)
	}
	return nil
}

// writeHeld writes through a lock this process holds.
func (s *Store) writeHeld(ctx context.Context, path string, h *heldLock, data []byte) error {
	if h.gone {
		// Destroyed under the lock: lock the new file before writing it,
		// and keep holding it until Unlock.
		f, size, created, err := s.open(ctx, path, openWrite)
		if err != nil {
			return s.explainMissingDir(err)
		}
		if err := s.writeFile(f, size, data); err != nil {
			if created {
				err = removeCreated(f, path, err)
			}
			f.Close()
			return err // still gone, still locked through the old inode
		}
		h.f.Close()
		h.f, h.gone, h.fresh = f, false, false
		return nil
	}
	st, err := fstat(h.f)
	if err != nil {
		return err
	}
	if err := s.writeFile(h.f, st.Size, data); err != nil {
		if h.fresh {
			// Lock created the file: remove it, and hold the lock on
			// the unlinked inode as after Destroy.
			err = removeCreated(h.f, path, err)
			h.gone, h.fresh = true, false
		}
		return err
	}
	h.fresh = false
	return nil
}

// removeCreated unlinks path, the file f that a failed first write
// created, so that no empty session is left behind (a full disk can have a
// free inode but no free block), and returns werr, the write's error. It
// unlinks only while path still names f's inode: f is flocked, so no other
// writer has written it, but the file may have been destroyed and created
// anew meanwhile.
func removeCreated(f *os.File, path string, werr error) error {
	st, err := fstat(f)
	if err != nil {
		return fmt.Errorf("%w (and removing the file it created: %v)", werr, err)
	}
	var cur unix.Stat_t
	if err := unix.Lstat(path, &cur); err != nil || uint64(cur.Ino) != st.Ino || uint64(cur.Dev) != st.Dev {
		return werr
	}
	if err := unlink(path); err != nil {
		return fmt.Errorf("%w (and removing the file it created: %v)", werr, err)
	}
	return werr
}

// explainMissingDir adds a hint when a depth directory is missing.
func (s *Store) explainMissingDir(err error) error {
	if s.opts.Depth > 0 && errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (PHP's files handler does not create the %d levels of session directories; create them first)", err, s.opts.Depth)
	}
	return err
}

// Destroy removes the session file of id. A missing file is not an error.
// Under [Store.Lock], the lock stays held (on the removed inode) until
// Unlock, as PHP's destroy does, and a later Write creates a new file.
func (s *Store) Destroy(ctx context.Context, id string) error {
	path, err := s.start(ctx, id)
	if err != nil {
		return err
	}
	ok, err := s.withHeld(path, func(h *heldLock) error {
		if h.gone {
			return nil
		}
		if err := unlink(path); err != nil {
			return err
		}
		h.gone, h.fresh = true, false
		return nil
	})
	if !ok {
		err = unlink(path)
	}
	if err != nil {
		return wrap("destroy", err)
	}
	return nil
}

func unlink(path string) error {
	err := unix.Unlink(path)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	return &fs.PathError{Op: "unlink", Path: path, Err: err}
}

// Touch sets the modification time of the session file of id to now, as
// PHP's updateTimestamp and Phalcon's touch() do, so that GC keeps it. ttl
// is ignored. Touching a missing session does nothing (Phalcon's touch()
// would create an empty file).
func (s *Store) Touch(ctx context.Context, id string, ttl time.Duration) error {
	path, err := s.start(ctx, id)
	if err != nil {
		return err
	}
	now := unix.NsecToTimespec(time.Now().UnixNano())
	err = unix.UtimesNanoAt(unix.AT_FDCWD, path, []unix.Timespec{now, now}, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil && err != unix.ENOENT {
		return fmt.Errorf("filestore: touch: %w", &fs.PathError{Op: "utimensat", Path: path, Err: err})
	}
	return nil
}

// Exists reports whether the session file of id exists and is a regular
// file (PHP's validate_sid, Phalcon's validateId).
func (s *Store) Exists(ctx context.Context, id string) (bool, error) {
	path, err := s.start(ctx, id)
	if err != nil {
		return false, err
	}
	var exists bool
	ok, _ := s.withHeld(path, func(h *heldLock) error {
		exists = !h.fresh && !h.gone
		return nil
	})
	if ok {
		return exists, nil
	}
	var st unix.Stat_t
	switch err := unix.Lstat(path, &st); err {
	case nil:
		return st.Mode&unix.S_IFMT == unix.S_IFREG, nil
	case unix.ENOENT, unix.ENOTDIR:
		return false, nil
	default:
		return false, fmt.Errorf("filestore: exists: %w", &fs.PathError{Op: "lstat", Path: path, Err: err})
	}
}

// Lock takes the exclusive flock PHP's files handler takes in
// session_start, creating the file (empty, with FileMode) if it is missing,
// as PHP does. It waits while PHP or another Lock holds it, until ctx is
// done or LockTimeout passes; the error then wraps [adapters.ErrLockTimeout].
//
// Until Unlock, every call on id through this *Store goes through the
// locked descriptor. A file Lock created reads as missing until it is written; if
// it is never written it stays as an empty file, as PHP leaves it, and
// later reads find an empty session; if its first write fails, it is
// removed. Unlock closes the descriptor, which
// releases the flock; calling it again does nothing.
//
// Lock is not re-entrant: a second Lock of the same id waits for Unlock,
// even from the same goroutine.
func (s *Store) Lock(ctx context.Context, id string) (func(context.Context) error, error) {
	path, err := s.start(ctx, id)
	if err != nil {
		return nil, err
	}
	f, size, created, err := s.open(ctx, path, openWrite)
	if err != nil {
		return nil, wrap("lock", s.explainMissingDir(err))
	}
	h := &heldLock{f: f, fresh: created && size == 0}
	s.mu.Lock()
	s.held[path] = h
	s.mu.Unlock()
	var once sync.Once
	var uerr error
	return func(context.Context) error {
		once.Do(func() {
			s.mu.Lock()
			if s.held[path] == h {
				delete(s.held, path)
			}
			s.mu.Unlock()
			h.mu.Lock()
			defer h.mu.Unlock()
			h.released = true
			if err := h.f.Close(); err != nil {
				uerr = fmt.Errorf("filestore: unlock %s: %w", path, err)
			}
		})
		return uerr
	}, nil
}

// fileVersion is the CAS version of a session file: whether it existed,
// and a digest of its contents. Timestamps alone would miss a second
// write in the same clock tick.
type fileVersion struct {
	found bool
	size  int64
	sum   [sha256.Size]byte
}

func versionOf(data []byte) fileVersion {
	return fileVersion{found: true, size: int64(len(data)), sum: sha256.Sum256(data)}
}

func (v fileVersion) matches(data []byte) bool {
	return v.found && v.size == int64(len(data)) && v.sum == sha256.Sum256(data)
}

// ReadVersion is [Store.Read] plus a version for [Store.WriteIfVersion].
func (s *Store) ReadVersion(ctx context.Context, id string) ([]byte, bool, adapters.Version, error) {
	data, found, v, err := s.read(ctx, id, true)
	if err != nil {
		return nil, false, nil, err
	}
	return data, found, v, nil
}

// WriteIfVersion writes data like [Store.Write], but only if the file
// still holds what [Store.ReadVersion] returned with version (or is still
// missing, if it was). The check and the write happen under one exclusive
// flock, so a PHP or Go writer cannot slip in between. Otherwise it writes
// nothing and returns an error wrapping [adapters.ErrConflict].
func (s *Store) WriteIfVersion(ctx context.Context, id string, data []byte, ttl time.Duration, version adapters.Version) error {
	path, err := s.start(ctx, id)
	if err != nil {
		return err
	}
	want, ok := version.(fileVersion)
	if !ok {
		return fmt.Errorf("filestore: write %s: version %T is not from a filestore", path, version)
	}
	conflict := fmt.Errorf("%s: %w", path, adapters.ErrConflict)
	ok, err = s.withHeld(path, func(h *heldLock) error {
		if h.fresh || h.gone {
			if want.found {
				return conflict
			}
		} else {
			if !want.found {
				return conflict // it exists now
			}
			st, err := fstat(h.f)
			if err != nil {
				return err
			}
			if err := s.check(h.f, st.Size, want, conflict); err != nil {
				return err
			}
		}
		return s.writeHeld(ctx, path, h, data)
	})
	if !ok {
		mode := openExisting
		if !want.found {
			mode = openNew
		}
		var f *os.File
		var size int64
		var created bool
		f, size, created, err = s.open(ctx, path, mode)
		switch {
		case errors.Is(err, fs.ErrNotExist) && want.found, errors.Is(err, fs.ErrExist) && !want.found:
			err = conflict
		case err != nil:
			err = s.explainMissingDir(err)
		default:
			err = s.check(f, size, want, conflict)
			if err == nil {
				err = s.writeFile(f, size, data)
				if err != nil && created {
					err = removeCreated(f, path, err)
				}
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		return wrap("write", err)
	}
	return nil
}

// check returns conflict unless the locked file f, size bytes long, still
// holds the version want.
func (s *Store) check(f *os.File, size int64, want fileVersion, conflict error) error {
	if !want.found {
		// The caller created the file with O_EXCL, so it was missing; but
		// between that create and our flock another writer may have read
		// the new empty file and written it. Anything in it now is theirs.
		if size != 0 {
			return conflict
		}
		return nil
	}
	cur, err := s.readFile(f, size)
	if err != nil {
		return err
	}
	if !want.matches(cur) {
		return conflict
	}
	return nil
}

// GC removes the session files not written or touched for maxLifetime and
// returns how many it removed, as PHP's files handler and Phalcon's Stream
// gc do: with LayoutNative every sess_* regular file in Dir, nothing at all
// when Depth > 0 (PHP leaves those to cron); with Phalcon's layouts every
// regular file glob("<Dir>/<Prefix>*") matches (with the default empty
// prefix, any old file in Dir but dot files: see the package doc).
//
// Unlike PHP, it skips a file whose flock is held (a request is using the
// session), so a live session is never deleted under its user. maxLifetime
// must be positive.
func (s *Store) GC(ctx context.Context, maxLifetime time.Duration) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("filestore: gc: %w", err)
	}
	if maxLifetime <= 0 {
		return 0, fmt.Errorf("filestore: gc: maxLifetime %v is not positive", maxLifetime)
	}
	if s.opts.Depth > 0 {
		return 0, nil
	}
	cutoff := time.Now().Add(-maxLifetime)
	removed := 0
	err := s.scanDir(ctx, s.dir, false, func(name string, e fs.DirEntry) (bool, error) {
		if !e.Type().IsRegular() {
			return true, nil
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			return true, nil // gone meanwhile, or fresh
		}
		ok, err := s.removeIfStale(filepath.Join(s.dir, name), cutoff)
		if ok {
			removed++
		}
		return true, err
	})
	if err != nil {
		return removed, fmt.Errorf("filestore: gc %s: %w", s.dir, err)
	}
	s.logger().LogAttrs(ctx, slog.LevelDebug, "expired sessions removed", slog.String("dir", s.dir), slog.Int("removed", removed))
	return removed, nil
}

// DestroyIdle destroys session id as [Store.GC] would: only if its file has
// not been written or touched for idle and no request holds its flock,
// checked under an exclusive flock taken without waiting. It reports
// whether it removed the file; a missing, fresh or busy session gives
// false and a nil error. It lets a caller collect garbage more carefully
// than PHP, which removes every file of the directory whose name starts
// with the prefix: the caller lists the sessions (see [Store.Sessions]),
// decides which are sessions, and destroys those.
func (s *Store) DestroyIdle(ctx context.Context, id string, idle time.Duration) (bool, error) {
	path, err := s.start(ctx, id)
	if err != nil {
		return false, err
	}
	if idle <= 0 {
		return false, fmt.Errorf("filestore: destroy idle %s: idle %v is not positive", id, idle)
	}
	ok, err := s.removeIfStale(path, time.Now().Add(-idle))
	if err != nil {
		return false, wrap("destroy", err)
	}
	return ok, nil
}

// removeIfStale removes path if nobody holds its flock and it is still
// older than cutoff, under an exclusive flock taken without waiting.
func (s *Store) removeIfStale(path string, cutoff time.Time) (bool, error) {
	f, err := s.openFile(path, unix.O_RDONLY)
	if err != nil {
		return false, nil // gone, replaced by a non-file, or foreign: not ours to remove
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return false, nil // in use
	}
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil || st.Nlink == 0 || !fi.ModTime().Before(cutoff) {
		return false, nil
	}
	// Remove the path only if it is still this inode.
	var cur unix.Stat_t
	if err := unix.Lstat(path, &cur); err != nil || cur.Ino != st.Ino || uint64(cur.Dev) != uint64(st.Dev) {
		return false, nil
	}
	if err := unix.Unlink(path); err != nil {
		if err == unix.ENOENT {
			return false, nil
		}
		return false, &fs.PathError{Op: "unlink", Path: path, Err: err}
	}
	return true, nil
}

// scanDir calls fn for each directory entry of dir whose name starts with
// the prefix, reading the directory in batches. With validIDs, the rest of
// the name must be a valid id; without, the entries are those PHP's gc
// considers (glob("<prefix>*"), which skips dot files when the prefix is
// empty; PHP's files handler: every sess_* name). fn returns false to stop.
func (s *Store) scanDir(ctx context.Context, dir string, validIDs bool, fn func(name string, e fs.DirEntry) (bool, error)) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	for {
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			name := e.Name()
			if !strings.HasPrefix(name, s.prefix) {
				continue
			}
			if validIDs && s.checkName(name[len(s.prefix):]) != nil {
				continue
			}
			if !validIDs && s.prefix == "" && strings.HasPrefix(name, ".") {
				continue // glob("*") skips dot files
			}
			if more, err := fn(name, e); err != nil || !more {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// checkName checks an id found in a file name.
func (s *Store) checkName(id string) error {
	if err := adapters.ValidID(id); err != nil {
		return err
	}
	if s.opts.Layout == adapters.LayoutNative {
		return validNativeID(id)
	}
	return nil
}

// Sessions calls yield with the id of every session file, streaming the
// directory (and, with Depth > 0, the depth directories whose one-character
// names PHP's ids can have). Only regular files named like the layout's
// session files count; with Depth > 0 a file must also sit in the
// directories its id names.
func (s *Store) Sessions(ctx context.Context, yield func(id string) bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: sessions: %w", err)
	}
	_, err := s.walk(ctx, s.dir, "", yield)
	if err != nil {
		return fmt.Errorf("filestore: sessions in %s: %w", s.dir, err)
	}
	return nil
}

// walk lists the sessions under dir, whose depth directories spell lead;
// it returns false when yield asked to stop.
func (s *Store) walk(ctx context.Context, dir, lead string, yield func(id string) bool) (bool, error) {
	if len(lead) < s.opts.Depth {
		d, err := os.Open(dir)
		if err != nil {
			return true, err
		}
		defer d.Close()
		for {
			entries, err := d.ReadDir(256)
			for _, e := range entries {
				name := e.Name()
				if len(name) != 1 || !isNativeIDByte(name[0]) || !e.IsDir() {
					continue
				}
				if more, err := s.walk(ctx, filepath.Join(dir, name), lead+name, yield); err != nil || !more {
					return more, err
				}
			}
			if err == io.EOF {
				return true, nil
			}
			if err != nil {
				return true, err
			}
		}
	}
	more := true
	err := s.scanDir(ctx, dir, true, func(name string, e fs.DirEntry) (bool, error) {
		id := name[len(s.prefix):]
		if !e.Type().IsRegular() || !strings.HasPrefix(id, lead) || len(id) <= len(lead) && lead != "" {
			return true, nil
		}
		more = yield(id)
		return more, nil
	})
	return more, err
}

package filestore

import (
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
)

// NativePrefix is the file name prefix of PHP's files handler (FILE_PREFIX in
// mod_files.c), which [adapters.LayoutNative] always uses.
const NativePrefix = "sess_"

// Defaults of [Options].
const (
	DefaultLockTimeout      = 30 * time.Second
	DefaultLockPollInterval = 10 * time.Millisecond
	DefaultMaxSize          = 64 << 20
)

// Errors returned by the store, besides those of [adapters].
var (
	// ErrTooLarge means a session file is bigger than Options.MaxSize.
	ErrTooLarge = errors.New("session file too large")
	// ErrNotOwned means a LayoutNative session file belongs to another
	// user, which PHP refuses too ("Session data file is not created by
	// your uid").
	ErrNotOwned = errors.New("session file is not owned by this user")
	// ErrNotRegular means the session's path is a symlink, directory, FIFO
	// or other non-regular file, which the store never follows or opens.
	ErrNotRegular = errors.New("session path is not a regular file")
)

// Options configure a [Store]. The zero value of every field but Dir means
// its default.
type Options struct {
	// Dir is the directory holding the sessions: Phalcon's savePath
	// option, or the path part of PHP's session.save_path (see
	// [ParseSavePath]). It must exist. Required.
	Dir string

	// Layout chooses Phalcon's Stream adapter (LayoutPhalcon5 and
	// LayoutPhalcon4 are the same here) or PHP's files handler
	// (LayoutNative).
	// Default: adapters.LayoutPhalcon5.
	Layout adapters.Layout

	// Prefix goes before the session id in file names: Phalcon's Stream
	// prefix option. With LayoutNative it must be "" or "sess_" and is
	// always "sess_". It may not contain a slash or NUL.
	// Default: "" (Phalcon), "sess_" (native).
	Prefix string

	// Depth is the number of directory levels, one per leading character
	// of the id: the N of PHP's "N;MODE;path" save_path. Only for
	// LayoutNative. The store never creates these directories, as PHP
	// does not; GC does nothing when Depth > 0, as in PHP.
	// Default: 0.
	Depth int

	// FileMode is the permission of session files the store creates,
	// before the process umask is applied: the MODE of PHP's save_path,
	// or what file_put_contents gives (0666) for Phalcon. Only permission,
	// setuid, setgid and sticky bits are allowed.
	// Default: 0666 (Phalcon), 0600 (native).
	FileMode os.FileMode

	// LockTimeout bounds every wait for a session file's flock (Lock, and
	// Read and Write while PHP holds the session), besides the context.
	// The error then wraps adapters.ErrLockTimeout.
	// Default: 30 s.
	LockTimeout time.Duration

	// LockPollInterval is the longest pause between two tries of a busy
	// flock. Tries start 1 ms apart and double up to this.
	// Default: 10 ms.
	LockPollInterval time.Duration

	// MaxSize is the largest session file Read accepts, in bytes; larger
	// files give an error wrapping ErrTooLarge.
	// Default: 64 MiB.
	MaxSize int64

	// Logger receives the store's logs (Debug: what GC removed).
	// Default: nil, which logs to slog.Default() as it is at the time.
	Logger *slog.Logger
}

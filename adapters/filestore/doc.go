// Package filestore keeps sessions in files, byte-compatible with Phalcon's
// Stream session adapter and with PHP's own "files" save handler, and
// honouring the locks both take, so that Go and PHP can share the same
// session directory live.
//
// # Layouts
//
// With [adapters.LayoutPhalcon5] or [adapters.LayoutPhalcon4] (Phalcon's
// Stream adapter), the session id X is the file <Dir>/<Prefix>X, holding the
// raw session payload. Phalcon's default prefix is empty, so the file is
// <Dir>/X. Phalcon reads under a shared flock and writes under an exclusive
// one, each for the one call; it does not parse PHP's "N;MODE;path"
// save_path syntax.
//
// With [adapters.LayoutNative] (PHP's session.save_handler=files), the file
// is <Dir>/<c1>/.../<cN>/sess_X, where c1..cN are the first Depth
// characters of X. Like PHP, the store never creates those directories: an
// administrator creates them (PHP ships a script, mod_files.sh). PHP holds an
// exclusive flock on the file from session_start to session_write_close;
// [Store.Lock] does the same for Go. [ParseSavePath] reads PHP's
// session.save_path.
//
//	opts, err := filestore.ParseSavePath(ini) // "2;0600;/var/lib/php/sessions"
//	if err != nil { ... }
//	store, err := filestore.New(opts)
//
// # Locking
//
// All locks are BSD flock(2) locks on the session file itself, the kind PHP
// and Phalcon take (fcntl/POSIX locks would not exclude them). Waiting for a
// lock polls a non-blocking flock, so every call honours its context; the
// wait is also bounded by [Options.LockTimeout]. A lock taken with
// [Store.Lock] belongs to that *Store: until it is released, Read, Write,
// Destroy and the CAS calls for that id, from any goroutine using the same
// *Store, go through the locked file descriptor instead of locking again,
// so the manager's lock, read, write, unlock cycle works on one descriptor,
// exactly as PHP's does. Another *Store on the same directory, like another
// process, waits for the lock. Share one *Store per directory.
//
// # Writes
//
// A write replaces the file's contents in place, under the exclusive lock,
// as PHP does: the store never writes a temporary file and renames it over
// the session, because a PHP process holding the flock on the old inode
// would then write into an unlinked file and lose its update. To make a
// full disk harmless, the store first writes the bytes that extend the file
// past its current end; if that fails (ENOSPC, EDQUOT) it truncates the
// file back to its old length, leaving the old session intact, and returns
// the error. Only then does it overwrite the old bytes, which needs no new
// space (on copy-on-write filesystems such as btrfs or ZFS even that may
// fail, which no in-place scheme can avoid). A file that the failed write
// itself created is removed, so a new session on a full disk leaves no
// empty file behind.
//
// An id whose file name would exceed 255 bytes (NAME_MAX, with the
// prefix) is refused with [adapters.ErrInvalidID], as PHP's files handler
// refuses it, so that a manager starts a new session instead of failing.
//
// # Security considerations
//
// Session ids come from cookies. Every id is checked with
// [adapters.ValidID], and [adapters.LayoutNative] also requires PHP's own
// alphabet [a-zA-Z0-9,-], as PHP's files handler does; the final path is
// checked to lie inside Dir. Files are opened with O_NOFOLLOW and must be
// regular files, so a symlink or FIFO planted in the directory is refused
// rather than followed. With [adapters.LayoutNative] the store repeats
// PHP's ownership check: a file owned by another user (not root, not us) is
// refused, so another local user cannot plant a session. Reads are bounded
// by [Options.MaxSize].
//
// With Phalcon's default empty prefix, [Store.GC] and [Store.Sessions] treat
// every regular file in Dir as a session, as Phalcon's gc does: GC deletes
// any file in Dir older than maxLifetime. Give Phalcon sessions a directory
// of their own, or a prefix.
//
// The package needs a Unix system with flock(2). It builds everywhere, but
// on other systems (Windows) [New] returns an error wrapping
// [errors.ErrUnsupported]: a session file shared with PHP is only safe under
// the lock PHP takes.
package filestore

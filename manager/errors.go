package manager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/phpsession"
)

// Sentinel errors, for errors.Is. The [*Error] values the session methods
// return wrap one of the first four; the others come back as they are, or
// wrapped with context.
var (
	// ErrAlreadyStarted means SetID was called on an active session (Phalcon's
	// SessionAlreadyStarted).
	ErrAlreadyStarted = errors.New("session already started")
	// ErrModificationDenied means SetName was called on an active session
	// (Phalcon's SessionModificationDenied).
	ErrModificationDenied = errors.New("session modification denied")
	// ErrInvalidID means a session id was refused (Phalcon's
	// InvalidSessionId). It is [adapters.ErrInvalidID], which the stores
	// return, so that one errors.Is test covers both.
	ErrInvalidID = adapters.ErrInvalidID
	// ErrInvalidName means a session name was refused (Phalcon's
	// InvalidSessionName).
	ErrInvalidName = errors.New("invalid session name")
	// ErrHeadersSent means Start was called after the response headers went
	// out, where Phalcon's start() returns false.
	ErrHeadersSent = errors.New("headers already sent")
	// ErrNotActive means an operation that needs a started session was
	// called on one that is not.
	ErrNotActive = errors.New("session not active")
	// ErrInvalidConfig means a [Config] field holds a value PHP would not
	// accept.
	ErrInvalidConfig = errors.New("invalid configuration")
)

// Error is one of Phalcon's session exceptions: Class is the exception class
// the configured [Profile] of Phalcon throws and Message its exact text. Err
// is the sentinel for errors.Is ([ErrAlreadyStarted], [ErrModificationDenied],
// [ErrInvalidID] or [ErrInvalidName]).
type Error struct {
	Class   string // e.g. `Phalcon\Session\Exceptions\SessionAlreadyStarted`; "" when PHP itself, not Phalcon, refuses
	Message string // Phalcon's message, e.g. "The session id contains invalid characters"
	Value   string // the id or name refused, if any
	Err     error
}

func (e *Error) Error() string {
	msg := "manager: " + e.Message
	if e.Value != "" {
		msg += fmt.Sprintf(": %q", e.Value)
	}
	if e.Class != "" {
		msg += " (" + e.Class + ")"
	}
	return msg
}

// Unwrap returns the sentinel, for errors.Is.
func (e *Error) Unwrap() error { return e.Err }

// Phalcon's exception messages, exactly as Phalcon words them.
const (
	msgAlreadyStarted = "The session has already been started. To change the id, use regenerateId()"
	msgInvalidID      = "The session id contains invalid characters"
	msgNameActive     = "Cannot set session name after a session has started"
	msgInvalidName    = "The name contains non alphanum characters"
)

// ErrFormatMismatch means a stored session is in another format than
// Config.Format: PHP wrote it with another session.serialize_handler. It
// is a configuration error, not corruption: the session is left untouched.
// [*FormatMismatchError] values match it with errors.Is.
var ErrFormatMismatch = errors.New("session stored in another format")

// DecodeError reports a stored session that could not be decoded in
// Config.Format nor in any other format (see [FormatMismatchError] for a
// session in another format).
//
// Bytes that are a session in no format PHP knows are destroyed, as PHP
// does: PHP 8.2's session_start() fails on them with "Failed to decode
// session object. Session has been destroyed" and deletes the stored
// session, whatever its handler. Destroyed is then true.
//
// A payload with a valid igbinary header that this package cannot decode
// (PHP's igbinary reads some that it refuses, such as an object whose
// __sleep names a property twice) is left untouched: Destroyed is false.
type DecodeError struct {
	ID        string            // the session id
	Format    phpsession.Format // Config.Format, which it was decoded in
	Destroyed bool              // the stored session was destroyed
	Err       error             // the phpsession error, with the offset
}

func (e *DecodeError) Error() string {
	if !e.Destroyed {
		return fmt.Sprintf("manager: session %q has an igbinary header but failed to decode; left untouched: %v", e.ID, e.Err)
	}
	return fmt.Sprintf("manager: session %q failed to decode and has been destroyed: %v", e.ID, e.Err)
}

// Unwrap returns the decoding error.
func (e *DecodeError) Unwrap() error { return e.Err }

// FormatMismatchError reports a stored session that does not decode in
// Config.Format but is a session in another format PHP knows, Found: PHP
// wrote it with another session.serialize_handler. The session is left
// untouched: not destroyed, not overwritten (Start does not start it).
// It matches [ErrFormatMismatch] with errors.Is, and unwraps to the
// decoding error in the configured format.
type FormatMismatchError struct {
	ID         string            // the session id
	Configured phpsession.Format // Config.Format
	Found      phpsession.Format // the first format, in phpsession.Formats order, PHP can read it in
	Err        error             // the phpsession error in the Configured format
}

func (e *FormatMismatchError) Error() string {
	return fmt.Sprintf("manager: session %q is stored in format %s, not %s (Config.Format); left untouched: %v",
		e.ID, e.Found, e.Configured, e.Err)
}

// Is reports whether target is [ErrFormatMismatch].
func (e *FormatMismatchError) Is(target error) bool { return target == ErrFormatMismatch }

// Unwrap returns the decoding error in the configured format.
func (e *FormatMismatchError) Unwrap() error { return e.Err }

// undecodable returns the error for raw, session id as stored, which did
// not decode in Config.Format with err. It destroys the stored session only
// when raw is a session in no format PHP can read, as PHP does; a session
// in another format, or an igbinary payload this package cannot decode, it
// leaves untouched. The first format mismatch a Manager meets is logged
// (Warn), and so is every session destroyed (Warn, the id hashed).
func (s *Session) undecodable(ctx context.Context, id string, raw []byte, err error) error {
	configured := s.m.cfg.Format
	found := phpsession.DetectFormats(raw)
	for _, f := range found {
		if f != configured {
			if s.m.mismatchLogged.CompareAndSwap(false, true) {
				// A configuration error shows on every request: log it
				// once, without the id; each Start returns it.
				s.m.logger().LogAttrs(ctx, slog.LevelWarn, "stored session in another format than Config.Format, left untouched (logged once)",
					slog.String("found", f.String()), slog.String("configured", configured.String()))
			}
			return &FormatMismatchError{ID: id, Configured: configured, Found: f, Err: err}
		}
	}
	derr := &DecodeError{ID: id, Format: configured, Err: err}
	if len(found) > 0 {
		return derr // an igbinary header: PHP may read it
	}
	if err := s.m.store.Destroy(ctx, id); err != nil {
		return errors.Join(derr, fmt.Errorf("manager: destroying session %q: %w", id, err))
	}
	derr.Destroyed = true
	s.m.logger().LogAttrs(ctx, slog.LevelWarn, "stored session failed to decode and was destroyed", adapters.IDAttr(id), slog.String("error", err.Error()))
	return derr
}

// LockError reports a session whose lock [Session.Start] could not take
// under [Config.LockRequests]: another request (Go or PHP) held it for
// the whole LockTimeout, or the request's context ended first. It wraps
// the store's error, which matches adapters.ErrLockTimeout with errors.Is
// (and the context's error when that was the cause). The default ErrorFunc
// answers it with 503 Service Unavailable and Retry-After.
type LockError struct {
	ID  string // the session id
	Err error  // the store's error
}

func (e *LockError) Error() string {
	return fmt.Sprintf("manager: session %q is locked by another request: %v", e.ID, e.Err)
}

// Unwrap returns the store's error.
func (e *LockError) Unwrap() error { return e.Err }

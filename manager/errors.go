package manager

import (
	"errors"
	"fmt"

	"github.com/sessbridge/sessbridge/adapters"
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

// DecodeError reports a stored session that could not be decoded. PHP treats
// this as fatal for the session: session_start() fails and the stored
// session is destroyed ("Failed to decode session object. Session has been
// destroyed"); Start does the same and returns a DecodeError.
type DecodeError struct {
	ID  string // the session id
	Err error  // the phpsession error, with the offset
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("manager: session %q failed to decode and has been destroyed: %v", e.ID, e.Err)
}

// Unwrap returns the decoding error.
func (e *DecodeError) Unwrap() error { return e.Err }

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

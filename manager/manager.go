package manager

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/phpsession"
)

// Manager loads and saves sessions shared with PHP. Build it with [New]; it
// is safe for concurrent use. The zero Manager has no store: its NewID, and
// Start of the sessions it loads, return an error wrapping
// [ErrInvalidConfig].
type Manager struct {
	store adapters.Store
	cfg   Config
	hooks atomic.Pointer[Hooks] // nil when there are none

	mismatchLogged atomic.Bool // a FormatMismatchError was logged
}

// errNotNew is what a zero Manager answers where it would need its store
// or its configuration.
var errNotNew = fmt.Errorf("manager: %w: the Manager was not built with New", ErrInvalidConfig)

// contextKey is the key of a manager's per-request session in a context:
// unique to each Manager, so two managers (two cookie names) coexist.
type contextKey struct{ m *Manager }

// New returns a Manager that keeps sessions in store, with cfg's zero fields
// set to their defaults. It returns an error wrapping [ErrInvalidConfig] when
// a field holds a value PHP would refuse.
func New(store adapters.Store, cfg Config) (*Manager, error) {
	if store == nil {
		return nil, fmt.Errorf("manager: %w: nil store", ErrInvalidConfig)
	}
	if cfg.Name == "" {
		cfg.Name = "PHPSESSID"
	}
	if cfg.Cookie.Path == "" {
		cfg.Cookie.Path = "/"
	}
	if cfg.SIDLength == 0 {
		cfg.SIDLength = 32
	}
	if cfg.SIDBitsPerCharacter == 0 {
		cfg.SIDBitsPerCharacter = 4
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 10
	}
	if cfg.LockTimeout == 0 {
		cfg.LockTimeout = DefaultLockTimeout
	}
	if cfg.CommitTimeout == 0 {
		cfg.CommitTimeout = DefaultCommitTimeout
	}
	if !cfg.Profile.valid() {
		return nil, fmt.Errorf("manager: %w: unknown profile %d", ErrInvalidConfig, int(cfg.Profile))
	}
	if err := cfg.Profile.checkName(cfg.Name); err != nil || allDigits(cfg.Name) {
		return nil, fmt.Errorf("manager: %w: session name %q (letters, digits, '_' and '-', not all digits)", ErrInvalidConfig, cfg.Name)
	}
	if cfg.SIDLength < MinSIDLength || cfg.SIDLength > MaxSIDLength {
		return nil, fmt.Errorf("manager: %w: SIDLength %d not in %d..%d", ErrInvalidConfig, cfg.SIDLength, MinSIDLength, MaxSIDLength)
	}
	if cfg.SIDBitsPerCharacter < 4 || cfg.SIDBitsPerCharacter > 6 {
		return nil, fmt.Errorf("manager: %w: SIDBitsPerCharacter %d not in 4..6", ErrInvalidConfig, cfg.SIDBitsPerCharacter)
	}
	if cfg.Save < SaveMerge || cfg.Save > SaveReplace {
		return nil, fmt.Errorf("manager: %w: unknown save mode %d", ErrInvalidConfig, int(cfg.Save))
	}
	if cfg.Save == SaveMergeLocked {
		if _, ok := store.(adapters.Locker); !ok {
			return nil, fmt.Errorf("manager: %w: SaveMergeLocked needs a store that can lock (%T cannot)", ErrInvalidConfig, store)
		}
	}
	if cfg.LockRequests {
		_, canLock := store.(adapters.Locker)
		sw, isSwitch := store.(interface{ Locking() bool })
		switch {
		case !canLock:
			return nil, fmt.Errorf("manager: %w: LockRequests needs a store that can lock (%T cannot)", ErrInvalidConfig, store)
		case isSwitch && !sw.Locking():
			return nil, fmt.Errorf("manager: %w: LockRequests needs a store that locks (%T has its locking option off)", ErrInvalidConfig, store)
		}
	}
	if cfg.MaxRetries < 0 || cfg.TTL < 0 || cfg.Cookie.Lifetime < 0 || cfg.LockTimeout < 0 || cfg.CommitTimeout < 0 {
		return nil, fmt.Errorf("manager: %w: negative MaxRetries, TTL, Cookie.Lifetime, LockTimeout or CommitTimeout", ErrInvalidConfig)
	}
	if _, err := phpsession.ParseFormat(cfg.Format.String()); err != nil {
		return nil, fmt.Errorf("manager: %w: %v", ErrInvalidConfig, err)
	}
	m := &Manager{store: store, cfg: cfg}
	if m.cfg.ErrorFunc == nil {
		m.cfg.ErrorFunc = m.logError
	}
	if !cfg.Hooks.empty() {
		m.AddHooks(cfg.Hooks)
	}
	return m, nil
}

// Config returns the manager's configuration, defaults filled in.
func (m *Manager) Config() Config { return m.cfg }

// Store returns the store the manager keeps sessions in.
func (m *Manager) Store() adapters.Store { return m.store }

// NewID returns a fresh session id as PHP generates one with the manager's
// SIDLength and SIDBitsPerCharacter: that many characters from the CSPRNG.
func (m *Manager) NewID() (string, error) {
	if m.store == nil {
		return "", errNotNew
	}
	return newID(m.cfg.SIDLength, m.cfg.SIDBitsPerCharacter)
}

// Load returns a copy of ctx carrying a new, not yet started session for
// this manager, which will use id (the value of the session cookie, already
// URL-decoded; "" for none) if it passes the profile's checks when started.
// Load does no I/O: the store is read only when [Session.Start] is called.
// Get the session back with [Manager.Session] and save it with
// [Manager.Commit].
func (m *Manager) Load(ctx context.Context, id string) context.Context {
	return contextWithSession(ctx, m, m.newSession(id, nil))
}

func contextWithSession(ctx context.Context, m *Manager, s *Session) context.Context {
	return context.WithValue(ctx, contextKey{m}, s)
}

// Session returns the session [Manager.Load] (or [Manager.LoadAndSave]) put
// in ctx. It panics if there is none: that is a programming error, like
// using the session outside the middleware.
func (m *Manager) Session(ctx context.Context) *Session {
	s, ok := ctx.Value(contextKey{m}).(*Session)
	if !ok {
		panic("manager: no session in context; wrap the handler with LoadAndSave or call Load")
	}
	return s
}

// Commit saves the session in ctx: a destroyed session has already gone
// from the store; a session that was never started is left alone (no I/O);
// a new or changed session is written as [Config.Save] says; an unchanged one
// is touched (or rewritten with NoLazyWrite). It returns the session id to
// send to the client and the cookie's expiry (zero for a browser-session
// cookie); id is "" when the session is not active (never started, or
// destroyed). Commit may be called again after further changes. Under
// [Config.LockRequests] Commit releases the session lock Start took, also
// when the save fails; later commits save as Config.Save says. ctx bounds
// the save: a save cut short wraps adapters.ErrOutcomeUnknown when its
// write may still be applied. Like [Manager.Session], it panics when ctx
// carries no session of this manager.
func (m *Manager) Commit(ctx context.Context) (id string, expiry time.Time, err error) {
	return m.Session(ctx).commit(ctx)
}

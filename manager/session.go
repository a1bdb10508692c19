package manager

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/phpsession"
)

// Status is a session's state, with the values of Phalcon's
// Manager::SESSION_* constants.
type Status int

// The statuses.
const (
	StatusDisabled Status = 0 // SESSION_DISABLED: never returned; sessions are always available
	StatusNone     Status = 1 // SESSION_NONE: not started, or destroyed
	StatusActive   Status = 2 // SESSION_ACTIVE: started
)

var statusNames = [...]string{StatusDisabled: "disabled", StatusNone: "none", StatusActive: "active"}

// String returns "disabled", "none" or "active".
func (st Status) String() string {
	if st >= 0 && int(st) < len(statusNames) {
		return statusNames[st]
	}
	return fmt.Sprintf("Status(%d)", int(st))
}

// Session is one request's session: Phalcon's Session\Manager API over the
// session a [Manager] put in the request's context. Get it with
// [Manager.Session]. Its methods are safe for concurrent use by the
// handler's goroutines. A Session not got that way has no Manager: the zero
// Session is never active (Start returns an error wrapping
// [ErrInvalidConfig]), and its Name, SetName, SetID, Options and Bag, which
// need the Manager's configuration, panic, as the methods of a nil *Session
// do.
//
// Like Phalcon's, a Session must be started before use: before [Session.Start]
// (and after [Session.Destroy]) Get returns the zero Value, Has is false and
// Remove does nothing. Set returns [ErrNotActive] where Phalcon silently does
// nothing.
type Session struct {
	m *Manager

	mu sync.Mutex
	// cookieID is the id the request brought (cookie), URL-decoded.
	cookieID string
	// req is the request whose cookies Start reads again under another
	// name after SetName; nil outside LoadAndSave.
	req *http.Request
	// headersSent is set by LoadAndSave when the response starts.
	headersSent atomic.Bool

	name     string // the session name
	nameSet  bool   // SetName was called (Phalcon 4's getName)
	id       string // session_id(): "" until started or SetID
	active   bool
	options  map[string]any // nil until SetOptions: {"uniqueId": Config.UniqueID}
	uniqueID string

	data    *phpsession.Session // $_SESSION
	found   bool                // the store held the session when read
	version adapters.Version    // CAS version of what was read, if any
	hasVer  bool
	isNew   bool // the id was made here and is not in the store yet

	changes    []change  // keys changed since the last save, in order
	changesBuf [4]change // changes' first backing array, saving an allocation

	held          adapters.Held // the request's lock (Config.LockRequests), until released
	heldID        string        // the id held is the lock of
	heldWatch     *lockWatch    // times held for the Lock hook; nil without one
	unlockOnWrite bool          // commit: the write may release held with it

	destroyed bool

	obs SaveInfo // what the save under way reports to the Save hook
}

func (m *Manager) newSession(cookieID string, req *http.Request) *Session {
	s := new(Session)
	m.initSession(s, cookieID, req)
	return s
}

// initSession sets up the zero Session s in place, so that LoadAndSave can
// allocate it together with its responseWriter.
func (m *Manager) initSession(s *Session, cookieID string, req *http.Request) {
	s.m, s.cookieID, s.req = m, cookieID, req
	s.name, s.uniqueID = m.cfg.Name, m.cfg.UniqueID
	s.changes = s.changesBuf[:0]
}

// Start starts the session, as Phalcon's start() and PHP's session_start():
// it drops a cookie id the profile refuses or no store can hold (too long,
// bad bytes for a file name), starting a new session as PHP does, swaps an
// unknown id for a new one in strict mode, and reads the session from the
// store. Starting an active session does nothing. Under
// [Config.LockRequests] it takes the session's lock before it reads an
// existing session, and returns a [*LockError] when it cannot within
// LockTimeout; it releases the lock again when the read fails.
//
// Start returns [ErrHeadersSent] (Phalcon returns false) when the response
// has already started, and store errors wrapped. A stored session that
// does not decode in Config.Format is left untouched when PHP can read it:
// Start returns a [*FormatMismatchError] naming the format it is in (a
// configuration error), or a [*DecodeError] with Destroyed false for an
// igbinary payload this package cannot decode. Only bytes that are a
// session in no format are destroyed, as PHP's session_start() destroys
// them, with a [*DecodeError] whose Destroyed is true. In each case the
// session is not started, so the request writes nothing.
func (s *Session) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active {
		return nil
	}
	if s.headersSent.Load() {
		return fmt.Errorf("manager: cannot start session: %w", ErrHeadersSent)
	}
	m := s.m
	if m == nil || m.store == nil {
		return errNotNew
	}
	id, fromCookie := s.id, false
	if id == "" {
		if s.req != nil && s.name != m.cfg.Name {
			s.cookieID = requestCookie(s.req, s.name) // SetName chose another cookie
		}
		id, fromCookie = s.cookieID, true
		// Phalcon's start() unsets a cookie its regex refuses; PHP's core
		// then drops what no store may use.
		if id != "" && (!m.cfg.Profile.cookieOK(id) || adapters.ValidID(id) != nil) {
			id = ""
		}
	}
	if id != "" && m.cfg.StrictMode {
		ok, err := s.exists(ctx, id)
		if err != nil && !(fromCookie && errors.Is(err, adapters.ErrInvalidID)) {
			return err
		}
		if !ok {
			id = ""
		}
	}
	if id != "" {
		data, err := s.read(ctx, id)
		if err != nil && s.held != nil {
			if rerr := s.release(ctx); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		switch {
		case err == nil:
			s.id, s.isNew, s.data = id, false, data
			s.active, s.destroyed = true, false
			return nil
		case fromCookie && errors.Is(err, adapters.ErrInvalidID):
			// An id this store refuses (PHP's files handler is stricter
			// than Phalcon's check): a new session, as PHP would need.
		default:
			return err
		}
	}
	newID, err := m.NewID()
	if err != nil {
		return err
	}
	s.id, s.isNew, s.found, s.hasVer = newID, true, false, false
	s.data = phpsession.NewSession(m.cfg.Format)
	s.active, s.destroyed = true, false
	return nil
}

// exists reports whether the store holds id (PHP's validateId).
func (s *Session) exists(ctx context.Context, id string) (bool, error) {
	if v, ok := s.m.store.(adapters.Validator); ok {
		found, err := v.Exists(ctx, id)
		if err != nil {
			return false, fmt.Errorf("manager: validating session %q: %w", id, err)
		}
		return found, nil
	}
	_, found, err := s.m.store.Read(ctx, id)
	if err != nil {
		return false, fmt.Errorf("manager: validating session %q: %w", id, err)
	}
	return found, nil
}

// read loads id from the store, keeping the CAS version when the store has
// one and the save mode uses it, and reports it to the Load hook.
func (s *Session) read(ctx context.Context, id string) (*phpsession.Session, error) {
	ctx, done := s.m.startLoad(ctx)
	data, size, err := s.readDecode(ctx, id)
	done(LoadInfo{Found: s.found && err == nil, Size: size, Err: err})
	return data, err
}

// readDecode is read without the hook; size is the stored payload's length.
func (s *Session) readDecode(ctx context.Context, id string) (*phpsession.Session, int, error) {
	var (
		raw   []byte
		found bool
		err   error
	)
	cas, useCAS := s.m.store.(adapters.CASWriter)
	useCAS = useCAS && s.m.cfg.Save == SaveMerge
	if s.m.cfg.LockRequests {
		raw, found, err = s.lockRead(ctx, id)
		if _, ok := errors.AsType[*LockError](err); ok {
			return nil, 0, err
		}
		s.version, s.hasVer = nil, false
	} else if useCAS {
		raw, found, s.version, err = cas.ReadVersion(ctx, id)
		s.hasVer = err == nil
	} else {
		raw, found, err = s.m.store.Read(ctx, id)
		s.version, s.hasVer = nil, false
	}
	if err != nil {
		return nil, 0, fmt.Errorf("manager: reading session %q: %w", id, err)
	}
	s.found = found
	data, err := phpsession.DecodeSession(raw, s.m.cfg.Format)
	if err != nil {
		return nil, len(raw), s.undecodable(ctx, id, raw, err)
	}
	return data, len(raw), nil
}

// lockRead takes the lock of id, waiting at most LockTimeout, and reads
// the session under it: in one step with an [adapters.LockReader], else
// Lock then Read. The lock is then in s.held.
func (s *Session) lockRead(ctx context.Context, id string) (raw []byte, found bool, err error) {
	store := s.m.store
	// The wait is bounded by LockTimeout, or by ctx when its deadline comes
	// first: a timer of our own would then change nothing.
	lctx := ctx
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > s.m.cfg.LockTimeout {
		var cancel context.CancelFunc
		lctx, cancel = context.WithTimeout(ctx, s.m.cfg.LockTimeout)
		defer cancel()
	}
	var h adapters.Held
	w := s.m.watchLock(ctx)
	if lr, ok := store.(adapters.LockReader); ok {
		raw, found, h, err = lr.LockRead(lctx, id)
	} else {
		var unlock func(context.Context) error
		unlock, err = store.(adapters.Locker).Lock(lctx, id)
		if err == nil {
			h = lockerHeld{store: store, id: id, unlock: unlock}
			if raw, found, err = store.Read(ctx, id); err != nil {
				err = errors.Join(err, unlock(ctx))
				h = nil
			}
		}
	}
	w.taken(err)
	if errors.Is(err, adapters.ErrLockTimeout) {
		return nil, false, &LockError{ID: id, Err: err}
	}
	if err != nil {
		return nil, false, err
	}
	s.held, s.heldID, s.heldWatch = h, id, w
	return raw, found, nil
}

// lockerHeld is the [adapters.Held] of a lock taken with [adapters.Locker].
type lockerHeld struct {
	store  adapters.Store
	id     string
	unlock func(context.Context) error
}

func (h lockerHeld) Unlock(ctx context.Context) error { return h.unlock(ctx) }

func (h lockerHeld) WriteUnlock(ctx context.Context, data []byte, ttl time.Duration) error {
	err := h.store.Write(ctx, h.id, data, ttl)
	return errors.Join(err, h.unlock(ctx))
}

func (h lockerHeld) TouchUnlock(ctx context.Context, ttl time.Duration) error {
	var err error
	if t, ok := h.store.(adapters.Toucher); ok {
		err = t.Touch(ctx, h.id, ttl)
	}
	return errors.Join(err, h.unlock(ctx))
}

// Release releases the session lock [Session.Start] took under
// [Config.LockRequests] without saving anything (the lock part of PHP's
// session_abort()); it does nothing when no lock is held. The session
// stays active: a later Commit saves it as Config.Save says, without the
// lock. [Manager.Commit] releases the lock itself, and
// [Manager.LoadAndSave] releases it also when the handler panics; call
// Release (deferred) in a flow of your own that may end without Commit.
// Without a release the lock stays until it expires.
func (s *Session) Release(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.release(ctx)
}

func (s *Session) release(ctx context.Context) error {
	h := s.held
	if h == nil {
		return nil
	}
	s.held = nil
	err := h.Unlock(ctx)
	s.heldWatch.released(ctx, err)
	if err != nil {
		return fmt.Errorf("manager: unlocking session %q: %w", s.heldID, err)
	}
	return nil
}

// Exists reports whether the session is active (Phalcon's exists()).
func (s *Session) Exists() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// Status returns StatusActive or StatusNone (Phalcon's status()).
func (s *Session) Status() Status {
	if s.Exists() {
		return StatusActive
	}
	return StatusNone
}

// ID returns the session id: "" before Start unless SetID was called
// (Phalcon's getId()).
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id
}

// SetID sets the id the session will start with (Phalcon's setId()). It
// returns an [*Error] wrapping [ErrAlreadyStarted] on an active session, and
// one wrapping [ErrInvalidID] when the profile validates ids (ProfileV5) and
// id is not [a-zA-Z0-9,-]+, or when no store could use it.
func (s *Session) SetID(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.m.cfg.Profile
	if s.active {
		return &Error{Class: p.classAlreadyStarted(), Message: msgAlreadyStarted, Err: ErrAlreadyStarted}
	}
	if err := p.checkSetID(id); err != nil {
		return err
	}
	if adapters.ValidID(id) != nil {
		return &Error{Message: msgInvalidID, Value: id, Err: ErrInvalidID}
	}
	s.id = id
	return nil
}

// Name returns the session name (Phalcon's getName()). Under the Phalcon 4
// profiles it is "" until SetName is called, as Phalcon 4 returns.
func (s *Session) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m.cfg.Profile.isV4() && !s.nameSet {
		return ""
	}
	return s.name
}

// SetName sets the session (and cookie) name before Start (Phalcon's
// setName()). Inside LoadAndSave, Start then reads the cookie of that name.
// It returns an [*Error] wrapping [ErrModificationDenied] on an active
// session, and one wrapping [ErrInvalidName] for a name Phalcon refuses.
func (s *Session) SetName(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.m.cfg.Profile
	if s.active {
		return &Error{Class: p.classNameDenied(), Message: msgNameActive, Err: ErrModificationDenied}
	}
	if err := p.checkName(name); err != nil {
		return err
	}
	if allDigits(name) { // PHP refuses numeric session names whatever Phalcon says
		return &Error{Message: msgInvalidName, Value: name, Err: ErrInvalidName}
	}
	s.name, s.nameSet = name, true
	return nil
}

// Options returns a copy of the options (Phalcon's getOptions()): what
// SetOptions stored, verbatim, initially {"uniqueId": Config.UniqueID} when
// that is set.
func (s *Session) Options() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.options == nil {
		opts := map[string]any{}
		if s.m.cfg.UniqueID != "" {
			opts["uniqueId"] = s.m.cfg.UniqueID
		}
		return opts
	}
	return maps.Clone(s.options)
}

// SetOptions replaces the options (Phalcon's setOptions()). Only "uniqueId"
// is read, as Phalcon does: a string, or an integer, which PHP would turn
// into its decimal string; missing or anything else means "".
func (s *Session) SetOptions(options map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.options = maps.Clone(options)
	if s.options == nil {
		s.options = map[string]any{}
	}
	switch u := options["uniqueId"].(type) {
	case string:
		s.uniqueID = u
	case int, int64:
		s.uniqueID = fmt.Sprint(u)
	default:
		s.uniqueID = ""
	}
}

func (s *Session) key(k string) string { return s.m.cfg.Profile.uniqueKey(s.uniqueID, k) }

// Get returns the value under key (with the uniqueId prefix), or def when
// there is none (Phalcon's get(key, default)). Under ProfileV5 a stored null
// also gives def. Before Start it returns the zero Value, as Phalcon returns
// null.
func (s *Session) Get(key string, def phpsession.Value) phpsession.Value {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(key, def)
}

func (s *Session) get(key string, def phpsession.Value) phpsession.Value {
	if !s.active {
		return phpsession.Value{}
	}
	v, ok := s.data.Get(s.key(key))
	if !ok || (v.IsNull() && s.m.cfg.Profile.nullIsMissing()) {
		return def
	}
	return v
}

// GetAndRemove returns the value under key like Get, and removes it
// (Phalcon's get(key, default, true)).
func (s *Session) GetAndRemove(key string, def phpsession.Value) phpsession.Value {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.get(key, def)
	s.remove(key)
	return v
}

// GetInto decodes the value under key into the Go value dst points to, as
// phpsession.Unmarshal does. found is false, and dst untouched, when there is
// no such key (or no active session).
func (s *Session) GetInto(key string, dst any) (found bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active || !s.data.Has(s.key(key)) {
		return false, nil
	}
	return true, s.data.Unmarshal(s.key(key), dst)
}

// Has reports whether key is in the session (Phalcon's has()). Under
// ProfileV5 a stored null counts as absent. Before Start it is false.
func (s *Session) Has(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return false
	}
	k := s.key(key)
	if s.m.cfg.Profile.nullIsMissing() {
		v, ok := s.data.Get(k)
		return ok && !v.IsNull()
	}
	return s.data.Has(k)
}

// Set stores v under key (Phalcon's set()). It returns [ErrNotActive]
// before Start (Phalcon silently does nothing) and a
// [*phpsession.KeyError] when the format cannot store the key.
func (s *Session) Set(key string, v phpsession.Value) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return fmt.Errorf("manager: set %q: %w", key, ErrNotActive)
	}
	k := s.key(key)
	if err := s.data.Set(k, v); err != nil {
		return err
	}
	s.changed(k, false)
	return nil
}

// Remove removes key from the session (Phalcon's remove()); it does nothing
// before Start.
func (s *Session) Remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(key)
}

func (s *Session) remove(key string) {
	if !s.active {
		return
	}
	k := s.key(key)
	s.data.Remove(k)
	s.changed(k, true)
}

// Keys returns the session's keys as stored ($_SESSION's keys, with any
// uniqueId prefix); nil before Start.
func (s *Session) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return nil
	}
	return s.data.Names()
}

// change is a top-level key this request set or removed.
type change struct {
	key     string
	removed bool
}

// changed records a change to key k. Sessions change few keys per request,
// so a slice searched linearly beats a map.
func (s *Session) changed(k string, removed bool) {
	for i := range s.changes {
		if s.changes[i].key == k {
			s.changes[i].removed = removed
			return
		}
	}
	s.changes = append(s.changes, change{key: k, removed: removed})
}

// Destroy destroys the session in the store now and empties it, leaving it
// not active (Phalcon's destroy()); LoadAndSave then expires the cookie. It
// does nothing on a session that is not active.
func (s *Session) Destroy(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return nil
	}
	if err := s.m.store.Destroy(ctx, s.id); err != nil {
		return fmt.Errorf("manager: destroying session %q: %w", s.id, err)
	}
	s.data = phpsession.NewSession(s.m.cfg.Format)
	s.active, s.destroyed = false, true
	s.changes = nil
	// As after PHP's session_destroy(), a later Start begins a new session.
	s.id, s.cookieID, s.req = "", "", nil
	return nil
}

// RegenerateID moves the active session to a new id, in PHP's order
// (Phalcon's regenerateId()): with deleteOld the old session is destroyed
// first; without it, the old session is saved first (with this request's
// changes) and kept. The new session is written at [Manager.Commit] and its
// id goes out in the cookie. It does nothing on a session that is not active.
func (s *Session) RegenerateID(ctx context.Context, deleteOld bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return nil
	}
	old := s.id
	if deleteOld {
		if !s.isNew {
			if err := s.m.store.Destroy(ctx, old); err != nil {
				return fmt.Errorf("manager: destroying session %q: %w", old, err)
			}
		}
	} else if err := s.save(ctx); err != nil {
		return err
	}
	newID, err := s.m.NewID()
	if err != nil {
		return err
	}
	s.id, s.isNew, s.found, s.hasVer, s.version = newID, true, false, false, nil
	return nil
}

// Destroyed reports whether Destroy was called (and Start not called again
// since).
func (s *Session) Destroyed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.destroyed
}

// commit saves the session at the end of a request; see Manager.Commit.
func (s *Session) commit(ctx context.Context) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return "", time.Time{}, s.release(ctx)
	}
	s.unlockOnWrite = true
	err := s.save(ctx)
	s.unlockOnWrite = false
	if rerr := s.release(ctx); err == nil {
		err = rerr
	}
	if err != nil {
		return "", time.Time{}, err
	}
	var expiry time.Time
	if l := s.m.cfg.Cookie.Lifetime; l > 0 {
		expiry = time.Now().Add(l)
	}
	return s.id, expiry, nil
}

// save writes the session: whole when it is new, else as Config.Save says,
// or touches it when nothing changed, and reports it to the Save hook.
// Afterwards the session is clean and the next save starts from what the
// store holds.
func (s *Session) save(ctx context.Context) error {
	ctx, done := s.m.startSave(ctx)
	s.obs = SaveInfo{Op: SaveOpMerge}
	err := s.saveNow(ctx)
	s.obs.Err = err
	done(s.obs)
	return err
}

// wrote records a write of n bytes for the Save hook.
func (s *Session) wrote(n int) { s.obs.Size, s.obs.Attempts = n, s.obs.Attempts+1 }

// saveNow is save without the hook.
func (s *Session) saveNow(ctx context.Context) error {
	m := s.m
	var err error
	switch {
	case s.isNew || (!s.found && m.cfg.Save == SaveReplace):
		s.obs.Op = SaveOpWrite
		err = s.writeWhole(ctx)
	case len(s.changes) == 0 && s.found && !m.cfg.NoLazyWrite:
		if t, ok := m.store.(adapters.Toucher); ok {
			s.obs.Op = SaveOpTouch
			if s.unlockOnWrite && s.held != nil && s.heldID == s.id {
				h := s.held
				s.held = nil
				err = h.TouchUnlock(ctx, m.cfg.TTL)
				s.heldWatch.released(ctx, err)
			} else {
				err = t.Touch(ctx, s.id, m.cfg.TTL)
			}
			if err != nil {
				err = fmt.Errorf("manager: touching session %q: %w", s.id, err)
			}
			break
		}
		if s.held != nil && s.heldID == s.id {
			s.obs.Op = SaveOpWrite
			err = s.writeWhole(ctx) // saveMerged would wait for the lock held
			break
		}
		err = s.saveMerged(ctx)
	case m.cfg.Save == SaveReplace || s.held != nil && s.heldID == s.id:
		// Under the request's lock nobody else wrote since Start.
		s.obs.Op = SaveOpWrite
		err = s.writeWhole(ctx)
	default:
		err = s.saveMerged(ctx)
	}
	if err != nil {
		return err
	}
	s.isNew, s.found = false, true
	s.changes = s.changes[:0]
	return nil
}

func (s *Session) writeWhole(ctx context.Context) error {
	b, err := s.data.Encode()
	if err != nil {
		return fmt.Errorf("manager: encoding session %q: %w", s.id, err)
	}
	s.wrote(len(b))
	if s.unlockOnWrite && s.held != nil && s.heldID == s.id {
		h := s.held
		s.held = nil
		err = h.WriteUnlock(ctx, b, s.m.cfg.TTL)
		s.heldWatch.released(ctx, err)
	} else {
		err = s.m.store.Write(ctx, s.id, b, s.m.cfg.TTL)
	}
	if err != nil {
		return fmt.Errorf("manager: writing session %q: %w", s.id, err)
	}
	s.hasVer = false
	return nil
}

// saveMerged applies this request's changes onto the session as the store
// holds it now: by compare-and-swap, under the store's lock, or read then
// write, as Config.Save and the store allow.
func (s *Session) saveMerged(ctx context.Context) error {
	m := s.m
	locker, canLock := m.store.(adapters.Locker)
	cas, canCAS := m.store.(adapters.CASWriter)
	switch {
	case m.cfg.Save == SaveMerge && canCAS:
		return s.saveCAS(ctx, cas)
	case canLock:
		unlock, err := m.lock(ctx, locker, s.id)
		if err != nil {
			return fmt.Errorf("manager: locking session %q: %w", s.id, err)
		}
		err = s.readApplyWrite(ctx)
		if uerr := unlock(context.WithoutCancel(ctx)); uerr != nil && err == nil {
			err = fmt.Errorf("manager: unlocking session %q: %w", s.id, uerr)
		}
		return err
	default:
		return s.readApplyWrite(ctx)
	}
}

func (s *Session) saveCAS(ctx context.Context, cas adapters.CASWriter) error {
	cur, ver := s.data, s.version
	if !s.hasVer {
		var err error
		if cur, ver, err = s.readCurrentCAS(ctx, cas); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		b, err := cur.Encode()
		if err != nil {
			return fmt.Errorf("manager: encoding session %q: %w", s.id, err)
		}
		s.wrote(len(b))
		err = cas.WriteIfVersion(ctx, s.id, b, s.m.cfg.TTL, ver)
		if err == nil {
			s.data, s.hasVer = cur, false
			return nil
		}
		if errors.Is(err, adapters.ErrConflict) {
			s.m.conflict(ctx, s.id, attempt+1, attempt < s.m.cfg.MaxRetries)
		}
		if !errors.Is(err, adapters.ErrConflict) || attempt >= s.m.cfg.MaxRetries {
			return fmt.Errorf("manager: writing session %q (attempt %d): %w", s.id, attempt+1, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return fmt.Errorf("manager: writing session %q: %w", s.id, err)
		}
		if cur, ver, err = s.readCurrentCAS(ctx, cas); err != nil {
			return err
		}
	}
}

// backoff waits a random time before retry attempt+1 of a conflicting
// write, up to 1 ms doubled per attempt, at most 32 ms, so that writers
// racing on one session spread out.
func backoff(ctx context.Context, attempt int) error {
	limit := time.Millisecond << min(attempt, 5)
	t := time.NewTimer(rand.N(limit))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readCurrentCAS reads the stored session with its version and applies this
// request's changes onto it.
func (s *Session) readCurrentCAS(ctx context.Context, cas adapters.CASWriter) (*phpsession.Session, adapters.Version, error) {
	raw, _, ver, err := cas.ReadVersion(ctx, s.id)
	if err != nil {
		return nil, nil, fmt.Errorf("manager: reading session %q: %w", s.id, err)
	}
	cur, err := s.applyOnto(raw)
	return cur, ver, err
}

func (s *Session) readApplyWrite(ctx context.Context) error {
	raw, _, err := s.m.store.Read(ctx, s.id)
	if err != nil {
		return fmt.Errorf("manager: reading session %q: %w", s.id, err)
	}
	cur, err := s.applyOnto(raw)
	if err != nil {
		return err
	}
	b, err := cur.Encode()
	if err != nil {
		return fmt.Errorf("manager: encoding session %q: %w", s.id, err)
	}
	s.wrote(len(b))
	if err := s.m.store.Write(ctx, s.id, b, s.m.cfg.TTL); err != nil {
		return fmt.Errorf("manager: writing session %q: %w", s.id, err)
	}
	s.data = cur
	return nil
}

// applyOnto decodes raw, the session as stored now, and applies this
// request's changes onto it.
func (s *Session) applyOnto(raw []byte) (*phpsession.Session, error) {
	cur, err := phpsession.DecodeSession(raw, s.m.cfg.Format)
	if err != nil {
		return nil, fmt.Errorf("manager: session %q as stored now: %w", s.id, err)
	}
	for _, c := range s.changes {
		k := c.key
		if c.removed {
			cur.Remove(k)
			continue
		}
		raw, ok := s.data.Raw(k)
		if !ok {
			return nil, fmt.Errorf("manager: session %q: cannot encode the value of %q", s.id, k)
		}
		if err := cur.SetRaw(k, raw); err != nil {
			return nil, fmt.Errorf("manager: session %q: key %q: %w", s.id, k, err)
		}
	}
	return cur, nil
}

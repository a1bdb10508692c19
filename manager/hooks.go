package manager

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
)

// Hooks observe a [Manager]'s work with its store, for metrics, traces or
// logs: how long loads and saves take and how they end, the sizes read and
// written, how long a save waited for and held the store's lock, and the
// compare-and-swap conflicts and retries. Every field is optional; a nil
// field costs nothing. The sessbridge otel module builds Hooks that record
// OpenTelemetry metrics and spans.
//
// Hooks are called on the request's goroutine, while the session is locked:
// they must be quick and must not call the Session's methods. The infos they
// receive hold no session id and no value, except in the text of their Err,
// which names the session as every manager error does: classify it with
// errors.Is and errors.As, and do not export its text as it is.
type Hooks struct {
	// Load is called when [Session.Start] is about to read a session from
	// the store (not when it starts a new one). The context it returns is
	// the one the store calls get, so that a span started there is their
	// parent; done is called once, when the read (and decode) is over.
	Load func(ctx context.Context) (context.Context, func(LoadInfo))

	// Save is called when a session is about to be saved: at
	// [Manager.Commit] (also from the middleware), and when
	// [Session.RegenerateID] keeps the old session. The context and done
	// work as in Load.
	Save func(ctx context.Context) (context.Context, func(SaveInfo))

	// Lock is called when a lock the manager took is released, or could
	// not be taken: the lock a save takes (see [Config.Save]), and the
	// request's lock, from Start to Commit, under [Config.LockRequests].
	Lock func(ctx context.Context, info LockInfo)

	// Conflict is called each time a compare-and-swap write loses to a
	// concurrent writer (another Go request, or PHP).
	Conflict func(ctx context.Context, info ConflictInfo)
}

// LoadInfo is what [Hooks].Load's done is told.
type LoadInfo struct {
	// Found is whether the store held the session.
	Found bool
	// Size is the stored payload's length in bytes.
	Size int
	// Duration is the time from the Load hook's call to done's.
	Duration time.Duration
	// Err is why the load failed (a [*DecodeError] when the stored
	// session did not decode), or nil.
	Err error
}

// SaveOp says how a session was saved.
type SaveOp int

// The save operations.
const (
	// SaveOpWrite wrote the whole session: a new session, [SaveReplace], or
	// NoLazyWrite with SaveReplace.
	SaveOpWrite SaveOp = iota
	// SaveOpMerge applied the request's changes onto the session as stored
	// (by compare-and-swap, under the store's lock, or read then write).
	SaveOpMerge
	// SaveOpTouch only refreshed the expiry of an unchanged session.
	SaveOpTouch
)

var saveOpNames = [...]string{SaveOpWrite: "write", SaveOpMerge: "merge", SaveOpTouch: "touch"}

// String returns "write", "merge" or "touch".
func (op SaveOp) String() string {
	if op >= 0 && int(op) < len(saveOpNames) {
		return saveOpNames[op]
	}
	return fmt.Sprintf("SaveOp(%d)", int(op))
}

// SaveInfo is what [Hooks].Save's done is told.
type SaveInfo struct {
	// Op is how the session was saved.
	Op SaveOp
	// Size is the length in bytes of the payload last written; 0 for a
	// touch, or when nothing was written.
	Size int
	// Attempts is the number of writes tried: 1, or more after
	// compare-and-swap conflicts; 0 for a touch.
	Attempts int
	// Duration is the time from the Save hook's call to done's.
	Duration time.Duration
	// Err is why the save failed, or nil. It wraps [adapters.ErrConflict]
	// when the retries ran out, [adapters.ErrLockTimeout] when the lock
	// could not be taken.
	Err error
}

// LockInfo is what [Hooks].Lock is told.
type LockInfo struct {
	// Wait is the time spent taking the lock (until it was held, or the
	// attempt failed).
	Wait time.Duration
	// Held is the time the lock was held; 0 when it was not taken.
	Held time.Duration
	// Err is why the lock could not be taken or released, or nil.
	Err error
}

// ConflictInfo is what [Hooks].Conflict is told.
type ConflictInfo struct {
	// Attempt is the number of the write that lost, from 1.
	Attempt int
	// Retry is whether the manager tries again; false once
	// [Config.MaxRetries] retries are spent.
	Retry bool
}

// AddHooks adds h to the manager's hooks: each event then reaches the hooks
// already there, then h (done functions in the reverse order, so that spans
// nest). It is safe to call while the manager serves requests; requests
// under way may or may not see h.
func (m *Manager) AddHooks(h Hooks) {
	for {
		old := m.hooks.Load()
		joined := joinHooks(old, &h)
		if m.hooks.CompareAndSwap(old, joined) {
			return
		}
	}
}

// joinHooks returns hooks calling a's then b's; a may be nil.
func joinHooks(a, b *Hooks) *Hooks {
	if a == nil {
		c := *b
		return &c
	}
	return &Hooks{
		Load:     joinStart(a.Load, b.Load),
		Save:     joinStart(a.Save, b.Save),
		Lock:     joinEvent(a.Lock, b.Lock),
		Conflict: joinEvent(a.Conflict, b.Conflict),
	}
}

func joinStart[I any](a, b func(context.Context) (context.Context, func(I))) func(context.Context) (context.Context, func(I)) {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return func(ctx context.Context) (context.Context, func(I)) {
		ctx, da := a(ctx)
		ctx, db := b(ctx)
		return ctx, func(i I) { db(i); da(i) }
	}
}

func joinEvent[I any](a, b func(context.Context, I)) func(context.Context, I) {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return func(ctx context.Context, i I) { a(ctx, i); b(ctx, i) }
}

// startLoad calls the Load hook, if any, and returns the context for the
// read and a done function (never nil) that fills in Duration.
func (m *Manager) startLoad(ctx context.Context) (context.Context, func(LoadInfo)) {
	h := m.hooks.Load()
	if h == nil || h.Load == nil {
		return ctx, func(LoadInfo) {}
	}
	start := time.Now()
	ctx, done := h.Load(ctx)
	return ctx, func(i LoadInfo) {
		i.Duration = time.Since(start)
		done(i)
	}
}

// startSave is startLoad for saves.
func (m *Manager) startSave(ctx context.Context) (context.Context, func(SaveInfo)) {
	h := m.hooks.Load()
	if h == nil || h.Save == nil {
		return ctx, func(SaveInfo) {}
	}
	start := time.Now()
	ctx, done := h.Save(ctx)
	return ctx, func(i SaveInfo) {
		i.Duration = time.Since(start)
		done(i)
	}
}

// lock takes locker's lock on id for a save, reporting the wait and the
// hold to the Lock hook, if any, when the lock is released.
func (m *Manager) lock(ctx context.Context, locker adapters.Locker, id string) (func(context.Context) error, error) {
	w := m.watchLock(ctx)
	unlock, err := locker.Lock(ctx, id)
	if w == nil {
		return unlock, err
	}
	if w.taken(err); err != nil {
		return nil, err
	}
	return func(uctx context.Context) error {
		err := unlock(uctx)
		w.released(ctx, err)
		return err
	}, nil
}

// lockWatch times one lock for the Lock hook: [Manager.watchLock] when the
// attempt starts, taken when it ends, released when the lock is released.
// A nil *lockWatch (no Lock hook) does nothing.
type lockWatch struct {
	ctx         context.Context // of the attempt
	hook        func(context.Context, LockInfo)
	start, held time.Time
}

// watchLock returns a lockWatch started now, or nil when there is no Lock
// hook.
func (m *Manager) watchLock(ctx context.Context) *lockWatch {
	h := m.hooks.Load()
	if h == nil || h.Lock == nil {
		return nil
	}
	return &lockWatch{ctx: ctx, hook: h.Lock, start: time.Now()}
}

// taken records the end of the attempt to lock; a failed attempt is
// reported at once.
func (w *lockWatch) taken(err error) {
	if w == nil {
		return
	}
	w.held = time.Now()
	if err != nil {
		w.hook(w.ctx, LockInfo{Wait: w.held.Sub(w.start), Err: err})
	}
}

// released reports the lock's wait and hold to the hook, with ctx, the
// context of the release; err is the release's error.
func (w *lockWatch) released(ctx context.Context, err error) {
	if w == nil {
		return
	}
	w.hook(ctx, LockInfo{Wait: w.held.Sub(w.start), Held: time.Since(w.held), Err: err})
}

// conflict reports a lost compare-and-swap write to the Conflict hook, if
// any, and to the debug log.
func (m *Manager) conflict(ctx context.Context, id string, attempt int, retry bool) {
	m.logger().LogAttrs(ctx, slog.LevelDebug, "session write conflict", adapters.IDAttr(id), slog.Int("attempt", attempt), slog.Bool("retry", retry))
	if h := m.hooks.Load(); h != nil && h.Conflict != nil {
		h.Conflict(ctx, ConflictInfo{Attempt: attempt, Retry: retry})
	}
}

func (h *Hooks) empty() bool {
	return h.Load == nil && h.Save == nil && h.Lock == nil && h.Conflict == nil
}

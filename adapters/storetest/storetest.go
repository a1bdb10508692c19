// Package storetest is the conformance suite every session store runs: one
// function, [Run], that checks the [adapters.Store] contract and each
// optional capability the store implements ([adapters.Toucher],
// [adapters.Validator], [adapters.Locker], [adapters.CASWriter],
// [adapters.Lister], [adapters.Expirer], [adapters.Inspector],
// [adapters.Peeker], [adapters.IdleDestroyer]) against a real backend.
//
// A store's test calls it with a constructor:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) adapters.Store {
//			s, err := filestore.New(filestore.Options{Dir: t.TempDir()})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite takes a few seconds and is safe to run with -race.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
)

// Run runs the conformance suite as subtests of t. open is called once per
// subtest and must return a store that holds no sessions and shares nothing
// with the stores of other calls (a new directory, a new server, or a key
// prefix of its own), and register any cleanup with t.Cleanup.
//
// Ids used by the suite are 26 characters of [0-9a-v], like the ids Debian's
// PHP generates.
func Run(t *testing.T, open func(t *testing.T) adapters.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s adapters.Store)
	}{
		{"ReadMissing", testReadMissing},
		{"RoundTrip", testRoundTrip},
		{"EmptyPayload", testEmptyPayload},
		{"Overwrite", testOverwrite},
		{"Destroy", testDestroy},
		{"DestroyMissing", testDestroyMissing},
		{"IndependentIDs", testIndependentIDs},
		{"InvalidID", testInvalidID},
		{"CanceledContext", testCanceledContext},
		{"GCKeepsFresh", testGCKeepsFresh},
		{"Concurrent", testConcurrent},
		{"Toucher", testToucher},
		{"Validator", testValidator},
		{"Locker", testLocker},
		{"LockReader", testLockReader},
		{"CASWriter", testCASWriter},
		{"Lister", testLister},
		{"Expirer", testExpirer},
		{"Inspector", testInspector},
		{"Peeker", testPeeker},
		{"IdleDestroyer", testIdleDestroyer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			if s == nil {
				t.Fatal("storetest: open returned a nil store")
			}
			tt.fn(t, s)
		})
	}
}

// NewID returns a random session id of 26 characters of [0-9a-v], the shape
// Debian's PHP generates (sid_length=26, sid_bits_per_character=5).
func NewID() string {
	const alphabet = "0123456789abcdefghijklmnopqrstuv"
	var b [26]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return string(b[:])
}

// testCtx returns a context that ends with the test, bounded so that a hung
// store fails the test instead of hanging it.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustWrite(t *testing.T, s adapters.Store, id string, data []byte) {
	t.Helper()
	if err := s.Write(testCtx(t), id, data, 0); err != nil {
		t.Fatalf("Write(%q, %d bytes) = %v", id, len(data), err)
	}
}

// wantData fails the test unless id holds exactly want.
func wantData(t *testing.T, s adapters.Store, id string, want []byte) {
	t.Helper()
	got, found, err := s.Read(testCtx(t), id)
	if err != nil || !found || !bytes.Equal(got, want) {
		t.Fatalf("Read(%q) = %s, %v, %v; want %s, true, nil", id, show(got), found, err, show(want))
	}
}

// wantMissing fails the test unless id is missing.
func wantMissing(t *testing.T, s adapters.Store, id string) {
	t.Helper()
	got, found, err := s.Read(testCtx(t), id)
	if err != nil || found || len(got) != 0 {
		t.Fatalf("Read(%q) = %s, %v, %v; want empty, false, nil", id, show(got), found, err)
	}
}

// show prints short data in full and long data by length and ends.
func show(b []byte) string {
	if len(b) <= 64 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%d bytes %q...%q", len(b), b[:16], b[len(b)-16:])
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func testReadMissing(t *testing.T, s adapters.Store) {
	wantMissing(t, s, NewID())
}

func testRoundTrip(t *testing.T, s adapters.Store) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"php", []byte(`auth|a:1:{s:2:"id";i:42;}csrf|s:6:"a1b2c3";`)},
		{"NUL", []byte("a|s:3:\"\x00\x00\x00\";")},
		{"0xff", []byte{0xff, 0xfe, 0xff, 0x00, 0xff}},
		{"AllBytes", all},
		{"Wrapped", adapters.Wrap([]byte(`a|i:1;`))},
		{"OneByte", []byte("x")},
		{"1MB", randomBytes(1 << 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := NewID()
			in := bytes.Clone(tt.data)
			mustWrite(t, s, id, in)
			if !bytes.Equal(in, tt.data) {
				t.Fatalf("Write modified its data argument")
			}
			wantData(t, s, id, tt.data)
			// The result belongs to the caller: changing it must change
			// neither the store nor what another Read returned (a session
			// decoded from it shares its memory).
			got, _, _ := s.Read(testCtx(t), id)
			other, _, _ := s.Read(testCtx(t), id)
			for i := range got {
				got[i] ^= 0x55
			}
			if !bytes.Equal(other, tt.data) {
				t.Fatalf("changing what Read returned changed what another Read returned")
			}
			wantData(t, s, id, tt.data)
		})
	}
}

func testEmptyPayload(t *testing.T, s adapters.Store) {
	for _, empty := range [][]byte{nil, {}} {
		id := NewID()
		mustWrite(t, s, id, empty)
		got, found, err := s.Read(testCtx(t), id)
		if err != nil || !found || len(got) != 0 {
			t.Fatalf("Read(%q) after Write(%#v) = %s, %v, %v; want empty, true, nil", id, empty, show(got), found, err)
		}
	}
}

func testOverwrite(t *testing.T, s adapters.Store) {
	id := NewID()
	for _, data := range []string{
		"medium|s:6:\"medium\";",
		"a much longer session|s:24:\"than the one before it!!\";",
		"s|i:1;",
		"",
		"back|b:1;",
		strings.Repeat("x", 70000),
		"y",
	} {
		mustWrite(t, s, id, []byte(data))
		wantData(t, s, id, []byte(data))
	}
}

func testDestroy(t *testing.T, s adapters.Store) {
	id, other := NewID(), NewID()
	mustWrite(t, s, id, []byte("a|i:1;"))
	mustWrite(t, s, other, []byte("b|i:2;"))
	if err := s.Destroy(testCtx(t), id); err != nil {
		t.Fatalf("Destroy(%q) = %v", id, err)
	}
	wantMissing(t, s, id)
	wantData(t, s, other, []byte("b|i:2;"))
	// A destroyed id can be written again.
	mustWrite(t, s, id, []byte("c|i:3;"))
	wantData(t, s, id, []byte("c|i:3;"))
}

func testDestroyMissing(t *testing.T, s adapters.Store) {
	id := NewID()
	for range 2 {
		if err := s.Destroy(testCtx(t), id); err != nil {
			t.Fatalf("Destroy(%q) of a missing id = %v, want nil", id, err)
		}
	}
	wantMissing(t, s, id)
}

func testIndependentIDs(t *testing.T, s adapters.Store) {
	// Ids that are prefixes of each other, or differ in case, are distinct.
	base := NewID()
	ids := []string{base, base[:10], base + "0", strings.ToUpper(base), base + "-lock"}
	for i, id := range ids {
		mustWrite(t, s, id, []byte(strconv.Itoa(i)))
	}
	for i, id := range ids {
		wantData(t, s, id, []byte(strconv.Itoa(i)))
	}
}

// invalidIDs are refused by adapters.ValidID; some would escape a directory
// or a key space if a store used them unchecked.
var invalidIDs = []string{
	"",
	".",
	"..",
	"../escape",
	"a/b",
	"/abs",
	`a\b`,
	"a b",
	"a\x00b",
	"a\nb",
	"a<b",
	`a"b`,
	"a'b",
	strings.Repeat("a", adapters.MaxIDLength+1),
}

func testInvalidID(t *testing.T, s adapters.Store) {
	for _, id := range invalidIDs {
		if adapters.ValidID(id) == nil {
			t.Fatalf("storetest bug: ValidID(%q) = nil", id)
		}
	}
	wantInvalid := func(t *testing.T, op, id string, err error) {
		t.Helper()
		if !errors.Is(err, adapters.ErrInvalidID) {
			t.Errorf("%s(%q) = %v, want an error wrapping adapters.ErrInvalidID", op, id, err)
		}
	}
	ctx := testCtx(t)
	for _, id := range invalidIDs {
		err := s.Write(ctx, id, []byte("evil|b:1;"), 0)
		wantInvalid(t, "Write", id, err)
		_, found, err := s.Read(ctx, id)
		wantInvalid(t, "Read", id, err)
		if found {
			t.Errorf("Read(%q) found a session", id)
		}
		wantInvalid(t, "Destroy", id, s.Destroy(ctx, id))
		if tc, ok := s.(adapters.Toucher); ok {
			wantInvalid(t, "Touch", id, tc.Touch(ctx, id, 0))
		}
		if v, ok := s.(adapters.Validator); ok {
			ok, err := v.Exists(ctx, id)
			wantInvalid(t, "Exists", id, err)
			if ok {
				t.Errorf("Exists(%q) = true", id)
			}
		}
		if l, ok := s.(adapters.Locker); ok {
			unlock, err := l.Lock(ctx, id)
			wantInvalid(t, "Lock", id, err)
			if unlock != nil {
				t.Errorf("Lock(%q) returned an Unlock func with its error", id)
				unlock(ctx)
			}
		}
		if c, ok := s.(adapters.CASWriter); ok {
			_, _, _, err := c.ReadVersion(ctx, id)
			wantInvalid(t, "ReadVersion", id, err)
		}
	}
	// Nothing was written, under the bad ids or under what they contain
	// (a store may refuse some of these short ids too).
	for _, id := range []string{"escape", "b", "abs", "a", "evil"} {
		got, found, err := s.Read(ctx, id)
		if found || len(got) != 0 || err != nil && !errors.Is(err, adapters.ErrInvalidID) {
			t.Errorf("Read(%q) after refused writes = %s, %v, %v; want empty, false, nil", id, show(got), found, err)
		}
	}
	if l, ok := s.(adapters.Lister); ok {
		var listed []string
		if err := l.Sessions(ctx, func(id string) bool { listed = append(listed, id); return true }); err != nil {
			t.Fatalf("Sessions = %v", err)
		}
		if len(listed) != 0 {
			t.Errorf("Sessions after refused writes listed %q, want nothing", listed)
		}
	}
}

func testCanceledContext(t *testing.T, s adapters.Store) {
	id := NewID()
	mustWrite(t, s, id, []byte("kept|i:1;"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	wantCanceled := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context = %v, want an error wrapping context.Canceled", op, err)
		}
	}
	_, _, err := s.Read(ctx, id)
	wantCanceled("Read", err)
	wantCanceled("Write", s.Write(ctx, id, []byte("lost|i:2;"), 0))
	wantCanceled("Write(new id)", s.Write(ctx, NewID(), []byte("lost|i:2;"), 0))
	wantCanceled("Destroy", s.Destroy(ctx, id))
	_, err = s.GC(ctx, time.Nanosecond)
	wantCanceled("GC", err)
	if tc, ok := s.(adapters.Toucher); ok {
		wantCanceled("Touch", tc.Touch(ctx, id, 0))
	}
	if v, ok := s.(adapters.Validator); ok {
		_, err := v.Exists(ctx, id)
		wantCanceled("Exists", err)
	}
	if l, ok := s.(adapters.Locker); ok {
		unlock, err := l.Lock(ctx, id)
		wantCanceled("Lock", err)
		if unlock != nil {
			t.Errorf("Lock with a canceled context returned an Unlock func")
			unlock(context.Background())
		}
	}
	if c, ok := s.(adapters.CASWriter); ok {
		_, _, _, err := c.ReadVersion(ctx, id)
		wantCanceled("ReadVersion", err)
		_, _, v, err := c.ReadVersion(testCtx(t), id)
		if err != nil {
			t.Fatalf("ReadVersion(%q) = %v", id, err)
		}
		wantCanceled("WriteIfVersion", c.WriteIfVersion(ctx, id, []byte("lost|i:3;"), 0, v))
	}
	if l, ok := s.(adapters.Lister); ok {
		wantCanceled("Sessions", l.Sessions(ctx, func(string) bool { return true }))
	}
	// Nothing a canceled call did changed the session.
	wantData(t, s, id, []byte("kept|i:1;"))
}

func testGCKeepsFresh(t *testing.T, s adapters.Store) {
	id := NewID()
	mustWrite(t, s, id, []byte("fresh|b:1;"))
	removed, err := s.GC(testCtx(t), time.Hour)
	if err != nil || removed != 0 {
		t.Fatalf("GC(1h) right after a write = %d, %v; want 0, nil", removed, err)
	}
	wantData(t, s, id, []byte("fresh|b:1;"))
}

// testConcurrent runs writers and readers on shared and private ids: every
// read must see one whole payload that some writer wrote, never a mix.
func testConcurrent(t *testing.T, s adapters.Store) {
	const workers, rounds = 8, 20
	shared := NewID()
	payload := func(w, r int) []byte {
		// Lengths differ so that a torn write shows.
		return bytes.Repeat([]byte{byte('a' + w)}, 100+w*37+r*11)
	}
	valid := func(b []byte) bool {
		if len(b) == 0 {
			return false
		}
		w := int(b[0] - 'a')
		if w < 0 || w >= workers || bytes.Count(b, b[:1]) != len(b) {
			return false
		}
		return (len(b)-100-w*37)%11 == 0
	}
	mustWrite(t, s, shared, payload(0, 0))
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := NewID()
			for r := range rounds {
				if err := s.Write(ctx, shared, payload(w, r), 0); err != nil {
					errs <- fmt.Errorf("worker: Write(shared) = %v", err)
					return
				}
				got, found, err := s.Read(ctx, shared)
				if err != nil || !found || !valid(got) {
					errs <- fmt.Errorf("worker: Read(shared) = %s, %v, %v; want a whole payload", show(got), found, err)
					return
				}
				mine := payload(w, r)
				if err := s.Write(ctx, own, mine, 0); err != nil {
					errs <- fmt.Errorf("worker: Write(%q) = %v", own, err)
					return
				}
				got, found, err = s.Read(ctx, own)
				if err != nil || !found || !bytes.Equal(got, mine) {
					errs <- fmt.Errorf("worker: Read(%q) = %s, %v, %v; want %s", own, show(got), found, err, show(mine))
					return
				}
			}
			if err := s.Destroy(ctx, own); err != nil {
				errs <- fmt.Errorf("worker: Destroy(%q) = %v", own, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testToucher(t *testing.T, s adapters.Store) {
	tc, ok := s.(adapters.Toucher)
	if !ok {
		t.Skip("store does not implement adapters.Toucher")
	}
	ctx := testCtx(t)
	id := NewID()
	mustWrite(t, s, id, []byte("t|i:1;"))
	if err := tc.Touch(ctx, id, time.Hour); err != nil {
		t.Fatalf("Touch(%q) = %v", id, err)
	}
	wantData(t, s, id, []byte("t|i:1;"))
	missing := NewID()
	if err := tc.Touch(ctx, missing, time.Hour); err != nil {
		t.Fatalf("Touch(%q) of a missing id = %v, want nil", missing, err)
	}
	wantMissing(t, s, missing)
}

func testValidator(t *testing.T, s adapters.Store) {
	v, ok := s.(adapters.Validator)
	if !ok {
		t.Skip("store does not implement adapters.Validator")
	}
	ctx := testCtx(t)
	id := NewID()
	want := func(want bool) {
		t.Helper()
		if got, err := v.Exists(ctx, id); err != nil || got != want {
			t.Fatalf("Exists(%q) = %v, %v; want %v, nil", id, got, err, want)
		}
	}
	want(false)
	mustWrite(t, s, id, []byte("v|i:1;"))
	want(true)
	mustWrite(t, s, id, nil)
	want(true) // an empty session exists
	if err := s.Destroy(ctx, id); err != nil {
		t.Fatalf("Destroy(%q) = %v", id, err)
	}
	want(false)
}

func lock(t *testing.T, l adapters.Locker, ctx context.Context, id string) func(context.Context) error {
	t.Helper()
	unlock, err := l.Lock(ctx, id)
	if err != nil {
		t.Fatalf("Lock(%q) = %v", id, err)
	}
	if unlock == nil {
		t.Fatalf("Lock(%q) returned a nil Unlock", id)
	}
	return unlock
}

func testLocker(t *testing.T, s adapters.Store) {
	l, ok := s.(adapters.Locker)
	if !ok {
		t.Skip("store does not implement adapters.Locker")
	}
	t.Run("ReadWriteWhileHeld", func(t *testing.T) {
		// The manager's cycle: lock, read, write, read, unlock, on an
		// existing and on a new id. None of it may deadlock on the
		// holder's own lock.
		ctx := testCtx(t)
		existing := NewID()
		mustWrite(t, s, existing, []byte("old|i:1;"))
		for _, id := range []string{existing, NewID()} {
			unlock := lock(t, l, ctx, id)
			if id != existing {
				wantMissing(t, s, id)
			}
			mustWrite(t, s, id, []byte("new|i:2;"))
			wantData(t, s, id, []byte("new|i:2;"))
			if err := unlock(ctx); err != nil {
				t.Fatalf("Unlock(%q) = %v", id, err)
			}
			wantData(t, s, id, []byte("new|i:2;"))
		}
	})
	t.Run("DestroyWhileHeld", func(t *testing.T) {
		ctx := testCtx(t)
		id := NewID()
		mustWrite(t, s, id, []byte("d|i:1;"))
		unlock := lock(t, l, ctx, id)
		if err := s.Destroy(ctx, id); err != nil {
			t.Fatalf("Destroy(%q) under its lock = %v", id, err)
		}
		if err := unlock(ctx); err != nil {
			t.Fatalf("Unlock(%q) after Destroy = %v", id, err)
		}
		wantMissing(t, s, id)
		// The id can be locked and written again.
		unlock = lock(t, l, ctx, id)
		mustWrite(t, s, id, []byte("e|i:2;"))
		if err := unlock(ctx); err != nil {
			t.Fatalf("Unlock(%q) = %v", id, err)
		}
		wantData(t, s, id, []byte("e|i:2;"))
	})
	t.Run("TimeoutWhileHeld", func(t *testing.T) {
		ctx := testCtx(t)
		id := NewID()
		unlock := lock(t, l, ctx, id)
		short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		defer cancel()
		unlock2, err := l.Lock(short, id)
		if !errors.Is(err, adapters.ErrLockTimeout) {
			t.Errorf("second Lock(%q) while held = %v, want an error wrapping adapters.ErrLockTimeout", id, err)
		}
		if unlock2 != nil {
			t.Errorf("second Lock(%q) returned an Unlock func with its error", id)
			unlock2(ctx)
		}
		// Other ids are not affected.
		other := NewID()
		unlockOther := lock(t, l, ctx, other)
		if err := unlockOther(ctx); err != nil {
			t.Fatalf("Unlock(%q) = %v", other, err)
		}
		if err := unlock(ctx); err != nil {
			t.Fatalf("Unlock(%q) = %v", id, err)
		}
		// Unlocked, the id can be taken at once.
		unlock = lock(t, l, ctx, id)
		if err := unlock(ctx); err != nil {
			t.Fatalf("Unlock(%q) = %v", id, err)
		}
	})
	t.Run("WaitsForUnlock", func(t *testing.T) {
		ctx := testCtx(t)
		id := NewID()
		unlock := lock(t, l, ctx, id)
		var released atomic.Bool
		got := make(chan error, 1)
		go func() {
			unlock2, err := l.Lock(ctx, id)
			if err == nil {
				if !released.Load() {
					err = errors.New("second Lock returned before the first holder unlocked")
				}
				if uerr := unlock2(ctx); err == nil {
					err = uerr
				}
			}
			got <- err
		}()
		time.Sleep(100 * time.Millisecond)
		released.Store(true)
		if err := unlock(ctx); err != nil {
			t.Fatalf("Unlock(%q) = %v", id, err)
		}
		if err := <-got; err != nil {
			t.Fatalf("waiting Lock(%q) = %v", id, err)
		}
	})
	t.Run("MutualExclusion", func(t *testing.T) {
		// Goroutines increment a counter in the session under the lock;
		// any overlap loses an increment or trips the in-section flag.
		var inside atomic.Int32
		increments(t, s, func(ctx context.Context, id string) error {
			unlock, err := l.Lock(ctx, id)
			for errors.Is(err, adapters.ErrLockTimeout) && ctx.Err() == nil {
				// A store's own retry budget may run out under this
				// contention: that is allowed.
				unlock, err = l.Lock(ctx, id)
			}
			if err != nil {
				return fmt.Errorf("worker: Lock = %v", err)
			}
			defer unlock(ctx)
			if n := inside.Add(1); n != 1 {
				return fmt.Errorf("%d holders at once", n)
			}
			defer inside.Add(-1)
			data, found, err := s.Read(ctx, id)
			if err != nil || !found {
				return fmt.Errorf("worker: Read under lock = %v, %v", found, err)
			}
			n, err := strconv.Atoi(string(data))
			if err != nil {
				return fmt.Errorf("worker: Read under lock = %q", data)
			}
			return s.Write(ctx, id, []byte(strconv.Itoa(n+1)), 0)
		})
	})
}

// increments runs goroutines that each increment a counter, a session
// whose payload is a decimal number, with incr, a number of times, and
// checks that no increment was lost: two increments that overlap lose one.
func increments(t *testing.T, s adapters.Store, incr func(ctx context.Context, id string) error) {
	t.Helper()
	ctx := testCtx(t)
	id := NewID()
	mustWrite(t, s, id, []byte("0"))
	const workers, rounds = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if err := incr(ctx, id); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	wantData(t, s, id, []byte(strconv.Itoa(workers*rounds)))
}

func testLockReader(t *testing.T, s adapters.Store) {
	lr, ok := s.(adapters.LockReader)
	if !ok {
		t.Skip("store does not implement adapters.LockReader")
	}
	l, ok := s.(adapters.Locker)
	if !ok {
		t.Fatal("an adapters.LockReader must be an adapters.Locker too")
	}
	if sw, ok := s.(interface{ Locking() bool }); ok && !sw.Locking() {
		t.Skip("the store's locking is switched off")
	}
	lockRead := func(ctx context.Context, id string) ([]byte, bool, adapters.Held) {
		t.Helper()
		data, found, h, err := lr.LockRead(ctx, id)
		if err != nil || h == nil {
			t.Fatalf("LockRead(%q) = %v, Held %v", id, err, h)
		}
		return data, found, h
	}
	t.Run("ReadWriteUnlock", func(t *testing.T) {
		ctx := testCtx(t)
		existing := NewID()
		mustWrite(t, s, existing, []byte("old|i:1;"))
		for _, id := range []string{existing, NewID()} {
			data, found, h := lockRead(ctx, id)
			if id == existing && (!found || string(data) != "old|i:1;") {
				t.Errorf("LockRead(%q) = %s, %v; want old|i:1;", id, show(data), found)
			}
			if id != existing && found {
				t.Errorf("LockRead(%q) of a new id found %s", id, show(data))
			}
			// Held: nobody else gets the lock.
			short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
			unlock2, err := l.Lock(short, id)
			cancel()
			if !errors.Is(err, adapters.ErrLockTimeout) {
				t.Errorf("Lock(%q) while LockRead holds it = %v, want an error wrapping adapters.ErrLockTimeout", id, err)
			}
			if unlock2 != nil {
				unlock2(ctx)
			}
			if err := h.WriteUnlock(ctx, []byte("new|i:2;"), 0); err != nil {
				t.Fatalf("WriteUnlock(%q) = %v", id, err)
			}
			wantData(t, s, id, []byte("new|i:2;"))
			// Released: the lock is free at once.
			short, cancel = context.WithTimeout(ctx, time.Second)
			unlock := lock(t, l, short, id)
			cancel()
			if err := unlock(ctx); err != nil {
				t.Fatalf("Unlock(%q) = %v", id, err)
			}
		}
	})
	t.Run("TouchUnlock", func(t *testing.T) {
		ctx := testCtx(t)
		id := NewID()
		mustWrite(t, s, id, []byte("t|i:1;"))
		_, _, h := lockRead(ctx, id)
		if err := h.TouchUnlock(ctx, time.Hour); err != nil {
			t.Fatalf("TouchUnlock(%q) = %v", id, err)
		}
		wantData(t, s, id, []byte("t|i:1;"))
		short, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		unlock := lock(t, l, short, id)
		if err := unlock(ctx); err != nil {
			t.Fatalf("Unlock(%q) = %v", id, err)
		}
	})
	t.Run("Unlock", func(t *testing.T) {
		ctx := testCtx(t)
		id := NewID()
		mustWrite(t, s, id, []byte("a|i:1;"))
		_, _, h := lockRead(ctx, id)
		if err := h.Unlock(ctx); err != nil {
			t.Fatalf("Unlock(%q) = %v", id, err)
		}
		if err := h.Unlock(ctx); err != nil {
			t.Errorf("second Unlock(%q) = %v, want nil", id, err)
		}
		wantData(t, s, id, []byte("a|i:1;"))
		unlock := lock(t, l, ctx, id)
		if err := unlock(ctx); err != nil {
			t.Fatalf("Unlock(%q) = %v", id, err)
		}
	})
	t.Run("MutualExclusion", func(t *testing.T) {
		// Goroutines increment a counter with LockRead and WriteUnlock;
		// any overlap loses an increment.
		increments(t, s, func(ctx context.Context, id string) error {
			data, _, h, err := lr.LockRead(ctx, id)
			for errors.Is(err, adapters.ErrLockTimeout) && ctx.Err() == nil {
				data, _, h, err = lr.LockRead(ctx, id)
			}
			if err != nil {
				return fmt.Errorf("worker: LockRead = %v", err)
			}
			n, err := strconv.Atoi(string(data))
			if err != nil {
				h.Unlock(ctx)
				return fmt.Errorf("worker: LockRead = %q", data)
			}
			if err := h.WriteUnlock(ctx, []byte(strconv.Itoa(n+1)), 0); err != nil {
				return fmt.Errorf("worker: WriteUnlock = %v", err)
			}
			return nil
		})
	})
}

func testCASWriter(t *testing.T, s adapters.Store) {
	c, ok := s.(adapters.CASWriter)
	if !ok {
		t.Skip("store does not implement adapters.CASWriter")
	}
	readVersion := func(t *testing.T, id string, wantFound bool) adapters.Version {
		t.Helper()
		_, found, v, err := c.ReadVersion(testCtx(t), id)
		if err != nil || found != wantFound {
			t.Fatalf("ReadVersion(%q) = found %v, %v; want %v, nil", id, found, err, wantFound)
		}
		return v
	}
	wantConflict := func(t *testing.T, id string, v adapters.Version) {
		t.Helper()
		err := c.WriteIfVersion(testCtx(t), id, []byte("loser|b:1;"), 0, v)
		if !errors.Is(err, adapters.ErrConflict) {
			t.Fatalf("WriteIfVersion(%q) with a stale version = %v, want an error wrapping adapters.ErrConflict", id, err)
		}
	}
	wantWrite := func(t *testing.T, id string, data string, v adapters.Version) {
		t.Helper()
		if err := c.WriteIfVersion(testCtx(t), id, []byte(data), 0, v); err != nil {
			t.Fatalf("WriteIfVersion(%q) with the current version = %v", id, err)
		}
	}
	t.Run("ReadVersionData", func(t *testing.T) {
		id := NewID()
		mustWrite(t, s, id, []byte("rv|i:1;"))
		data, found, _, err := c.ReadVersion(testCtx(t), id)
		if err != nil || !found || string(data) != "rv|i:1;" {
			t.Fatalf("ReadVersion(%q) = %q, %v, %v; want %q, true, nil", id, data, found, err, "rv|i:1;")
		}
	})
	t.Run("Missing", func(t *testing.T) {
		id := NewID()
		v := readVersion(t, id, false)
		wantWrite(t, id, "first|i:1;", v)
		wantData(t, s, id, []byte("first|i:1;"))
		// The same "still missing" version no longer holds.
		wantConflict(t, id, v)
		wantData(t, s, id, []byte("first|i:1;"))
	})
	t.Run("OtherWrite", func(t *testing.T) {
		// The other write has the same length, and comes within the same
		// clock tick: a version made of size and mtime alone misses it.
		id := NewID()
		mustWrite(t, s, id, []byte("n|i:1;"))
		v := readVersion(t, id, true)
		mustWrite(t, s, id, []byte("n|i:2;"))
		wantConflict(t, id, v)
		wantData(t, s, id, []byte("n|i:2;"))
	})
	t.Run("OwnWrite", func(t *testing.T) {
		id := NewID()
		mustWrite(t, s, id, []byte("n|i:1;"))
		v := readVersion(t, id, true)
		wantWrite(t, id, "n|i:2;", v)
		wantConflict(t, id, v)
		wantData(t, s, id, []byte("n|i:2;"))
		wantWrite(t, id, "n|i:3;", readVersion(t, id, true))
		wantData(t, s, id, []byte("n|i:3;"))
	})
	t.Run("Destroyed", func(t *testing.T) {
		id := NewID()
		mustWrite(t, s, id, []byte("n|i:1;"))
		v := readVersion(t, id, true)
		if err := s.Destroy(testCtx(t), id); err != nil {
			t.Fatalf("Destroy(%q) = %v", id, err)
		}
		wantConflict(t, id, v)
		wantMissing(t, s, id)
	})
	t.Run("Created", func(t *testing.T) {
		id := NewID()
		v := readVersion(t, id, false)
		mustWrite(t, s, id, nil)
		wantConflict(t, id, v)
		wantData(t, s, id, nil)
	})
	t.Run("ConcurrentIncrements", func(t *testing.T) {
		// An increment reads and compare-and-swaps until no other worker
		// wrote in between.
		increments(t, s, func(ctx context.Context, id string) error {
			for {
				data, _, v, err := c.ReadVersion(ctx, id)
				if err != nil {
					return fmt.Errorf("worker: ReadVersion = %v", err)
				}
				n, err := strconv.Atoi(string(data))
				if err != nil {
					return fmt.Errorf("worker: ReadVersion = %q", data)
				}
				err = c.WriteIfVersion(ctx, id, []byte(strconv.Itoa(n+1)), 0, v)
				if !errors.Is(err, adapters.ErrConflict) {
					if err != nil {
						return fmt.Errorf("worker: WriteIfVersion = %v", err)
					}
					return nil
				}
			}
		})
	})
}

func testLister(t *testing.T, s adapters.Store) {
	l, ok := s.(adapters.Lister)
	if !ok {
		t.Skip("store does not implement adapters.Lister")
	}
	ctx := testCtx(t)
	list := func() []string {
		t.Helper()
		var ids []string
		if err := l.Sessions(ctx, func(id string) bool { ids = append(ids, id); return true }); err != nil {
			t.Fatalf("Sessions = %v", err)
		}
		slices.Sort(ids)
		return ids
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("Sessions of an empty store = %q", got)
	}
	const n = 50
	var want []string
	for i := range n {
		id := NewID()
		want = append(want, id)
		mustWrite(t, s, id, []byte(strconv.Itoa(i)))
	}
	mustWrite(t, s, want[0], []byte("rewritten")) // listed once
	slices.Sort(want)
	if got := list(); !slices.Equal(got, want) {
		t.Fatalf("Sessions = %d ids %q\nwant %d ids %q", len(got), got, len(want), want)
	}
	for _, id := range want[:10] {
		if err := s.Destroy(ctx, id); err != nil {
			t.Fatalf("Destroy(%q) = %v", id, err)
		}
	}
	if got := list(); !slices.Equal(got, want[10:]) {
		t.Fatalf("Sessions after destroying 10 = %d ids, want %d: %q", len(got), len(want)-10, got)
	}
	calls := 0
	if err := l.Sessions(ctx, func(string) bool { calls++; return false }); err != nil {
		t.Fatalf("Sessions stopped early = %v, want nil", err)
	}
	if calls != 1 {
		t.Fatalf("Sessions called yield %d times after it returned false, want 1", calls)
	}
}

func testIdleDestroyer(t *testing.T, s adapters.Store) {
	d, ok := s.(adapters.IdleDestroyer)
	if !ok {
		t.Skip("store does not implement adapters.IdleDestroyer")
	}
	ctx := testCtx(t)
	destroyIdle := func(id string, idle time.Duration, want bool) {
		t.Helper()
		if got, err := d.DestroyIdle(ctx, id, idle); got != want || err != nil {
			t.Fatalf("DestroyIdle(%q, %v) = %v, %v; want %v, nil", id, idle, got, err, want)
		}
	}
	missing := NewID()
	destroyIdle(missing, time.Millisecond, false)
	if _, err := d.DestroyIdle(ctx, missing, 0); err == nil {
		t.Errorf("DestroyIdle(%q, 0) = nil error, want one", missing)
	}
	fresh, idle, held := NewID(), NewID(), NewID()
	mustWrite(t, s, idle, []byte("idle|i:1;"))
	mustWrite(t, s, held, []byte("held|i:1;"))
	time.Sleep(50 * time.Millisecond)
	mustWrite(t, s, fresh, []byte("fresh|i:1;"))
	destroyIdle(fresh, time.Hour, false)
	wantData(t, s, fresh, []byte("fresh|i:1;"))
	destroyIdle(idle, 10*time.Millisecond, true)
	if _, found, err := s.Read(ctx, idle); found || err != nil {
		t.Fatalf("Read(%q) after DestroyIdle = found %v, %v; want gone", idle, found, err)
	}
	if l, ok := s.(adapters.Locker); ok {
		unlock := lock(t, l, ctx, held)
		destroyIdle(held, 10*time.Millisecond, false)
		if err := unlock(ctx); err != nil {
			t.Fatalf("Unlock(%q) = %v", held, err)
		}
		wantData(t, s, held, []byte("held|i:1;"))
	}
}

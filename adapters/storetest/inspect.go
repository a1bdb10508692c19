package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
)

func testExpirer(t *testing.T, s adapters.Store) {
	e, ok := s.(adapters.Expirer)
	if !ok {
		t.Skip("store does not implement adapters.Expirer")
	}
	ctx := testCtx(t)
	id := NewID()
	if _, found, err := e.Expiry(ctx, id); err != nil || found {
		t.Fatalf("Expiry(%q) of a missing id = %v, %v; want not found, nil", id, found, err)
	}
	before := time.Now().Add(-time.Second) // file times may be coarser than the clock
	if err := s.Write(ctx, id, []byte("e|i:1;"), time.Hour); err != nil {
		t.Fatalf("Write(%q) = %v", id, err)
	}
	exp, found, err := e.Expiry(ctx, id)
	if err != nil || !found {
		t.Fatalf("Expiry(%q) = %v, %v; want found", id, found, err)
	}
	switch {
	case exp.HasTTL && (exp.TTL <= 0 || exp.TTL > time.Hour):
		t.Errorf("Expiry(%q).TTL = %v after a write with ttl 1h, want in (0, 1h]", id, exp.TTL)
	case !exp.HasTTL && (exp.Modified.Before(before) || exp.Modified.After(time.Now().Add(time.Second))):
		t.Errorf("Expiry(%q).Modified = %v, want about now (%v)", id, exp.Modified, before)
	}
	if !exp.HasTTL {
		return
	}
	// The TTL is the one given, not a default: a write with another ttl,
	// and a touch, change it. (Memcached counts whole seconds of a clock
	// it updates once a second: a TTL may read a second long.)
	if err := s.Write(ctx, id, []byte("e|i:2;"), 10*time.Minute); err != nil {
		t.Fatalf("Write(%q) = %v", id, err)
	}
	expectTTL := func(after string, want time.Duration) {
		t.Helper()
		exp, found, err := e.Expiry(ctx, id)
		if err != nil || !found || !exp.HasTTL || exp.TTL <= want-time.Minute || exp.TTL > want+time.Second {
			t.Errorf("Expiry(%q) after %s = %+v, %v, %v; want a TTL in (%v, %v]", id, after, exp, found, err, want-time.Minute, want+time.Second)
		}
	}
	expectTTL("a write with ttl 10m", 10*time.Minute)
	if tc, ok := s.(adapters.Toucher); ok {
		if err := tc.Touch(ctx, id, 5*time.Minute); err != nil {
			t.Fatalf("Touch(%q) = %v", id, err)
		}
		expectTTL("a touch with ttl 5m", 5*time.Minute)
	}
	if _, _, err := e.Expiry(ctx, "bad/id"); !errors.Is(err, adapters.ErrInvalidID) {
		t.Errorf("Expiry(%q) = %v, want an error wrapping ErrInvalidID", "bad/id", err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := e.Expiry(done, id); !errors.Is(err, context.Canceled) {
		t.Errorf("Expiry(%q) with a done context = %v, want an error wrapping context.Canceled", id, err)
	}
}

func testInspector(t *testing.T, s adapters.Store) {
	ins, ok := s.(adapters.Inspector)
	if !ok {
		t.Skip("store does not implement adapters.Inspector")
	}
	ctx := testCtx(t)
	id := NewID()
	if _, found, err := ins.Inspect(ctx, id); err != nil || found {
		t.Fatalf("Inspect(%q) of a missing id = %v, %v; want not found, nil", id, found, err)
	}
	data := []byte("i|s:5:\"hello\";")
	mustWrite(t, s, id, data)
	inspect := func(wantLock adapters.LockState) {
		t.Helper()
		in, found, err := ins.Inspect(ctx, id)
		if err != nil || !found {
			t.Fatalf("Inspect(%q) = %v, %v; want found", id, found, err)
		}
		if !strings.Contains(in.Location, id) {
			t.Errorf("Inspect(%q).Location = %q, want the key or file of the id", id, in.Location)
		}
		if !bytes.Equal(in.Payload, data) || !bytes.Contains(in.Stored, data) {
			t.Errorf("Inspect(%q) = payload %s, stored %s; want payload %s, inside the stored bytes", id, show(in.Payload), show(in.Stored), show(data))
		}
		if wantLock != adapters.LockUnknown && in.Lock != wantLock {
			t.Errorf("Inspect(%q).Lock = %v, want %v", id, in.Lock, wantLock)
		}
	}
	l, ok := s.(adapters.Locker)
	if !ok {
		inspect(adapters.LockUnknown)
		return
	}
	inspect(adapters.LockFree)
	unlock := lock(t, l, ctx, id)
	inspect(adapters.LockHeld)
	if err := unlock(ctx); err != nil {
		t.Fatalf("Unlock(%q) = %v", id, err)
	}
	inspect(adapters.LockFree)
}

func testPeeker(t *testing.T, s adapters.Store) {
	p, ok := s.(adapters.Peeker)
	if !ok {
		t.Skip("store does not implement adapters.Peeker")
	}
	ctx := testCtx(t)
	id := NewID()
	if _, found, err := p.Peek(ctx, id); err != nil || found {
		t.Fatalf("Peek(%q) of a missing id = %v, %v; want not found, nil", id, found, err)
	}
	data := []byte("p|i:1;")
	mustWrite(t, s, id, data)
	peek := func() {
		t.Helper()
		got, found, err := p.Peek(ctx, id)
		if err != nil || !found || !bytes.Equal(got, data) {
			t.Fatalf("Peek(%q) = %s, %v, %v; want %s", id, show(got), found, err, show(data))
		}
	}
	peek()
	if l, ok := s.(adapters.Locker); ok {
		// A lock the store itself holds does not stop its own Peek, as it
		// does not stop its Read.
		unlock := lock(t, l, ctx, id)
		peek()
		if err := unlock(ctx); err != nil {
			t.Fatalf("Unlock(%q) = %v", id, err)
		}
	}
	if _, _, err := p.Peek(ctx, "bad/id"); !errors.Is(err, adapters.ErrInvalidID) {
		t.Errorf("Peek(%q) = %v, want an error wrapping ErrInvalidID", "bad/id", err)
	}
}

package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

// TestWriteUnlockNoScript: WriteUnlock sends its write-and-release script
// with EVALSHA; on a server that does not know the script yet (SCRIPT
// FLUSH) it follows with EVAL, and the lock is released all the same.
func TestWriteUnlockNoScript(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	s := newStore(t, client, redisstore.Options{Layout: adapters.LayoutNative, Locking: true})
	ctx := context.Background()
	id := storetest.NewID()
	for round := range 2 { // the second round finds the script cached
		if err := client.ScriptFlush(ctx).Err(); round == 0 && err != nil {
			t.Fatal(err)
		}
		_, _, h, err := s.LockRead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.WriteUnlock(ctx, []byte("a|i:1;"), 0); err != nil {
			t.Fatalf("round %d: WriteUnlock = %v", round, err)
		}
		if n, err := client.Exists(ctx, s.LockKey(id)).Result(); err != nil || n != 0 {
			t.Fatalf("round %d: lock key %s left (%d, %v)", round, s.LockKey(id), n, err)
		}
		if data, found, err := s.Read(ctx, id); err != nil || !found || string(data) != "a|i:1;" {
			t.Fatalf("round %d: Read = %q, %v, %v", round, data, found, err)
		}
	}
}

// TestWriteUnlockLockLost: a holder whose lock expired, and was taken by
// another, writes nothing (as phpredis refuses to write with an expired
// lock) and gets ErrLockLost; the new holder's lock stays.
func TestWriteUnlockLockLost(t *testing.T) {
	srv := testenv.StartRedis(t)
	client := newClient(t, srv.Addr)
	s := newStore(t, client, redisstore.Options{Layout: adapters.LayoutNative, Locking: true, LockExpiry: 50 * time.Millisecond})
	ctx := context.Background()
	id := storetest.NewID()
	if err := s.Write(ctx, id, []byte("a|i:1;"), 0); err != nil {
		t.Fatal(err)
	}
	_, _, h, err := s.LockRead(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the lock expires
	unlock, err := s.Lock(ctx, id)
	if err != nil {
		t.Fatalf("Lock after the first lock expired = %v", err)
	}
	defer unlock(ctx)
	if err := h.WriteUnlock(ctx, []byte("b|i:2;"), 0); !errors.Is(err, redisstore.ErrLockLost) {
		t.Errorf("WriteUnlock with a lost lock = %v, want ErrLockLost", err)
	}
	if data, _, err := s.Read(ctx, id); err != nil || string(data) != "a|i:1;" {
		t.Errorf("after a WriteUnlock with a lost lock the session is %q (%v), want it unchanged", data, err)
	}
	if n, err := client.Exists(ctx, s.LockKey(id)).Result(); err != nil || n != 1 {
		t.Errorf("the new holder's lock is gone (%d, %v)", n, err)
	}
}

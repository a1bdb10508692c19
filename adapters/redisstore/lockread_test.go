package redisstore_test

import (
	"context"
	"testing"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

// TestWriteUnlockNoScript: under LayoutNative, WriteUnlock sends
// phpredis's release script with EVALSHA in its pipeline; on a server that
// does not know the script yet (SCRIPT FLUSH) it follows with EVAL, and the
// lock is released all the same.
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

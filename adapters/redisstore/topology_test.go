package redisstore_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

// open is redisstore.Open, failing the test on error and closing the store
// when the test ends.
func open(t *testing.T, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(opts)
	if err != nil {
		t.Fatalf("Open(%+v) = %v", opts, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSentinel runs the conformance suite through Sentinel, counts a
// read's round trips, and checks the sessions land on the master and reach
// the replica.
func TestSentinel(t *testing.T) {
	sent := testenv.StartRedisSentinel(t, 3)
	s := open(t, redisstore.Options{SentinelMaster: sent.MasterName, SentinelAddrs: sent.SentinelAddrs})
	if _, ok := s.Client().(*redis.Client); !ok {
		t.Fatalf("Open with a Sentinel master made a %T, want a failover *redis.Client", s.Client())
	}
	conformance(t, s.Client())
	t.Run("round trips", func(t *testing.T) { readRoundTrips(t, s.Client()) })

	ctx := ctxFor(t)
	id := storetest.NewID()
	if err := s.Write(ctx, id, []byte("s|i:1;"), 0); err != nil {
		t.Fatal(err)
	}
	master := newClient(t, sent.Master.Addr)
	if got := master.Get(ctx, s.Key(id)).Val(); got != `s:6:"s|i:1;";` {
		t.Errorf("master holds %q", got)
	}
	replica := newClient(t, sent.Replica.Addr)
	if err := master.Wait(ctx, 1, 5000).Err(); err != nil {
		t.Fatalf("WAIT for the replica = %v", err)
	}
	if got := replica.Get(ctx, s.Key(id)).Val(); got != `s:6:"s|i:1;";` {
		t.Errorf("replica holds %q", got)
	}

	// The master goes away: writes fail until the Sentinels promote the
	// replica, then the store carries on there with the session.
	master.ShutdownNoSave(ctx)
	deadline := time.Now().Add(30 * time.Second)
	var err error
	for {
		if err = s.Write(ctx, id, []byte("s|i:2;"), 0); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Write after the master went away = %v, still failing after 30 s", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := replica.Get(ctx, s.Key(id)).Val(); got != `s:6:"s|i:2;";` {
		t.Errorf("after the failover the promoted replica holds %q", got)
	}

	// The master, now the only one, requires a password, which the
	// Sentinels are given: a store with a wrong one fails with ErrAuth.
	for _, a := range sent.SentinelAddrs {
		if err := newClient(t, a).Do(ctx, "SENTINEL", "SET", sent.MasterName, "auth-pass", "right-password").Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := replica.ConfigSet(ctx, "requirepass", "right-password").Err(); err != nil {
		t.Fatal(err)
	}
	refused(t, open(t, redisstore.Options{SentinelMaster: sent.MasterName, SentinelAddrs: sent.SentinelAddrs, Password: "wrong", Locking: true, LockRetries: 3, LockWait: 10 * time.Millisecond}))
}

// TestCluster runs the conformance suite on a 3-master Redis Cluster,
// counts a read's round trips, and checks that sessions spread over the
// masters are all listed.
func TestCluster(t *testing.T) {
	cl := testenv.StartRedisCluster(t, 3)
	s := open(t, redisstore.Options{ClusterAddrs: cl.Addrs, Locking: true})
	cc, ok := s.Client().(*redis.ClusterClient)
	if !ok {
		t.Fatalf("Open with ClusterAddrs made a %T, want a *redis.ClusterClient", s.Client())
	}
	conformance(t, cc)
	t.Run("round trips", func(t *testing.T) { readRoundTrips(t, cc) })

	ctx := ctxFor(t)
	var want []string
	for range 30 {
		id := storetest.NewID()
		want = append(want, id)
		if err := s.Write(ctx, id, []byte("c|i:1;"), 0); err != nil {
			t.Fatal(err)
		}
		unlock, err := s.Lock(ctx, id) // lock keys are not listed
		if err != nil {
			t.Fatal(err)
		}
		defer unlock(ctx)
	}
	used := 0
	for _, addr := range cl.Addrs {
		if newClient(t, addr).DBSize(ctx).Val() > 0 {
			used++
		}
	}
	if used < 2 {
		t.Fatalf("30 sessions landed on %d of 3 masters", used)
	}
	var got []string
	err := s.Sessions(ctx, func(id string) bool { got = append(got, id); return true })
	if err != nil {
		t.Fatalf("Sessions = %v", err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Sessions on the cluster = %d ids, want %d", len(got), len(want))
	}

	// A password the nodes refuse: every call fails with an error matching
	// ErrAuth, the lock's too (on a Cluster its commands go one by one).
	for _, addr := range cl.Addrs {
		if err := newClient(t, addr).ConfigSet(ctx, "requirepass", "right-password").Err(); err != nil {
			t.Fatal(err)
		}
	}
	refused(t, open(t, redisstore.Options{ClusterAddrs: cl.Addrs, Password: "wrong", Locking: true, LockRetries: 3, LockWait: 10 * time.Millisecond}))
}

// refused checks that Read, LockRead, Lock and Write on s, whose password
// Redis refuses, fail with an error matching ErrAuth, not one about a
// lock.
func refused(t *testing.T, s *redisstore.Store) {
	t.Helper()
	ctx := ctxFor(t)
	id := storetest.NewID()
	for call, f := range map[string]func() error{
		"Read":     func() error { _, _, err := s.Read(ctx, id); return err },
		"LockRead": func() error { _, _, _, err := s.LockRead(ctx, id); return err },
		"Lock":     func() error { _, err := s.Lock(ctx, id); return err },
		"Write":    func() error { return s.Write(ctx, id, []byte("c|i:1;"), 0) },
	} {
		if err := f(); !errors.Is(err, redisstore.ErrAuth) || errors.Is(err, adapters.ErrLockTimeout) {
			t.Errorf("%s(%q) with a wrong password = %v, want an error matching ErrAuth", call, id, err)
		}
	}
}

// TestRing runs the conformance suite on a go-redis Ring of two servers,
// which Sessions scans shard by shard, and counts a read's round trips.
func TestRing(t *testing.T) {
	a, b := testenv.StartRedis(t), testenv.StartRedis(t)
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": a.Addr, "b": b.Addr}})
	t.Cleanup(func() { ring.Close() })
	conformance(t, ring)
	t.Run("round trips", func(t *testing.T) { readRoundTrips(t, ring) })
}

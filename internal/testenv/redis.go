package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RedisSentinel is a Sentinel set-up started for one test: a master, one
// replica of it, and Sentinels watching the master under MasterName.
type RedisSentinel struct {
	MasterName    string   // the name the Sentinels know the master by
	Master        *Redis   // the master when the set-up started
	Replica       *Redis   // a replica of Master, in sync when StartRedisSentinel returns
	SentinelAddrs []string // 127.0.0.1:port of each Sentinel
}

// StartRedisSentinel starts a master, a replica and n Sentinels (1 to 3;
// quorum n/2+1) on free loopback ports in temp dirs, and waits until the
// replica is in sync and every Sentinel names the master. Everything stops
// when the test ends. It needs redis-server and redis-cli.
func StartRedisSentinel(t testing.TB, n int) *RedisSentinel {
	t.Helper()
	if n < 1 || n > 3 {
		t.Fatalf("testenv: StartRedisSentinel: %d sentinels, want 1 to 3", n)
	}
	bin := MustHaveExecPath(t, "redis-server")
	MustHaveExecPath(t, "redis-cli")
	// No 5 s wait for more replicas before a diskless sync.
	master := StartRedis(t, "repl-diskless-sync-delay 0")
	replica := StartRedis(t, fmt.Sprintf("replicaof 127.0.0.1 %d", master.Port))
	s := &RedisSentinel{MasterName: "sessbridge", Master: master, Replica: replica}

	for i := 0; i < n; i++ {
		var addr string
		for attempt := 0; ; attempt++ {
			port := FreePort(t)
			dir := t.TempDir()
			conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nprotected-mode no\n"+
				"sentinel monitor %s 127.0.0.1 %d %d\n"+
				"sentinel down-after-milliseconds %[3]s 1000\n"+
				"sentinel failover-timeout %[3]s 5000\n"+
				"sentinel parallel-syncs %[3]s 1\n",
				port, dir, s.MasterName, master.Port, n/2+1)
			confPath := dir + "/sentinel.conf"
			if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			StartProcess(t, dir+"/sentinel.log", bin, confPath, "--sentinel")
			addr = fmt.Sprintf("127.0.0.1:%d", port)
			if err := WaitForTCP(addr, 5*time.Second); err != nil {
				if attempt < 3 {
					continue
				}
				log, _ := os.ReadFile(dir + "/sentinel.log")
				t.Fatalf("%v\n%s", err, log)
			}
			break
		}
		s.SentinelAddrs = append(s.SentinelAddrs, addr)
	}

	waitFor(t, 10*time.Second, "the replica to sync", func() (bool, string) {
		out := redisCLI(t, replica.Addr, "INFO", "replication")
		return strings.Contains(out, "master_link_status:up"), out
	})
	want := fmt.Sprintf("127.0.0.1\n%d", master.Port)
	for _, a := range s.SentinelAddrs {
		waitFor(t, 10*time.Second, "sentinel "+a+" to name the master", func() (bool, string) {
			out := redisCLI(t, a, "SENTINEL", "get-master-addr-by-name", s.MasterName)
			return strings.TrimSpace(out) == want, out
		})
		waitFor(t, 10*time.Second, "sentinel "+a+" to see the replica", func() (bool, string) {
			out := redisCLI(t, a, "SENTINEL", "replicas", s.MasterName)
			return strings.Contains(out, strconv.Itoa(replica.Port)), out
		})
	}
	return s
}

// RedisCluster is a Redis Cluster started for one test.
type RedisCluster struct {
	Addrs []string // 127.0.0.1:port of each master
	Nodes []*Redis
}

// StartRedisCluster starts n cluster-enabled redis-servers (at least 3) on
// free loopback ports in temp dirs, joins them as n masters with
// redis-cli --cluster create, and waits until every node reports
// cluster_state:ok. Everything stops when the test ends.
func StartRedisCluster(t testing.TB, n int) *RedisCluster {
	t.Helper()
	if n < 3 {
		t.Fatalf("testenv: StartRedisCluster: %d masters, want at least 3", n)
	}
	MustHaveExecPath(t, "redis-cli")
	c := &RedisCluster{}
	for i := 0; i < n; i++ {
		r := StartRedis(t,
			"cluster-enabled yes",
			"cluster-config-file nodes.conf",
			"cluster-node-timeout 5000",
			// The bus port defaults to port+10000, which may be taken or
			// above 65535 for an ephemeral port.
			fmt.Sprintf("cluster-port %d", FreePort(t)))
		c.Nodes = append(c.Nodes, r)
		c.Addrs = append(c.Addrs, r.Addr)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("All 16384 slots covered")) {
		t.Fatalf("testenv: redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, a := range c.Addrs {
		waitFor(t, 20*time.Second, "cluster node "+a+" to be ok", func() (bool, string) {
			out := redisCLI(t, a, "CLUSTER", "INFO")
			return strings.Contains(out, "cluster_state:ok") &&
				strings.Contains(out, fmt.Sprintf("cluster_known_nodes:%d", n)), out
		})
	}
	return c
}

// redisCLI runs redis-cli against addr and returns its output, or the
// error text when it fails (the callers poll until the output is right).
func redisCLI(t testing.TB, addr string, args ...string) string {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", append([]string{"-h", host, "-p", port}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("redis-cli: %v: %s", err, out)
	}
	return string(out)
}

// waitFor polls cond every 50 ms until it is true or timeout passes, then
// fails the test with what was waited for and cond's last output.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: timed out after %v waiting for %s; last output:\n%s", timeout, what, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

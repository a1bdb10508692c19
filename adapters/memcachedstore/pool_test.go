package memcachedstore

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
)

// TestIdleConnsReused runs rounds of reads at once and checks, with
// memcached's own count of the connections it accepted, that the store
// keeps its connections for the next calls rather than dialing one per call
// beyond a few (gomemcache keeps 2 unless told otherwise).
func TestIdleConnsReused(t *testing.T) {
	servers := startServers(t, 1)
	s := newStore(t, Options{Servers: servers, Layout: adapters.LayoutNative, Prefix: uniquePrefix("pool")})
	ctx := context.Background()
	if err := s.Write(ctx, "pooled", []byte("hits|i:1;"), 0); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(servers[0].Host, strconv.Itoa(servers[0].Port))
	before := totalConnections(t, addr)
	const concurrent, rounds = 8, 50
	for range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, concurrent)
		for range concurrent {
			wg.Go(func() {
				if _, _, err := s.Read(ctx, "pooled"); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	// The second count's own connection is one of those accepted.
	if got := totalConnections(t, addr) - before - 1; got > concurrent {
		t.Errorf("%d rounds of %d reads at once opened %d connections, want at most %d", rounds, concurrent, got, concurrent)
	}
}

// totalConnections returns memcached's total_connections statistic: the
// connections it has accepted since it started, this one included.
func totalConnections(t *testing.T, addr string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "stats\r\n")
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stats on %s: %v", addr, err)
		}
		line = strings.TrimSpace(line)
		if line == "END" {
			t.Fatalf("stats on %s: no total_connections", addr)
		}
		if v, ok := strings.CutPrefix(line, "STAT total_connections "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("stats on %s: %q", addr, line)
			}
			return n
		}
	}
}

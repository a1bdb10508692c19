package memcachedstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/internal/vectors"
)

func readScript(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func phpServers(servers []Server) [][3]any {
	var out [][3]any
	for _, s := range servers {
		out = append(out, [3]any{s.Host, s.Port, s.Weight})
	}
	return out
}

type phpItem struct {
	ID      string `json:"id"`
	Payload string `json:"payload,omitempty"`
}

// runPHPItems runs script with the request and returns its output lines.
func runPHPItems(t *testing.T, script string, req any) []string {
	t.Helper()
	stdin, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSuffix(string(testenv.RunPHP(t, script, stdin)), "\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// TestPhalconPHP replays Phalcon's Libmemcached adapter in PHP on three
// live servers, with each serialize handler's payloads of the vectors
// (including the >2000-byte ones, which PHP compresses): PHP writes and Go
// reads, Go writes (uncompressed and FastLZ) and PHP reads. Phalcon 5 (≥
// 5.10, one-at-a-time) and Phalcon 4 (CRC-15, raw values) eras; weights
// 1:3:2 so that the weighted continuum is used too.
func TestPhalconPHP(t *testing.T) {
	t.Parallel()
	testenv.PHP(t, "memcached")
	script := readScript(t, "phalcon.php")
	vs := vectors.MustFilter(t, vectors.MustLoad(t), "libmemcached", "")
	for _, weights := range [][]int{{1, 1, 1}, {1, 3, 2}} {
		servers := startServers(t, 3)
		for i := range servers {
			servers[i].Weight = weights[i]
		}
		for _, era := range []struct {
			name   string
			layout adapters.Layout
		}{{"5", adapters.LayoutPhalcon5}, {"4", adapters.LayoutPhalcon4}} {
			t.Run(fmt.Sprintf("phalcon%s/weights%v", era.name, weights), func(t *testing.T) {
				ctx := context.Background()
				plain := newStore(t, Options{Servers: servers, Layout: era.layout})
				fastlz := newStore(t, Options{Servers: servers, Layout: era.layout, Compression: CompressionFastLZ})
				var items []phpItem
				var payloads [][]byte
				for _, v := range vs {
					p := v.Payload
					for k := range 4 { // several ids per payload, for placement
						items = append(items, phpItem{ID: fmt.Sprintf("%s%d", storetest.NewID(), k), Payload: base64.StdEncoding.EncodeToString(v.Payload)})
						payloads = append(payloads, p)
					}
				}
				req := map[string]any{"servers": phpServers(servers), "era": era.name, "op": "write", "items": items}
				runPHPItems(t, script, req)
				phpCompressed := 0
				for i, it := range items {
					got, found, err := plain.Read(ctx, it.ID)
					if err != nil || !found || !bytes.Equal(got, payloads[i]) {
						t.Fatalf("Read(%q) of PHP's write = %q, %v, %v; want %q", it.ID, got, found, err, payloads[i])
					}
					key := plain.Key(it.ID)
					addr, _ := plain.sel.PickServer(key)
					raw, err := memcache.New(addr.String()).Get(key)
					if err != nil {
						t.Fatalf("PHP's %q is not on %s, where the Selector looks: %v", key, addr, err)
					}
					if raw.Flags&flagCompressed != 0 {
						phpCompressed++
					}
				}
				if phpCompressed == 0 {
					t.Error("PHP compressed none of the values (the big scenario is over 2000 bytes)")
				}
				for i := range items {
					s := plain
					if i%2 == 1 {
						s = fastlz
					}
					items[i].ID += "g"
					if err := s.Write(ctx, items[i].ID, payloads[i], 0); err != nil {
						t.Fatal(err)
					}
					items[i].Payload = ""
				}
				req["op"] = "read"
				lines := runPHPItems(t, script, req)
				if len(lines) != len(items) {
					t.Fatalf("php printed %d lines, want %d", len(lines), len(items))
				}
				for i, l := range lines {
					if l != base64.StdEncoding.EncodeToString(payloads[i]) {
						t.Errorf("PHP read %q = %q, want the payload Go wrote %q", items[i].ID, l, payloads[i])
					}
				}
			})
		}
	}
}

// TestNativePHP runs php-memcached's session handler on three live servers
// (session.save_path with weights 1:3:2, which the default ketama mode
// ignores and ketama_weighted uses): 2000 sessions PHP writes must be on the
// server Go's Selector names and read back in Go; sessions Go writes must
// read back in PHP.
func TestNativePHP(t *testing.T) {
	t.Parallel()
	testenv.PHP(t, "memcached")
	script := readScript(t, "native.php")
	servers := startServers(t, 3)
	weights := []int{1, 3, 2}
	var savePath []string
	for i := range servers {
		servers[i].Weight = weights[i]
		savePath = append(savePath, fmt.Sprintf("%s:%d:%d", servers[i].Host, servers[i].Port, weights[i]))
	}
	raw := make([]*memcache.Client, len(servers))
	for i, s := range servers {
		raw[i] = memcache.New(s.String())
	}
	for _, tc := range []struct {
		hashType string
		dist     Distribution
	}{{"ketama", DistributionDefault}, {"ketama_weighted", DistributionKetamaWeighted}} {
		t.Run(tc.hashType, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t, Options{Servers: servers, Layout: adapters.LayoutNative, Distribution: tc.dist})
			ids := make([]string, 2000)
			for i := range ids {
				ids[i] = storetest.NewID()
			}
			req := map[string]any{"save_path": strings.Join(savePath, ","), "hash_type": tc.hashType, "op": "write", "ids": ids}
			lines := runPHPItems(t, script, req)
			if len(lines) != len(ids) {
				t.Fatalf("php printed %d lines, want %d", len(lines), len(ids))
			}
			// Where did PHP put each session?
			keys := make([]string, len(ids))
			for i, id := range ids {
				keys[i] = s.Key(id)
			}
			where := map[string]int{}
			perServer := make([]int, len(servers))
			for i, c := range raw {
				items, err := c.GetMulti(keys)
				if err != nil {
					t.Fatal(err)
				}
				for k := range items {
					where[k] = i
					perServer[i]++
				}
			}
			misplaced := 0
			for i, id := range ids {
				got, found, err := s.Read(ctx, id)
				if want := b64(t, lines[i]); err != nil || !found || !bytes.Equal(got, want) {
					t.Fatalf("Read(%q) of PHP's session = %q, %v, %v; want %q", id, got, found, err, want)
				}
				if w, ok := where[keys[i]]; !ok || w != s.sel.Index(keys[i]) {
					if misplaced++; misplaced <= 5 {
						t.Errorf("session %q is on server %d, the Selector says %d", id, w, s.sel.Index(keys[i]))
					}
				}
			}
			if misplaced > 0 {
				t.Errorf("%d of %d sessions are not where the Selector says", misplaced, len(ids))
			}
			t.Logf("sessions per server: %v", perServer)

			// Go writes, PHP reads.
			goIDs := ids[:300]
			want := make([]string, len(goIDs))
			for i, id := range goIDs {
				p := fmt.Appendf(nil, "go|s:%d:\"%s\";n|i:%d;", len(id), id, i)
				if err := s.Write(ctx, id, p, 0); err != nil {
					t.Fatal(err)
				}
				want[i] = base64.StdEncoding.EncodeToString(p)
			}
			req["op"], req["ids"] = "read", goIDs
			lines = runPHPItems(t, script, req)
			for i := range goIDs {
				if i >= len(lines) || lines[i] != want[i] {
					t.Fatalf("PHP read session %q as %q, want %q", goIDs[i], lines[i], want[i])
				}
			}
		})
	}
}

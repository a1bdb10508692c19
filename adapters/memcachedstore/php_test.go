package memcachedstore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

// placementConfigs are the server lists of the live placement tests.
var placementConfigs = []struct {
	name    string
	servers []Server
}{
	{"equal3", []Server{{"127.0.0.1", 11211, 1}, {"127.0.0.2", 11211, 1}, {"127.0.0.3", 11311, 1}}},
	{"weights132", []Server{{"127.0.0.1", 11211, 1}, {"127.0.0.2", 11212, 3}, {"localhost", 11213, 2}}},
	{"weights151", []Server{{"10.0.0.1", 11211, 1}, {"10.0.0.2", 11211, 5}, {"10.0.0.3", 11211, 1}}},
	{"weights10-1-1-7-2", []Server{{"mc1.example", 11211, 10}, {"mc2.example", 11212, 1}, {"10.1.0.3", 11211, 1}, {"localhost", 11400, 7}, {"::1", 11211, 2}}},
	{"localhost-mix", []Server{{"localhost", 11211, 1}, {"127.0.0.1", 11299, 1}, {"localhost", 11300, 1}}},
	{"weights0-1", []Server{{"127.0.0.1", 11211, 0}, {"127.0.0.1", 11212, 1}, {"127.0.0.1", 11213, 0}, {"127.0.0.1", 11214, 1}}},
	{"two", []Server{{"192.168.1.10", 11211, 1}, {"192.168.1.11", 11211, 1}}},
	{"one", []Server{{"127.0.0.1", 11299, 4}}},
}

var placementModes = []struct {
	mode string
	dist Distribution
}{
	{"phalcon5", DistributionConsistent},
	{"phalcon4", DistributionCRC},
	{"ketama", DistributionKetama},
	{"libketama", DistributionKetamaWeighted},
}

// randomIDs returns n session ids of the shapes PHP makes (26 or 32
// characters of [0-9a-v] or hex, 48 of [a-zA-Z0-9,-]), plus keys with bytes
// ≥ 0x80, where libhashkit's signed chars matter.
func randomIDs(r *rand.Rand, n int) []string {
	alphabets := []string{
		"0123456789abcdefghijklmnopqrstuv",
		"0123456789abcdef",
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,-",
		"abc\xc3\xa9\xff\x80\xfe",
	}
	lengths := []int{26, 32, 48, 20}
	ids := make([]string, n)
	for i := range ids {
		k := i % len(alphabets)
		b := make([]byte, lengths[k])
		for j := range b {
			b[j] = alphabets[k][r.IntN(len(alphabets[k]))]
		}
		ids[i] = string(b)
	}
	return ids
}

// TestPlacementPHP compares every distribution with php-memcached's
// getServerByKey for 2000 random ids per server list.
func TestPlacementPHP(t *testing.T) {
	t.Parallel()
	testenv.PHP(t, "memcached")
	script, err := os.ReadFile("testdata/placement.php")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "sess-memc-"
	ids := randomIDs(rand.New(rand.NewPCG(1, 2)), 2000)
	type config struct {
		Servers [][3]any `json:"servers"`
		Mode    string   `json:"mode"`
		Prefix  string   `json:"prefix"`
	}
	var in struct {
		Configs []config `json:"configs"`
		IDs     []string `json:"ids"`
	}
	for _, id := range ids {
		in.IDs = append(in.IDs, base64.StdEncoding.EncodeToString([]byte(id)))
	}
	type job struct {
		name string
		sel  *Selector
	}
	var jobs []job
	for _, pc := range placementConfigs {
		for _, pm := range placementModes {
			c := config{Mode: pm.mode, Prefix: prefix}
			for _, s := range pc.servers {
				c.Servers = append(c.Servers, [3]any{s.Host, s.Port, s.Weight})
			}
			in.Configs = append(in.Configs, c)
			jobs = append(jobs, job{pc.name + "/" + pm.mode, mustSelector(t, SelectorOptions{Servers: pc.servers, Distribution: pm.dist, Prefix: prefix})})
		}
	}
	stdin, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(testenv.RunPHP(t, string(script), stdin), []byte("\n")), []byte("\n"))
	if len(lines) != len(jobs)*len(ids) {
		t.Fatalf("php printed %d lines, want %d", len(lines), len(jobs)*len(ids))
	}
	for j, jb := range jobs {
		t.Run(jb.name, func(t *testing.T) {
			bad := 0
			for i, id := range ids {
				want := string(lines[j*len(ids)+i])
				if got := pick(t, jb.sel, prefix+id); got != phpAddr(want) {
					if bad++; bad <= 5 {
						t.Errorf("PickServer(%q) = %s, php-memcached getServerByKey = %s", prefix+id, got, want)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d ids placed differently from PHP", bad, len(ids))
			}
		})
	}
}

// phpAddr turns PHP's host:port (an IPv6 host unbracketed) into Go's form.
func phpAddr(s string) string {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s
	}
	return net.JoinHostPort(s[:i], s[i+1:])
}

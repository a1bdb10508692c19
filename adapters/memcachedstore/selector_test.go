package memcachedstore

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

func TestHashSpotChecks(t *testing.T) {
	tests := []struct {
		key       string
		oaat, crc uint32
		checkCRC  bool
		checkOAAT bool
	}{
		{key: "abc123", oaat: 1503605522, crc: 20226, checkCRC: true, checkOAAT: true},
		{key: "0123456789abcdefghijklmnop", oaat: 2103802981, crc: 891, checkCRC: true, checkOAAT: true},
	}
	for _, tt := range tests {
		if got := oneAtATime(tt.key); tt.checkOAAT && got != tt.oaat {
			t.Errorf("oneAtATime(%q) = %d, want %d", tt.key, got, tt.oaat)
		}
		if got := crc15(tt.key); tt.checkCRC && got != tt.crc {
			t.Errorf("crc15(%q) = %d, want %d", tt.key, got, tt.crc)
		}
	}
}

// TestSpecTable is the table of phalcon.md §5.7 (php-memcached 3.2.0).
func TestSpecTable(t *testing.T) {
	servers := []Server{{"10.0.0.1", 11211, 1}, {"10.0.0.2", 11211, 1}, {"cache3.local", 11311, 1}}
	tests := []struct{ key, crc, oaat string }{
		{"abc123", "cache3.local:11311", "10.0.0.1:11211"},
		{"c123b1612dd272d1371c17149d439536", "10.0.0.1:11211", "10.0.0.1:11211"},
		{"0123456789abcdefghijklmnop", "10.0.0.1:11211", "cache3.local:11311"},
		{"hk2kj4p9qv0g7d8s1m3c5e6f7a", "10.0.0.2:11211", "cache3.local:11311"},
	}
	crc := mustSelector(t, SelectorOptions{Servers: servers, Distribution: DistributionCRC, Prefix: "sess-memc-"})
	oaat := mustSelector(t, SelectorOptions{Servers: servers, Prefix: "sess-memc-"})
	for _, tt := range tests {
		if got := pick(t, crc, "sess-memc-"+tt.key); got != tt.crc {
			t.Errorf("CRC PickServer(%q) = %s, want %s", tt.key, got, tt.crc)
		}
		if got := pick(t, oaat, "sess-memc-"+tt.key); got != tt.oaat {
			t.Errorf("consistent PickServer(%q) = %s, want %s", tt.key, got, tt.oaat)
		}
	}
}

// TestPlacementVectors replays testdata/memcached-placement.jsonl: where
// php-memcached, configured by a real Phalcon 5.18.1, put each id.
func TestPlacementVectors(t *testing.T) {
	f, err := os.Open("../../testdata/memcached-placement.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	configs := 0
	for sc.Scan() {
		var v struct {
			Config     string
			Servers    []Server
			Prefix     string
			Placements [][2]string
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		configs++
		t.Run(v.Config, func(t *testing.T) {
			s := mustSelector(t, SelectorOptions{Servers: v.Servers, Prefix: v.Prefix})
			bad := 0
			for _, p := range v.Placements {
				if got := pick(t, s, v.Prefix+p[0]); got != p[1] {
					if bad++; bad <= 5 {
						t.Errorf("PickServer(%q) = %s, want %s", v.Prefix+p[0], got, p[1])
					}
				}
			}
			if bad > 0 || len(v.Placements) < 2000 {
				t.Errorf("%d of %d ids misplaced", bad, len(v.Placements))
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if configs < 2 {
		t.Fatalf("read %d configurations, want at least 2", configs)
	}
}

func mustSelector(t testing.TB, opts SelectorOptions) *Selector {
	t.Helper()
	s, err := NewSelector(opts)
	if err != nil {
		t.Fatalf("NewSelector(%+v) = %v", opts, err)
	}
	return s
}

func pick(t testing.TB, s *Selector, key string) string {
	t.Helper()
	a, err := s.PickServer(key)
	if err != nil {
		t.Fatalf("PickServer(%q) = %v", key, err)
	}
	return a.String()
}

func TestParseNames(t *testing.T) {
	for d := DistributionDefault; d <= DistributionKetamaWeighted; d++ {
		if got, err := ParseDistribution(d.String()); err != nil || got != d {
			t.Errorf("ParseDistribution(%q) = %v, %v; want %v", d.String(), got, err, d)
		}
	}
	for c := CompressionNone; c <= CompressionZlib; c++ {
		if got, err := ParseCompression(c.String()); err != nil || got != c {
			t.Errorf("ParseCompression(%q) = %v, %v; want %v", c.String(), got, err, c)
		}
	}
	if _, err := ParseDistribution("modula"); err == nil {
		t.Error(`ParseDistribution("modula") = nil error`)
	}
	if _, err := ParseCompression("lz4"); err == nil {
		t.Error(`ParseCompression("lz4") = nil error`)
	}
}

// TestSignedChars: libhashkit hashes bytes ≥ 0x80 as negative chars.
func TestSignedChars(t *testing.T) {
	unsigned := func(key string) uint32 {
		var v uint32
		for i := 0; i < len(key); i++ {
			v += uint32(key[i])
			v += v << 10
			v ^= v >> 6
		}
		v += v << 3
		v ^= v >> 11
		v += v << 15
		return v
	}
	if got, u := oneAtATime("abc"), unsigned("abc"); got != u {
		t.Errorf("oneAtATime(ASCII) = %d, unsigned %d: must agree", got, u)
	}
	if got, u := oneAtATime("\xc3\xa9\xff"), unsigned("\xc3\xa9\xff"); got == u {
		t.Errorf("oneAtATime(%q) = %d, the same as with unsigned chars", "\xc3\xa9\xff", got)
	}
}

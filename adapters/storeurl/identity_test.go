package storeurl

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIdentityOverlaps(t *testing.T) {
	dir := t.TempDir()
	d := filepath.Join(dir, "d")
	e := filepath.Join(dir, "e")
	link := filepath.Join(dir, "link")
	for _, p := range []string{d, e} {
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(d, link); err != nil {
		t.Fatal(err)
	}
	// sub replaces {d}, {e} and {link} in a URL.
	sub := strings.NewReplacer("{d}", d, "{e}", e, "{link}", link, "{dir}", dir).Replace
	tests := []struct {
		a, b string
		want bool
	}{
		// Files: every spelling of one directory.
		{"file://{d}?layout=php", "file://{d}/?layout=php", true},
		{"file://{d}?layout=php", "file://{dir}//d?layout=php", true},
		{"file://{d}?layout=php", "file://{dir}/./d?layout=php", true},
		{"file://{d}?layout=php", "file://{dir}/e/../d?layout=php", true},
		{"file://{d}?layout=php", "file://{d}?layout=PHP", true},
		{"file://{d}?layout=php", "file://{d}?layout=native", true},
		{"file://{d}?layout=php", "file://{link}?layout=php", true},
		{"file://{d}?layout=php", "file://localhost{d}?layout=php", true},
		{"file://{d}?layout=php", "file://{d}?layout=php&mode=0600", true},
		{"file://{d}?layout=php", "file:///1;0600;{d}?layout=php", true},
		{"file://{d}", "file://{d}/", true},
		{"file://{d}", "file://{d}?layout=phalcon4", true},
		{"file://{d}", "file://{d}?layout=php", true}, // Phalcon's empty prefix covers sess_*
		{"file://{d}?prefix=sess_", "file://{d}?layout=php", true},
		{"file://{d}?prefix=app-", "file://{d}?prefix=app-x", true},
		{"file://{d}?prefix=a-", "file://{d}?prefix=b-", false},
		{"file://{d}?prefix=a-", "file://{d}?layout=php", false},
		{"file://{d}", "file://{e}", false},
		{"file://{d}", "file://{dir}", false},
		// Redis: addresses, databases, prefixes and layouts.
		{"redis://127.0.0.1:6379/0", "redis://localhost:6379/0", true},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1", true},
		{"redis://127.0.0.1:6379/0", "redis://[::1]:6379", true},
		{"redis://127.0.0.1:6379/0", "redis://0.0.0.0:6379", true},
		{"redis://127.0.0.1:6379/0", "rediss://localhost:6379", true},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0?lifetime=1440", true},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0?locking=1&timeout=2", true},
		{"redis://127.0.0.1:6379/2", "redis://127.0.0.1:6379?database=2", true},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0?prefix=sess-reds-", true},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0?prefix=sess-", true},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0?layout=phalcon4", true},
		{"redis://127.0.0.1:6379/0?layout=php", "phpredis://localhost:6379", true},
		{"redis://127.0.0.1:6379/0?layout=PHP", "phpredis://127.0.0.1:6379/0?lifetime=60", true},
		{"redis://u:pw@127.0.0.1:6379/0", "redis://127.0.0.1:6379/0", true},
		{"redis+cluster://127.0.0.1:7000,127.0.0.1:7001", "redis+cluster://localhost:7001", true},
		{"redis+sentinel://127.0.0.1:26379/m", "redis+sentinel://localhost/m", true},
		{"redis+sentinel://127.0.0.1:26379/m", "redis+sentinel://localhost/other", false},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/1", false},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6380/0", false},
		{"redis://127.0.0.1:6379/0", "redis://10.1.2.3:6379/0", false},
		{"redis://127.0.0.1:6379/0", "phpredis://127.0.0.1:6379/0", false}, // sess-reds- and PHPREDIS_SESSION:
		{"redis://127.0.0.1:6379/0?prefix=a", "redis://127.0.0.1:6379/0?prefix=b", false},
		// Memcached.
		{"memcached://127.0.0.1", "memcached://localhost:11211", true},
		{"memcached://10.1.2.3,127.0.0.1", "memcached://localhost?lifetime=60", true},
		{"memcached://127.0.0.1?layout=php", "phpmemcached://localhost", true},
		{"memcached://127.0.0.1", "phpmemcached://127.0.0.1", false},
		{"memcached://127.0.0.1", "memcached://127.0.0.1:11212", false},
		// Different backends, noop.
		{"redis://127.0.0.1:11211", "memcached://127.0.0.1", false},
		{"noop:", "noop:", false},
	}
	ctx := context.Background()
	for _, tt := range tests {
		a, b := sub(tt.a), sub(tt.b)
		ia, ib := identity(t, ctx, a), identity(t, ctx, b)
		if got := ia.Overlaps(ib); got != tt.want {
			t.Errorf("Overlaps(%q, %q) = %v, want %v\n%v\n%v", tt.a, tt.b, got, tt.want, ia, ib)
		}
		if got := ib.Overlaps(ia); got != tt.want {
			t.Errorf("Overlaps(%q, %q) = %v, want %v (reversed)", tt.b, tt.a, got, tt.want)
		}
	}
}

func identity(t *testing.T, ctx context.Context, rawURL string) Identity {
	t.Helper()
	c, err := Parse(rawURL)
	if err != nil {
		t.Fatalf("Parse(%q): %v", rawURL, err)
	}
	id, err := c.Identity(ctx)
	if err != nil {
		t.Fatalf("Identity(%q): %v", rawURL, err)
	}
	return id
}

func TestIdentityString(t *testing.T) {
	tests := []struct{ url, want string }{
		{"redis://localhost:6379/2?layout=php", `redis local:6379/2 prefix "PHPREDIS_SESSION:" (layout php)`},
		{"memcached://127.0.0.1,10.1.2.3:11300", `memcached 10.1.2.3:11300,local:11211 prefix "sess-memc-" (layout phalcon5)`},
		{"file:///tmp/../var/./x/", `file /var/x prefix "" (layout phalcon5)`},
	}
	for _, tt := range tests {
		if got := identity(t, context.Background(), tt.url).String(); got != tt.want {
			t.Errorf("Identity(%q).String() = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestIdentityUnresolvable(t *testing.T) {
	c, err := Parse("redis://no-such-host.invalid:6379")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Identity(context.Background()); err == nil || !strings.Contains(err.Error(), "no-such-host.invalid") {
		t.Errorf("Identity of an unresolvable host: %v, want an error naming it", err)
	}
}

package storeurl

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/adapters/memcachedstore"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

func TestParse(t *testing.T) {
	t.Setenv("SB_TEST_PASS", "from-env")
	tests := []struct {
		name      string
		url       string
		want      *Config
		wantShown string // default: url
	}{
		{"file phalcon", "file:///var/lib/php/sessions", &Config{Scheme: "file", File: &filestore.Options{Dir: "/var/lib/php/sessions"}}, ""},
		{"file prefix", "file:///s?prefix=app-&layout=phalcon4", &Config{Scheme: "file", File: &filestore.Options{Dir: "/s", Prefix: "app-", Layout: adapters.LayoutPhalcon4}}, ""},
		{"file native params", "file:///s?layout=php&depth=2&mode=0640", &Config{Scheme: "file", File: &filestore.Options{Dir: "/s", Layout: adapters.LayoutNative, Depth: 2, FileMode: 0o640}}, ""},
		{"file native save_path", "file:///2;0600;/var/s?layout=php", &Config{Scheme: "file", File: &filestore.Options{Dir: "/var/s", Layout: adapters.LayoutNative, Depth: 2, FileMode: 0o600}}, ""},
		{"file native save_path escaped", "file:///1%3B0700%3B%2Fvar%2Fs?layout=php", &Config{Scheme: "file", File: &filestore.Options{Dir: "/var/s", Layout: adapters.LayoutNative, Depth: 1, FileMode: 0o700}}, ""},
		{"file localhost", "file://localhost/s", &Config{Scheme: "file", File: &filestore.Options{Dir: "/s"}}, ""},
		{"redis", "redis://u:secret@10.0.0.5:6380/2?prefix=p-&lifetime=60&locking=1", &Config{Scheme: "redis", Redis: &redisstore.Options{Host: "10.0.0.5", Port: 6380, Index: 2, Username: "u", Password: "secret", Prefix: "p-", Lifetime: time.Minute, Locking: true}}, "redis://u:xxxxx@10.0.0.5:6380/2?prefix=p-&lifetime=60&locking=1"},
		{"redis auto_pipeline", "redis://h?auto_pipeline=1", &Config{Scheme: "redis", Redis: &redisstore.Options{Host: "h", AutoPipeline: true}}, ""},
		{"redis password_env", "redis://h?password_env=SB_TEST_PASS", &Config{Scheme: "redis", Redis: &redisstore.Options{Host: "h", Password: "from-env"}}, ""},
		{"rediss", "rediss://h:6390", &Config{Scheme: "rediss", Redis: &redisstore.Options{Host: "h", Port: 6390, TLS: &tls.Config{ServerName: "h", MinVersion: tls.VersionTLS12}}}, ""},
		{"phpredis", "phpredis://h:6379/3?locking=1", &Config{Scheme: "phpredis", Redis: &redisstore.Options{Host: "h", Port: 6379, Index: 3, Layout: adapters.LayoutNative, Locking: true}}, ""},
		{"sentinel", "redis+sentinel://:pw@s1:26380,s2/mymaster/4?prefix=x", &Config{Scheme: "redis+sentinel", Redis: &redisstore.Options{Host: "s1", Port: 26380, Index: 4, Password: "pw", Prefix: "x", SentinelMaster: "mymaster", SentinelAddrs: []string{"s1:26380", "s2:26379"}}}, "redis+sentinel://:xxxxx@s1:26380,s2/mymaster/4?prefix=x"},
		{"cluster", "redis+cluster://c1:7000,c2:7001,[::1]", &Config{Scheme: "redis+cluster", Redis: &redisstore.Options{Host: "c1", Port: 7000, ClusterAddrs: []string{"c1:7000", "c2:7001", "[::1]:6379"}}}, ""},
		{"memcached", "memcached://m1:11211,m2?weights=1,2&compression=fastlz&prefix=p&lifetime=100&distribution=ketama&timeout=0.5", &Config{Scheme: "memcached", Memcached: &memcachedstore.Options{
			Servers:     []memcachedstore.Server{{Host: "m1", Port: 11211, Weight: 1}, {Host: "m2", Port: 11211, Weight: 2}},
			Compression: memcachedstore.CompressionFastLZ, Prefix: "p", Lifetime: 100 * time.Second, Distribution: memcachedstore.DistributionKetama, Timeout: 500 * time.Millisecond}}, ""},
		{"phpmemcached", "phpmemcached://m1,m2:11300", &Config{Scheme: "phpmemcached", Memcached: &memcachedstore.Options{
			Servers: []memcachedstore.Server{{Host: "m1", Port: 11211}, {Host: "m2", Port: 11300}}, Layout: adapters.LayoutNative}}, ""},
		{"noop", "noop:", &Config{Scheme: "noop"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.url)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.url, err)
			}
			shown := tt.wantShown
			if shown == "" {
				shown = tt.url
			}
			if got.String() != shown {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.url, got.String(), shown)
			}
			tt.want.shown = got.shown
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) =\n%+v %+v %+v\nwant\n%+v %+v %+v", tt.url, got, got.File, got.Redis, tt.want, tt.want.File, tt.want.Redis)
			}
		})
	}
}

func TestParseDefaultPasswordEnv(t *testing.T) {
	t.Setenv(PasswordEnv, "envpw")
	c, err := Parse("redis://h")
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.Password != "envpw" {
		t.Errorf("Password = %q, want it from %s", c.Redis.Password, PasswordEnv)
	}
	if strings.Contains(c.String(), "envpw") {
		t.Errorf("String() = %q shows the password", c.String())
	}
	c, err = Parse("redis://:inurl@h")
	if err != nil || c.Redis.Password != "inurl" {
		t.Errorf("Parse with a URL password = %v, %v; want the URL's password", c, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"no scheme", "/var/lib", `storeurl: "/var/lib": unknown store URL scheme: no scheme (want file://, redis://, memcached://, ...)`},
		{"unknown scheme", "mysql://h", `storeurl: mysql://h: unknown store URL scheme "mysql" (want file, redis, rediss, redis+sentinel, redis+cluster, phpredis, memcached, phpmemcached or noop)`},
		{"file unknown params", "file:///s?colour=red&size=1", `storeurl: file:///s?colour=red&size=1: unknown parameter "colour", "size"`},
		{"file host", "file://server/s", `storeurl: file://server/s: host "server": a file URL names a local directory (file:///dir)`},
		{"file no dir", "file://", `storeurl: file://: no directory (want file:///dir)`},
		{"file depth phalcon", "file:///s?depth=1", `storeurl: file:///s?depth=1: depth and mode are PHP's save_path options: give layout=php`},
		{"file bad mode", "file:///s?layout=php&mode=999", `storeurl: file:///s?layout=php&mode=999: bad mode "999"`},
		{"file twice", "file:///s?prefix=a&prefix=b", `storeurl: file:///s?prefix=a&prefix=b: parameter prefix given 2 times`},
		{"file bad layout", "file:///s?layout=php7", `storeurl: file:///s?layout=php7: adapters: unknown layout "php7" (want phalcon5, phalcon4 or php)`},
		{"redis unknown param, password redacted", "redis://:hunter2@h?colour=red", `storeurl: redis://:xxxxx@h?colour=red: unknown parameter "colour"`},
		{"redis missing env", "redis://h?password_env=SB_NOT_SET_ANYWHERE", `storeurl: redis://h?password_env=SB_NOT_SET_ANYWHERE: password_env: environment variable SB_NOT_SET_ANYWHERE is not set`},
		{"redis env and password", "redis://:p@h?password_env=HOME", `storeurl: redis://:xxxxx@h?password_env=HOME: password_env and a password in the URL: give one`},
		{"redis auth param", "redis://h?auth=hunter2", `storeurl: redis://h?auth=xxxxx: parameter "auth": give the password as redis://:password@host or with password_env`},
		{"phpredis layout", "phpredis://h?layout=phalcon5", `storeurl: phpredis://h?layout=phalcon5: layout "phalcon5": phpredis URLs are always layout php`},
		{"redis sentinel param", "redis://h?sentinel_master=m", `storeurl: redis://h?sentinel_master=m: parameter "sentinel_master": use a redis+sentinel:// or redis+cluster:// URL`},
		{"sentinel no master", "redis+sentinel://:pw@s1,s2", `storeurl: redis+sentinel://:xxxxx@s1,s2: no master name (want redis+sentinel://host,host/mastername[/db])`},
		{"cluster db", "redis+cluster://c1,c2/3", `storeurl: redis+cluster://c1,c2/3: path "3": a Redis Cluster has only database 0`},
		{"cluster bad port", "redis+cluster://c1:70000,c2", `storeurl: redis+cluster://c1:70000,c2: bad port in "c1:70000"`},
		{"memcached empty host", "memcached://m1,,m2", `storeurl: memcached://m1,,m2: empty host in the host list`},
		{"memcached weights count", "memcached://m1,m2?weights=1", `storeurl: memcached://m1,m2?weights=1: weights: 1 given for 2 hosts`},
		{"memcached bad weight", "memcached://m1,m2?weights=1,x", `storeurl: memcached://m1,m2?weights=1,x: weights: bad weight "x" for m2:11211`},
		{"memcached compression", "memcached://m1?compression=lz4", `storeurl: memcached://m1?compression=lz4: compression: memcachedstore: unknown compression "lz4" (want none, fastlz or zlib)`},
		{"memcached password", "memcached://u:pw@m1", `storeurl: memcached://u:xxxxx@m1: user information: memcached has no passwords`},
		{"phpmemcached unknown", "phpmemcached://m1?locking=1", `storeurl: phpmemcached://m1?locking=1: unknown parameter "locking"`},
		{"noop extra", "noop://x", `storeurl: noop://x: noop: takes nothing after the scheme`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.url)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse(%q) error =\n  %v\nwant\n  %s", tt.url, err, tt.want)
			}
		})
	}
	if _, err := Parse("mysql://h"); !errors.Is(err, ErrUnknownScheme) {
		t.Errorf("Parse(mysql://h) = %v, want ErrUnknownScheme", err)
	}
}

// TestParseMalformedUserinfo: a password holding an unescaped "#", "/" or
// "?" is refused without showing any of it, where net/url would show part
// of it as a port.
func TestParseMalformedUserinfo(t *testing.T) {
	for _, u := range []string{
		"redis://:ab#PWSECRET@127.0.0.1:1/0",
		"redis://:ab/PWSECRET@127.0.0.1:1/0",
		"redis://:ab?PWSECRET@127.0.0.1:1/0",
		"redis://:12#PWSECRET@h",
		"rediss://u:ab#PWSECRET@h",
		"redis+sentinel://:ab#PWSECRET@h/m",
		"redis+sentinel://:ab/PWSECRET@h,h2/m",
		"redis+cluster://:ab/PWSECRET@h,h2",
		"memcached://:ab#PWSECRET@h",
		"redis://:ab%zzPWSECRET@h:1/0",
		"redis://:%zz@h:1/0",
		"redis://:ab PWSECRET@h:1/0",
		"redis://:ab\nPWSECRET@h:1/0",
		"redis://:ab\"PWSECRET@h:1/0",
		"redis://:ab;PWSECRET@h:1;x",
		"redis://:abPWSECRET@h:1/0?x=a b",
	} {
		_, err := Parse(u)
		if err == nil || strings.Contains(err.Error(), "PWSECRET") || strings.Contains(err.Error(), "ab") || strings.Contains(err.Error(), "zz") {
			t.Errorf("Parse(%q) = %v, want an error without the password", u, err)
		}
	}
	for _, u := range []string{"redis://h:6379/0?prefix=a@b", "redis://:a@b@h", "file:///var/a@b"} {
		if _, err := Parse(u); err != nil {
			t.Errorf("Parse(%q) = %v, want no error", u, err)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"redis://u:p@h/1", "redis://u:xxxxx@h/1"},
		{"redis://:p@h", "redis://:xxxxx@h"},
		{"redis://u@h", "redis://u@h"},
		{"redis+sentinel://:p@a,b/m", "redis+sentinel://:xxxxx@a,b/m"},
		{"redis://h/?q=a@b:c", "redis://h/?q=a@b:c"},
		{"redis://h:6379/0?prefix=a@b", "redis://h:6379/0?prefix=a@b"},
		{"memcached://m1,m2:11211?prefix=a@b", "memcached://m1,m2:11211?prefix=a@b"},
		{"file:///var/a:b@c", "file:///var/a:xxxxx@c"}, // more than needed, never less
		{"not a url", "not a url"},
		{"redis://:ab#PW@h:6379/0", "redis://:xxxxx@h:6379/0"},
		{"redis://:ab/PW@h:6379/0", "redis://:xxxxx@h:6379/0"},
		{"redis://:a@b?c@h:6379", "redis://:xxxxx@h:6379"},
		{"redis://:p%40w@h", "redis://:xxxxx@h"},
		{"phpredis://h:6379?auth=PW", "phpredis://h:6379?auth=xxxxx"},
		{"phpredis://h:6379?auth%5B%5D=u&auth%5B%5D=PW", "phpredis://h:6379?auth%5B%5D=xxxxx&auth%5B%5D=xxxxx"},
		{"redis://h:6379/0?password=PW&prefix=p", "redis://h:6379/0?password=xxxxx&prefix=p"},
		{"redis+sentinel://h:1/m?sentinel_password=PW", "redis+sentinel://h:1/m?sentinel_password=xxxxx"},
		{"redis://h?password_env=VAR", "redis://h?password_env=VAR"},
		{"tcp://h:6379?AUTH=PW", "tcp://h:6379?AUTH=xxxxx"},
		{`open "redis://:PW@h": refused; also redis://u:PW2@k/1 and tcp://h?auth=PW3.`, `open "redis://:xxxxx@h": refused; also redis://u:xxxxx@k/1 and tcp://h?auth=xxxxx.`},
		// The password repeated elsewhere: in a parameter of no secret
		// name, in the path, in the message around the URL.
		{"redis://:hunter22@h:1/?x=hunter22", "redis://:xxxxx@h:1/?x=xxxxx"},
		{"redis://h:1/?auth=hunter22&prefix=hunter22", "redis://h:1/?auth=xxxxx&prefix=xxxxx"},
		{"redis://:hunter22@h:1/0: WRONGPASS for hunter22", "redis://:xxxxx@h:1/0: WRONGPASS for xxxxx"},
		{"redis://:p%40ss22@h: p@ss22", "redis://:xxxxx@h: xxxxx"}, // decoded as well
		{"redis://:abc@h/?x=abc", "redis://:xxxxx@h/?x=abc"},       // too short to mask beyond the URL's syntax
		// "@" and ":" in the password, escaped or not.
		{"redis://:p@ss@h:1/0", "redis://:xxxxx@h:1/0"},
		{"redis://u:p:ss@h:1/0", "redis://u:xxxxx@h:1/0"},
		{"redis://u:p%3Ass%40w@h:1/0", "redis://u:xxxxx@h:1/0"},
		// A host followed by bytes a host cannot hold, or no host at all.
		{"redis://:PW@h:1;x", "redis://:xxxxx@h:1;x"},
		{"redis://:PW@h:1|x", "redis://:xxxxx@h:1|x"},
		{"unix://:PW@/tmp/redis.sock", "unix://:xxxxx@/tmp/redis.sock"},
		{"redis://:PW@", "redis://:xxxxx@"},
		// "?" in the password, before an "@" that looks like a parameter's.
		{"redis://:ab?x=PW@h:1/0", "redis://:xxxxx@h:1/0"},
		{"redis://:ab/c?x=PW@h:1/0", "redis://:xxxxx@h:1/0"},
		{"redis://h:1/0?prefix=a@b&x=1", "redis://h:1/0?prefix=a@b&x=1"},
		{"redis+cluster://:PW@h1:1,h2:2?prefix=a@b", "redis+cluster://:xxxxx@h1:1,h2:2?prefix=a@b"},
		// ";" separates parameters too.
		{"redis://h:1?a=b;auth=PW", "redis://h:1?a=b;auth=xxxxx"},
		{"tcp://h:1?timeout=1;auth=PW&x=1", "tcp://h:1?timeout=1;auth=xxxxx&x=1"},
		// Several URLs in one string, with or without space between.
		{"redis://:a@h:1,redis://:b@h:2", "redis://:xxxxx@h:1,redis://:xxxxx@h:2"},
		{"redis://:PW1@h1 redis://:PW2@h2\ttcp://h3?auth=PW3\nrediss://u:PW4@h4", "redis://:xxxxx@h1 redis://:xxxxx@h2\ttcp://h3?auth=xxxxx\nrediss://u:xxxxx@h4"},
		{"from redis://:PW1@h1/0 to memcached://m1,m2?prefix=a@b", "from redis://:xxxxx@h1/0 to memcached://m1,m2?prefix=a@b"},
		// URLs in the errors of net/url and go-redis, quotes escaped.
		{`parse "redis://:p%zzw@h:1": invalid URL escape "%zz"`, `parse "redis://:xxxxx@h:1": invalid URL escape "%zz"`},
		{`parse "redis://:pa\"ss@h:1": net/url: invalid userinfo`, `parse "redis://:xxxxx@h:1": net/url: invalid userinfo`},
		{`storeurl: open redis://:PW@127.0.0.1:1/0: dial tcp 127.0.0.1:1: connect: connection refused`, `storeurl: open redis://:xxxxx@127.0.0.1:1/0: dial tcp 127.0.0.1:1: connect: connection refused`},
		{`redis: invalid URL "redis://u:PW@h:1/x": bad database`, `redis: invalid URL "redis://u:xxxxx@h:1/x": bad database`},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestOpen opens a store of every kind on real servers and writes and
// reads a session through it.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	redisAddr := testenv.StartRedis(t).Addr
	memcAddr := testenv.StartMemcached(t).Addr
	urls := []string{
		"file://" + dir,
		"file://" + dir + "?layout=php",
		"redis://" + redisAddr + "/1",
		"phpredis://" + redisAddr + "/2",
		"memcached://" + memcAddr,
		"phpmemcached://" + memcAddr,
	}
	for _, u := range urls {
		t.Run(u, func(t *testing.T) {
			st, err := Open(ctx, u)
			if err != nil {
				t.Fatalf("Open(%q): %v", u, err)
			}
			if c, ok := st.(interface{ Close() error }); ok {
				defer c.Close()
			}
			if err := st.Write(ctx, "abc123", []byte(`n|i:1;`), 0); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got, found, err := st.Read(ctx, "abc123")
			if err != nil || !found || string(got) != `n|i:1;` {
				t.Errorf("Read = %q, %v, %v; want the written payload", got, found, err)
			}
		})
	}
	if st, err := Open(ctx, "noop:"); err != nil || st == nil {
		t.Errorf("Open(noop:) = %v, %v", st, err)
	}
	// A Redis nobody listens on fails at Open, with the password redacted.
	port := strconv.Itoa(testenv.FreePort(t))
	_, err := Open(ctx, "redis://:hunter2@127.0.0.1:"+port)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Open of a closed port = %v, want an error without the password", err)
	}
	// A file store on a missing directory fails at Open.
	if _, err := Open(ctx, "file://"+filepath.Join(dir, "missing")); err == nil {
		t.Errorf("Open of a missing directory succeeded")
	}
}

func TestFromPHPINI(t *testing.T) {
	dir := t.TempDir()
	sessDir := filepath.Join(dir, "sess")
	if err := os.Mkdir(sessDir, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		ini       string
		want      *Config
		wantFmt   phpsession.Format
		wantShown string
		wantErr   string
	}{
		{
			name:      "files",
			ini:       "[Session]\nsession.save_handler = files\nsession.save_path = \"2;0640;" + sessDir + "\"\nsession.serialize_handler = php_serialize\nsession.gc_maxlifetime = 60\n",
			want:      &Config{Scheme: "file", GCMaxLifetime: time.Minute, File: &filestore.Options{Dir: sessDir, Layout: adapters.LayoutNative, Depth: 2, FileMode: 0o640}},
			wantFmt:   phpsession.FormatPHPSerialize,
			wantShown: "file://" + sessDir + "?layout=php&depth=2&mode=0640",
		},
		{
			name:      "redis",
			ini:       "session.save_handler = redis\nsession.save_path = \"tcp://10.0.0.5:6379?auth=hunter2&database=3\"\nsession.gc_maxlifetime = 600\nredis.session.locking_enabled = 1\n",
			want:      &Config{Scheme: "phpredis", GCMaxLifetime: 600 * time.Second, Redis: &redisstore.Options{Host: "10.0.0.5", Port: 6379, Index: 3, Password: "hunter2", Layout: adapters.LayoutNative, Lifetime: 600 * time.Second, Locking: true}},
			wantShown: "phpredis://:xxxxx@10.0.0.5:6379/3",
		},
		{
			name:      "memcached",
			ini:       "session.save_handler = memcached\nsession.save_path = \"PERSISTENT=x m1:11211,m2\"\nmemcached.sess_prefix = pre.\nsession.serialize_handler = igbinary\n",
			want:      &Config{Scheme: "phpmemcached", Memcached: &memcachedstore.Options{Servers: []memcachedstore.Server{{Host: "m1", Port: 11211}, {Host: "m2", Port: 11211}}, Layout: adapters.LayoutNative, Prefix: "pre."}},
			wantFmt:   phpsession.FormatIgbinary,
			wantShown: "phpmemcached://m1:11211,m2:11211",
		},
		{name: "user handler", ini: "session.save_handler = user\n", wantErr: `unsupported session.save_handler "user" (want files, redis or memcached)`},
		{name: "bad serializer", ini: "session.serialize_handler = wddx\n", wantErr: "session.serialize_handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "php.ini")
			if err := os.WriteFile(path, []byte(tt.ini), 0o600); err != nil {
				t.Fatal(err)
			}
			got, f, err := FromPHPINI(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FromPHPINI = %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f != tt.wantFmt {
				t.Errorf("format = %v, want %v", f, tt.wantFmt)
			}
			if got.String() != tt.wantShown {
				t.Errorf("String() = %q, want %q", got.String(), tt.wantShown)
			}
			tt.want.shown = got.shown
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FromPHPINI =\n%+v %+v %+v\nwant\n%+v %+v %+v", got, got.File, got.Redis, tt.want, tt.want.File, tt.want.Redis)
			}
		})
	}
}

package redisstore_test

import (
	"crypto/tls"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url  string
		want redisstore.Options
	}{
		{"redis://localhost", redisstore.Options{Host: "localhost"}},
		{"redis://:s3cret@10.0.0.5:6380/2", redisstore.Options{Host: "10.0.0.5", Port: 6380, Index: 2, Password: "s3cret"}},
		{"redis://app:pw@h/0?prefix=my-custom-prefix-&lifetime=7200", redisstore.Options{Host: "h", Username: "app", Password: "pw", Prefix: "my-custom-prefix-", Lifetime: 2 * time.Hour}},
		{"rediss://cache.example:6379", redisstore.Options{Host: "cache.example", Port: 6379, TLS: &tls.Config{ServerName: "cache.example", MinVersion: tls.VersionTLS12}}},
		{"tcp://10.0.0.5:6379?database=2&auth=s3cret&layout=php&locking=1", redisstore.Options{Host: "10.0.0.5", Port: 6379, Index: 2, Password: "s3cret", Layout: adapters.LayoutNative, Locking: true}},
		{"tcp://h?auth[]=user&auth[]=pass&timeout=2.5&read_timeout=0.5&retry_interval=100&persistent=1", redisstore.Options{Host: "h", Username: "user", Password: "pass", Timeout: 2500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, RetryInterval: 100 * time.Millisecond, Persistent: true}},
		{"redis://h?locking=on&lock_expire=10&lock_retries=2&lock_wait_time=1000&layout=phalcon4", redisstore.Options{Host: "h", Locking: true, LockExpiry: 10 * time.Second, LockRetries: 2, LockWait: time.Millisecond, Layout: adapters.LayoutPhalcon4}},
		{"redis://h?lock_expire=-1&lock_retries=-1", redisstore.Options{Host: "h", LockExpiry: -1, LockRetries: -1}},
		{"unix:///run/redis/redis.sock?database=1", redisstore.Options{Socket: "/run/redis/redis.sock", Index: 1}},
		{"redis://h?auto_pipeline=1", redisstore.Options{Host: "h", AutoPipeline: true}},
		{"redis://s1:26379?sentinel_master=mymaster&sentinel_addr=s2:26379", redisstore.Options{Host: "s1", Port: 26379, SentinelMaster: "mymaster", SentinelAddrs: []string{"s1:26379", "s2:26379"}}},
		{"redis://n1?cluster_addr=n2:7000&cluster_addr=n3:7000", redisstore.Options{Host: "n1", ClusterAddrs: []string{"n1:6379", "n2:7000", "n3:7000"}}},
	}
	for _, tt := range tests {
		got, err := redisstore.ParseURL(tt.url)
		if err != nil {
			t.Errorf("ParseURL(%q) = %v", tt.url, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("ParseURL(%q) =\n%+v\nwant\n%+v", tt.url, *got, tt.want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct{ url, want string }{
		{"http://h", `unknown scheme "http"`},
		{"redis://", "no host"},
		{"unix://", "no socket path"},
		{"redis://h:99999", `bad port "99999"`},
		{"redis://h/x", `bad database "x"`},
		{"redis://h?nope=1", `unknown parameter "nope"`},
		{"tcp://h1?weight=1", "weight: several hosts"},
		{"redis://h?layout=cake", `unknown layout "cake"`},
		{"redis://h?lifetime=1.5", `bad lifetime "1.5"`},
		{"redis://h?lifetime=-3", `bad lifetime "-3"`},
		{"redis://h?timeout=NaN", `bad timeout "NaN"`},
		{"redis://h?timeout=1e300", `bad timeout "1e300"`},
		{"redis://h?locking=maybe", `bad locking "maybe"`},
		{"redis://h?lock_retries=-2", `bad lock_retries "-2"`},
		{"redis://h?database=1&database=2", "database given 2 times"},
		{"redis://h?auth[]=onlyuser", "auth[] given 1 times"},
		{"redis://h?sentinel_addr=s:1", "sentinel_addr without sentinel_master"},
		{"unix:///s.sock?sentinel_master=m", "needs host:port"},
		{"redis://:secret@h?nope=1", "redis://:xxxxx@h?nope=1"}, // the password is redacted
		{"tcp://h:1?auth=secret&nope=1", `url tcp://h:1?auth=xxxxx&nope=1: unknown parameter "nope"`},
		{"tcp://h:1?auth[]=u&auth[]=secret&timeout=x", `url tcp://h:1?auth[]=xxxxx&auth[]=xxxxx&timeout=x: bad timeout "x"`},
		{"tcp://h:1?auth%5B%5D=u&auth%5B%5D=secret&timeout=x", `url tcp://h:1?auth%5B%5D=xxxxx&auth%5B%5D=xxxxx&timeout=x: bad timeout "x"`},
		{"redis://:sec%zzret@h", "redisstore: url does not parse: percent-encode the special characters of its user information"},
		{"redis://:ab#secret@h:1/0", "redisstore: url does not parse: percent-encode"},
		{"redis://h:6x79/0", `redisstore: url does not parse: invalid port ":6x79" after host`},
	}
	for _, tt := range tests {
		_, err := redisstore.ParseURL(tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "zz") {
			t.Errorf("ParseURL(%q) = %v, want an error containing %q", tt.url, err, tt.want)
		}
	}
}

// FuzzParseURL checks that no input makes ParseURL panic, and that what it
// accepts NewClient either accepts or refuses with an error.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"redis://:s3cret@10.0.0.5:6380/2?prefix=p-&lifetime=60",
		"tcp://10.0.0.5:6379?database=2&auth=s3cret&layout=php&locking=1&lock_expire=-1",
		"unix:///run/redis.sock?timeout=0.5",
		"redis://s1:26379?sentinel_master=m&sentinel_addr=s2:1",
		"redis://n1?cluster_addr=n2:7000",
		"rediss://h?auth[]=u&auth[]=p",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := redisstore.ParseURL(s)
		if err != nil {
			return
		}
		if c, err := redisstore.NewClient(*o); err == nil {
			c.Close()
		}
	})
}

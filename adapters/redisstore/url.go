package redisstore

import (
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
)

// ParseURL returns the Options described by a URL, which may be a redis://
// URL or the session.save_path phpredis reads:
//
//	redis://[[user]:password@]host[:port][/database][?param=value&...]
//	rediss://...                  the same over TLS
//	tcp://host[:port][?param=value&...]   (phpredis's save_path)
//	unix:///path/to/redis.sock[?param=value&...]
//
// The port defaults to 6379. Parameters, in the units PHP uses:
//
//	layout           phalcon5 (default), phalcon4 or php
//	prefix           key prefix (default per layout)
//	lifetime         session TTL in seconds (default per layout)
//	locking          1 or 0: Phalcon's lockingEnabled / redis.session.locking_enabled
//	lock_expire      lock TTL in seconds; -1 for none
//	lock_retries     lock attempts (see Options.LockRetries); -1 until the context ends
//	lock_wait_time   pause between lock attempts, in µs
//	database         database index (also the URL path)
//	auth             password; auth[]=user&auth[]=password for a user (as phpredis)
//	timeout          connect timeout in seconds, fractions allowed
//	read_timeout     read timeout in seconds, fractions allowed
//	retry_interval   pause before a retry, in ms
//	persistent       1 or 0 (no effect, see Options.Persistent)
//	sentinel_master  Sentinel master name; host:port is then a Sentinel,
//	sentinel_addr    and each sentinel_addr another one
//	cluster_addr     another Cluster node; host:port is then one too
//	auto_pipeline    1 or 0: Options.AutoPipeline (not a phpredis parameter)
//
// For example, the save_path of a PHP app using phpredis's session handler
// with locking:
//
//	tcp://10.0.0.5:6379?database=2&auth=s3cret&layout=php&locking=1
//
// is Options{Host: "10.0.0.5", Port: 6379, Index: 2, Password: "s3cret",
// Layout: adapters.LayoutNative, Locking: true}. An unknown parameter, a
// value that does not parse, or phpredis's weight (several hosts in one
// save_path, which this store does not support) is an error.
func ParseURL(rawURL string) (*Options, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, parseError(rawURL, err)
	}
	bad := func(format string, args ...any) (*Options, error) {
		return nil, fmt.Errorf("redisstore: url %s: %s", redacted(u), fmt.Sprintf(format, args...))
	}
	o := &Options{}
	switch u.Scheme {
	case "redis", "rediss", "tcp", "tls":
		if u.Host == "" {
			return bad("no host")
		}
		o.Host = u.Hostname()
		if p := u.Port(); p != "" {
			port, err := strconv.Atoi(p)
			if err != nil || port < 1 || port > 65535 {
				return bad("bad port %q", p)
			}
			o.Port = port
		}
		if u.Scheme == "rediss" || u.Scheme == "tls" {
			o.TLS = &tls.Config{ServerName: o.Host, MinVersion: tls.VersionTLS12}
		}
		if path := strings.Trim(u.Path, "/"); path != "" {
			db, err := strconv.Atoi(path)
			if err != nil || db < 0 {
				return bad("bad database %q in the path", path)
			}
			o.Index = db
		}
	case "unix":
		if u.Path == "" {
			return bad("no socket path")
		}
		o.Socket = u.Path
	default:
		return bad("unknown scheme %q (want redis, rediss, tcp, tls or unix)", u.Scheme)
	}
	if u.User != nil {
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
	}

	q := &query{v: u.Query()}
	if l, err := adapters.ParseLayout(q.str("layout")); err != nil {
		return bad("%v", err)
	} else {
		o.Layout = l
	}
	o.Prefix = q.str("prefix")
	o.Lifetime = q.duration("lifetime", time.Second, false, 0)
	o.Locking = q.bool("locking")
	o.LockExpiry = q.duration("lock_expire", time.Second, true, -1)
	if o.LockExpiry < 0 {
		o.LockExpiry = -1
	}
	o.LockRetries = q.int("lock_retries", -1, 0)
	o.LockWait = q.duration("lock_wait_time", time.Microsecond, false, 0)
	if db := q.int("database", 0, -1); db >= 0 {
		o.Index = db
	}
	if auth, ok := q.v["auth[]"]; ok {
		delete(q.v, "auth[]")
		if len(auth) != 2 {
			return bad("auth[] given %d times, want user and password", len(auth))
		}
		o.Username, o.Password = auth[0], auth[1]
	}
	if pass := q.str("auth"); pass != "" {
		o.Password = pass
	}
	o.Timeout = q.duration("timeout", time.Second, true, 0)
	o.ReadTimeout = q.duration("read_timeout", time.Second, true, 0)
	o.RetryInterval = q.duration("retry_interval", time.Millisecond, false, 0)
	o.Persistent = q.bool("persistent")
	o.AutoPipeline = q.bool("auto_pipeline")
	o.SentinelMaster = q.str("sentinel_master")
	sentinels, nodes := q.all("sentinel_addr"), q.all("cluster_addr")
	if q.err != nil {
		return bad("%v", q.err)
	}
	for name := range q.v {
		if name == "weight" {
			return bad("weight: several hosts in one save_path are not supported")
		}
		return bad("unknown parameter %q", name)
	}
	port := o.Port
	if port == 0 {
		port = 6379
	}
	hostPort := net.JoinHostPort(o.Host, strconv.Itoa(port))
	switch {
	case (o.SentinelMaster != "" || nodes != nil) && o.Socket != "":
		return bad("a Sentinel or Cluster needs host:port, not a socket")
	case o.SentinelMaster != "":
		o.SentinelAddrs = append([]string{hostPort}, sentinels...)
	case sentinels != nil:
		return bad("sentinel_addr without sentinel_master")
	}
	if nodes != nil {
		o.ClusterAddrs = append([]string{hostPort}, nodes...)
	}
	return o, nil
}

// parseError is the error of a URL net/url cannot parse, without the URL
// its *url.Error quotes; and without the reason either when the URL has
// user information, as the reason may quote part of the password (a bad
// percent escape, or what a "/" or "#" in it left as the port).
func parseError(rawURL string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if _, rest, ok := strings.Cut(rawURL, "://"); ok && strings.Contains(rest, "@") {
		return errors.New("redisstore: url does not parse: percent-encode the special characters of its user information")
	}
	return fmt.Errorf("redisstore: url does not parse: %w", err)
}

// redacted returns u as a string for a message: with its password, and
// the values of phpredis's auth and auth[] parameters, replaced by xxxxx.
func redacted(u *url.URL) string {
	c := *u
	if c.RawQuery != "" {
		params := strings.Split(c.RawQuery, "&")
		for i, p := range params {
			name, _, ok := strings.Cut(p, "=")
			if n, err := url.QueryUnescape(name); err == nil && ok && (n == "auth" || n == "auth[]") {
				params[i] = name + "=xxxxx"
			}
		}
		c.RawQuery = strings.Join(params, "&")
	}
	return c.Redacted()
}

// query reads URL parameters, each at most once, removing them as it goes
// so that what is left is unknown. The first bad value is kept in err.
type query struct {
	v   url.Values
	err error
}

// str returns the parameter, or "" when it is absent.
func (q *query) str(name string) string {
	vs, ok := q.v[name]
	delete(q.v, name)
	if ok && len(vs) != 1 && q.err == nil {
		q.err = fmt.Errorf("%s given %d times", name, len(vs))
	}
	if !ok || len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// all returns every value of a repeatable parameter.
func (q *query) all(name string) []string {
	vs := q.v[name]
	delete(q.v, name)
	return vs
}

// int returns the parameter as an integer of at least min, or absent when
// it is not given.
func (q *query) int(name string, min, absent int) int {
	v := q.str(name)
	if v == "" {
		return absent
	}
	n, err := strconv.Atoi(v)
	if (err != nil || n < min) && q.err == nil {
		q.err = fmt.Errorf("bad %s %q", name, v)
	}
	return n
}

// bool returns the parameter as PHP reads an ini boolean.
func (q *query) bool(name string) bool {
	switch v := strings.ToLower(q.str(name)); v {
	case "1", "true", "yes", "on":
		return true
	case "", "0", "false", "no", "off":
		return false
	default:
		if q.err == nil {
			q.err = fmt.Errorf("bad %s %q (want 1 or 0)", name, v)
		}
		return false
	}
}

// duration returns the parameter, a number of units (with a fraction if
// frac), which must be at least min units.
func (q *query) duration(name string, unit time.Duration, frac bool, min float64) time.Duration {
	v := q.str(name)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < min || (!frac && f != math.Trunc(f)) || f*float64(unit) > math.MaxInt64/2 {
		if q.err == nil {
			q.err = fmt.Errorf("bad %s %q", name, v)
		}
		return 0
	}
	return time.Duration(f * float64(unit))
}

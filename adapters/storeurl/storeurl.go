package storeurl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/adapters/memcachedstore"
	"github.com/sessbridge/sessbridge/adapters/noopstore"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
)

// PasswordEnv is the environment variable a Redis URL without a password
// takes its password from, when it is set.
const PasswordEnv = "SESSBRIDGE_REDIS_PASSWORD"

// ErrUnknownScheme means a store URL's scheme is none of those the package
// documents.
var ErrUnknownScheme = errors.New("unknown store URL scheme")

// Config is a parsed store URL: which backend, and the options of its
// store package. Exactly one of File, Redis and Memcached is set, except
// for the noop scheme, which sets none.
type Config struct {
	// Scheme is the URL's scheme: "file", "redis", "rediss",
	// "redis+sentinel", "redis+cluster", "phpredis", "memcached",
	// "phpmemcached" or "noop".
	Scheme string
	// File holds the options of a file store.
	File *filestore.Options
	// Redis holds the options of a Redis store.
	Redis *redisstore.Options
	// Memcached holds the options of a memcached store.
	Memcached *memcachedstore.Options
	// GCMaxLifetime is the session.gc_maxlifetime of a php.ini read by
	// [FromPHPINI] (0 when it does not set one, and for a parsed URL): how
	// long a file session lives unless written or touched.
	GCMaxLifetime time.Duration

	shown string // the URL with the password redacted
}

// String returns the URL the Config was parsed from, with any password
// replaced by xxxxx.
func (c *Config) String() string { return c.shown }

// Secrets returns the passwords the store is opened with (Redis's and the
// Sentinels'), however they were given: in the URL, with password_env or
// from [PasswordEnv]. A program that prints messages from a store's client
// can mask them (the sessbridge CLI does), beyond what [Redact] hides.
func (c *Config) Secrets() []string {
	var out []string
	if c.Redis != nil {
		for _, p := range []string{c.Redis.Password, c.Redis.SentinelPassword} {
			if p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// Layout returns the layout of the configured store (LayoutPhalcon5 for
// noop).
func (c *Config) Layout() adapters.Layout {
	switch {
	case c.File != nil:
		return c.File.Layout
	case c.Redis != nil:
		return c.Redis.Layout
	case c.Memcached != nil:
		return c.Memcached.Layout
	}
	return adapters.LayoutPhalcon5
}

// Open parses rawURL (see [Parse]) and opens the store it describes. The
// stores of the redis and memcached schemes hold connections: the returned
// store then implements io.Closer, and the caller should close it. A Redis
// store is pinged with ctx before Open returns.
func Open(ctx context.Context, rawURL string) (adapters.Store, error) {
	c, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	return c.Open(ctx)
}

// Open opens the store c describes; see the package [Open].
func (c *Config) Open(ctx context.Context) (adapters.Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("storeurl: open %s: %w", c.shown, err)
	}
	switch {
	case c.File != nil:
		st, err := filestore.New(*c.File)
		if err != nil {
			return nil, fmt.Errorf("storeurl: open %s: %w", c.shown, err)
		}
		return st, nil
	case c.Redis != nil:
		st, err := redisstore.Open(*c.Redis)
		if err != nil {
			return nil, fmt.Errorf("storeurl: open %s: %w", c.shown, err)
		}
		if err := st.Client().Ping(ctx).Err(); err != nil {
			st.Close()
			return nil, fmt.Errorf("storeurl: open %s: %w", c.shown, err)
		}
		return st, nil
	case c.Memcached != nil:
		st, err := memcachedstore.New(*c.Memcached)
		if err != nil {
			return nil, fmt.Errorf("storeurl: open %s: %w", c.shown, err)
		}
		return st, nil
	case c.Scheme == "noop":
		return noopstore.New(), nil
	}
	return nil, fmt.Errorf("storeurl: open %s: empty Config", c.shown)
}

// Parse parses a store URL (see the package documentation for the
// grammar) without connecting to anything. It reads the environment for
// the password_env parameter and for [PasswordEnv].
//
// Parse returns an error wrapping [ErrUnknownScheme] for an unknown
// scheme, and an error naming the parameter for an unknown or bad one.
// Passwords never appear in its errors.
func Parse(rawURL string) (*Config, error) {
	shown := redactWhole(rawURL)
	scheme, _, ok := strings.Cut(rawURL, ":")
	if !ok {
		return nil, fmt.Errorf("storeurl: %q: %w: no scheme (want file://, redis://, memcached://, ...)", shown, ErrUnknownScheme)
	}
	c := &Config{Scheme: strings.ToLower(scheme), shown: shown}
	err := checkUserinfo(rawURL)
	switch {
	case err != nil:
	case c.Scheme == "file":
		c.File, err = parseFile(rawURL)
	case c.Scheme == "redis", c.Scheme == "rediss", c.Scheme == "phpredis":
		c.Redis, err = parseRedis(rawURL, c.Scheme)
	case c.Scheme == "redis+sentinel", c.Scheme == "redis+cluster":
		c.Redis, err = parseRedisMulti(rawURL, c.Scheme)
	case c.Scheme == "memcached", c.Scheme == "phpmemcached":
		c.Memcached, err = parseMemcached(rawURL, c.Scheme)
	case c.Scheme == "noop":
		if rawURL[len(scheme)+1:] != "" && rawURL[len(scheme)+1:] != "//" {
			err = errors.New("noop: takes nothing after the scheme")
		}
	default:
		err = fmt.Errorf("%w %q (want file, redis, rediss, redis+sentinel, redis+cluster, phpredis, memcached, phpmemcached or noop)", ErrUnknownScheme, scheme)
	}
	if err != nil {
		return nil, fmt.Errorf("storeurl: %s: %w", shown, err)
	}
	return c, nil
}

// checkUserinfo refuses user information holding a "/", "?" or "#",
// which would end it early: net/url would read part of the password as the
// host, port, path or fragment, and show it in its error; and a bad
// percent escape, which net/url's error would show. An "@" in a
// parameter's value (?prefix=a@b) is not user information.
func checkUserinfo(rawURL string) error {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok || strings.EqualFold(scheme, "file") {
		return nil
	}
	at := userinfoEnd(rest)
	if at < 0 {
		return nil
	}
	if strings.ContainsAny(rest[:at], "/?#") {
		return errors.New(`the user information holds "/", "?" or "#": percent-encode them (%2F, %3F, %23) or give the password with password_env`)
	}
	if _, err := url.PathUnescape(rest[:at]); err != nil {
		// net/url's error would quote the bad escape, a part of the
		// password.
		return errors.New(`the user information holds a "%" that starts no percent escape: write it as %25 or give the password with password_env`)
	}
	return nil
}

// Redact returns s, a URL or a message holding URLs, with every password
// replaced by xxxxx: the password of each URL's user information, even
// when it holds an unescaped "#", "/", "?" or "@" that makes the URL
// malformed (the user information then runs to the last "@" that is not in
// a parameter's value), also in the multi-host URLs net/url cannot parse;
// the value of every parameter whose name says it is a secret (auth,
// auth[], password, sentinel_password, pass, pwd, secret, token...; not
// password_env, which names a variable), parameters being separated by
// "&" or ";"; and every other occurrence in s of a secret so found (as
// written or percent-decoded) that is at least 4 bytes long, such as the
// password repeated in another parameter. A URL ends at white space, a
// quote that is not escaped with a backslash (net/url's errors quote the
// URL with %q), or the scheme of another URL ("redis://a,redis://b" is two
// URLs). Text that holds no URL is returned unchanged.
func Redact(s string) string {
	var (
		b       strings.Builder
		secrets []string
	)
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			break
		}
		start := i + len("://")
		end := urlEnd(s, start)
		// Punctuation that ends a message's phrase ends the URL too.
		for end > start && strings.IndexByte(".,:;)", s[end-1]) >= 0 {
			end--
		}
		b.WriteString(s[:start])
		shown, found := redactURL(s[start:end])
		b.WriteString(shown)
		secrets = append(secrets, found...)
		s = s[end:]
	}
	return maskAll(b.String(), secrets)
}

// redactWhole redacts rawURL as one URL, white space and quotes included:
// what [Parse] shows of the URL it was given.
func redactWhole(rawURL string) string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return rawURL
	}
	shown, secrets := redactURL(rest)
	return maskAll(scheme+"://"+shown, secrets)
}

// minSecret is the length of the shortest secret [Redact] masks wherever
// it appears: a shorter one would mask ordinary text.
const minSecret = 4

// maskAll replaces every occurrence in s of each secret at least minSecret
// bytes long with xxxxx.
func maskAll(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= minSecret {
			s = strings.ReplaceAll(s, sec, "xxxxx")
		}
	}
	return s
}

// urlEnd returns where the URL whose "://" ends at start ends in s: at
// white space, an unescaped quote or angle bracket, or the scheme of the
// next URL.
func urlEnd(s string, start int) int {
	end := len(s)
	for j := start; j < len(s); j++ {
		c := s[j]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '<' || c == '>' || c == '`' ||
			(c == '"' || c == '\'') && s[j-1] != '\\' {
			end = j
			break
		}
	}
	if next := strings.Index(s[start:end], "://"); next >= 0 {
		k := start + next
		for k > start && isSchemeByte(s[k-1]) {
			k--
		}
		end = k
	}
	return end
}

// isSchemeByte reports whether c may appear in a URL scheme.
func isSchemeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// redactURL redacts what follows the "://" of a URL, and returns the
// secrets it hid, as written and percent-decoded.
func redactURL(rest string) (string, []string) {
	var secrets []string
	hide := func(v string) {
		secrets = append(secrets, v)
		if d, err := url.QueryUnescape(v); err == nil && d != v {
			secrets = append(secrets, d)
		}
		if d, err := url.PathUnescape(v); err == nil && d != v {
			secrets = append(secrets, d)
		}
	}
	if at := userinfoEnd(rest); at >= 0 {
		if colon := strings.IndexByte(rest[:at], ':'); colon >= 0 {
			hide(rest[colon+1 : at])
			rest = rest[:colon+1] + "xxxxx" + rest[at:]
		}
	}
	q := strings.IndexByte(rest, '?')
	if q < 0 {
		return rest, secrets
	}
	var b strings.Builder
	b.WriteString(rest[:q+1])
	query := rest[q+1:]
	for query != "" {
		param := query
		sep := strings.IndexAny(query, "&;")
		if sep >= 0 {
			param, query = query[:sep], query[sep:]
		} else {
			query = ""
		}
		name, value, ok := strings.Cut(param, "=")
		if ok && value != "" && isSecretParam(name) {
			hide(value)
			value = "xxxxx"
		}
		b.WriteString(name)
		if ok {
			b.WriteByte('=')
			b.WriteString(value)
		}
		if query != "" {
			b.WriteByte(query[0])
			query = query[1:]
		}
	}
	return b.String(), secrets
}

// userinfoEnd returns the index of the "@" that ends the user information
// of rest (a URL after its "://"), or -1: the last "@", unless it is in a
// parameter's value (?prefix=a@b) of a URL whose part before the "?" is
// well formed, [user[:password]@]host[:port][,host...][/path]; a password
// holding "?" (redis://:a?b=c@h) makes it malformed. It may take an "@"
// of the path for one (file:///var/a:b@c): Redact then hides more than the
// password, never less.
func userinfoEnd(rest string) int {
	for at := len(rest) - 1; at >= 0; at-- {
		if rest[at] != '@' {
			continue
		}
		if before, query, ok := strings.Cut(rest[:at], "?"); ok && strings.Contains(query, "=") && wellFormed(before) {
			continue
		}
		return at
	}
	return -1
}

// hostList matches an authority's host list: host[:port][,host[:port]...],
// a host being a name, an address or a bracketed IPv6 address.
var hostList = regexp.MustCompile(`^(\[[0-9A-Fa-f:.%]+\]|[A-Za-z0-9._%-]+)(:[0-9]*)?(,(\[[0-9A-Fa-f:.%]+\]|[A-Za-z0-9._%-]+)(:[0-9]*)?)*$`)

// wellFormed reports whether s, a URL after its "://" and before its "?",
// is [userinfo@]hosts[/path] with a host list net/url or splitHosts can
// read (or no host at all, as in file:///dir).
func wellFormed(s string) bool {
	authority, _, _ := strings.Cut(s, "/")
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		authority = authority[at+1:]
	}
	return authority == "" || hostList.MatchString(authority)
}

// isSecretParam reports whether a URL parameter's value is a secret.
func isSecretParam(name string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	name = strings.ToLower(name)
	if strings.HasSuffix(name, "_env") {
		return false
	}
	for _, w := range []string{"auth", "pass", "pwd", "secret", "token", "key"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// params reads URL parameters, each at most once, removing them as it
// goes so that what is left is unknown. The first bad value is kept in
// err.
type params struct {
	v   url.Values
	err error
}

func (p *params) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf(format, args...)
	}
}

// str returns the parameter, or "" when it is absent.
func (p *params) str(name string) string {
	vs, ok := p.v[name]
	delete(p.v, name)
	if !ok {
		return ""
	}
	if len(vs) != 1 {
		p.fail("parameter %s given %d times", name, len(vs))
	}
	return vs[0]
}

// int returns the parameter as an int in [min, max], or def when absent.
func (p *params) int(name string, base, min, max, def int) int {
	s := p.str(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, base, 64)
	if err != nil || n < int64(min) || n > int64(max) {
		p.fail("bad %s %q", name, s)
		return def
	}
	return int(n)
}

// seconds returns the parameter as a duration in seconds, fractions
// allowed when frac.
func (p *params) seconds(name string, frac bool) time.Duration {
	s := p.str(name)
	if s == "" {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || (!frac && f != math.Trunc(f)) || f > float64(math.MaxInt64/2)/float64(time.Second) {
		p.fail("bad %s %q", name, s)
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// layout returns the layout parameter; forced, when not "", is the only
// one the scheme allows.
func (p *params) layout(forced string) adapters.Layout {
	s := p.str("layout")
	if forced != "" {
		if s != "" && !strings.EqualFold(s, forced) {
			p.fail("layout %q: this scheme is always layout %s", s, forced)
		}
		s = forced
	}
	l, err := adapters.ParseLayout(s)
	if err != nil {
		p.fail("%v", err)
	}
	return l
}

// done returns the first error, or one naming the unknown parameters.
func (p *params) done() error {
	if p.err != nil {
		return p.err
	}
	if len(p.v) > 0 {
		names := make([]string, 0, len(p.v))
		for n := range p.v {
			names = append(names, strconv.Quote(n))
		}
		slices.Sort(names)
		return fmt.Errorf("unknown parameter %s", strings.Join(names, ", "))
	}
	return nil
}

// parseFile parses a file: URL.
func parseFile(rawURL string) (*filestore.Options, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.Unwrap(err) // the *url.Error repeats the URL
	}
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("host %q: a file URL names a local directory (file:///dir)", u.Host)
	}
	dir := u.Path
	if u.Opaque != "" {
		dir = u.Opaque
	}
	p := &params{v: u.Query()}
	layout := p.layout("")
	prefix := p.str("prefix")
	_, hasDepth := p.v["depth"]
	_, hasMode := p.v["mode"]
	depth := p.int("depth", 10, 0, 255, 0)
	mode := p.int("mode", 8, 0, 0o7777, 0)
	if err := p.done(); err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, errors.New("no directory (want file:///dir)")
	}
	if layout != adapters.LayoutNative {
		if hasDepth || hasMode {
			return nil, fmt.Errorf("depth and mode are PHP's save_path options: give layout=php")
		}
		return &filestore.Options{Dir: dir, Layout: layout, Prefix: prefix}, nil
	}
	if sp := strings.TrimPrefix(dir, "/"); isSavePathSyntax(sp) {
		if hasDepth || hasMode {
			return nil, fmt.Errorf("path %q already gives N;MODE;: drop depth and mode", dir)
		}
		o, err := filestore.ParseSavePath(sp)
		if err != nil {
			return nil, err
		}
		o.Prefix = prefix
		return &o, nil
	}
	return &filestore.Options{Dir: dir, Layout: layout, Prefix: prefix, Depth: depth, FileMode: os.FileMode(mode)}, nil
}

// isSavePathSyntax reports whether s starts as PHP's "N;..." save_path.
func isSavePathSyntax(s string) bool {
	n, _, ok := strings.Cut(s, ";")
	if !ok || n == "" {
		return false
	}
	for _, c := range []byte(n) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseRedis parses a redis:, rediss: or phpredis: URL through
// redisstore.ParseURL.
func parseRedis(rawURL, scheme string) (*redisstore.Options, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.Unwrap(err)
	}
	q := u.Query()
	if err := applyPassword(u, q); err != nil {
		return nil, err
	}
	if scheme == "phpredis" {
		u.Scheme = "redis"
		if l := q.Get("layout"); l != "" && !strings.EqualFold(l, "php") {
			return nil, fmt.Errorf("layout %q: phpredis URLs are always layout php", l)
		}
		q.Set("layout", "php")
	}
	for _, name := range []string{"sentinel_master", "sentinel_addr", "cluster_addr"} {
		if q.Has(name) {
			return nil, fmt.Errorf("parameter %q: use a redis+sentinel:// or redis+cluster:// URL", name)
		}
	}
	if err := refuseAuthParam(q); err != nil {
		return nil, err
	}
	u.RawQuery = q.Encode()
	return parseRedisOptions(u)
}

// refuseAuthParam refuses phpredis's auth parameter, which would put a
// password where Redact cannot hide it.
func refuseAuthParam(q url.Values) error {
	for _, name := range []string{"auth", "auth[]"} {
		if q.Has(name) {
			return fmt.Errorf("parameter %q: give the password as redis://:password@host or with password_env", name)
		}
	}
	return nil
}

// parseRedisOptions runs redisstore.ParseURL, keeping its message without
// the URL it repeats.
func parseRedisOptions(u *url.URL) (*redisstore.Options, error) {
	o, err := redisstore.ParseURL(u.String())
	if err != nil {
		msg := err.Error()
		if _, after, ok := strings.Cut(msg, u.Redacted()+": "); ok {
			msg = after
		}
		return nil, errors.New(msg)
	}
	return o, nil
}

// applyPassword sets the password of u from password_env or PasswordEnv.
func applyPassword(u *url.URL, q url.Values) error {
	name := q.Get("password_env")
	if vs := q["password_env"]; len(vs) > 1 {
		return fmt.Errorf("parameter password_env given %d times", len(vs))
	}
	q.Del("password_env")
	user := ""
	if u.User != nil {
		user = u.User.Username()
		if _, ok := u.User.Password(); ok {
			if name != "" {
				return errors.New("password_env and a password in the URL: give one")
			}
			return nil
		}
	}
	if name != "" {
		pass, ok := os.LookupEnv(name)
		if !ok {
			return fmt.Errorf("password_env: environment variable %s is not set", name)
		}
		u.User = url.UserPassword(user, pass)
		return nil
	}
	if pass, ok := os.LookupEnv(PasswordEnv); ok && pass != "" {
		u.User = url.UserPassword(user, pass)
	}
	return nil
}

// splitHosts splits a URL with several comma-separated hosts into the
// hosts, each with defPort when it has none, and a URL with the same
// scheme, user information, path and query and the first host.
func splitHosts(rawURL string, defPort int) (hosts []string, u *url.URL, err error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, nil, errors.New("want scheme://host[,host...]")
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo := ""
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo, authority = authority[:at+1], authority[at+1:]
	}
	if authority == "" {
		return nil, nil, errors.New("no host")
	}
	for _, h := range strings.Split(authority, ",") {
		hp, err := withPort(h, defPort)
		if err != nil {
			return nil, nil, err
		}
		hosts = append(hosts, hp)
	}
	u, err = url.Parse(scheme + "://" + userinfo + hosts[0] + tail)
	if err != nil {
		return nil, nil, errors.Unwrap(err)
	}
	return hosts, u, nil
}

// withPort returns host:port, adding defPort to a host without one.
func withPort(h string, defPort int) (string, error) {
	if h == "" {
		return "", errors.New("empty host in the host list")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), strconv.Itoa(defPort)
		if strings.ContainsAny(host, "[]/") || (strings.Contains(host, ":") && !strings.HasPrefix(h, "[")) {
			return "", fmt.Errorf("bad host %q", h)
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("bad port in %q", h)
	}
	if host == "" {
		return "", fmt.Errorf("bad host %q", h)
	}
	return net.JoinHostPort(host, port), nil
}

// parseRedisMulti parses redis+sentinel: and redis+cluster: URLs.
func parseRedisMulti(rawURL, scheme string) (*redisstore.Options, error) {
	defPort := 6379
	if scheme == "redis+sentinel" {
		defPort = 26379
	}
	hosts, u, err := splitHosts(rawURL, defPort)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	if err := applyPassword(u, q); err != nil {
		return nil, err
	}
	for _, name := range []string{"sentinel_master", "sentinel_addr", "cluster_addr"} {
		if q.Has(name) {
			return nil, fmt.Errorf("parameter %q: give the hosts in the URL's host list", name)
		}
	}
	if err := refuseAuthParam(q); err != nil {
		return nil, err
	}
	u.Scheme = "redis"
	path := strings.Trim(u.Path, "/")
	u.Path = ""
	if scheme == "redis+sentinel" {
		master, db, _ := strings.Cut(path, "/")
		if master == "" {
			return nil, errors.New("no master name (want redis+sentinel://host,host/mastername[/db])")
		}
		q.Set("sentinel_master", master)
		if db != "" {
			u.Path = "/" + db
		}
		q["sentinel_addr"] = hosts[1:]
	} else {
		if path != "" {
			return nil, fmt.Errorf("path %q: a Redis Cluster has only database 0", path)
		}
		q["cluster_addr"] = hosts[1:]
	}
	u.RawQuery = q.Encode()
	return parseRedisOptions(u)
}

// parseMemcached parses memcached: and phpmemcached: URLs.
func parseMemcached(rawURL, scheme string) (*memcachedstore.Options, error) {
	hosts, u, err := splitHosts(rawURL, 11211)
	if err != nil {
		return nil, err
	}
	if u.User != nil {
		return nil, errors.New("user information: memcached has no passwords")
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		return nil, fmt.Errorf("path %q: memcached URLs have no path", p)
	}
	p := &params{v: u.Query()}
	forced := ""
	if scheme == "phpmemcached" {
		forced = "php"
	}
	o := &memcachedstore.Options{Layout: p.layout(forced), Prefix: p.str("prefix")}
	o.Lifetime = p.seconds("lifetime", false)
	o.Timeout = p.seconds("timeout", true)
	if s := p.str("distribution"); s != "" {
		if o.Distribution, err = memcachedstore.ParseDistribution(s); err != nil {
			p.fail("distribution: %v", err)
		}
	}
	if s := p.str("compression"); s != "" {
		if o.Compression, err = memcachedstore.ParseCompression(s); err != nil {
			p.fail("compression: %v", err)
		}
	}
	var weights []string
	if s := p.str("weights"); s != "" {
		weights = strings.Split(s, ",")
		if len(weights) != len(hosts) {
			p.fail("weights: %d given for %d hosts", len(weights), len(hosts))
		}
	}
	if err := p.done(); err != nil {
		return nil, err
	}
	for i, hp := range hosts {
		host, port, _ := net.SplitHostPort(hp)
		n, _ := strconv.Atoi(port)
		srv := memcachedstore.Server{Host: host, Port: n}
		if weights != nil {
			w, err := strconv.Atoi(weights[i])
			if err != nil || w < 1 {
				return nil, fmt.Errorf("weights: bad weight %q for %s", weights[i], hp)
			}
			srv.Weight = w
		}
		o.Servers = append(o.Servers, srv)
	}
	return o, nil
}

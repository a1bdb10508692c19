package storeurl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/adapters/memcachedstore"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/phpini"
	"github.com/sessbridge/sessbridge/phpsession"
)

// ErrUnsupportedHandler means a php.ini names a session.save_handler this
// package cannot open.
var ErrUnsupportedHandler = errors.New("unsupported session.save_handler")

// FromPHPINI reads the php.ini at path (and the conf.d directory next to
// it, as phpini.ParseFile does) and returns the store PHP's own session
// handler uses, in the native layout, with the session.serialize_handler
// it writes:
//
//	save_handler  save_path                           store
//	files         "N;MODE;/dir" (PHP's syntax)        file, layout php
//	redis         "tcp://host:6379?auth=...&..."      phpredis (redisstore.ParseURL)
//	memcached     "host:11211,host2:11211"            phpmemcached
//
// session.gc_maxlifetime becomes the Redis and memcached lifetime and
// [Config.GCMaxLifetime],
// redis.session.locking_enabled the Redis locking and memcached.sess_prefix
// the memcached prefix. A handler it cannot open (user, rediscluster, ...)
// gives an error wrapping [ErrUnsupportedHandler].
func FromPHPINI(path string) (*Config, phpsession.Format, error) {
	ini, err := phpini.ParseFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("storeurl: %w", err)
	}
	get := func(name, def string) string {
		if v, ok := ini.Get(name); ok {
			return v
		}
		return def
	}
	f, err := phpsession.ParseFormat(get("session.serialize_handler", "php"))
	if err != nil {
		return nil, 0, fmt.Errorf("storeurl: %s: session.serialize_handler: %w", path, err)
	}
	bad := func(format string, args ...any) (*Config, phpsession.Format, error) {
		return nil, 0, fmt.Errorf("storeurl: %s: %s", path, fmt.Sprintf(format, args...))
	}
	var lifetime time.Duration
	if v, ok := ini.Get("session.gc_maxlifetime"); ok {
		n, ok := phpini.ParseInt(v)
		if !ok || n < 1 {
			return bad("session.gc_maxlifetime = %q: not a positive number", v)
		}
		lifetime = time.Duration(n) * time.Second
	}
	savePath := get("session.save_path", "")
	c := &Config{GCMaxLifetime: lifetime}
	switch handler := get("session.save_handler", "files"); handler {
	case "files":
		o, err := filestore.ParseSavePath(savePath)
		if err != nil {
			return bad("session.save_path: %v", err)
		}
		c.Scheme, c.File = "file", &o
		c.shown = (&url.URL{Scheme: "file", Path: o.Dir, RawQuery: fmt.Sprintf("layout=php&depth=%d&mode=%04o", o.Depth, o.FileMode)}).String()
	case "redis":
		o, err := redisstore.ParseURL(savePath)
		if err != nil {
			return bad("session.save_path: %v", Redact(err.Error()))
		}
		o.Layout = adapters.LayoutNative
		o.Lifetime = lifetime
		if v, ok := ini.Get("redis.session.locking_enabled"); ok {
			o.Locking = phpini.ParseBool(v)
		}
		c.Scheme, c.Redis = "phpredis", o
		c.shown = redisShown(o)
	case "memcached":
		o := &memcachedstore.Options{Layout: adapters.LayoutNative, Lifetime: lifetime}
		if v, ok := ini.Get("memcached.sess_prefix"); ok {
			o.Prefix = v
		}
		list := savePath
		if strings.HasPrefix(list, "PERSISTENT=") {
			_, list, _ = strings.Cut(list, " ")
		}
		var hosts []string
		for _, h := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
			hp, err := withPort(h, 11211)
			if err != nil {
				return bad("session.save_path: %v", err)
			}
			host, port, _ := net.SplitHostPort(hp)
			n, _ := strconv.Atoi(port)
			o.Servers = append(o.Servers, memcachedstore.Server{Host: host, Port: n})
			hosts = append(hosts, hp)
		}
		if len(hosts) == 0 {
			return bad("session.save_path: no memcached server")
		}
		c.Scheme, c.Memcached = "phpmemcached", o
		c.shown = "phpmemcached://" + strings.Join(hosts, ",")
	default:
		return nil, 0, fmt.Errorf("storeurl: %s: %w %q (want files, redis or memcached)", path, ErrUnsupportedHandler, handler)
	}
	return c, f, nil
}

// redisShown returns a URL showing a Redis store's address, without its
// password.
func redisShown(o *redisstore.Options) string {
	u := &url.URL{Scheme: "phpredis"}
	if o.Password != "" {
		u.User = url.UserPassword(o.Username, "xxxxx")
	} else if o.Username != "" {
		u.User = url.User(o.Username)
	}
	if o.Socket != "" {
		u.Scheme, u.Path = "unix", o.Socket
	} else {
		port := o.Port
		if port == 0 {
			port = 6379
		}
		u.Host = net.JoinHostPort(o.Host, strconv.Itoa(port))
		u.Path = "/" + strconv.Itoa(o.Index)
	}
	return u.String()
}

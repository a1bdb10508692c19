package storeurl

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/adapters/memcachedstore"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
)

// Identity is the canonical name of the key space a store URL addresses,
// whatever the URL's spelling: two URLs that reach the same sessions have
// identities that [Identity.Overlaps] reports, even when one says
// 127.0.0.1 and the other localhost, one ends the directory with "/" or
// spells the layout PHP, or one adds a parameter (lifetime, locking) that
// changes how sessions are written but not where.
type Identity struct {
	// Backend is "file", "redis", "memcached" or "noop".
	Backend string
	// Path is the real directory of a file store: absolute, cleaned and
	// with symbolic links resolved.
	Path string
	// Addrs are the resolved server addresses, sorted: "ip:port" for
	// each address a host name resolves to, "local:port" for every address
	// of this machine (loopback, unspecified, an interface's address), and
	// "unix:path" for a Redis socket. For Sentinel they are the Sentinels'
	// addresses, and Master names the master.
	Addrs []string
	// Master is the Sentinel master name ("" without Sentinel).
	Master string
	// DB is the Redis database index.
	DB int
	// Layout is the store's layout.
	Layout adapters.Layout
	// Prefix is the prefix of every key or file name, with the layout's
	// default filled in.
	Prefix string
}

// String returns the identity for messages, for example
// redis local:6379/2 prefix "PHPREDIS_SESSION:" (layout php).
func (id Identity) String() string {
	var where string
	switch id.Backend {
	case "file":
		where = id.Path
	case "redis":
		where = strings.Join(id.Addrs, ",")
		if id.Master != "" {
			where += " master " + id.Master
		}
		where += "/" + strconv.Itoa(id.DB)
	case "memcached":
		where = strings.Join(id.Addrs, ",")
	default:
		return id.Backend
	}
	return fmt.Sprintf("%s %s prefix %q (layout %s)", id.Backend, where, id.Prefix, id.Layout)
}

// Overlaps reports whether two stores can hold the same key or file: the
// same backend, the same directory or a server in common, the same database
// and Sentinel master, and one prefix starting with the other (a key
// sess-reds-abc is session "reds-abc" under the prefix "sess-"). A noop
// store overlaps nothing.
func (id Identity) Overlaps(other Identity) bool {
	if id.Backend != other.Backend || id.Backend == "noop" {
		return false
	}
	if !strings.HasPrefix(id.Prefix, other.Prefix) && !strings.HasPrefix(other.Prefix, id.Prefix) {
		return false
	}
	switch id.Backend {
	case "file":
		return id.Path == other.Path
	case "redis":
		if id.DB != other.DB || id.Master != other.Master {
			return false
		}
	}
	for _, a := range id.Addrs {
		if slices.Contains(other.Addrs, a) {
			return true
		}
	}
	return false
}

// Identity resolves the store c describes to its [Identity]: the real path
// of a directory, the addresses host names resolve to (with ctx), and the
// layout's default prefix. It connects to nothing. A host name that does
// not resolve is an error, as the store could not be opened either.
func (c *Config) Identity(ctx context.Context) (Identity, error) {
	switch {
	case c.File != nil:
		return fileIdentity(c.File)
	case c.Redis != nil:
		return redisIdentity(ctx, c.Redis, c.shown)
	case c.Memcached != nil:
		o := c.Memcached
		id := Identity{Backend: "memcached", Layout: o.Layout, Prefix: o.Prefix}
		if id.Prefix == "" {
			id.Prefix = memcachedstore.DefaultPrefix
			if o.Layout == adapters.LayoutNative {
				id.Prefix = memcachedstore.NativePrefix
			}
		}
		servers := o.Servers
		if len(servers) == 0 {
			servers = []memcachedstore.Server{{Host: "127.0.0.1", Port: 11211}}
		}
		for _, s := range servers {
			port := s.Port
			if port == 0 {
				port = 11211
			}
			addrs, err := resolve(ctx, s.Host, port)
			if err != nil {
				return Identity{}, fmt.Errorf("storeurl: %s: %w", c.shown, err)
			}
			id.Addrs = append(id.Addrs, addrs...)
		}
		slices.Sort(id.Addrs)
		id.Addrs = slices.Compact(id.Addrs)
		return id, nil
	}
	return Identity{Backend: "noop"}, nil
}

// fileIdentity resolves a file store's directory.
func fileIdentity(o *filestore.Options) (Identity, error) {
	id := Identity{Backend: "file", Layout: o.Layout, Prefix: o.Prefix}
	if o.Layout == adapters.LayoutNative {
		id.Prefix = filestore.NativePrefix
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return Identity{}, fmt.Errorf("storeurl: directory %s: %w", o.Dir, err)
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	id.Path = filepath.Clean(dir)
	return id, nil
}

// redisIdentity resolves a Redis store's servers.
func redisIdentity(ctx context.Context, o *redisstore.Options, shown string) (Identity, error) {
	id := Identity{Backend: "redis", Layout: o.Layout, Prefix: o.Prefix, DB: o.Index, Master: o.SentinelMaster}
	if id.Prefix == "" {
		id.Prefix = redisstore.DefaultPrefix
		if o.Layout == adapters.LayoutNative {
			id.Prefix = redisstore.NativePrefix
		}
	}
	var hostports []string
	switch {
	case o.Socket != "":
		p, err := filepath.Abs(o.Socket)
		if err != nil {
			return Identity{}, fmt.Errorf("storeurl: %s: %w", shown, err)
		}
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		id.Addrs = []string{"unix:" + p}
		return id, nil
	case o.SentinelMaster != "":
		hostports = append([]string{net.JoinHostPort(o.Host, portOr(o.Port, 26379))}, o.SentinelAddrs...)
	case len(o.ClusterAddrs) > 0:
		hostports = append([]string{net.JoinHostPort(o.Host, portOr(o.Port, 6379))}, o.ClusterAddrs...)
	default:
		host := o.Host
		if host == "" {
			host = "127.0.0.1"
		}
		hostports = []string{net.JoinHostPort(host, portOr(o.Port, 6379))}
	}
	for _, hp := range hostports {
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			return Identity{}, fmt.Errorf("storeurl: %s: %w", shown, err)
		}
		n, _ := strconv.Atoi(port)
		addrs, err := resolve(ctx, host, n)
		if err != nil {
			return Identity{}, fmt.Errorf("storeurl: %s: %w", shown, err)
		}
		id.Addrs = append(id.Addrs, addrs...)
	}
	slices.Sort(id.Addrs)
	id.Addrs = slices.Compact(id.Addrs)
	return id, nil
}

// portOr returns port as a string, or def when port is 0.
func portOr(port, def int) string {
	if port == 0 {
		port = def
	}
	return strconv.Itoa(port)
}

// resolve returns "ip:port" for each address host resolves to, with
// "local" for the addresses of this machine.
func resolve(ctx context.Context, host string, port int) ([]string, error) {
	var ips []string
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		ips = []string{ip.String()}
	} else {
		var err error
		if ips, err = net.DefaultResolver.LookupHost(ctx, host); err != nil {
			return nil, fmt.Errorf("resolve host %q: %w", host, err)
		}
	}
	local := localIPs()
	out := make([]string, 0, len(ips))
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip == nil {
			continue
		}
		name := ip.String()
		if ip.IsLoopback() || ip.IsUnspecified() || slices.ContainsFunc(local, ip.Equal) {
			name = "local"
		}
		out = append(out, net.JoinHostPort(name, strconv.Itoa(port)))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("resolve host %q: no address", host)
	}
	return out, nil
}

// localIPs returns the addresses of this machine's interfaces.
func localIPs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	return ips
}

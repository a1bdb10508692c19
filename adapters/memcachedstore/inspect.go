package memcachedstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/sessbridge/sessbridge/adapters"
)

var (
	_ adapters.Inspector = (*Store)(nil)
	_ adapters.Expirer   = (*Store)(nil)
)

// Inspect returns the key of session id, its value as stored with the item
// flags (php-memcached's serializer and compression bits), and whether its
// lock key (<prefix>lock.<id>, see [Store.Lock]) exists. Memcached cannot
// tell the time an item has left, so Store has no Expiry.
func (s *Store) Inspect(ctx context.Context, id string) (adapters.Inspection, bool, error) {
	payload, found, it, err := s.read(ctx, id)
	if err != nil || !found {
		return adapters.Inspection{}, false, err
	}
	in := adapters.Inspection{
		Location: it.Key,
		Stored:   it.Value,
		Payload:  payload,
		LockName: s.opts.Prefix + lockInfix + id,
		Flags:    it.Flags,
		HasFlags: true,
	}
	switch _, err := s.client.Get(in.LockName); {
	case err == nil:
		in.Lock = adapters.LockHeld
	case errors.Is(err, memcache.ErrCacheMiss):
		in.Lock = adapters.LockFree
	default:
		return in, false, fmt.Errorf("memcachedstore: get %q: %w", in.LockName, err)
	}
	return in, true, nil
}

// Expiry returns the time session id has left before memcached expires it,
// which memcached counts in whole seconds: a meta get with the t flag
// (mg <key> t, memcached 1.6 and later), which returns it without the
// value and changes nothing but the item's place in the LRU, as a get
// does. A session stored without expiry has a negative TTL. Memcached
// keeps no time of the last write: Modified is the zero Time. The command
// goes to the server of the key (see [Selector]) on a connection of its
// own, bounded by [Options].Timeout. A server that does not know meta
// commands (memcached before 1.6) gives an error wrapping
// [ErrNoMetaCommands].
func (s *Store) Expiry(ctx context.Context, id string) (adapters.Expiry, bool, error) {
	key, err := s.key(ctx, id)
	if err != nil {
		return adapters.Expiry{}, false, err
	}
	var reply string
	err = s.do(ctx, func() (err error) { reply, err = s.metaGet(key, "t"); return err })
	if err != nil {
		return adapters.Expiry{}, false, fmt.Errorf("memcachedstore: expiry %q: %w", key, err)
	}
	fields := strings.Fields(reply)
	switch {
	case reply == "EN":
		return adapters.Expiry{}, false, nil
	case len(fields) == 2 && fields[0] == "HD" && strings.HasPrefix(fields[1], "t"):
		secs, err := strconv.ParseInt(fields[1][1:], 10, 32)
		if err != nil || secs < -1 {
			break
		}
		if secs == -1 {
			return adapters.Expiry{TTL: -1, HasTTL: true}, true, nil
		}
		return adapters.Expiry{TTL: time.Duration(secs) * time.Second, HasTTL: true}, true, nil
	case reply == "ERROR" || strings.HasPrefix(reply, "CLIENT_ERROR"):
		return adapters.Expiry{}, false, fmt.Errorf("memcachedstore: expiry %q: %w (the server replied %q)", key, ErrNoMetaCommands, reply)
	}
	return adapters.Expiry{}, false, fmt.Errorf("memcachedstore: expiry %q: unexpected reply %q to mg", key, reply)
}

// ErrNoMetaCommands means a memcached server does not know the meta
// commands (memcached before 1.6), which [Store.Expiry] needs.
var ErrNoMetaCommands = errors.New("memcachedstore: the server does not know meta commands (memcached 1.6 or later needed)")

// metaGet sends "mg <key> <flags>" to the server of key on a connection of
// its own (gomemcache speaks no meta commands) and returns the reply line
// without its CRLF.
func (s *Store) metaGet(key, flags string) (string, error) {
	addr, err := s.sel.PickServer(key)
	if err != nil {
		return "", err
	}
	timeout := s.opts.Timeout
	if timeout == 0 {
		timeout = memcache.DefaultTimeout
	}
	c, err := net.DialTimeout(addr.Network(), addr.String(), timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	if _, err := io.WriteString(c, "mg "+key+" "+flags+"\r\n"); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(io.LimitReader(c, 1024)).ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(line, "\r\n"), nil
}

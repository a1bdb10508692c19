package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/storeurl"
	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
)

// storeEnv is the environment variable --store defaults to.
const storeEnv = "SESSBRIDGE_STORE"

// storeHelp is the part of a store command's help that explains the shared
// flags.
const storeHelp = `
The store is a URL given with --store or $SESSBRIDGE_STORE (see the storeurl
package for the grammar):

  file:///var/lib/php/sessions                 Phalcon's Stream adapter
  file:///var/lib/php/sessions?layout=php      PHP's files handler
  redis://:pass@10.0.0.5:6379/2?locking=1      Phalcon's Redis adapter
  phpredis://10.0.0.5:6379                     phpredis's session handler
  memcached://m1:11211,m2:11211?weights=1,2    Phalcon's Libmemcached adapter
  phpmemcached://m1,m2                         php-memcached's session handler

or read from a php.ini with --php-ini, which also gives the handler. Keep
passwords out of the command line with ?password_env=VAR or
$SESSBRIDGE_REDIS_PASSWORD.`

// storeFlags are the flags every command that opens a store shares.
type storeFlags struct {
	Store   string            // --store, or $SESSBRIDGE_STORE
	PHPINI  string            // --php-ini: take the store and handler from a php.ini
	Handler phpsession.Format // --handler
	// HasHandler is true when --handler was given; otherwise a php.ini's
	// session.serialize_handler wins over the default php.
	HasHandler bool
}

// addStoreFlags adds --store, --php-ini and --handler to cmd. handler
// receives the raw --handler value for parseStoreFlags.
func addStoreFlags(cmd *cobra.Command, sf *storeFlags, handler *string) {
	cmd.Flags().StringVar(&sf.Store, "store", "", "store URL (default $"+storeEnv+")")
	cmd.Flags().StringVar(&sf.PHPINI, "php-ini", "", "take the store and handler from this php.ini (session.save_handler, save_path, serialize_handler)")
	cmd.Flags().StringVar(handler, "handler", "php", "session.serialize_handler of the sessions: php, php_serialize, php_binary or igbinary")
}

// parseStoreFlags checks the store flags of cmd after parsing: exactly one
// of --store, $SESSBRIDGE_STORE and --php-ini, and a known --handler.
func parseStoreFlags(cmd *cobra.Command, sf *storeFlags, handler string) error {
	fm, err := phpsession.ParseFormat(handler)
	if err != nil {
		return flagErrorf("--handler: %w", err)
	}
	sf.Handler, sf.HasHandler = fm, cmd.Flags().Changed("handler")
	if sf.Store != "" && sf.PHPINI != "" {
		return flagErrorf("give --store or --php-ini, not both")
	}
	if sf.Store == "" && sf.PHPINI == "" {
		sf.Store = os.Getenv(storeEnv)
		if sf.Store == "" {
			return flagErrorf("no store: give --store URL, --php-ini FILE or set $%s", storeEnv)
		}
	}
	return nil
}

// openedStore is a store opened from the store flags, with what it was
// opened from.
type openedStore struct {
	adapters.Store
	Config *storeurl.Config
	Format phpsession.Format // the handler the sessions are written with
}

// openTimeout bounds opening a store (connecting to Redis and its
// Sentinels, which go-redis retries): an unreachable store is reported
// instead of waited for.
const openTimeout = 10 * time.Second

// openStore opens the store the flags name. The caller must Close it.
func openStore(ctx context.Context, sf storeFlags) (*openedStore, error) {
	cfg, fm, err := storeConfig(sf)
	if err != nil {
		return nil, err
	}
	return openConfig(ctx, cfg, fm)
}

// storeConfig parses the store the flags name, without connecting, and
// returns it with the handler its sessions are written with.
func storeConfig(sf storeFlags) (*storeurl.Config, phpsession.Format, error) {
	if sf.PHPINI == "" {
		cfg, err := storeurl.Parse(sf.Store)
		if err != nil {
			return nil, 0, err
		}
		addSecrets(cfg.Secrets()...)
		return cfg, sf.Handler, nil
	}
	cfg, iniFormat, err := storeurl.FromPHPINI(sf.PHPINI)
	if err != nil {
		return nil, 0, err
	}
	addSecrets(cfg.Secrets()...)
	if !sf.HasHandler {
		return cfg, iniFormat, nil
	}
	return cfg, sf.Handler, nil
}

// openConfig opens the store cfg describes, whose sessions are written
// with the handler fm. The caller must Close it.
func openConfig(ctx context.Context, cfg *storeurl.Config, fm phpsession.Format) (*openedStore, error) {
	if err := checkTLSMismatch(ctx, cfg); err != nil {
		return nil, err
	}
	octx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	st, err := cfg.Open(octx)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w (no answer within %v)", err, openTimeout)
	}
	if err != nil && ctx.Err() == nil && cfg.Redis != nil && cfg.Redis.TLS == nil && speaksTLS(ctx, redisAddr(cfg)) {
		err = fmt.Errorf("%w\nthe server at %s speaks TLS: use a rediss:// URL", err, redisAddr(cfg))
	}
	if err != nil {
		return nil, err
	}
	return &openedStore{Store: st, Config: cfg, Format: fm}, nil
}

// Close closes the store's connections, if it has any.
func (o *openedStore) Close() error {
	if c, ok := o.Store.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// errNotFound is wrapped by the errors of commands that did not find the
// session or key they were given.
var errNotFound = errors.New("not found")

// readSession reads and decodes session id; a missing session is an error
// wrapping errNotFound.
func readSession(ctx context.Context, st *openedStore, id string) (*phpsession.Session, []byte, error) {
	data, found, err := st.Read(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, fmt.Errorf("session %s: %w in %s%s", quoteName(id), errNotFound, st.Config, layoutHint(ctx, st, id))
	}
	s, err := decodePayload(data, "session "+quoteName(id), st.Format)
	if err != nil {
		return nil, nil, err
	}
	return s, data, nil
}

// casRetries is how many times modifySession tries a compare-and-swap
// write that keeps losing to other writers. Between tries it waits a random
// time of up to casBackoff, doubled after each loss (capped at
// casMaxBackoff), so that writers racing for one session spread out
// instead of colliding again.
const (
	casRetries    = 50
	casBackoff    = 500 * time.Microsecond
	casMaxBackoff = 50 * time.Millisecond
)

// modifySession reads session id, lets change modify it and writes it back,
// so that no other writer's change is lost: with a compare-and-swap write
// when the store has one (retrying when it loses), else under the store's
// lock when it has one. A missing session is created when create is true,
// and is an error wrapping errNotFound otherwise. Entries change leaves
// alone are written back as their original bytes. The new payload must
// decode again: otherwise nothing is written.
func modifySession(ctx context.Context, st *openedStore, id string, create bool, change func(*phpsession.Session) error) error {
	apply := func(data []byte, found bool) ([]byte, error) {
		var s *phpsession.Session
		if !found {
			if !create {
				return nil, fmt.Errorf("session %s: %w in %s%s", quoteName(id), errNotFound, st.Config, layoutHint(ctx, st, id))
			}
			s = phpsession.NewSession(st.Format)
		} else {
			var err error
			if s, err = decodePayload(data, "session "+quoteName(id), st.Format); err != nil {
				return nil, err
			}
		}
		if err := change(s); err != nil {
			return nil, err
		}
		out, err := s.Encode()
		if err != nil {
			return nil, fmt.Errorf("session %s: %w", quoteName(id), err)
		}
		if _, err := phpsession.DecodeSession(out, st.Format); err != nil {
			return nil, fmt.Errorf("session %s: PHP could not read the result back: %w", quoteName(id), err)
		}
		return out, nil
	}
	if cas, ok := st.Store.(adapters.CASWriter); ok {
		backoff := casBackoff
		for try := range casRetries {
			if try > 0 {
				select {
				case <-time.After(rand.N(backoff)):
				case <-ctx.Done():
					return ctx.Err()
				}
				backoff = min(2*backoff, casMaxBackoff)
			}
			data, found, ver, err := cas.ReadVersion(ctx, id)
			if err != nil {
				return err
			}
			out, err := apply(data, found)
			if err != nil {
				return err
			}
			err = cas.WriteIfVersion(ctx, id, out, 0, ver)
			if !errors.Is(err, adapters.ErrConflict) {
				return err
			}
		}
		return fmt.Errorf("session %s: %w %d times", quoteName(id), adapters.ErrConflict, casRetries)
	}
	if l, ok := st.Store.(adapters.Locker); ok {
		unlock, err := l.Lock(ctx, id)
		if err != nil {
			return err
		}
		defer func() {
			// The write is done or failed; a failed unlock only delays
			// the next locker until the lock expires.
			_ = unlock(context.WithoutCancel(ctx))
		}()
	}
	data, found, err := st.Read(ctx, id)
	if err != nil {
		return err
	}
	out, err := apply(data, found)
	if err != nil {
		return err
	}
	return st.Write(ctx, id, out, 0)
}

// expiry is what a store tells of a session's lifetime.
type expiry struct {
	// TTL is the time left before the store expires the session (Redis);
	// HasTTL is false when the store cannot tell. A session that never
	// expires has HasTTL and TTL < 0.
	TTL    time.Duration
	HasTTL bool
	// Age is the time since the session was last written or touched
	// (files, which PHP's GC removes once older than gc_maxlifetime).
	Age    time.Duration
	HasAge bool
}

// sessionExpiry returns what st can tell of the lifetime of session id
// ([adapters.Expirer]: Redis's TTL, a session file's age); nothing from a
// store that cannot tell, or for a missing session.
func sessionExpiry(ctx context.Context, st adapters.Store, id string, now time.Time) (expiry, error) {
	e, ok := st.(adapters.Expirer)
	if !ok {
		return expiry{}, nil
	}
	exp, found, err := e.Expiry(ctx, id)
	if err != nil || !found {
		return expiry{}, err
	}
	ex := expiry{TTL: exp.TTL, HasTTL: exp.HasTTL}
	if !exp.Modified.IsZero() {
		ex.Age, ex.HasAge = max(now.Sub(exp.Modified), 0), true
	}
	return ex, nil
}

// durationText shows a TTL or age for people: whole seconds, "-" when unknown,
// "none" for a session that never expires.
func durationText(d time.Duration, known bool) string {
	switch {
	case !known:
		return "-"
	case d < 0:
		return "none"
	}
	return d.Round(time.Second).String()
}

// seconds returns d in whole seconds for JSON, or nil when unknown.
func seconds(d time.Duration, known bool) *int64 {
	if !known {
		return nil
	}
	if d < 0 {
		v := int64(-1)
		return &v
	}
	v := int64(math.Round(d.Seconds()))
	return &v
}

// peekSession reads session id for a command that only looks at it (ls)
// without waiting for a lock PHP holds on it ([adapters.Peeker]: a session
// file PHP holds gives an error wrapping adapters.ErrLockTimeout at once);
// stores whose Read never waits for a lock are read as usual.
func peekSession(ctx context.Context, st adapters.Store, id string) ([]byte, bool, error) {
	if p, ok := st.(adapters.Peeker); ok {
		return p.Peek(ctx, id)
	}
	return st.Read(ctx, id)
}

// probeTimeout bounds the probes that tell TLS from plain Redis.
const probeTimeout = 2 * time.Second

// redisAddr returns the host:port of a single Redis server, or "" for
// Sentinel, Cluster and Unix sockets.
func redisAddr(cfg *storeurl.Config) string {
	o := cfg.Redis
	if o == nil || o.Socket != "" || o.SentinelMaster != "" || len(o.ClusterAddrs) > 0 {
		return ""
	}
	host, port := o.Host, o.Port
	if host == "" {
		host = "127.0.0.1"
	}
	if port == 0 {
		port = 6379
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// checkTLSMismatch refuses a rediss:// URL whose server speaks plain
// Redis: its TLS handshake would wait until a timeout, as the server waits
// for the end of a command line that never comes.
func checkTLSMismatch(ctx context.Context, cfg *storeurl.Config) error {
	addr := redisAddr(cfg)
	if addr == "" || cfg.Redis.TLS == nil || !speaksPlainRedis(ctx, addr) {
		return nil
	}
	return fmt.Errorf("storeurl: open %s: the server at %s speaks plain Redis, not TLS: use a redis:// URL", cfg, addr)
}

// speaksPlainRedis reports whether the server at addr answers PING as
// plain Redis does (+PONG, or an error such as -NOAUTH).
func speaksPlainRedis(ctx context.Context, addr string) bool {
	d := net.Dialer{Timeout: probeTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(probeTimeout))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 1)
	if _, err := io.ReadFull(c, buf); err != nil {
		return false
	}
	return buf[0] == '+' || buf[0] == '-'
}

// speaksTLS reports whether the server at addr completes a TLS handshake.
func speaksTLS(ctx context.Context, addr string) bool {
	if addr == "" {
		return false
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: probeTimeout}, Config: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // a probe: nothing is sent
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// layoutHint looks for a session that was not found under the store's
// other layout (PHP's own handler or Phalcon's adapter), and returns a line
// saying how to name the store that has it, or "".
func layoutHint(ctx context.Context, st *openedStore, id string) string {
	alt, fix := otherLayout(st.Config)
	if alt == nil {
		return ""
	}
	s, err := alt.Open(ctx)
	if err != nil {
		return ""
	}
	defer func() {
		if c, ok := s.(io.Closer); ok {
			c.Close()
		}
	}()
	ins, ok := s.(adapters.Inspector)
	if !ok {
		return ""
	}
	in, found, err := ins.Inspect(ctx, id)
	if err != nil || !found {
		return ""
	}
	if alt.File != nil {
		return fmt.Sprintf("\nthe directory holds %s: %s", filepath.Base(in.Location), fix)
	}
	return fmt.Sprintf("\nthe database holds the key %s: %s", in.Location, fix)
}

// otherLayout returns the store cfg names under the other layout (PHP's
// own handler for Phalcon's adapter, and back), with the default prefix,
// and how to name it; nil when there is none to look in.
func otherLayout(cfg *storeurl.Config) (*storeurl.Config, string) {
	alt := *cfg
	switch {
	case cfg.File != nil && cfg.File.Depth == 0:
		o := *cfg.File
		o.Prefix, o.FileMode = "", 0
		if o.Layout == adapters.LayoutNative {
			o.Layout = adapters.LayoutPhalcon5
			alt.File = &o
			return &alt, "drop layout=php from the URL (Phalcon's Stream adapter)"
		}
		o.Layout = adapters.LayoutNative
		alt.File = &o
		return &alt, "add ?layout=php to the URL (PHP's files handler)"
	case cfg.Redis != nil:
		o := *cfg.Redis
		o.Prefix = ""
		if o.Layout == adapters.LayoutNative {
			o.Layout = adapters.LayoutPhalcon5
			alt.Redis = &o
			return &alt, "use a redis:// URL without layout=php (Phalcon's Redis adapter)"
		}
		o.Layout = adapters.LayoutNative
		alt.Redis = &o
		return &alt, "use a phpredis:// URL or ?layout=php (phpredis's session handler)"
	}
	return nil, ""
}

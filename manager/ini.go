package manager

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sessbridge/sessbridge/phpini"
	"github.com/sessbridge/sessbridge/phpsession"
)

// ConfigFromINI returns the [Config] that PHP's session settings in ini
// describe: session.name,
// serialize_handler, cookie_lifetime, cookie_path, cookie_domain,
// cookie_secure, cookie_httponly, cookie_samesite, sid_length,
// sid_bits_per_character, use_strict_mode and lazy_write; and, when
// save_handler is redis or memcached (whose PHP handlers expire sessions
// after it), gc_maxlifetime as the TTL. Settings the files leave out keep
// PHP's defaults. Phalcon's own options (uniqueId, the adapter's lifetime)
// are not in php.ini; set them on the result. It returns an error wrapping
// [ErrInvalidConfig] for a value PHP would refuse. A nil ini is no files:
// every setting keeps PHP's default.
func ConfigFromINI(ini *phpini.Settings) (Config, error) {
	if ini == nil {
		ini = new(phpini.Settings)
	}
	var cfg Config
	var errs []error
	bad := func(name, v, why string) {
		errs = append(errs, fmt.Errorf("manager: %w: %s = %q: %s", ErrInvalidConfig, name, v, why))
	}
	get := func(name string) string {
		v, _ := ini.Get(name)
		return v
	}
	num := func(name string) (int64, bool) {
		v, ok := ini.Get(name)
		if !ok {
			return 0, false
		}
		n, ok := phpini.ParseInt(v)
		if !ok {
			bad(name, v, "not a number")
		}
		return n, ok
	}
	if v, ok := ini.Get("session.name"); ok {
		cfg.Name = v
		if v == "" || allDigits(v) || strings.ContainsAny(v, "=,;.[ \t\r\n\v\f") {
			bad("session.name", v, "empty, numeric or holding one of =,;.[ and whitespace")
		}
	}
	if v, ok := ini.Get("session.serialize_handler"); ok {
		f, err := phpsession.ParseFormat(v)
		if err != nil {
			bad("session.serialize_handler", v, "unknown handler")
		}
		cfg.Format = f
	}
	if n, ok := num("session.cookie_lifetime"); ok {
		if n < 0 {
			bad("session.cookie_lifetime", get("session.cookie_lifetime"), "negative")
		}
		cfg.Cookie.Lifetime = time.Duration(n) * time.Second
	}
	cfg.Cookie.Path = get("session.cookie_path")
	cfg.Cookie.Domain = get("session.cookie_domain")
	cfg.Cookie.Secure = phpini.ParseBool(get("session.cookie_secure"))
	cfg.Cookie.HTTPOnly = phpini.ParseBool(get("session.cookie_httponly"))
	switch v := get("session.cookie_samesite"); strings.ToLower(v) {
	case "":
	case "lax":
		cfg.Cookie.SameSite = http.SameSiteLaxMode
	case "strict":
		cfg.Cookie.SameSite = http.SameSiteStrictMode
	case "none":
		cfg.Cookie.SameSite = http.SameSiteNoneMode
	default:
		bad("session.cookie_samesite", v, "not Lax, Strict or None")
	}
	if n, ok := num("session.sid_length"); ok {
		if n < MinSIDLength || n > MaxSIDLength {
			bad("session.sid_length", get("session.sid_length"), fmt.Sprintf("not in %d..%d", MinSIDLength, MaxSIDLength))
		}
		cfg.SIDLength = int(n)
	}
	if n, ok := num("session.sid_bits_per_character"); ok {
		if n < 4 || n > 6 {
			bad("session.sid_bits_per_character", get("session.sid_bits_per_character"), "not 4, 5 or 6")
		}
		cfg.SIDBitsPerCharacter = int(n)
	}
	cfg.StrictMode = phpini.ParseBool(get("session.use_strict_mode"))
	if v, ok := ini.Get("session.lazy_write"); ok {
		cfg.NoLazyWrite = !phpini.ParseBool(v)
	}
	switch get("session.save_handler") {
	case "redis", "rediscluster", "memcached":
		gc := int64(1440)
		if n, ok := num("session.gc_maxlifetime"); ok {
			gc = n
		}
		cfg.TTL = time.Duration(gc) * time.Second
	}
	return cfg, errors.Join(errs...)
}

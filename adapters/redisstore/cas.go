package redisstore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters"
)

// version is the [adapters.Version] of a Store: the SHA-1 of the stored
// value (the wrapped bytes with the Phalcon layouts) in lowercase hex, as
// Redis's redis.sha1hex spells it, or versionMissing when the read found
// no key.
type version string

// versionMissing is the version of a session that was not there. It
// cannot be mistaken for a digest, which is 40 hex digits.
const versionMissing version = "missing"

// casScript is the compare-and-swap write, run in one round trip as
// EVALSHA (EVAL when the server has not cached it): it writes with SETEX,
// as Write does, only if the key holds a value whose SHA-1 is ARGV[1], or
// is absent and ARGV[1] is "missing". It returns 1 when it wrote and 0 on
// a conflict. It touches only KEYS[1], so it runs on a Cluster too.
//
// A key holding something other than a string fails with WRONGTYPE, as
// GET does.
var casScript = redis.NewScript(`local v = redis.call('GET', KEYS[1])
if v then
  if redis.sha1hex(v) ~= ARGV[1] then return 0 end
elseif ARGV[1] ~= 'missing' then
  return 0
end
redis.call('SETEX', KEYS[1], ARGV[2], ARGV[3])
return 1`)

// ReadVersion is [Store.Read] plus a version token for
// [Store.WriteIfVersion]: the SHA-1 of the value read. It sends one GET,
// as Read does.
//
// Errors are [*OpError] values.
func (s *Store) ReadVersion(ctx context.Context, id string) ([]byte, bool, adapters.Version, error) {
	data, found, raw, err := s.read(ctx, "read", id)
	if err != nil {
		return nil, false, nil, err
	}
	if !found {
		return nil, false, versionMissing, nil
	}
	sum := sha1.Sum(raw)
	return data, true, version(hex.EncodeToString(sum[:])), nil
}

// WriteIfVersion writes data as [Store.Write] does (SETEX, the same value
// bytes and TTL), but only if the stored value is still the one
// [Store.ReadVersion] returned ver for, or still missing if that read found
// nothing. The comparison and the write are one Lua script, sent as one
// EVALSHA (and once per server as EVAL, when its script cache lacks it), so
// a compare-and-swap costs one round trip. It works on a Cluster, as a
// session is one key.
//
// Versions compare the SHA-1 of the stored values: a session written back
// with the very same bytes meanwhile is not a conflict, which is harmless,
// as nothing was lost.
//
// When the session changed, it writes nothing and returns an [*OpError]
// wrapping [adapters.ErrConflict]. A version from elsewhere is refused with
// an *OpError too.
func (s *Store) WriteIfVersion(ctx context.Context, id string, data []byte, ttl time.Duration, ver adapters.Version) error {
	key, err := s.key("write", id)
	if err != nil {
		return err
	}
	want, ok := ver.(version)
	if !ok {
		return &OpError{Op: "write", Key: key, Err: fmt.Errorf("version %T is not from a redisstore.Store", ver)}
	}
	exp, err := s.ttl("write", key, ttl)
	if err != nil {
		return err
	}
	value, buf := s.encode(data)
	defer release(buf)
	wrote, err := casScript.Run(ctx, s.client, []string{key}, string(want), int64(exp/time.Second), value).Int64()
	if err != nil {
		return &OpError{Op: "write", Key: key, Err: err}
	}
	if wrote != 1 {
		return &OpError{Op: "write", Key: key, Err: adapters.ErrConflict}
	}
	return nil
}

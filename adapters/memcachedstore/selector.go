package memcachedstore

import (
	"cmp"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/bradfitz/gomemcache/memcache"
)

// Server is one memcached server, as given to php-memcached's
// Memcached::addServers or listed in session.save_path.
type Server struct {
	// Host is the host name or IP literal exactly as PHP is configured with
	// it. It is part of the hashed point names, so "localhost" and
	// "127.0.0.1" place keys differently even though they reach the same
	// server.
	Host string
	// Port is the TCP port. Default: 11211.
	Port int
	// Weight is the server's weight. 0 means 1, as in libmemcached.
	// Default: 1.
	Weight int
}

// String returns host:port.
func (s Server) String() string {
	port := s.Port
	if port == 0 {
		port = defaultPort
	}
	return net.JoinHostPort(s.Host, strconv.Itoa(port))
}

// defaultPort is MEMCACHED_DEFAULT_PORT: point names leave it out.
const defaultPort = 11211

// Distribution is the libmemcached configuration whose server choice a
// [Selector] reproduces: the key hash and how the continuum is built.
//
// The zero value, [DistributionDefault], means [DistributionConsistent] for
// a bare [Selector]; in [Options] it means the layout's own.
type Distribution int

// The distributions.
const (
	// DistributionDefault picks by context: DistributionConsistent in
	// [SelectorOptions]; in [Options], the distribution of the layout
	// (Phalcon 5: DistributionConsistent, Phalcon 4: DistributionCRC,
	// native: DistributionKetama).
	DistributionDefault Distribution = iota
	// DistributionConsistent is Memcached::OPT_DISTRIBUTION =
	// DISTRIBUTION_CONSISTENT with the default hash, as Phalcon ≥ 5.10 sets
	// it: keys are hashed with Jenkins one-at-a-time; with every weight ≤ 1
	// each server has 100 one-at-a-time points, and as soon as one weight is
	// above 1 libmemcached switches to its weighted MD5 continuum (still with
	// one-at-a-time keys).
	DistributionConsistent
	// DistributionCRC is what Phalcon 4.0 to 5.9 apply (their option
	// array_merge bug turns the options into OPT_HASH = HASH_CRC and
	// KETAMA on): as DistributionConsistent, but keys and the 100 points are
	// hashed with libhashkit's 15-bit CRC. With a weight above 1 the points
	// are MD5 while keys stay 15-bit, so nearly every key lands on one
	// server: that is what PHP does, and this reproduces it.
	DistributionCRC
	// DistributionKetama is the php-memcached session handler's default,
	// memcached.sess_consistent_hash_type=ketama: 100 one-at-a-time points
	// per server and one-at-a-time keys. Weights are ignored.
	DistributionKetama
	// DistributionKetamaWeighted is Memcached::OPT_LIBKETAMA_COMPATIBLE, or
	// the session handler's sess_consistent_hash_type=ketama_weighted: the
	// libketama-compatible weighted MD5 continuum with MD5 keys.
	DistributionKetamaWeighted
)

var distributionNames = [...]string{
	DistributionDefault:        "default",
	DistributionConsistent:     "consistent",
	DistributionCRC:            "crc",
	DistributionKetama:         "ketama",
	DistributionKetamaWeighted: "ketama_weighted",
}

// String returns the distribution's name: "default", "consistent", "crc",
// "ketama" or "ketama_weighted".
func (d Distribution) String() string {
	if d >= 0 && int(d) < len(distributionNames) {
		return distributionNames[d]
	}
	return "Distribution(" + strconv.Itoa(int(d)) + ")"
}

// ParseDistribution returns the Distribution named s (as [Distribution.String]
// spells it; "" means DistributionDefault).
func ParseDistribution(s string) (Distribution, error) {
	if s == "" {
		return DistributionDefault, nil
	}
	for d, name := range distributionNames {
		if name == s {
			return Distribution(d), nil
		}
	}
	return 0, fmt.Errorf("memcachedstore: unknown distribution %q (want consistent, crc, ketama or ketama_weighted)", s)
}

// SelectorOptions configure a [Selector].
type SelectorOptions struct {
	// Servers in the order PHP adds them (the order matters: it breaks
	// ties between equal points). Required.
	Servers []Server
	// Distribution is the libmemcached configuration to reproduce.
	// Default: DistributionConsistent.
	Distribution Distribution
	// Prefix is removed from the front of a key before it is hashed:
	// libmemcached hashes keys without its prefix (OPT_PREFIX_KEY, the
	// session handler's memcached.sess_prefix). Default: "" (keys are
	// hashed whole).
	Prefix string
}

// Selector is a gomemcache [memcache.ServerSelector] that names the server
// libmemcached 1.1 (php-memcached 3.x) picks for a key, so that Go and PHP
// read and write each session on the same server. It is safe for concurrent
// use, and PickServer does not allocate.
//
// Limitation: libmemcached drops failed servers from its continuum when
// OPT_REMOVE_FAILED_SERVERS is on (Phalcon ≥ 5.10 turns it on), per PHP
// process and for a few seconds. A Selector cannot see that state: during a
// server outage PHP and Go can disagree.
type Selector struct {
	addrs  []net.Addr
	points []uint32 // sorted continuum values
	owner  []uint16 // owner[i] is the index in addrs of points[i]
	hash   keyHash
	prefix string
}

var _ memcache.ServerSelector = (*Selector)(nil)

// ErrNoServers means a Selector or Store was configured with no servers.
var ErrNoServers = errors.New("memcachedstore: no servers configured")

type keyHash uint8

const (
	hashOAAT keyHash = iota
	hashCRC
	hashMD5
)

// pointsPerServer is MEMCACHED_POINTS_PER_SERVER (unweighted continuum) and
// pointsPerServerKetama MEMCACHED_POINTS_PER_SERVER_KETAMA (weighted).
const (
	pointsPerServer       = 100
	pointsPerServerKetama = 160
	pointsPerHash         = 4
	maxServers            = math.MaxUint16
)

// NewSelector builds the continuum for the servers. It returns an error if
// there are no servers, more than 65535, a server with an empty host, a port
// outside 0..65535 or a negative weight.
func NewSelector(opts SelectorOptions) (*Selector, error) {
	if len(opts.Servers) == 0 {
		return nil, ErrNoServers
	}
	if len(opts.Servers) > maxServers {
		return nil, fmt.Errorf("memcachedstore: %d servers, at most %d supported", len(opts.Servers), maxServers)
	}
	s := &Selector{prefix: opts.Prefix}
	servers := make([]Server, len(opts.Servers))
	for i, srv := range opts.Servers {
		if srv.Host == "" {
			return nil, fmt.Errorf("memcachedstore: server %d has no host", i)
		}
		if srv.Port < 0 || srv.Port > math.MaxUint16 {
			return nil, fmt.Errorf("memcachedstore: server %d (%s): port %d out of range", i, srv.Host, srv.Port)
		}
		if srv.Weight < 0 {
			return nil, fmt.Errorf("memcachedstore: server %d (%s): negative weight %d", i, srv.Host, srv.Weight)
		}
		if srv.Port == 0 {
			srv.Port = defaultPort
		}
		if srv.Weight == 0 {
			srv.Weight = 1
		}
		servers[i] = srv
		s.addrs = append(s.addrs, &serverAddr{str: srv.String()})
	}

	var weighted bool
	switch opts.Distribution {
	case DistributionDefault, DistributionConsistent, DistributionCRC:
		// memcached_server_push turns on the weighted continuum as soon as
		// a server has a weight above 1, whatever the distribution.
		weighted = slices.ContainsFunc(servers, func(s Server) bool { return s.Weight > 1 })
		if opts.Distribution == DistributionCRC {
			s.hash = hashCRC
		}
	case DistributionKetama:
		// MEMCACHED_BEHAVIOR_KETAMA, set after the servers, clears it.
	case DistributionKetamaWeighted:
		weighted, s.hash = true, hashMD5
	default:
		return nil, fmt.Errorf("memcachedstore: unknown distribution %d", int(opts.Distribution))
	}
	if len(servers) > 1 {
		s.buildContinuum(servers, weighted)
	}
	return s, nil
}

// buildContinuum follows libmemcached's update_continuum.
func (s *Selector) buildContinuum(servers []Server, weighted bool) {
	type point struct {
		value uint32
		owner uint16
	}
	var pts []point
	var total int
	for _, srv := range servers {
		total += srv.Weight
	}
	var name []byte
	for idx, srv := range servers {
		owner := uint16(idx)
		if !weighted {
			for i := range pointsPerServer {
				name = appendPointName(name[:0], srv, i)
				pts = append(pts, point{s.hashName(name), owner})
			}
			continue
		}
		// Each MD5 of a point name gives four points.
		for i := range weightedPoints(srv.Weight, total, len(servers)) / pointsPerHash {
			sum := md5.Sum(appendPointName(name[:0], srv, i))
			for a := range pointsPerHash {
				pts = append(pts, point{binary.LittleEndian.Uint32(sum[4*a:]), owner})
			}
		}
	}
	// libmemcached 1.1 sorts by value, then by server index.
	slices.SortFunc(pts, func(a, b point) int {
		if c := cmp.Compare(a.value, b.value); c != 0 {
			return c
		}
		return cmp.Compare(a.owner, b.owner)
	})
	s.points = make([]uint32, len(pts))
	s.owner = make([]uint16, len(pts))
	for i, p := range pts {
		s.points[i], s.owner[i] = p.value, p.owner
	}
}

// weightedPoints is libmemcached's
// floorf(pct * 160 / 4 * live_servers + 1e-10) * 4, in C float arithmetic.
func weightedPoints(weight, total, servers int) int {
	pct := float32(weight) / float32(total)
	t := pct * pointsPerServerKetama / pointsPerHash * float32(servers)
	return int(math.Floor(float64(float32(float64(t)+0.0000000001)))) * pointsPerHash
}

// appendPointName appends libmemcached's point name: "host-i" on port
// 11211, "host:port-i" on any other.
func appendPointName(dst []byte, srv Server, i int) []byte {
	dst = append(dst, srv.Host...)
	if srv.Port != defaultPort {
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(srv.Port), 10)
	}
	dst = append(dst, '-')
	return strconv.AppendInt(dst, int64(i), 10)
}

// PickServer returns the server for key, hashed without the configured
// prefix. It returns [memcache.ErrNoServers] for a Selector with no
// servers (the zero Selector).
func (s *Selector) PickServer(key string) (net.Addr, error) {
	switch len(s.addrs) {
	case 0:
		return nil, memcache.ErrNoServers
	case 1:
		return s.addrs[0], nil
	}
	return s.addrs[s.owner[s.lookup(s.hashKey(key))]], nil
}

// Index returns the position in the configured servers of the server for
// key, or -1 for a Selector with no servers.
func (s *Selector) Index(key string) int {
	switch len(s.addrs) {
	case 0:
		return -1
	case 1:
		return 0
	}
	return int(s.owner[s.lookup(s.hashKey(key))])
}

// lookup is the first point ≥ h, wrapping past the end to the first.
func (s *Selector) lookup(h uint32) int {
	lo, hi := 0, len(s.points)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if s.points[mid] < h {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(s.points) {
		return 0
	}
	return lo
}

// Each calls f for every server, in the configured order, stopping at the
// first error.
func (s *Selector) Each(f func(net.Addr) error) error {
	for _, a := range s.addrs {
		if err := f(a); err != nil {
			return err
		}
	}
	return nil
}

func (s *Selector) hashKey(key string) uint32 {
	key = strings.TrimPrefix(key, s.prefix)
	switch s.hash {
	case hashCRC:
		return crc15(key)
	case hashMD5:
		return md5Hash(key)
	}
	return oneAtATime(key)
}

// hashName hashes a point name of the unweighted continuum, with the key
// hash (MD5 never gets here: its continuum is the weighted one).
func (s *Selector) hashName(name []byte) uint32 {
	if s.hash == hashCRC {
		return crc15(name)
	}
	return oneAtATime(name)
}

// oneAtATime is libhashkit's Jenkins one-at-a-time hash. libhashkit reads
// the key as C chars, which are signed on x86 and most other platforms PHP
// runs on, so bytes ≥ 0x80 are sign-extended.
func oneAtATime[T string | []byte](key T) uint32 {
	var v uint32
	for i := 0; i < len(key); i++ {
		v += uint32(int32(int8(key[i])))
		v += v << 10
		v ^= v >> 6
	}
	v += v << 3
	v ^= v >> 11
	v += v << 15
	return v
}

var crcTable = crc32.MakeTable(crc32.IEEE)

// crc15 is libhashkit's MEMCACHED_HASH_CRC: bits 16..30 of the IEEE CRC-32.
func crc15[T string | []byte](key T) uint32 {
	c := ^uint32(0)
	for i := 0; i < len(key); i++ {
		c = crcTable[byte(c)^key[i]] ^ (c >> 8)
	}
	return (^c >> 16) & 0x7fff
}

// md5Hash is libhashkit's MEMCACHED_HASH_MD5: the first four bytes of the
// digest, little-endian.
func md5Hash(key string) uint32 {
	var buf [maxKeyLength]byte
	var sum [md5.Size]byte
	if len(key) <= len(buf) {
		n := copy(buf[:], key)
		sum = md5.Sum(buf[:n])
	} else {
		sum = md5.Sum([]byte(key))
	}
	return binary.LittleEndian.Uint32(sum[:])
}

// maxKeyLength is the longest key memcached (and gomemcache) accept.
const maxKeyLength = 250

// serverAddr is a net.Addr that is not resolved up front, so that a host
// name is looked up when gomemcache dials, as libmemcached does.
type serverAddr struct{ str string }

func (a *serverAddr) Network() string { return "tcp" }
func (a *serverAddr) String() string  { return a.str }

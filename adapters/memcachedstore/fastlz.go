package memcachedstore

import (
	"errors"
	"fmt"
	"slices"
)

// This file is FastLZ (Ariya Hidayat, 2005-2007), the compressor
// php-memcached bundles, written from its format: the byte streams it makes
// and reads. The encoder makes exactly the bytes php-memcached's bundled
// fastlz.c makes, so a compressed value Go writes is the value PHP would
// write.
//
// Stream format. The top 3 bits of the first byte are the level minus one.
// The stream is a sequence of instructions; the first is always a literal
// run (its level bits are masked off):
//
//	000LLLLL                    literal run: L+1 bytes follow
//	LLLDDDDD dddddddd           match: copy L+2 bytes from D<<8|d + 1 back (L 1..6)
//	111DDDDD llllllll dddddddd  level 1 match: copy l+9 bytes
//	111DDDDD 255... l dddddddd  level 2 match: copy 9 + 255 per 255-byte + l bytes
//
// Level 2 adds far matches: a distance byte of 255 with D = 31 is followed
// by a 16-bit big-endian distance, to which 8191 is added.

const (
	flzMaxCopy        = 32
	flzMaxLen         = 264 // longest level-1 match
	flzMaxDistance1   = 8192
	flzMaxDistance2   = 8191
	flzMaxFarDistance = 65535 + flzMaxDistance2 - 1
	flzHashLog        = 13
	flzHashSize       = 1 << flzHashLog
	// flzLevel2From is the input size from which fastlz_compress picks
	// level 2.
	flzLevel2From = 65536
)

// errFastLZ means a FastLZ stream is malformed.
var errFastLZ = errors.New("malformed fastlz stream")

func flzHash(p []byte, i int) int {
	v := uint32(p[i]) | uint32(p[i+1])<<8
	v ^= (uint32(p[i+1]) | uint32(p[i+2])<<8) ^ (v >> (16 - flzHashLog))
	return int(v & (flzHashSize - 1))
}

// fastlzCompress appends the FastLZ compression of src to dst, at level 1
// below 64 KiB and level 2 from there on, as fastlz_compress does.
func fastlzCompress(dst, src []byte) []byte {
	level := 1
	if len(src) >= flzLevel2From {
		level = 2
	}
	return fastlzCompressLevel(dst, src, level)
}

// fastlzCompressLevel appends the FastLZ compression of src at level 1 or
// 2 to dst.
func fastlzCompressLevel(dst, src []byte, level int) []byte {
	n := len(src)
	if n < 4 {
		if n == 0 {
			return dst
		}
		dst = append(dst, byte(n-1))
		return append(dst, src...)
	}
	start := len(dst)
	ipBound := n - 2
	ipLimit := n - 12
	maxDistance := flzMaxDistance1
	if level == 2 {
		maxDistance = flzMaxFarDistance
	}
	var htab [flzHashSize]int32 // positions; all start at 0

	out := append(dst, flzMaxCopy-1, src[0], src[1])
	copied := 2
	ip := 2
	for ip < ipLimit {
		anchor := ip
		length := 3
		var ref, distance int
		matched := false
		if level == 2 && src[ip] == src[ip-1] && src[ip-1] == src[ip+1] && src[ip] == src[ip+2] {
			// A run of the previous byte.
			distance, ref, matched = 1, anchor+2, true
		} else {
			h := flzHash(src, ip)
			ref = int(htab[h])
			distance = anchor - ref
			htab[h] = int32(anchor)
			if distance != 0 && distance < maxDistance &&
				src[ref] == src[ip] && src[ref+1] == src[ip+1] && src[ref+2] == src[ip+2] {
				ref += 3
				matched = true
				if level == 2 && distance >= flzMaxDistance2 {
					// A far match needs 5 bytes.
					if src[ip+3] != src[ref] || src[ip+4] != src[ref+1] {
						matched = false
					} else {
						ref += 2
						length += 2
					}
				}
			}
		}
		if !matched {
			out = append(out, src[anchor])
			ip = anchor + 1
			copied++
			if copied == flzMaxCopy {
				copied = 0
				out = append(out, flzMaxCopy-1)
			}
			continue
		}

		ip = anchor + length
		distance-- // biased
		if distance == 0 {
			x := src[ip-1]
			for ip < ipBound && src[ref] == x {
				ref++
				ip++
			}
		} else {
			// Compare, advancing past the first difference; the first 8
			// without the bound check, which ipLimit makes safe.
			differs := false
			for k := 0; k < 8 && !differs; k++ {
				differs = src[ref] != src[ip]
				ref++
				ip++
			}
			for !differs && ip < ipBound {
				differs = src[ref] != src[ip]
				ref++
				ip++
			}
		}

		// Close the pending literal run, or drop its unused header.
		if copied > 0 {
			out[len(out)-copied-1] = byte(copied - 1)
		} else {
			out = out[:len(out)-1]
		}
		copied = 0

		ip -= 3
		length = ip - anchor // biased: 1 means 3 bytes
		if level == 2 {
			out = appendMatch2(out, length, distance)
		} else {
			for length > flzMaxLen-2 {
				out = append(out, 7<<5+byte(distance>>8), flzMaxLen-2-7-2, byte(distance))
				length -= flzMaxLen - 2
			}
			if length < 7 {
				out = append(out, byte(length<<5)+byte(distance>>8), byte(distance))
			} else {
				out = append(out, 7<<5+byte(distance>>8), byte(length-7), byte(distance))
			}
		}

		htab[flzHash(src, ip)] = int32(ip)
		ip++
		htab[flzHash(src, ip)] = int32(ip)
		ip++
		out = append(out, flzMaxCopy-1)
	}

	for ; ip < n; ip++ {
		out = append(out, src[ip])
		copied++
		if copied == flzMaxCopy {
			copied = 0
			out = append(out, flzMaxCopy-1)
		}
	}
	if copied > 0 {
		out[len(out)-copied-1] = byte(copied - 1)
	} else {
		out = out[:len(out)-1]
	}
	if level == 2 {
		out[start] |= 1 << 5
	}
	return out
}

func appendMatch2(out []byte, length, distance int) []byte {
	far := distance >= flzMaxDistance2
	if far {
		distance -= flzMaxDistance2
	}
	d := byte(distance >> 8)
	if far {
		d = 31
	}
	if length < 7 {
		out = append(out, byte(length<<5)+d)
	} else {
		out = append(out, 7<<5+d)
		for length -= 7; length >= 255; length -= 255 {
			out = append(out, 255)
		}
		out = append(out, byte(length))
	}
	if far {
		return append(out, 255, byte(distance>>8), byte(distance))
	}
	return append(out, byte(distance))
}

// fastlzDecompress appends to dst the decompression of src, which must
// produce exactly size bytes.
func fastlzDecompress(dst, src []byte, size int) ([]byte, error) {
	if len(src) == 0 {
		return nil, fmt.Errorf("%w: empty", errFastLZ)
	}
	level := int(src[0]>>5) + 1
	if level > 2 {
		return nil, fmt.Errorf("%w: unknown level %d", errFastLZ, level)
	}
	base := len(dst)
	limit := base + size
	out := slices.Grow(dst, size)[:limit]
	op := base
	ctrl := int(src[0] & 31)
	ip := 1
	bad := func(why string) ([]byte, error) {
		return nil, fmt.Errorf("%w: %s at offset %d", errFastLZ, why, ip)
	}
	next := func() (int, bool) {
		if ip >= len(src) {
			return 0, false
		}
		ip++
		return int(src[ip-1]), true
	}
	for {
		if ctrl < 32 {
			run := ctrl + 1
			if op+run > limit {
				return bad("literal run past the declared size")
			}
			if ip+run > len(src) {
				return bad("literal run past the end")
			}
			op += copy(out[op:], src[ip:ip+run])
			ip += run
		} else {
			length := ctrl>>5 - 1
			ofs := (ctrl & 31) << 8
			if length == 6 {
				for {
					code, ok := next()
					if !ok {
						return bad("truncated match length")
					}
					length += code
					if level == 1 || code != 255 {
						break
					}
				}
			}
			code, ok := next()
			if !ok {
				return bad("truncated match distance")
			}
			back := ofs + code
			if level == 2 && code == 255 && ofs == 31<<8 {
				hi, ok1 := next()
				lo, ok2 := next()
				if !ok1 || !ok2 {
					return bad("truncated far distance")
				}
				back = hi<<8 + lo + flzMaxDistance2
			}
			from := op - back - 1
			n := length + 3
			if op+n > limit {
				return bad("match past the declared size")
			}
			if from < base {
				return bad("match before the start")
			}
			if from+n <= op {
				op += copy(out[op:op+n], out[from:from+n])
			} else {
				// Overlapping: each byte may be one just written.
				for k := range n {
					out[op+k] = out[from+k]
				}
				op += n
			}
		}
		if ip >= len(src) {
			break
		}
		ctrl = int(src[ip])
		ip++
	}
	if op != limit {
		return nil, fmt.Errorf("%w: %d bytes decoded, the header says %d", errFastLZ, op-base, size)
	}
	return out, nil
}

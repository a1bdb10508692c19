//go:build !purego

package phpsession

import "golang.org/x/sys/cpu"

// The vector instructions indexPHPName may use beyond SSE2, which every
// amd64 processor has. It takes AVX-512 (BW, for bytes) only on processors
// that also have VBMI, as a mark of the generations (Intel Ice Lake and
// later, AMD Zen 4 and later) where 512-bit integer instructions lower the
// core's clock for the code that runs after them little or not at all,
// unlike Skylake-SP's; Go's garbage collector uses 512-bit vectors on the
// same processors (internal/runtime/gc/scan).
var (
	hasAVX2   = cpu.X86.HasAVX2
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI
)

// indexPHPNameBlocks returns the first i with s[i:i+len(name)+1] ==
// name+"|" whose last two name bytes start before (len(s)-2)&^31, or -1
// (phpname_amd64.s). len(name) must be at least 2. It looks at 32 positions
// at a time with SSE2, which every amd64 processor has, for name's last
// two bytes followed by '|'.
//
//go:noescape
func indexPHPNameBlocks(s []byte, name string) int

// indexPHPNameWide returns where name| first appears in s, or -1
// (phpname_wide_amd64.s). It looks at 64 positions at a time for name's
// last two bytes followed by '|', with AVX-512BW if avx512 and AVX2 if not,
// which the processor must have. len(name) must be at least 2 and len(s)
// at least minWideLen.
//
//go:noescape
func indexPHPNameWide(s []byte, name string, avx512 bool) int

// minWideLen is the shortest input indexPHPNameWide takes: one turn of its
// loop, 64 positions and the two bytes after the last.
const minWideLen = 66

// indexPHPName returns where name| first appears in s, or -1.
func indexPHPName(s []byte, name string) int {
	if len(name) < 2 {
		return indexPHPNameByPipe(s, name)
	}
	if hasAVX2 && len(s) >= minWideLen {
		return indexPHPNameWide(s, name, hasAVX512)
	}
	return indexPHPNameSSE2(s, name)
}

// indexPHPNameSSE2 returns where name| first appears in s, or -1, with
// indexPHPNameBlocks and a loop over the positions it leaves. len(name)
// must be at least 2.
func indexPHPNameSSE2(s []byte, name string) int {
	if i := indexPHPNameBlocks(s, name); i >= 0 {
		return i
	}
	// The positions indexPHPNameBlocks does not cover: fewer than 32.
	for p := max(max(len(s)-2, 0)&^31, len(name)-2); p+2 < len(s); p++ {
		if s[p+2] == tokSessionName && string(s[p+2-len(name):p+2]) == name {
			return p + 2 - len(name)
		}
	}
	return -1
}

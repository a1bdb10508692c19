//go:build !purego

package phpsession

// indexPHPNameBlocks returns the first i with s[i:i+len(name)+1] ==
// name+"|" whose last two name bytes start before (len(s)-2)&^31, or -1
// (phpname_amd64.s). len(name) must be at least 2. It looks at 32 positions
// at a time with SSE2, which every amd64 processor has, for name's last
// two bytes followed by '|'. (AVX2, with 32-byte vectors, measured no
// faster on the Lookup benchmark.)
//
//go:noescape
func indexPHPNameBlocks(s []byte, name string) int

// indexPHPName returns where name| first appears in s, or -1.
func indexPHPName(s []byte, name string) int {
	if len(name) < 2 {
		return indexPHPNameByPipe(s, name)
	}
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

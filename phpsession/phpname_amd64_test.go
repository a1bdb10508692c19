//go:build !purego

package phpsession

import "testing"

// indexPHPNamePaths returns each way indexPHPName may search on amd64, so
// that a test covers them all on one machine: AVX2 (if this processor has
// it), SSE2, and the byte-at-a-'|' search of other architectures. Each
// takes the names and inputs indexPHPName gives it and passes the others
// on as indexPHPName does.
func indexPHPNamePaths(tb testing.TB) []indexPHPNamePath {
	paths := []indexPHPNamePath{
		{"sse2", func(s []byte, name string) int {
			if len(name) < 2 {
				return indexPHPNameByPipe(s, name)
			}
			return indexPHPNameSSE2(s, name)
		}},
		{"bypipe", indexPHPNameByPipe},
	}
	if !hasAVX2 {
		tb.Log("this processor has no AVX2: indexPHPNameAVX2 is not tested")
		return paths
	}
	return append(paths, indexPHPNamePath{"avx2", func(s []byte, name string) int {
		if len(name) < 2 || len(s) < minAVX2Len {
			return indexPHPName(s, name)
		}
		return indexPHPNameAVX2(s, name)
	}})
}

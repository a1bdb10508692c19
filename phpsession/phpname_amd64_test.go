//go:build !purego

package phpsession

import "testing"

// indexPHPNamePaths returns each way indexPHPName may search on amd64, so
// that a test covers them all on one machine: AVX-512 and AVX2 (those this
// processor has), SSE2, and the byte-at-a-'|' search of other
// architectures. Each takes the names and inputs indexPHPName gives it and
// passes the others on as indexPHPName does.
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
	wide := func(avx512 bool) func([]byte, string) int {
		return func(s []byte, name string) int {
			if len(name) < 2 || len(s) < minWideLen {
				return indexPHPName(s, name)
			}
			return indexPHPNameWide(s, name, avx512)
		}
	}
	if hasAVX2 {
		paths = append(paths, indexPHPNamePath{"avx2", wide(false)})
	} else {
		tb.Log("this processor has no AVX2: indexPHPNameWide's AVX2 loop is not tested")
	}
	if hasAVX512 {
		paths = append(paths, indexPHPNamePath{"avx512", wide(true)})
	} else {
		tb.Log("this processor has no AVX-512BW: indexPHPNameWide's AVX-512 loop is not tested")
	}
	return paths
}

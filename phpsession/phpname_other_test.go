//go:build !amd64 || purego

package phpsession

import "testing"

// indexPHPNamePaths returns each way indexPHPName may search: here, only
// the byte-at-a-'|' search.
func indexPHPNamePaths(testing.TB) []indexPHPNamePath {
	return []indexPHPNamePath{{"bypipe", indexPHPNameByPipe}}
}

//go:build !amd64 || purego

package phpsession

// indexPHPName returns where name| first appears in s, or -1.
func indexPHPName(s []byte, name string) int {
	return indexPHPNameByPipe(s, name)
}

package manager

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/sessbridge/sessbridge/phpini"
)

// FuzzConfigFromINI: ConfigFromINI never panics on what phpini accepts.
func FuzzConfigFromINI(f *testing.F) {
	for _, name := range []string{"debian-like.ini", "syntax.ini", "multiline.ini"} {
		b, err := os.ReadFile(filepath.Join(iniTestdata, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("session.sid_length = 99999999999999999999\n")
	f.Fuzz(func(t *testing.T, src string) {
		path := filepath.Join(t.TempDir(), "php.ini")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		ini, err := phpini.ParseFile(path, "")
		if err != nil {
			return
		}
		ConfigFromINI(ini) // must not panic
	})
}

// FuzzPHPURLDecode: phpURLDecode agrees with url.QueryUnescape wherever
// that accepts the input, and never panics or grows the input.
func FuzzPHPURLDecode(f *testing.F) {
	for _, s := range []string{"abc", "a%2Cb", "a+b", "%", "%2", "%zz", "%E2%82%AC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := phpURLDecode(s)
		if len(got) > len(s) {
			t.Fatalf("phpURLDecode(%q) = %q: longer", s, got)
		}
		if want, err := url.QueryUnescape(s); err == nil && got != want {
			t.Fatalf("phpURLDecode(%q) = %q, url.QueryUnescape says %q", s, got, want)
		}
	})
}

package manager

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzINIParse: the ini parser never panics, and what it accepts it
// reports through Get.
func FuzzINIParse(f *testing.F) {
	for _, name := range []string{"debian-like.ini", "syntax.ini", "multiline.ini"} {
		b, err := os.ReadFile(filepath.Join("testdata", "ini", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("a=\"unterminated\n")
	f.Add("[PATH=/x]\nk=v\n")
	f.Add("k=${k}${k}\n")
	f.Fuzz(func(t *testing.T, src string) {
		ini := &INI{values: map[string]string{}}
		if err := ini.parse("fuzz.ini", src); err != nil {
			return
		}
		for k, v := range ini.values {
			if got, ok := ini.Get(k); !ok || got != v {
				t.Fatalf("Get(%q) = %q, %v", k, got, ok)
			}
			if len(v) > len(src)+len(os.Environ())*1024 && !strings.Contains(src, "${") {
				t.Fatalf("value of %q longer than the input", k)
			}
		}
		ini.Config() // must not panic
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

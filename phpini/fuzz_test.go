package phpini

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: the ini parser never panics, and what it accepts it
// reports through Get.
func FuzzParse(f *testing.F) {
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
		ini := &Settings{values: map[string]string{}}
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
	})
}

package phpini

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

// iniSettings are the settings compared with what real PHP reports.
var iniSettings = []string{
	"session.name", "session.save_handler", "session.save_path", "session.serialize_handler",
	"session.gc_maxlifetime", "session.sid_length", "session.sid_bits_per_character",
	"session.cookie_lifetime", "session.cookie_path", "session.cookie_domain",
	"session.cookie_secure", "session.cookie_httponly", "session.cookie_samesite",
	"session.use_strict_mode", "session.lazy_write",
}

// phpINIGet runs php with the given ini file (and scan dir, "" for none)
// and returns what ini_get reports for each setting the files set.
func phpINIGet(t *testing.T, file, scanDir string) map[string]string {
	t.Helper()
	php := testenv.PHP(t)
	script := `foreach (array_slice($argv, 1) as $k) { echo $k, "\t", bin2hex(ini_get($k)), "\n"; }`
	args := []string{"-c", file, "-r", script, "--"}
	args = append(args, iniSettings...)
	cmd := exec.Command(php, args...)
	cmd.Env = append(os.Environ(), "PHP_INI_SCAN_DIR="+scanDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("php: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		k, hex, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("php printed %q", line)
		}
		var b []byte
		for i := 0; i+1 < len(hex); i += 2 {
			var c byte
			for _, h := range hex[i : i+2] {
				c = c<<4 | byte(strings.IndexRune("0123456789abcdef", h))
			}
			b = append(b, c)
		}
		got[k] = string(b)
	}
	return got
}

func TestParseFileMatchesPHP(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		scanDir string // "-" for none
	}{
		{"debian-like with conf.d", "debian-like.ini", "conf.d"},
		{"debian-like alone", "debian-like.ini", "-"},
		{"syntax", "syntax.ini", "-"},
		{"multiline and variables", "multiline.ini", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join("testdata", "ini", tt.file)
			phpScan, goScan := "", []string{""}
			if tt.scanDir != "-" {
				phpScan = filepath.Join("testdata", "ini", tt.scanDir)
				goScan = nil // the conf.d next to the file
			}
			ini, err := ParseFile(file, goScan...)
			if err != nil {
				t.Fatal(err)
			}
			want := phpINIGet(t, file, phpScan)
			for _, k := range iniSettings {
				got, ok := ini.Get(k)
				if !ok {
					continue // not set: PHP reports its default
				}
				if got != want[k] {
					t.Errorf("%s: Get(%q) = %q, php says %q", tt.file, k, got, want[k])
				}
			}
		})
	}
}

func TestSyntaxError(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		wantLine int
	}{
		{"no equals", "session.name\n", 1},
		{"unterminated double quote", "a = 1\nsession.name = \"abc\n", 2},
		{"unterminated single quote", "session.name = 'abc\n", 1},
		{"bad section", "[PHP\nsession.name = x\n", 1},
		{"empty name", "; c\n = x\n", 2},
		{"expansion bomb", "a=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n" + strings.Repeat("a=${a}${a}\n", 30), 21},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "php.ini")
			if err := os.WriteFile(path, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ParseFile(path, "")
			var se *SyntaxError
			if !errors.As(err, &se) || se.File != path || se.Line != tt.wantLine {
				t.Fatalf("ParseFile(%q) error = %v, want *SyntaxError at %s:%d", tt.src, err, path, tt.wantLine)
			}
		})
	}
}

func TestParseBoolInt(t *testing.T) {
	tests := []struct {
		in     string
		want   bool
		wantN  int64
		wantOK bool
	}{
		{"", false, 0, false},
		{"1", true, 1, true},
		{"0", false, 0, true},
		{"On", true, 0, false},
		{"yes", true, 0, false},
		{"TRUE", true, 0, false},
		{"off", false, 0, false},
		{" 60s", true, 60, true},
		{"-5", true, -5, true},
		{"+0", false, 0, true},
		{"abc", false, 0, false},
		{"99999999999999999999", false, 0, false},
	}
	for _, tt := range tests {
		if got := ParseBool(tt.in); got != tt.want {
			t.Errorf("ParseBool(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if n, ok := ParseInt(tt.in); n != tt.wantN || ok != tt.wantOK {
			t.Errorf("ParseInt(%q) = %d, %v, want %d, %v", tt.in, n, ok, tt.wantN, tt.wantOK)
		}
	}
}

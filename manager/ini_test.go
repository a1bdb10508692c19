package manager

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
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

func TestParseINIMatchesPHP(t *testing.T) {
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
			ini, err := ParseINI(file, goScan...)
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

func TestINIConfig(t *testing.T) {
	ini, err := ParseINI(filepath.Join("testdata", "ini", "debian-like.ini"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ini.Config()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Name:                "FROMCONFD",
		Format:              phpsession.FormatPHPSerialize,
		Cookie:              Cookie{Path: "/app", Domain: "later.example", Secure: true, HTTPOnly: true, SameSite: http.SameSiteLaxMode},
		SIDLength:           26,
		SIDBitsPerCharacter: 5,
		StrictMode:          true,
		NoLazyWrite:         true,
	}
	if cfg.Name != want.Name || cfg.Format != want.Format || cfg.Cookie != want.Cookie ||
		cfg.SIDLength != want.SIDLength || cfg.SIDBitsPerCharacter != want.SIDBitsPerCharacter ||
		cfg.StrictMode != want.StrictMode || cfg.NoLazyWrite != want.NoLazyWrite || cfg.TTL != 0 {
		t.Errorf("Config() = %+v\nwant %+v", cfg, want)
	}

	ini, err = ParseINI(filepath.Join("testdata", "ini", "multiline.ini"), "")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = ini.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TTL != 2*time.Hour || cfg.Cookie.Lifetime != 24*time.Hour || cfg.Cookie.SameSite != 0 || cfg.NoLazyWrite {
		// A bare None is PHP's null keyword: SameSite=None must be quoted.
		t.Errorf("Config() = %+v, want TTL 2h (redis gc_maxlifetime), Cookie.Lifetime 24h, no SameSite, lazy write", cfg)
	}
}

func TestINIErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		wantErr error // nil: a *INIError
	}{
		{"no equals", "session.name\n", nil},
		{"unterminated double quote", "session.name = \"abc\n", nil},
		{"unterminated single quote", "session.name = 'abc\n", nil},
		{"bad section", "[PHP\nsession.name = x\n", nil},
		{"expansion bomb", "a=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n" + strings.Repeat("a=${a}${a}\n", 30), nil},
		{"numeric name", "session.name = 123\n", ErrInvalidConfig},
		{"name with dot", "session.name = a.b\n", ErrInvalidConfig},
		{"sid_length too short", "session.sid_length = 8\n", ErrInvalidConfig},
		{"bits 7", "session.sid_bits_per_character = 7\n", ErrInvalidConfig},
		{"unknown handler", "session.serialize_handler = wddx\n", ErrInvalidConfig},
		{"samesite", "session.cookie_samesite = Sometimes\n", ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "php.ini")
			if err := os.WriteFile(path, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			ini, err := ParseINI(path, "")
			if tt.wantErr == nil {
				var ie *INIError
				if !errors.As(err, &ie) || ie.File != path {
					t.Fatalf("ParseINI(%q) error = %v, want *INIError at %s:1", tt.src, err, path)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ini.Config(); !errors.Is(err, tt.wantErr) {
				t.Errorf("Config() for %q: error = %v, want %v", tt.src, err, tt.wantErr)
			}
		})
	}
}

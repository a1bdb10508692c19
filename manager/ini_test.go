package manager

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/phpini"
	"github.com/sessbridge/sessbridge/phpsession"
)

// iniTestdata holds the php.ini files the phpini package tests against PHP.
var iniTestdata = filepath.Join("..", "phpini", "testdata", "ini")

func TestConfigFromINI(t *testing.T) {
	ini, err := phpini.ParseFile(filepath.Join(iniTestdata, "debian-like.ini"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFromINI(ini)
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
		t.Errorf("ConfigFromINI() = %+v\nwant %+v", cfg, want)
	}

	ini, err = phpini.ParseFile(filepath.Join(iniTestdata, "multiline.ini"), "")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = ConfigFromINI(ini)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TTL != 2*time.Hour || cfg.Cookie.Lifetime != 24*time.Hour || cfg.Cookie.SameSite != 0 || cfg.NoLazyWrite {
		// A bare None is PHP's null keyword: SameSite=None must be quoted.
		t.Errorf("ConfigFromINI() = %+v, want TTL 2h (redis gc_maxlifetime), Cookie.Lifetime 24h, no SameSite, lazy write", cfg)
	}
}

func TestConfigFromINIErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{"numeric name", "session.name = 123\n"},
		{"name with dot", "session.name = a.b\n"},
		{"sid_length too short", "session.sid_length = 8\n"},
		{"bits 7", "session.sid_bits_per_character = 7\n"},
		{"unknown handler", "session.serialize_handler = wddx\n"},
		{"samesite", "session.cookie_samesite = Sometimes\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "php.ini")
			if err := os.WriteFile(path, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			ini, err := phpini.ParseFile(path, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ConfigFromINI(ini); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("ConfigFromINI for %q: error = %v, want %v", tt.src, err, ErrInvalidConfig)
			}
		})
	}
}

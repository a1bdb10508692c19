package manager

import (
	"errors"
	"testing"
)

func TestUniqueKey(t *testing.T) {
	tests := []struct {
		p        Profile
		uniqueID string
		key      string
		want     string
	}{
		{ProfileV5, "", "test1", "test1"},
		{ProfileV5, "aaa", "test1", "aaa#test1"}, // ExistsDestroyTest
		{ProfileV5, "0", "k", "k"},               // PHP empty("0")
		{ProfileV5, "00", "k", "00#k"},
		{ProfileV50, "shop", "k", "shop#k"},
		{ProfileV41, "", "k", "k"},
		{ProfileV40, "", "k", "#k"}, // 4.0.0 always prefixes
		{ProfileV40, "0", "k", "0#k"},
		{ProfileV40, "u", "k", "u#k"},
	}
	for _, tt := range tests {
		if got := tt.p.uniqueKey(tt.uniqueID, tt.key); got != tt.want {
			t.Errorf("%v.uniqueKey(%q, %q) = %q, want %q", tt.p, tt.uniqueID, tt.key, got, tt.want)
		}
	}
}

func TestCookieOK(t *testing.T) {
	tests := []struct {
		id                string
		v5, v50, v41, v40 bool
	}{
		{"valid", true, true, true, true},            // ManagerTest
		{"abc,DEF-123", true, false, true, true},     // StartTest: kept by 5.14.2+
		{"invalid<value>", false, false, true, true}, // StartTest: removed
		{"./invalid", false, false, true, true},      // ManagerTest: removed
		{"ABCdef0123", true, true, true, true},       // /i in 5.0
		{"abc\n", false, false, true, true},          // /D: no trailing newline
		{"", false, false, true, true},
	}
	for _, tt := range tests {
		for p, want := range map[Profile]bool{ProfileV5: tt.v5, ProfileV50: tt.v50, ProfileV41: tt.v41, ProfileV40: tt.v40} {
			if got := p.cookieOK(tt.id); got != want {
				t.Errorf("%v.cookieOK(%q) = %v, want %v", p, tt.id, got, want)
			}
		}
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		p       Profile
		name    string
		wantErr bool
		class   string
	}{
		{ProfileV5, "myname", false, ""},
		{ProfileV5, "%-gga34", true, `Phalcon\Session\Exceptions\InvalidSessionName`}, // GetSetNameTest
		{ProfileV5, "12345", true, `Phalcon\Session\Exceptions\InvalidSessionName`},   // 5.15+: all digits
		{ProfileV5, "ñame_ü-1", false, ""},                                            // \p{L} \p{N} _ -
		{ProfileV50, "12345", false, ""},
		{ProfileV50, "a b", true, `Phalcon\Session\Exception`},
		{ProfileV41, "a.b", true, `InvalidArgumentException`},
	}
	for _, tt := range tests {
		err := tt.p.checkName(tt.name)
		if (err != nil) != tt.wantErr {
			t.Errorf("%v.checkName(%q) = %v, want error %v", tt.p, tt.name, err, tt.wantErr)
			continue
		}
		if err == nil {
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Class != tt.class || e.Message != "The name contains non alphanum characters" || !errors.Is(err, ErrInvalidName) {
			t.Errorf("%v.checkName(%q) = %#v, want class %s", tt.p, tt.name, err, tt.class)
		}
	}
}

func TestCheckSetID(t *testing.T) {
	err := ProfileV5.checkSetID("invalid id with spaces") // GetSetIdTest
	var e *Error
	if !errors.As(err, &e) || e.Class != `Phalcon\Session\Exceptions\InvalidSessionId` ||
		e.Message != "The session id contains invalid characters" || !errors.Is(err, ErrInvalidID) {
		t.Errorf("checkSetID = %v, want InvalidSessionId", err)
	}
	if err := ProfileV5.checkSetID("abc,DEF-123"); err != nil {
		t.Errorf("checkSetID(abc,DEF-123) = %v", err)
	}
	if err := ProfileV50.checkSetID("any thing"); err != nil {
		t.Errorf("5.0 checkSetID = %v, want no check", err)
	}
}

func TestParseProfile(t *testing.T) {
	for _, p := range []Profile{ProfileV5, ProfileV50, ProfileV41, ProfileV40} {
		got, err := ParseProfile(p.String())
		if err != nil || got != p {
			t.Errorf("ParseProfile(%q) = %v, %v", p.String(), got, err)
		}
	}
	if _, err := ParseProfile("v3"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("ParseProfile(v3) error = %v", err)
	}
}

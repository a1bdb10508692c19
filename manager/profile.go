package manager

import (
	"fmt"
	"regexp"
	"strings"
)

// Profile is the Phalcon version whose Session\Manager and Bag behaviour a
// [Manager] reproduces, where versions differ: the $_SESSION key without a
// uniqueId, which cookie values start() drops, whether SetID and SetName
// validate, how a stored null reads, how Bag keys fold, and the exception
// classes.
//
// The zero Profile is ProfileV5, the current Phalcon 5 (5.15 and later).
type Profile int

// The profiles.
const (
	// ProfileV5 is Phalcon 5.15 and later (tested against 5.18): cookie
	// values must match [a-zA-Z0-9,-]+; SetID validates; SetName rejects
	// non-alphanumeric and all-digit names; Get returns the default and Has
	// false for a stored null; a Bag keeps one case variant of a key; the
	// exceptions are the Session\Exceptions classes.
	ProfileV5 Profile = iota
	// ProfileV50 is Phalcon 5.0: cookie values must match [a-z0-9]+ (any
	// case); SetID does not validate; a stored null reads as null and Has is
	// true; a Bag keeps every case variant; the exceptions are
	// Phalcon\Session\Exception.
	ProfileV50
	// ProfileV41 is Phalcon 4.0.1 to 4.1.x: like ProfileV50, but start()
	// checks no cookie, Name returns "" until SetName is called, Bag keys
	// fold with ASCII strtolower, and the exceptions are PHP's
	// RuntimeException and InvalidArgumentException.
	ProfileV41
	// ProfileV40 is Phalcon 4.0.0: like ProfileV41, but a key is stored as
	// "#key" (uniqueId + "#" + key, even when uniqueId is empty).
	ProfileV40
)

var profileNames = [...]string{
	ProfileV5:  "v5",
	ProfileV50: "v5.0",
	ProfileV41: "v4.1",
	ProfileV40: "v4.0",
}

// String returns the profile's name: "v5", "v5.0", "v4.1" or "v4.0".
func (p Profile) String() string {
	if p >= 0 && int(p) < len(profileNames) {
		return profileNames[p]
	}
	return fmt.Sprintf("Profile(%d)", int(p))
}

// ParseProfile returns the Profile named s ("v5", "v5.0", "v4.1", "v4.0";
// "" means v5).
func ParseProfile(s string) (Profile, error) {
	if s == "" {
		return ProfileV5, nil
	}
	for p, name := range profileNames {
		if strings.EqualFold(name, s) {
			return Profile(p), nil
		}
	}
	return 0, fmt.Errorf("manager: %w: unknown profile %q (want v5, v5.0, v4.1 or v4.0)", ErrInvalidConfig, s)
}

func (p Profile) valid() bool { return p >= ProfileV5 && p <= ProfileV40 }

func (p Profile) isV4() bool { return p == ProfileV41 || p == ProfileV40 }

// uniqueKey is Phalcon's getUniqueKey: uniqueId#key when uniqueId is not
// empty in PHP's sense ("" and "0" are empty), except that 4.0.0 always
// prefixes.
func (p Profile) uniqueKey(uniqueID, key string) string {
	if p == ProfileV40 || !phpEmpty(uniqueID) {
		return uniqueID + "#" + key
	}
	return key
}

// phpEmpty is PHP's empty() for a string.
func phpEmpty(s string) bool { return s == "" || s == "0" }

// nullIsMissing reports whether a stored null reads as missing: Get returns
// the default and Has returns false (Phalcon 5.15+, isset semantics).
func (p Profile) nullIsMissing() bool { return p == ProfileV5 }

// cookieOK reports whether start() keeps a cookie value.
func (p Profile) cookieOK(id string) bool {
	switch p {
	case ProfileV5:
		return isIDChars(id, true)
	case ProfileV50:
		return isIDChars(id, false)
	}
	return true
}

// isIDChars reports whether s is non-empty and made only of [a-zA-Z0-9],
// plus ',' and '-' when wide is set: /^[a-zA-Z0-9,-]+$/D, or
// /^[a-z0-9]+$/iD when it is not.
func isIDChars(s string, wide bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case wide && (c == ',' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// nameRE is Phalcon's /^[\p{L}\p{N}_-]+$/u.
var nameRE = regexp.MustCompile(`^[\p{L}\p{N}_-]+$`)

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// exception classes, per profile.
func (p Profile) classAlreadyStarted() string {
	switch p {
	case ProfileV5:
		return `Phalcon\Session\Exceptions\SessionAlreadyStarted`
	case ProfileV50:
		return `Phalcon\Session\Exception`
	}
	return `RuntimeException`
}

func (p Profile) classNameDenied() string {
	switch p {
	case ProfileV5:
		return `Phalcon\Session\Exceptions\SessionModificationDenied`
	case ProfileV50:
		return `Phalcon\Session\Exception`
	}
	return `InvalidArgumentException`
}

func (p Profile) classInvalidName() string {
	switch p {
	case ProfileV5:
		return `Phalcon\Session\Exceptions\InvalidSessionName`
	case ProfileV50:
		return `Phalcon\Session\Exception`
	}
	return `InvalidArgumentException`
}

// checkName applies Phalcon's setName validation for the profile.
func (p Profile) checkName(name string) error {
	if !nameRE.MatchString(name) || (p == ProfileV5 && allDigits(name)) {
		return &Error{Class: p.classInvalidName(), Message: msgInvalidName, Value: name, Err: ErrInvalidName}
	}
	return nil
}

// checkSetID applies Phalcon's setId validation (5.15+ only).
func (p Profile) checkSetID(id string) error {
	if p == ProfileV5 && !isIDChars(id, true) {
		return &Error{Class: `Phalcon\Session\Exceptions\InvalidSessionId`, Message: msgInvalidID, Value: id, Err: ErrInvalidID}
	}
	return nil
}

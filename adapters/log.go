package adapters

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
)

// idKey is the process's random key for [HashID], made at start-up.
var idKey = func() []byte {
	k := make([]byte, 32)
	rand.Read(k) // never fails (crypto/rand, Go 1.24+)
	return k
}()

// HashID returns how logs name session id without revealing it: the first
// 8 bytes of HMAC-SHA256(id) as 16 hex digits, keyed by a random key made
// once per process. One id hashes alike within a process, so its log lines
// can be followed, but the hash is useless outside it: it cannot be turned
// back into the id, nor matched against ids guessed elsewhere. It returns ""
// for an empty id.
//
// A session id is a bearer token: whoever has it is the user. Stores and the
// manager log ids only through HashID ([IDAttr]); custom stores should too.
func HashID(id string) string {
	if id == "" {
		return ""
	}
	mac := hmac.New(sha256.New, idKey)
	mac.Write([]byte(id))
	var sum [sha256.Size]byte
	return hex.EncodeToString(mac.Sum(sum[:0])[:8])
}

// IDAttr returns the log attribute for session id: key "session", value
// [HashID](id), computed only when a handler takes the record, so that a log
// line below the logger's level costs no hash.
func IDAttr(id string) slog.Attr { return slog.Any("session", hashedID(id)) }

// hashedID is a session id that logs as its hash.
type hashedID string

// LogValue implements slog.LogValuer.
func (h hashedID) LogValue() slog.Value { return slog.StringValue(HashID(string(h))) }

// RedactIDs returns text with every occurrence of each non-empty id replaced
// by "#" and its [HashID], for logging an error whose message names the
// session (errors say which session failed, logs must not).
func RedactIDs(text string, ids ...string) string {
	for _, id := range ids {
		if id != "" && strings.Contains(text, id) {
			text = strings.ReplaceAll(text, id, "#"+HashID(id))
		}
	}
	return text
}

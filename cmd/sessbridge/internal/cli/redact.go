package cli

import (
	"io"
	"os"
	"strings"
	"sync"

	"github.com/sessbridge/sessbridge/adapters/storeurl"
)

// minSecret is the shortest password masked wherever it appears: a
// shorter one would mask ordinary text, and is hidden in URLs anyway.
const minSecret = 4

// secrets are the passwords of the stores this process was given, masked
// in everything it prints (see redact).
var secrets struct {
	mu   sync.Mutex
	list []string
}

// addSecrets records passwords to mask.
func addSecrets(pw ...string) {
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	for _, p := range pw {
		if len(p) >= minSecret && !strings.Contains(strings.Join(secrets.list, "\x00"), p) {
			secrets.list = append(secrets.list, p)
		}
	}
}

// addURLSecrets records the passwords of the store URLs in args (flag
// values included) and the environment, before any command runs.
func addURLSecrets(args []string) {
	addSecrets(os.Getenv(storeurl.PasswordEnv))
	for _, a := range append(args, os.Getenv(storeEnv)) {
		if strings.HasPrefix(a, "-") {
			_, a, _ = strings.Cut(a, "=")
		}
		if !strings.Contains(a, "://") {
			continue
		}
		if c, err := storeurl.Parse(a); err == nil {
			addSecrets(c.Secrets()...)
		}
	}
}

// maskSecrets replaces every recorded password in s with xxxxx.
func maskSecrets(s string) string {
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	for _, p := range secrets.list {
		s = strings.ReplaceAll(s, p, "xxxxx")
	}
	return s
}

// redact hides every password in s, a message: those of the URLs in it
// (storeurl.Redact), and every password this process was given. It is
// what every message of sessbridge, and all of stderr, goes through.
func redact(s string) string { return maskSecrets(storeurl.Redact(s)) }

// redactWriter passes what is written to w through a function that hides
// passwords, one write at a time (it is safe for concurrent use). A
// password split over two writes is not seen: sessbridge writes each
// message in one call.
type redactWriter struct {
	mu   sync.Mutex
	w    io.Writer
	hide func(string) string
}

func (r *redactWriter) Write(p []byte) (int, error) {
	s := r.hide(string(p))
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := io.WriteString(r.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

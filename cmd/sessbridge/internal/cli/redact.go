package cli

import "github.com/sessbridge/sessbridge/adapters/storeurl"

// redact hides every password in s, a message or a URL: it is what every
// message of sessbridge goes through (see storeurl.Redact).
func redact(s string) string { return storeurl.Redact(s) }

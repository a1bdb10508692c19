package phpsession

import "fmt"

// Format is a session serialization format: PHP's session.serialize_handler.
//
// The zero Format is FormatPHP, PHP's default handler.
type Format int

// The session formats, named as session.serialize_handler spells them.
const (
	FormatPHP          Format = iota // "php": name|value name|value ...
	FormatPHPSerialize               // "php_serialize": serialize($_SESSION)
	FormatPHPBinary                  // "php_binary": <len byte>name value ...
	FormatIgbinary                   // "igbinary": igbinary_serialize($_SESSION)
)

var formatNames = [...]string{
	FormatPHP:          "php",
	FormatPHPSerialize: "php_serialize",
	FormatPHPBinary:    "php_binary",
	FormatIgbinary:     "igbinary",
}

// String returns the php.ini spelling of f ("php_serialize").
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat returns the Format that php.ini names s
// (session.serialize_handler), or an error wrapping [ErrUnknownFormat].
func ParseFormat(s string) (Format, error) {
	for f, name := range formatNames {
		if name == s {
			return Format(f), nil
		}
	}
	return 0, fmt.Errorf("phpsession: %w %q (want php, php_serialize, php_binary or igbinary)", ErrUnknownFormat, s)
}

// Formats lists every Format, in order.
func Formats() []Format {
	return []Format{FormatPHP, FormatPHPSerialize, FormatPHPBinary, FormatIgbinary}
}

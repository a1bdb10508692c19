// Package phpsession reads and writes PHP's serialize() format and PHP's
// session formats byte for byte, so that Go and PHP can share one live
// session.
//
// A PHP value is a [Value]: null, bool, int, float, string, an ordered array,
// an object with its class and raw property names, a Serializable object's
// payload, an enum case, or a reference by PHP's slot number. Decoding is
// lossless: decoding what PHP 8's serialize() wrote and encoding it again
// gives the same bytes.
//
// A session payload ($_SESSION as session.serialize_handler wrote it) is a
// [Session]. [DecodeSession] checks the whole payload but decodes an entry
// only when it is read, and [Session.Encode] writes unchanged entries as
// their original bytes:
//
//	s, err := phpsession.DecodeSession(payload, phpsession.FormatPHP)
//	if err != nil {
//		return err // PHP could not read it either
//	}
//	user, _ := s.Get("user")
//	name, _ := user.Lookup("name")
//	if err := s.Set("visits", phpsession.IntValue(3)); err != nil {
//		return err // a name PHP cannot store in this format
//	}
//	payload, err = s.Encode()
//
// A service that only reads one key of a large session can call [Lookup],
// which reads the payload up to that entry and no further, and does not
// check the rest.
//
// The four formats are php (name|value...), php_binary (a length byte, the
// name, the value...), php_serialize (serialize($_SESSION)) and igbinary.
// [Decoder] and [Encoder] read and write values on streams; [Valid] checks
// one value.
//
// # What is kept as written
//
// PHP accepts some spellings it never writes. Those this package accepts
// are kept so they encode back the same: a float written as d:1e25; or
// d:0.10000000000000001; (serialize_precision=17) keeps its text, and an
// array key s:1:"5"; (PHP reads it as the int 5) stays a string key. Others
// are refused with a [*SyntaxError] rather than changed: ints with a '+',
// leading zeros, "-0" or outside int64 (PHP clamps them); lengths, counts and
// slot numbers with leading zeros; the S: escaped string that no PHP 8 writes;
// bytes after the outer array of a php_serialize payload.
//
// # Security considerations
//
// Session data comes from a store others may write to: treat it as
// untrusted. Decoding is bounded: nesting is limited (default 4096 levels,
// as PHP's unserialize_max_depth), input size is limited (default 64 MiB),
// and every declared length or count is checked against the bytes left
// before anything is allocated, so a:1000000000:{} costs nothing. A name
// written again and again takes one entry (a 60 MB payload of one name
// decodes in 75 MB, where PHP takes 288 MiB). Malformed input gives a
// [*SyntaxError]; decoding never panics. PHP objects are never
// instantiated and nothing in the data is executed: an object is its class
// name and properties, a Serializable object its raw payload, an enum its
// name. Class names are checked as PHP checks them, and references must
// point at values that exist, as PHP requires. Encoding refuses what PHP
// could not read back (PHP deletes a session it cannot decode), and
// [Session.Set] refuses names PHP cannot store (PHP 8.2 writes an empty
// session when a php-format name contains '|').
package phpsession

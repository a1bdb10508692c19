package phpsession

import "encoding/binary"

// DetectFormats returns the formats, in the order of [Formats], in which
// PHP can read data as a session: each format whose decoder here accepts
// data (an empty payload is an empty session in all of them), and
// [FormatIgbinary] also when data starts with a valid igbinary header
// (version 1 or 2) that the igbinary decoder here refuses, as PHP's
// igbinary extension reads payloads this package cannot (for example an
// array that holds a reference to itself). DetectFormats returns nil when
// data is a session in no format: PHP's session_start then fails with
// "Failed to decode session object. Session has been destroyed" and
// deletes the stored session, whatever session.serialize_handler is.
//
// Each format's decoder runs in turn, so DetectFormats costs up to four
// decodes; use it once a decode in the expected format has failed, to tell
// a session written with another session.serialize_handler from bytes
// that are no session at all.
func DetectFormats(data []byte) []Format {
	var found []Format
	for _, f := range Formats() {
		if _, err := DecodeSession(data, f); err == nil || f == FormatIgbinary && hasIgbinaryHeader(data) {
			found = append(found, f)
		}
	}
	return found
}

// hasIgbinaryHeader reports whether data starts with the header of an
// igbinary_serialize() output, format version 1 or 2, and has a value
// after it.
func hasIgbinaryHeader(data []byte) bool {
	if len(data) <= igHeaderLen {
		return false
	}
	v := binary.BigEndian.Uint32(data)
	return v == igVersion || v == igVersion1
}

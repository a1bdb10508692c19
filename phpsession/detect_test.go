package phpsession_test

import (
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"github.com/sessbridge/sessbridge/phpsession"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDetectFormats(t *testing.T) {
	php, ser, bin, ig := phpsession.FormatPHP, phpsession.FormatPHPSerialize, phpsession.FormatPHPBinary, phpsession.FormatIgbinary
	tests := []struct {
		name string
		data []byte
		want []phpsession.Format
	}{
		{"empty", nil, []phpsession.Format{php, ser, bin, ig}},
		// Each written by PHP 8.2 with $_SESSION = ['foo' => 1].
		{"php", []byte(`foo|i:1;`), []phpsession.Format{php}},
		{"php_serialize", []byte(`a:1:{s:3:"foo";i:1;}`), []phpsession.Format{ser}},
		{"php_binary", []byte("\x03fooi:1;"), []phpsession.Format{bin}},
		{"igbinary", mustHex(t, "0000000214011103666f6f0601"), []phpsession.Format{ig}},
		// igbinary 3.2 under PHP 8.2 writes an object whose __sleep names
		// a property twice, and reads it back; this decoder refuses the
		// repeated key. Its header says igbinary.
		{"igbinary unreadable here", mustHex(t, "00000002140211047573657211046461726b110163170143140311016106010e0406011101620602"), []phpsession.Format{ig}},
		{"igbinary header, then junk", []byte("\x00\x00\x00\x02\xff\xff"), []phpsession.Format{ig}},
		{"igbinary version 1 header", []byte("\x00\x00\x00\x01\xff"), []phpsession.Format{ig}},
		{"igbinary header alone", []byte("\x00\x00\x00\x02"), nil},
		{"igbinary version 3 header", []byte("\x00\x00\x00\x03\x14\x00"), nil},
		{"trailing garbage", []byte(`foo|i:1;xx`), nil},
		{"text", []byte(`hello world`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := phpsession.DetectFormats(tt.data); !slices.Equal(got, tt.want) {
				t.Errorf("DetectFormats(%q) = %v, want %v", tt.data, got, tt.want)
			}
		})
	}
}

func ExampleDetectFormats() {
	// A session PHP wrote with session.serialize_handler=php_serialize,
	// read by code that expects the default handler, php.
	payload := []byte(`a:1:{s:4:"user";s:4:"dark";}`)
	if _, err := phpsession.DecodeSession(payload, phpsession.FormatPHP); err != nil {
		fmt.Println("as php:", phpsession.DetectFormats(payload))
	}
	fmt.Println("garbage:", phpsession.DetectFormats([]byte("user|s:4:")))
	// Output:
	// as php: [php_serialize]
	// garbage: []
}

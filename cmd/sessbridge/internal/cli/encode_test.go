package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/vectors"
	"github.com/sessbridge/sessbridge/phpsession"
)

func TestNewCmdEncode(t *testing.T) {
	tests := []struct {
		name    string
		argv    string
		want    encodeOptions
		wantErr string
	}{
		{"defaults", "", encodeOptions{}, ""},
		{"file", "doc.json", encodeOptions{File: "doc.json"}, ""},
		{"handler", "--handler php_binary", encodeOptions{Handler: phpsession.FormatPHPBinary, HasHandler: true}, ""},
		{"handler php", "--handler php", encodeOptions{Handler: phpsession.FormatPHP, HasHandler: true}, ""},
		{"wrap", "--wrap -", encodeOptions{Wrap: true, File: "-"}, ""},
		{"bad handler", "--handler json", encodeOptions{}, `--handler: phpsession: unknown session format "json" (want php, php_serialize, php_binary or igbinary)`},
		{"two files", "a b", encodeOptions{}, "encode: too many arguments: want at most 1, got 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _ := testStreams("", false)
			f := &Factory{IO: ios}
			var got *encodeOptions
			cmd := newCmdEncode(f, func(o *encodeOptions) error { got = o; return nil })
			err := execute(f, cmd, strings.Fields(tt.argv)...)
			if tt.wantErr != "" {
				var fe *FlagError
				if !errors.As(err, &fe) || err.Error() != tt.wantErr {
					t.Fatalf("encode %s: err = %v, want FlagError %q", tt.argv, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("encode %s: %v", tt.argv, err)
			}
			tt.want.IO = ios
			if *got != tt.want {
				t.Errorf("encode %s: options = %+v, want %+v", tt.argv, *got, tt.want)
			}
		})
	}
}

func TestEncodeRun(t *testing.T) {
	refs := `{"format":"php","entries":[
  ["o1",{"O":"stdClass","p":[["n",{"i":1}]]}],
  ["o2",{"r":1}],
  ["refs",{"a":[["x",{"i":1}],["y",{"R":5}]]}]
]}`
	tests := []struct {
		name    string
		opts    encodeOptions
		in      string
		wantErr bool
	}{
		{name: "php", in: `{"format":"php","entries":[["auth",{"a":[["id",{"i":42}]]}],["csrf",{"s":"a1b2c3"}]]}`},
		{name: "compact-spaces", in: " {\"entries\" : [ [\"n\" , {\"i\" : 1} ] ] ,\n \"format\" : \"php_binary\" } "},
		{name: "refs-php", in: refs},
		{name: "refs-to-php_serialize", opts: encodeOptions{Handler: phpsession.FormatPHPSerialize, HasHandler: true}, in: refs},
		{name: "refs-to-igbinary", opts: encodeOptions{Handler: phpsession.FormatIgbinary, HasHandler: true}, in: refs},
		{name: "wrap", opts: encodeOptions{Wrap: true}, in: `{"format":"php","entries":[["n",{"i":1}]]}`},
		{name: "empty-php_serialize", in: `{"format":"php_serialize","entries":[]}`},
		{name: "int-key-to-php", opts: encodeOptions{Handler: phpsession.FormatPHP, HasHandler: true}, in: `{"format":"php_serialize","entries":[[7,{"N":null}]]}`, wantErr: true},
		{name: "pipe-key", in: `{"format":"php","entries":[["a|b",{"N":null}]]}`, wantErr: true},
		{name: "long-key", in: `{"format":"php_binary","entries":[["` + strings.Repeat("k", 128) + `",{"N":null}]]}`, wantErr: true},
		{name: "bad-json", in: "{\"format\":\"php\",\n \"entries\":[[\"n\",{\"i\":\"42\"}]]}", wantErr: true},
		{name: "dangling-ref", in: `{"format":"php","entries":[["n",{"r":7}]]}`, wantErr: true},
		{name: "truncated", in: `{"format":"php","entries":[["n",`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, stdout, _ := testStreams(tt.in, false)
			tt.opts.IO = ios
			err := encodeRun(&tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("encodeRun() = %v, want error: %v", err, tt.wantErr)
			}
			out := stdout.String()
			if err != nil {
				out += "--- error:\n" + err.Error() + "\n"
			}
			golden(t, "encode/"+tt.name, []byte(out))
		})
	}
}

// TestEncodeConvertVectors converts every Phalcon-written payload to each
// other format with decode | encode --handler, and wants the payload the
// same Phalcon wrote for the same session in that format.
func TestEncodeConvertVectors(t *testing.T) {
	vs := vectors.MustLoad(t)
	for _, from := range vs {
		if from.Adapter != "stream" {
			continue
		}
		for _, to := range vs {
			if to.Scenario != from.Scenario || to.Adapter != from.Adapter || to.Handler == from.Handler {
				continue
			}
			t.Run(from.Scenario+"/"+from.Handler+"-to-"+to.Handler, func(t *testing.T) {
				got := decodeEncode(t, from.Payload, from.Handler, to.Handler)
				if string(got) != string(to.Payload) {
					t.Errorf("decode --handler %s | encode --handler %s = %q, want %q", from.Handler, to.Handler, got, to.Payload)
				}
			})
		}
	}
}

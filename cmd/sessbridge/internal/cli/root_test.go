package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sessbridge/sessbridge/internal/vectors"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testStreams returns in-memory streams with in as stdin.
func testStreams(in string, tty bool) (ios *IOStreams, stdout, stderr *bytes.Buffer) {
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	return &IOStreams{In: strings.NewReader(in), Out: stdout, ErrOut: stderr, OutIsTTY: tty}, stdout, stderr
}

// execute runs the command cmd under a root shell with the arguments argv,
// as sessbridge would.
func execute(f *Factory, cmd *cobra.Command, argv ...string) error {
	root := newRootShell(f)
	root.AddCommand(cmd)
	root.SetArgs(append([]string{cmd.Name()}, argv...))
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	_, err := root.ExecuteC()
	return err
}

// golden compares got with testdata/<name>.golden, or rewrites it under
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// vectorsPath is the Phalcon vectors file as the demo tests give it to
// --vectors (relative, so that it reads the same in their golden output);
// tests needing the sessions themselves use vectors.MustLoad.
const vectorsPath = "../../../../testdata/phalcon5-sessions.jsonl"

// findVector returns the vector of a scenario, adapter and handler.
func findVector(t *testing.T, vs []vectors.Session, scenario, adapter, handler string) vectors.Session {
	t.Helper()
	for _, v := range vs {
		if v.Scenario == scenario && v.Adapter == adapter && v.Handler == handler {
			return v
		}
	}
	t.Fatalf("no vector %s/%s/%s", scenario, adapter, handler)
	return vectors.Session{}
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		in      string
		want    exitCode
		wantErr string // in stderr
	}{
		{"help", nil, "", exitOK, ""},
		{"decode ok", []string{"decode"}, `a|i:1;`, exitOK, ""},
		{"unknown command", []string{"nope"}, "", exitUsage, `unknown command "nope"`},
		{"mistyped command", []string{"lst"}, "", exitUsage, "unknown command \"lst\"\n\nDid you mean this?\n\tls\n"},
		{"mistyped flag", []string{"get", "--stor", "x"}, "", exitUsage, "unknown flag: --stor\n\nDid you mean this?\n\t--store\n"},
		{"swapped letters", []string{"get", "--hanlder", "php"}, "", exitUsage, "unknown flag: --hanlder\n\nDid you mean this?\n\t--handler\n"},
		{"missing argument", []string{"get", "--store", "noop:"}, "", exitUsage, "sessbridge: get: missing ID\n"},
		{"missing arguments", []string{"set", "--store", "noop:", "abc"}, "", exitUsage, "sessbridge: set: missing KEY and VALUE\n"},
		{"version", []string{"--version"}, "", exitOK, ""},
		{"unknown flag", []string{"decode", "--nope"}, "", exitUsage, "unknown flag: --nope"},
		{"bad output", []string{"--output", "yaml", "decode"}, "", exitUsage, `want "table" or "json", got "yaml"`},
		{"bad handler", []string{"decode", "--handler", "msgpack"}, "", exitUsage, `unknown session format "msgpack"`},
		{"too many args", []string{"decode", "a", "b"}, "", exitUsage, "too many arguments"},
		{"bad payload", []string{"decode"}, `a|i:1`, exitError, "offset 5"},
		{"missing file", []string{"decode", "testdata/no-such-file"}, "", exitError, "no such file"},
		{"unstorable key", []string{"encode"}, `{"format":"php","entries":[["a|b",{"N":null}]]}`, exitError, `key "a|b" cannot be stored in php format`},
		{"demo mismatch", []string{"demo", "--vectors", "testdata/demo/corrupt.jsonl"}, "", exitMismatch, "do not read or write back"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, stderr := testStreams(tt.in, false)
			if got := run(t.Context(), tt.argv, ios); got != tt.want {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tt.argv, got, tt.want, stderr)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.argv, stderr, tt.wantErr)
			}
			if tt.want == exitUsage && !strings.Contains(stderr.String(), "Usage:") {
				t.Errorf("run(%q) stderr = %q, want usage", tt.argv, stderr)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		name  string
		input string
		off   int64
		want  string
	}{
		{"start", `a|i:1x;`, 5, "    a|i:1x;\n         ^ offset 5 (line 1, column 6)"},
		{"end", `a|i:1`, 5, "    a|i:1\n         ^ offset 5 (line 1, column 6)"},
		{"binary", "\x03a\x00\xffi:1x", 6, "    \\x03a\\x00\\xffi:1x\n                   ^ offset 6 (line 1, column 7)"},
		{"lines", "{\n  \"a\": x\n}", 9, "      \"a\": x\n           ^ offset 9 (line 2, column 8)"},
		{"long", strings.Repeat("a", 40) + "X" + strings.Repeat("b", 40), 40,
			"    …" + strings.Repeat("a", 32) + "X" + strings.Repeat("b", 31) + "…\n" + strings.Repeat(" ", 37) + "^ offset 40 (line 1, column 41)"},
		{"past end", "ab", 9, "    ab\n      ^ offset 2 (line 1, column 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := excerpt([]byte(tt.input), tt.off); got != tt.want {
				t.Errorf("excerpt(%q, %d) =\n%s\nwant\n%s", tt.input, tt.off, got, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	ios, stdout, _ := testStreams("", false)
	if code := run(t.Context(), []string{"--version"}, ios); code != exitOK {
		t.Fatalf("--version = %d", code)
	}
	if got := stdout.String(); !strings.HasPrefix(got, "sessbridge ") || !strings.Contains(got, "go1.") {
		t.Errorf("--version printed %q, want sessbridge, the version and the Go version", got)
	}
}

// TestFlagCompletion completes flag values as a shell asks cobra to.
func TestFlagCompletion(t *testing.T) {
	tests := []struct {
		argv []string
		want string // in the candidates
	}{
		{[]string{"get", "--handler", ""}, "php_serialize\n"},
		{[]string{"migrate", "--to-handler", ""}, "igbinary\n"},
		{[]string{"--output", ""}, "json\n"},
		{[]string{"ls", "--store", ""}, "phpredis://\n"},
		{[]string{"migrate", "--from", "file:///s?layout="}, "file:///s?layout=php\n"},
	}
	for _, tt := range tests {
		ios, stdout, stderr := testStreams("", false)
		if code := run(t.Context(), append([]string{"__complete"}, tt.argv...), ios); code != exitOK {
			t.Fatalf("__complete %q = %d: %s", tt.argv, code, stderr)
		}
		if !strings.Contains(stdout.String(), tt.want) {
			t.Errorf("__complete %q = %q, want %q among the candidates", tt.argv, stdout, tt.want)
		}
	}
}

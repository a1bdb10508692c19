package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIDocsUpToDate fails when docs/cli.md is not what gen-docs writes
// from the current commands: run "go run ./cmd/sessbridge gen-docs" from
// the repository root to update it.
func TestCLIDocsUpToDate(t *testing.T) {
	path, err := findUp(defaultDocs)
	if err != nil {
		t.Fatalf("no %s above this directory", defaultDocs)
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := writeCLIDocs(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, want.Bytes()) {
		t.Fatalf("%s is stale: run \"go run ./cmd/sessbridge gen-docs\" from the repository root", defaultDocs)
	}
	// Every visible command has a section, and gen-docs itself is hidden.
	for _, c := range newCmdRoot(&Factory{IO: &IOStreams{}}).Commands() {
		section := "## sessbridge " + c.Name() + "\n"
		if got := bytes.Contains(have, []byte(section)); got == c.Hidden {
			t.Errorf("command %s (hidden %v): section present = %v", c.Name(), c.Hidden, got)
		}
	}
}

// TestGenDocsRun: gen-docs writes the reference to --out.
func TestGenDocsRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cli.md")
	ios, _, stderr := testStreams("", false)
	if code := run(t.Context(), []string{"gen-docs", "--out", out}, ios); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "# sessbridge command reference\n") || !strings.Contains(string(b), "## sessbridge compat\n") {
		t.Errorf("unexpected output:\n%.300s", b)
	}
}

package cli

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

func TestNewCmdCompat(t *testing.T) {
	tests := []struct {
		name    string
		argv    string
		want    compatOptions
		wantErr string
	}{
		{"defaults", "", compatOptions{PHP: "php"}, ""},
		{"stores", "--store file:///a --store redis://h", compatOptions{PHP: "php", Stores: []string{"file:///a", "redis://h"}}, ""},
		{"handlers", "--handler igbinary --handler php --php /usr/bin/php8.2", compatOptions{PHP: "/usr/bin/php8.2", Handlers: []phpsession.Format{phpsession.FormatIgbinary, phpsession.FormatPHP}}, ""},
		{"bad handler", "--handler json", compatOptions{}, `--handler: phpsession: unknown session format "json" (want php, php_serialize, php_binary or igbinary)`},
		{"args", "x", compatOptions{}, "compat: too many arguments: want at most 0, got 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _ := testStreams("", false)
			f := &Factory{IO: ios}
			var got *compatOptions
			cmd := newCmdCompat(f, func(o *compatOptions) error { got = o; return nil })
			err := execute(f, cmd, strings.Fields(tt.argv)...)
			if tt.wantErr != "" {
				var fe *FlagError
				if !errors.As(err, &fe) || err.Error() != tt.wantErr {
					t.Fatalf("compat %s: err = %v, want FlagError %q", tt.argv, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("compat %s: %v", tt.argv, err)
			}
			if got.PHP != tt.want.PHP || !slices.Equal(got.Stores, tt.want.Stores) || !slices.Equal(got.Handlers, tt.want.Handlers) {
				t.Errorf("compat %s: options = %+v, want %+v", tt.argv, *got, tt.want)
			}
		})
	}
}

// TestCompatRun runs the default matrix (a Stream store in a temp dir)
// through the command: a table of four passing cells, exit code 0; and a
// missing php is exit code 1 with the install hint.
func TestCompatRun(t *testing.T) {
	php := testenv.PHP(t, "igbinary")
	ios, stdout, stderr := testStreams("", false)
	if code := run(t.Context(), []string{"compat", "--php", php}, ios); code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), stdout)
	}
	for i, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 6 || f[2] != phpsession.Formats()[i].String() || f[3] != "ok" || f[4] != "ok" || f[5] != "ok" {
			t.Errorf("line %q", l)
		}
	}

	ios, _, stderr = testStreams("", false)
	if code := run(t.Context(), []string{"compat", "--php", "/nonexistent/php"}, ios); code != exitError {
		t.Fatalf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(stderr.String(), "apt-get install php-cli") {
		t.Errorf("stderr %q lacks the install hint", stderr)
	}
}

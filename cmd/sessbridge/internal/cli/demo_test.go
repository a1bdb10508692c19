package cli

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
)

func TestNewCmdDemo(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		want    demoOptions
		wantErr string
	}{
		{"vectors", []string{"--vectors", "v.jsonl"}, demoOptions{Vectors: "v.jsonl"}, ""},
		{"args", []string{"x"}, demoOptions{}, "demo: too many arguments: want at most 0, got 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _ := testStreams("", false)
			f := &Factory{IO: ios}
			var got *demoOptions
			cmd := newCmdDemo(f, func(o *demoOptions) error { got = o; return nil })
			err := execute(f, cmd, tt.argv...)
			if tt.wantErr != "" {
				var fe *FlagError
				if !errors.As(err, &fe) || err.Error() != tt.wantErr {
					t.Fatalf("demo %q: err = %v, want FlagError %q", tt.argv, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("demo %q: %v", tt.argv, err)
			}
			tt.want.IO = ios
			if *got != tt.want {
				t.Errorf("demo %q: options = %+v, want %+v", tt.argv, *got, tt.want)
			}
		})
	}
}

func TestNewCmdDemoFindsVectors(t *testing.T) {
	// From this package's directory, the default is found in a parent.
	ios, _, _ := testStreams("", false)
	f := &Factory{IO: ios}
	var got *demoOptions
	if err := execute(f, newCmdDemo(f, func(o *demoOptions) error { got = o; return nil })); err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Abs(vectorsPath)
	if got.Vectors != want {
		t.Errorf("demo: --vectors defaults to %q, want %q", got.Vectors, want)
	}
}

func TestDemoRun(t *testing.T) {
	tests := []struct {
		name    string
		tty     bool
		output  outputFormat
		vectors string
		wantErr error
	}{
		{name: "tty", tty: true, vectors: vectorsPath},
		{name: "piped", vectors: vectorsPath},
		{name: "corrupt", tty: true, vectors: "testdata/demo/corrupt.jsonl", wantErr: errMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, stdout, stderr := testStreams("", tt.tty)
			err := demoRun(&demoOptions{IO: ios, Output: tt.output, Vectors: tt.vectors})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("demoRun() = %v, want %v", err, tt.wantErr)
			}
			out := stdout.String()
			if stderr.Len() > 0 {
				out += "--- stderr:\n" + stderr.String()
			}
			if err != nil {
				out += "--- error:\n" + err.Error() + "\n"
			}
			golden(t, "demo/"+tt.name, []byte(out))
		})
	}
}

func TestDemoRunJSON(t *testing.T) {
	ios, stdout, _ := testStreams("", false)
	if err := demoRun(&demoOptions{IO: ios, Output: outputJSON, Vectors: vectorsPath}); err != nil {
		t.Fatal(err)
	}
	var got []demoScenario
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("--output json is not the documented shape: %v", err)
	}
	if len(got) != 10 {
		t.Fatalf("--output json: %d scenarios, want 10", len(got))
	}
	for _, sc := range got {
		if len(sc.Payloads) != 12 || len(sc.Problems) != 0 || !json.Valid(sc.Session) {
			t.Errorf("scenario %s: %d payloads, problems %q, session %s", sc.Scenario, len(sc.Payloads), sc.Problems, sc.Session)
		}
		for _, p := range sc.Payloads {
			if !p.RoundTrip {
				t.Errorf("scenario %s, %s/%s: round_trip false", sc.Scenario, p.Adapter, p.Handler)
			}
		}
	}
}

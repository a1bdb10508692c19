package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestGCRun(t *testing.T) {
	env := newStoreEnv(t, true)
	old := time.Now().Add(-2 * time.Hour)
	for _, id := range []string{"old1", "old2", "new1"} {
		writeSessionFile(t, env.dir, id, []byte(`n|i:1;`))
		if id != "new1" {
			if err := os.Chtimes(filepath.Join(env.dir, id), old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name  string
		store string
		out   outputFormat
		left  []string // files left after
	}{
		{name: "file", store: "file://" + env.dir, left: []string{"new1"}},
		{name: "file-again-json", store: "file://" + env.dir, out: outputJSON, left: []string{"new1"}},
		{name: "redis", store: "redis://" + env.redis},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, stdout, _ := testStreams("", false)
			err := gcRun(t.Context(), &gcOptions{IO: ios, Output: tt.out, storeFlags: storeFlags{Store: tt.store}, MaxLifetime: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if tt.left != nil {
				entries, _ := os.ReadDir(env.dir)
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				if len(names) != len(tt.left) || names[0] != tt.left[0] {
					t.Errorf("files left = %q, want %q", names, tt.left)
				}
			}
			golden(t, "gc/"+tt.name, stdout.Bytes())
		})
	}
}

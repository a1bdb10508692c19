package manager_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/manager"
	"github.com/sessbridge/sessbridge/phpsession"
)

// A PHP app stores its sessions with session.serialize_handler =
// php_serialize, and the Go service was configured for PHP's default,
// php. Start refuses the session and leaves it as it is.
func ExampleFormatMismatchError() {
	dir, err := os.MkdirTemp("", "sessions")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	stored := []byte(`a:1:{s:4:"user";s:4:"dark";}`) // written by PHP
	os.WriteFile(filepath.Join(dir, "sess_k7p2v9"), stored, 0o600)

	store, _ := filestore.New(filestore.Options{Dir: dir, Layout: adapters.LayoutNative})
	m, _ := manager.New(store, manager.Config{Format: phpsession.FormatPHP})
	ctx := m.Load(context.Background(), "k7p2v9")
	err = m.Session(ctx).Start(ctx)

	var fe *manager.FormatMismatchError
	if errors.As(err, &fe) {
		fmt.Println("stored as", fe.Found, "but configured for", fe.Configured)
	}
	fmt.Println(errors.Is(err, manager.ErrFormatMismatch))
	after, _ := os.ReadFile(filepath.Join(dir, "sess_k7p2v9"))
	fmt.Println(string(after))
	// Output:
	// stored as php_serialize but configured for php
	// true
	// a:1:{s:4:"user";s:4:"dark";}
}

//go:build unix

package filestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sessbridge/sessbridge/adapters/filestore"
)

// A Go service sharing PHP's native file sessions, configured from the
// php.ini save_path, doing what PHP does in one request: lock, read,
// write, unlock.
func ExampleParseSavePath() {
	dir, _ := os.MkdirTemp("", "sessions")
	defer os.RemoveAll(dir)
	os.MkdirAll(filepath.Join(dir, "9", "8"), 0o700) // PHP never creates depth dirs

	opts, err := filestore.ParseSavePath("2;0600;" + dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	store, err := filestore.New(opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	const id = "987c7s2solkbvdg0is71pdincj"

	unlock, err := store.Lock(ctx, id) // PHP's session_start now waits
	if err != nil {
		fmt.Println(err)
		return
	}
	_, found, _ := store.Read(ctx, id)
	fmt.Println("found:", found)
	store.Write(ctx, id, []byte(`visits|i:1;`), 0)
	unlock(ctx)

	path, _ := store.Path(id)
	data, _ := os.ReadFile(path)
	fmt.Println(strings.TrimPrefix(path, dir), string(data))
	// Output:
	// found: false
	// /9/8/sess_987c7s2solkbvdg0is71pdincj visits|i:1;
}

// Phalcon's Stream adapter with its default options: the file is
// <savePath>/<id>, with no prefix.
func ExampleNew_phalcon() {
	dir, _ := os.MkdirTemp("", "sessions")
	defer os.RemoveAll(dir)
	store, err := filestore.New(filestore.Options{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	store.Write(ctx, "abc,DEF-123", []byte(`auth|a:0:{}`), 0)
	data, _ := os.ReadFile(filepath.Join(dir, "abc,DEF-123"))
	fmt.Println(string(data))

	_, _, err = store.Read(ctx, "../../etc/passwd")
	fmt.Println(err)
	// Output:
	// auth|a:0:{}
	// filestore: adapters: invalid session id: byte '/' at offset 2
}

package manager_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/manager"
	"github.com/sessbridge/sessbridge/phpsession"
)

// Hooks see every load and save, with sizes and outcomes; the otel module
// builds them for OpenTelemetry.
func ExampleHooks() {
	dir, _ := os.MkdirTemp("", "sessions")
	defer os.RemoveAll(dir)
	store, err := filestore.New(filestore.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	hooks := manager.Hooks{
		Load: func(ctx context.Context) (context.Context, func(manager.LoadInfo)) {
			return ctx, func(i manager.LoadInfo) {
				fmt.Printf("load: found %v, %d bytes, error %v\n", i.Found, i.Size, i.Err)
			}
		},
		Save: func(ctx context.Context) (context.Context, func(manager.SaveInfo)) {
			return ctx, func(i manager.SaveInfo) {
				fmt.Printf("save: %v, %d bytes in %d attempt(s), error %v\n", i.Op, i.Size, i.Attempts, i.Err)
			}
		},
	}
	m, err := manager.New(store, manager.Config{Hooks: hooks})
	if err != nil {
		log.Fatal(err)
	}

	request := func(id string, set bool) string {
		ctx := m.Load(context.Background(), id)
		s := m.Session(ctx)
		if err := s.Start(ctx); err != nil {
			log.Fatal(err)
		}
		if set {
			s.Set("user", phpsession.StringValue("ana"))
		}
		id, _, err := m.Commit(ctx)
		if err != nil {
			log.Fatal(err)
		}
		return id
	}
	id := request("", true) // a new session: no load, a write
	request(id, false)      // unchanged: a load and a touch
	request(id, true)       // changed: a load and a merge
	// Output:
	// save: write, 15 bytes in 1 attempt(s), error <nil>
	// load: found true, 15 bytes, error <nil>
	// save: touch, 0 bytes in 0 attempt(s), error <nil>
	// load: found true, 15 bytes, error <nil>
	// save: merge, 15 bytes in 1 attempt(s), error <nil>
}

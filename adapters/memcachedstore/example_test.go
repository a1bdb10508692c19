package memcachedstore_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/memcachedstore"
)

// Which of three servers holds a Phalcon 5 session, as php-memcached would
// choose.
func ExampleSelector() {
	sel, err := memcachedstore.NewSelector(memcachedstore.SelectorOptions{
		Servers: []memcachedstore.Server{
			{Host: "10.0.0.1", Port: 11211, Weight: 1},
			{Host: "10.0.0.2", Port: 11211, Weight: 1},
			{Host: "cache3.local", Port: 11311, Weight: 1},
		},
		Prefix: "sess-memc-",
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, id := range []string{"abc123", "0123456789abcdefghijklmnop"} {
		addr, _ := sel.PickServer("sess-memc-" + id)
		fmt.Println(id, addr)
	}
	// Output:
	// abc123 10.0.0.1:11211
	// 0123456789abcdefghijklmnop cache3.local:11311
}

// A store sharing sessions with PHP's own memcached session handler
// (session.save_handler=memcached, session.save_path="10.0.0.1:11211").
func ExampleNew_native() {
	store, err := memcachedstore.New(memcachedstore.Options{
		Servers: []memcachedstore.Server{{Host: "10.0.0.1", Port: 11211}},
		Layout:  adapters.LayoutNative,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	unlock, err := store.Lock(ctx, "hk2kj4p9qv0g7d8s1m3c5e6f7a") // waits for PHP like PHP waits
	if err != nil {
		log.Fatal(err)
	}
	defer unlock(ctx)
	data, found, err := store.Read(ctx, "hk2kj4p9qv0g7d8s1m3c5e6f7a")
	fmt.Println(string(data), found, err)
}

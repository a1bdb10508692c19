package redisstore_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
)

// New takes any go-redis client; the layout decides the keys PHP uses.
func ExampleNew() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	for _, layout := range []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutNative} {
		store, err := redisstore.New(client, redisstore.Options{Layout: layout})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(layout, store.Key("abc"), store.LockKey("abc"))
	}
	// Output:
	// phalcon5 sess-reds-abc sess-reds-abc-lock
	// php PHPREDIS_SESSION:abc PHPREDIS_SESSION:abc_LOCK
}

// Open takes the options of Phalcon's Redis session adapter. This store
// shares sessions with an app whose session service is
// new Redis($factory, ['host' => '10.0.0.5', 'index' => 1, 'lockingEnabled' => true]).
func ExampleOpen() {
	store, err := redisstore.Open(redisstore.Options{Host: "10.0.0.5", Index: 1, Locking: true})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	ctx := context.Background()
	id := "987c7s2solkbvdg0is71pdincj" // from the PHPSESSID cookie
	unlock, err := store.Lock(ctx, id) // PHP waits meanwhile
	if err != nil {
		log.Fatal(err)
	}
	defer unlock(ctx)
	payload, found, err := store.Read(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	if !found {
		payload = nil // a new session
	}
	// ... decode, change and encode payload ...
	if err := store.Write(ctx, id, payload, 0); err != nil {
		log.Fatal(err)
	}
}

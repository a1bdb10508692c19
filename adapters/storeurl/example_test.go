package storeurl_test

import (
	"context"
	"fmt"

	"github.com/sessbridge/sessbridge/adapters/storeurl"
)

func ExampleParse() {
	c, err := storeurl.Parse("redis+sentinel://:s3cret@s1,s2:26380/mymaster/2?layout=phalcon5&locking=1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c)
	fmt.Println(c.Redis.SentinelMaster, c.Redis.SentinelAddrs, c.Redis.Index, c.Redis.Locking, c.Layout())

	_, err = storeurl.Parse("memcached://m1,m2?weights=1,2&colour=red")
	fmt.Println(err)
	// Output:
	// redis+sentinel://:xxxxx@s1,s2:26380/mymaster/2?layout=phalcon5&locking=1
	// mymaster [s1:26379 s2:26380] 2 true phalcon5
	// storeurl: memcached://m1,m2?weights=1,2&colour=red: unknown parameter "colour"
}

// Two spellings of one phpredis store, and a Phalcon store on the same
// server: the first two can hold the same keys, the third cannot.
func ExampleConfig_Identity() {
	ctx := context.Background()
	var ids []storeurl.Identity
	for _, u := range []string{
		"redis://127.0.0.1:6379/0?layout=php",
		"phpredis://localhost?lifetime=1440",
		"redis://localhost:6379/0",
	} {
		c, err := storeurl.Parse(u)
		if err != nil {
			fmt.Println(err)
			return
		}
		id, err := c.Identity(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(id)
		ids = append(ids, id)
	}
	fmt.Println(ids[0].Overlaps(ids[1]), ids[0].Overlaps(ids[2]))
	fmt.Println(storeurl.Redact("dial redis://:hunter2@10.0.0.5:6379/0?sentinel_password=s3cret: refused"))
	// Output:
	// redis local:6379/0 prefix "PHPREDIS_SESSION:" (layout php)
	// redis local:6379/0 prefix "PHPREDIS_SESSION:" (layout php)
	// redis local:6379/0 prefix "sess-reds-" (layout phalcon5)
	// true false
	// dial redis://:xxxxx@10.0.0.5:6379/0?sentinel_password=xxxxx: refused
}

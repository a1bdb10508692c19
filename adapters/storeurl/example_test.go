package storeurl_test

import (
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

package phpsession_test

import (
	"fmt"
	"strings"

	"github.com/sessbridge/sessbridge/phpsession"
)

func ExampleMarshal() {
	type Auth struct {
		UserID int      `php:"userId"`
		Name   string   `php:"name"`
		Roles  []string `php:"roles,omitempty"`
		Token  string   `php:"-"`
	}
	b, err := phpsession.Marshal(Auth{UserID: 7, Name: "it's bob", Token: "secret"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))

	// Maps are written sorted: int keys (PHP turns "10" into 10) first.
	b, _ = phpsession.Marshal(map[string]int{"b": 1, "a": 2, "10": 3})
	fmt.Println(string(b))
	// Output:
	// a:2:{s:6:"userId";i:7;s:4:"name";s:8:"it's bob";}
	// a:3:{i:10;i:3;s:1:"a";i:2;s:1:"b";i:1;}
}

func ExampleUnmarshal() {
	// What PHP's serialize() wrote for
	// ['userId' => 7, 'roles' => ['admin', 'dev'], 'lastSeen' => 1.5].
	data := []byte(`a:3:{s:6:"userId";i:7;s:5:"roles";a:2:{i:0;s:5:"admin";i:1;s:3:"dev";}s:8:"lastSeen";d:1.5;}`)

	var auth struct {
		UserID int      `php:"userId"`
		Roles  []string `php:"roles"`
	}
	if err := phpsession.Unmarshal(data, &auth); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", auth)

	// A PHP value that does not fit is an error, and leaves auth as it was.
	err := phpsession.Unmarshal([]byte(`a:1:{s:6:"userId";s:1:"8";}`), &auth)
	fmt.Println(err)

	// A Value keeps everything: order, int and string keys, classes.
	var v phpsession.Value
	_ = phpsession.Unmarshal(data, &v)
	lastSeen, _ := v.Lookup("lastSeen")
	fmt.Println(lastSeen.Float())
	// Output:
	// {UserID:7 Roles:[admin dev]}
	// phpsession: cannot unmarshal PHP string into Go struct field userId of type int
	// 1.5 true
}

// Words is a list of words kept in PHP as one space-separated string.
type Words []string

// MarshalPHP writes w as one PHP string.
func (w Words) MarshalPHP() ([]byte, error) {
	return phpsession.Marshal(strings.Join(w, " "))
}

// UnmarshalPHP reads a PHP string of space-separated words.
func (w *Words) UnmarshalPHP(data []byte) error {
	var s string
	if err := phpsession.Unmarshal(data, &s); err != nil {
		return err
	}
	*w = strings.Fields(s)
	return nil
}

func Example_customMarshalPHP() {
	type Post struct {
		Tags Words `php:"tags"`
	}
	b, _ := phpsession.Marshal(Post{Tags: Words{"go", "php"}})
	fmt.Println(string(b))

	var p Post
	if err := phpsession.Unmarshal(b, &p); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", p.Tags)
	// Output:
	// a:1:{s:4:"tags";s:6:"go php";}
	// ["go" "php"]
}

// Example_phpObjects shows a Go struct standing for the PHP class
//
//	class Account { public $login; protected $role; private $secret; }
func Example_phpObjects() {
	type Account struct {
		_      phpsession.ClassName `php:"Account"`
		Login  string               `php:"login"`
		Role   string               `php:"role,protected"`
		Secret string               `php:"secret,private"`
	}
	b, _ := phpsession.Marshal(Account{Login: "lone", Role: "admin", Secret: "x"})
	fmt.Printf("%q\n", b)

	var a Account
	if err := phpsession.Unmarshal(b, &a); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", a)

	// Only an object of class Account fits.
	fmt.Println(phpsession.Unmarshal([]byte(`O:8:"stdClass":0:{}`), &a))
	// Output:
	// "O:7:\"Account\":3:{s:5:\"login\";s:4:\"lone\";s:7:\"\x00*\x00role\";s:5:\"admin\";s:15:\"\x00Account\x00secret\";s:1:\"x\";}"
	// {_: Login:lone Role:admin Secret:x}
	// phpsession: cannot unmarshal PHP object stdClass into Go value of type phpsession_test.Account
}

package phpini_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sessbridge/sessbridge/phpini"
)

func ExampleParseFile() {
	dir, _ := os.MkdirTemp("", "php")
	defer os.RemoveAll(dir)
	ini := filepath.Join(dir, "php.ini")
	os.WriteFile(ini, []byte(`
[Session]
session.name = APPSESSID
session.cookie_httponly = On ; a bare On is "1"
session.gc_maxlifetime = "7200"
`), 0o644)

	settings, err := phpini.ParseFile(ini) // and the conf.d next to it, if any
	if err != nil {
		log.Fatal(err)
	}
	name, _ := settings.Get("session.name")
	httpOnly, _ := settings.Get("session.cookie_httponly")
	gc, _ := settings.Get("session.gc_maxlifetime")
	seconds, _ := phpini.ParseInt(gc)
	fmt.Println(name, phpini.ParseBool(httpOnly), seconds)
	_, set := settings.Get("session.save_path")
	fmt.Println(set)
	// Output:
	// APPSESSID true 7200
	// false
}

package phpsession_test

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sessbridge/sessbridge/phpsession"
)

func ExampleDecodeSession() {
	// A session PHP wrote with session.serialize_handler=php.
	payload := []byte(`auth|a:2:{s:2:"id";i:42;s:4:"name";s:11:"Dark Helmet";}csrf|s:6:"a1b2c3";`)
	s, err := phpsession.DecodeSession(payload, phpsession.FormatPHP)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Names())
	auth, _ := s.Get("auth")
	name, _ := auth.Lookup("name")
	fmt.Println(name.Str())
	// Output:
	// [auth csrf]
	// Dark Helmet true
}

func ExampleSession_Set() {
	s, _ := phpsession.DecodeSession([]byte(`visits|i:1;big|d:1e25;`), phpsession.FormatPHP)
	if err := s.Set("visits", phpsession.IntValue(2)); err != nil {
		fmt.Println(err)
	}
	// PHP cannot store a php-format key with a '|'.
	err := s.Set("a|b", phpsession.NullValue())
	fmt.Println(errors.Is(err, phpsession.ErrUnstorableKey))
	out, _ := s.Encode()
	fmt.Printf("%s\n", out) // the untouched entry keeps its bytes
	// Output:
	// true
	// visits|i:2;big|d:1e25;
}

func ExampleSession_Encode() {
	s := phpsession.NewSession(phpsession.FormatPHPSerialize)
	s.Set("cart", phpsession.ListValue(phpsession.StringValue("apple"), phpsession.StringValue("pear")))
	s.Set("7", phpsession.BoolValue(true)) // an int key, as PHP writes it
	out, _ := s.Encode()
	fmt.Printf("%s\n", out)
	// Output:
	// a:2:{s:4:"cart";a:2:{i:0;s:5:"apple";i:1;s:4:"pear";}i:7;b:1;}
}

func ExampleDecoder_Decode() {
	d := phpsession.NewDecoder(strings.NewReader(`i:1;a:1:{s:1:"k";d:0.5;}`))
	for {
		var v phpsession.Value
		if err := d.Decode(&v); err != nil {
			break // io.EOF at the end
		}
		fmt.Println(v.Kind())
	}
	// Output:
	// int
	// array
}

func ExampleEncoder_Encode() {
	e := phpsession.NewEncoder(os.Stdout)
	e.Encode(phpsession.ArrayValue(
		phpsession.Entry{Key: phpsession.StringValue("pi"), Value: phpsession.FloatValue(3.14)},
		phpsession.Entry{Key: phpsession.StringValue("big"), Value: phpsession.FloatValue(1e25)},
	))
	fmt.Println()
	// Output:
	// a:2:{s:2:"pi";d:3.14;s:3:"big";d:1.0E+25;}
}

func ExampleValid() {
	fmt.Println(phpsession.Valid([]byte(`s:5:"hello";`)))
	fmt.Println(phpsession.Valid([]byte(`s:9:"hello";`)))
	// Output:
	// true
	// false
}

func ExampleSyntaxError() {
	_, err := phpsession.DecodeSession([]byte(`a|i:1;garbage`), phpsession.FormatPHP)
	var se *phpsession.SyntaxError
	if errors.As(err, &se) {
		fmt.Println(se.Offset, errors.Is(err, phpsession.ErrSyntax))
	}
	fmt.Println(err)
	// Output:
	// 6 true
	// phpsession: session entry name without '|' at offset 6
}

func ExampleLookup() {
	// A large session from which a service needs only the login.
	payload := []byte(`auth|a:2:{s:2:"id";i:42;s:4:"name";s:11:"Dark Helmet";}cart|a:1:{i:0;s:5:"spoon";}csrf|s:6:"a1b2c3";`)
	auth, ok, err := phpsession.Lookup(payload, phpsession.FormatPHP, "auth")
	if err != nil || !ok {
		fmt.Println("no login:", err)
		return
	}
	id, _ := auth.Lookup("id")
	fmt.Println(id.Int())
	// Output:
	// 42 true
}

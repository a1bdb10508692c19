package phpsession

import "testing"

// TestSetThenChange changes an array after Set has given it to the session:
// Encode writes the array as it is then, and renumbers the references of
// the entries after it by its slots then, not those it had at Set.
func TestSetThenChange(t *testing.T) {
	for _, tt := range []struct {
		f        Format
		in, want string
	}{
		// c's R:2 is b, slot 2; once a holds an element, b is slot 3.
		{FormatPHP, `a|i:1;b|s:1:"x";c|R:2;`, `a|a:1:{i:0;i:5;}b|s:1:"x";c|R:3;`},
		{FormatPHPBinary, "\x01ai:1;\x01bs:1:\"x\";\x01cR:2;", "\x01aa:1:{i:0;i:5;}\x01bs:1:\"x\";\x01cR:3;"},
		// Slot 1 is the outer array.
		{FormatPHPSerialize, `a:3:{s:1:"a";i:1;s:1:"b";s:1:"x";s:1:"c";R:3;}`, `a:3:{s:1:"a";a:1:{i:0;i:5;}s:1:"b";s:1:"x";s:1:"c";R:4;}`},
	} {
		t.Run(tt.f.String(), func(t *testing.T) {
			s, err := DecodeSession([]byte(tt.in), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			arr := ArrayValue()
			if err := s.Set("a", arr); err != nil {
				t.Fatal(err)
			}
			arr.Set(IntValue(0), IntValue(5))
			out, err := s.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("Encode = %q, want %q", out, tt.want)
			}
		})
	}
}

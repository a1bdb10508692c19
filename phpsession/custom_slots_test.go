package phpsession

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

// customSlotsPHP prints, for each payload, its hex and whether PHP 8's
// unserialize() accepts it: first what serialize() writes for Serializable
// classes whose serialize() calls serialize() (T, U) or returns text (V),
// then hand-written payloads given on stdin, one hex per line.
const customSlotsPHP = `<?php
class T implements Serializable {
    public $d;
    function __construct($d = null) { $this->d = $d; }
    function serialize() { return serialize($this->d); }
    function unserialize($s) { $this->d = unserialize($s); }
}
class U implements Serializable {
    public $d;
    function __construct($d = null) { $this->d = $d; }
    function serialize() { return serialize($this->d[0]) . serialize($this->d[1]); }
    // Enough for two scalars (the test's payloads): unserialize each.
    function unserialize($s) { $p = strpos($s, ';') + 1; $this->d = [unserialize(substr($s, 0, $p)), unserialize(substr($s, $p))]; }
}
class V implements Serializable {
    function serialize() { return 'tok=abc'; }
    function unserialize($s) {}
}
$o = new stdClass; $x = new stdClass;
$out = [
    serialize([new T([1, 2]), $o, $o]),
    serialize([new T(3), $o, $o]),
    serialize([new U([3, 4]), $o, $o]),
    serialize([new T([$x, $x]), $o, $o]),
    serialize([new T(new T([1])), $o, $o]),
    serialize([new V, $o, $o]),
    serialize([new T([new V, $x]), $o, $o, $x]),
];
foreach (explode("\n", trim(stream_get_contents(STDIN))) as $h) { $out[] = hex2bin($h); }
foreach ($out as $s) {
    echo bin2hex($s), "\t", @unserialize($s) === false ? 0 : 1, "\n";
}
`

// TestCustomPayloadSlots checks PHP's slot rule for C: payloads against
// real PHP: values inside a payload take slots and later references count
// them, a text payload takes none.
func TestCustomPayloadSlots(t *testing.T) {
	testenv.PHP(t)
	extra := []string{
		`a:3:{i:0;C:1:"T":22:{a:2:{i:0;i:1;i:1;i:2;}}i:1;O:8:"stdClass":0:{}i:2;r:6;}`,
		`a:3:{i:0;C:1:"T":22:{a:2:{i:0;i:1;i:1;i:2;}}i:1;O:8:"stdClass":0:{}i:2;r:3;}`,
		`a:3:{i:0;C:1:"V":7:{tok=abc}i:1;O:8:"stdClass":0:{}i:2;r:3;}`,
		`a:3:{i:0;C:1:"V":7:{tok=abc}i:1;O:8:"stdClass":0:{}i:2;r:4;}`,
		`a:2:{i:0;C:1:"T":4:{i:3;}i:1;R:3;}`,
		`a:2:{i:0;C:1:"T":4:{i:3;}i:1;R:4;}`,
		`a:2:{i:0;C:1:"U":8:{i:3;i:4;}i:1;R:4;}`,
		`a:2:{i:0;C:1:"U":8:{i:3;i:4;}i:1;R:5;}`,
		`a:2:{i:0;C:1:"U":8:{i:3;i:4;}i:1;R:6;}`,
	}
	var stdin bytes.Buffer
	for _, s := range extra {
		stdin.WriteString(hex.EncodeToString([]byte(s)) + "\n")
	}
	out := testenv.RunPHP(t, customSlotsPHP, stdin.Bytes())
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 7+len(extra) {
		t.Fatalf("php printed %d lines, want %d:\n%s", len(lines), 7+len(extra), out)
	}
	accepted := 0
	for _, line := range lines {
		h, ok, _ := strings.Cut(line, "\t")
		data, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		want := ok == "1"
		if got := Valid(data); got != want {
			t.Errorf("Valid(%q) = %v, want %v (PHP unserialize)", data, got, want)
			continue
		}
		if !want {
			continue
		}
		accepted++
		v, n, err := decodeValue(data, limits{})
		if err != nil || n != len(data) {
			t.Errorf("decodeValue(%q) = %d, %v", data, n, err)
			continue
		}
		if enc, err := appendValue(nil, v); err != nil || !bytes.Equal(enc, data) {
			t.Errorf("encode(decode(%q)) = %q, %v", data, enc, err)
		}
	}
	if accepted < 6 {
		t.Errorf("PHP accepted only %d payloads: the test checks too little", accepted)
	}
}

// TestPayloadValues checks that payloadValues takes the payloads a check
// of the whole value counts, with as many slots.
func TestPayloadValues(t *testing.T) {
	tests := []struct {
		name, data string
		vals       int // values payloadValues returns for the first C:; -1 opaque
	}{
		{"array", `a:2:{i:0;C:1:"T":22:{a:2:{i:0;i:1;i:1;i:2;}}i:1;r:2;}`, 1},
		{"two scalars", `a:1:{i:0;C:1:"U":8:{i:3;i:4;}}`, 2},
		{"text", `a:1:{i:0;C:1:"V":7:{tok=abc}}`, -1},
		{"ref to outer object", `a:2:{i:0;O:1:"A":0:{}i:1;C:1:"T":4:{r:2;}}`, 1},
		{"ref to outer array", `a:2:{i:0;a:0:{}i:1;C:1:"T":4:{r:2;}}`, -1},
		{"half a value", `a:1:{i:0;C:1:"T":5:{a:1:{}}`, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _, err := decodeValue([]byte(tt.data), limits{})
			if err != nil {
				t.Fatalf("decodeValue(%q) = %v", tt.data, err)
			}
			var slots []Value
			var got []Value
			ok := false
			var walk func(Value)
			walk = func(v Value) {
				slots = append(slots, v)
				if v.kind() == Custom && !ok && got == nil {
					got, ok = payloadValues(v.comp.payload, slots)
					if !ok {
						got = []Value{}
					}
				}
				for _, e := range v.Entries() {
					walk(e.Value)
				}
			}
			walk(v)
			n := len(got)
			if !ok {
				n = -1
			}
			if n != tt.vals {
				t.Errorf("payloadValues in %q = %d values (ok %v), want %d", tt.data, len(got), ok, tt.vals)
			}
		})
	}
}

// TestCustomPayloadSlotsInSession: the slots inside a C: payload count when
// a session is changed and re-encoded, and when references are followed,
// exactly as PHP counts them (checked against session_decode, unset,
// session_encode in real PHP).
func TestCustomPayloadSlotsInSession(t *testing.T) {
	payload := `c|C:1:"T":22:{a:2:{i:0;i:1;i:1;i:2;}}o|O:8:"stdClass":1:{s:1:"k";i:7;}r|r:5;`
	script := sessionWithTPHP + `echo json_encode([$_SESSION['r'] === $_SESSION['o'], $_SESSION['r']->k]), "\n";
unset($_SESSION['c']);
echo session_encode();
`
	out := string(testenv.RunPHP(t, script, []byte(payload)))
	first, phpAfter, _ := strings.Cut(out, "\n")
	if first != "[true,7]" {
		t.Fatalf("PHP: r is not o: %s", first)
	}

	s, err := DecodeSession([]byte(payload), FormatPHP)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		K int `php:"k"`
	}
	if err := s.Unmarshal("r", &r); err != nil || r.K != 7 {
		t.Fatalf(`Unmarshal("r") = %+v, %v, want k 7 (r:5 is o, after the 4 slots of c)`, r, err)
	}
	s.Remove("c")
	got, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != phpAfter {
		t.Errorf("after Remove(c): Encode = %q, PHP writes %q", got, phpAfter)
	}
	if n := countSlots(CustomValue("T", []byte(`a:2:{i:0;i:1;i:1;i:2;}`))); n != 4 {
		t.Errorf("countSlots(CustomValue with a serialized array payload) = %d, want 4", n)
	}
	if n := countSlots(CustomValue("T", []byte(`tok=abc`))); n != 1 {
		t.Errorf("countSlots(CustomValue with a text payload) = %d, want 1", n)
	}
}

// TestCustomPayloadRefsRenumbered: references inside a C: payload are
// renumbered like any other when a change moves slots, and the payload's
// length follows when their digits grow (checked against real PHP, whose
// T::serialize() writes them through a nested serialize()).
func TestCustomPayloadRefsRenumbered(t *testing.T) {
	script := sessionWithTPHP + `$_SESSION['a'] = range(1, 9);
echo session_encode();
`
	for _, payload := range []string{
		`a|i:1;o|O:8:"stdClass":1:{s:1:"v";i:7;}b|C:1:"T":4:{r:2;}`,
		`a|i:1;o|O:8:"stdClass":1:{s:1:"v";i:7;}b|C:1:"T":22:{a:2:{i:0;r:2;i:1;R:3;}}`,
		`a|i:1;o|O:8:"stdClass":1:{s:1:"v";i:7;}b|C:1:"T":22:{a:2:{i:0;i:5;i:1;R:6;}}c|R:6;`,
		`a|i:1;o|O:8:"stdClass":1:{s:1:"v";i:7;}b|C:1:"T":34:{a:2:{i:0;C:1:"T":4:{r:2;}i:1;r:6;}}`,
	} {
		phpAfter := string(testenv.RunPHP(t, script, []byte(payload)))
		s, err := DecodeSession([]byte(payload), FormatPHP)
		if err != nil {
			t.Fatalf("DecodeSession(%q): %v", payload, err)
		}
		if err := s.Set("a", ListValue(IntValue(1), IntValue(2), IntValue(3), IntValue(4), IntValue(5),
			IntValue(6), IntValue(7), IntValue(8), IntValue(9))); err != nil {
			t.Fatal(err)
		}
		got, err := s.Encode()
		if err != nil {
			t.Fatalf("Encode of %q after Set(a): %v", payload, err)
		}
		if string(got) != phpAfter {
			t.Errorf("%q after Set(a):\nEncode = %q\nPHP    = %q", payload, got, phpAfter)
		}
	}
}

// sessionWithTPHP starts a PHP script that decodes the session payload on
// stdin, with a Serializable class T whose serialize() and unserialize()
// call serialize() and unserialize() on its data (so that the values in its
// payload share the session's slots).
const sessionWithTPHP = `<?php
class T implements Serializable {
    public $d;
    public function serialize() { return serialize($this->d); }
    public function unserialize($s) { $this->d = unserialize($s); }
}
ini_set('session.save_path', sys_get_temp_dir());
session_start();
session_decode(stream_get_contents(STDIN));
`

// TestCustomSlotsKept checks that the slots a custom object's payload takes
// survive what copies or re-reads a Value: Clone and the JSON form. A copy
// that lost them would renumber the references after it wrongly.
func TestCustomSlotsKept(t *testing.T) {
	tests := []struct {
		name  string
		v     Value
		slots int // countSlots of v: 1 for the object, plus its payload's
	}{
		{"serialized payload", CustomValue("T", []byte(`a:2:{i:0;i:1;i:1;i:2;}`)), 4},
		{"two values", CustomValue("U", []byte(`i:3;i:4;`)), 3},
		{"opaque text", CustomValue("V", []byte("tok=abc")), 1},
		{"decoded", mustDecode(t, `C:1:"T":22:{a:2:{i:0;i:1;i:1;i:2;}}`), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := countSlots(tt.v); got != tt.slots {
				t.Fatalf("countSlots = %d, want %d", got, tt.slots)
			}
			if got := countSlots(tt.v.Clone()); got != tt.slots {
				t.Errorf("countSlots of Clone = %d, want %d", got, tt.slots)
			}
			data, err := tt.v.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var back Value
			if err := back.UnmarshalJSON(data); err != nil {
				t.Fatalf("UnmarshalJSON(%s): %v", data, err)
			}
			if !back.Equal(tt.v) {
				t.Errorf("from JSON %s: class %q payload %q", data, back.Class(), back.Payload())
			}
			if got := countSlots(back); got != tt.slots {
				t.Errorf("countSlots from JSON %s = %d, want %d", data, got, tt.slots)
			}
		})
	}
}

// legacySlotsPHP reads lines "<name> <hex of a C: value>", and for each
// puts the value in a:3:{i:0;<C:>i:1;R:k;i:2;s:3:"end";} (and with r:k),
// for k from 1 up, and prints what PHP 8.2's unserialize() makes of the
// reference: "FAIL" when it refuses the payload, else the value it points
// at (see legacySlotShow).
const legacySlotsPHP = `<?php
error_reporting(E_ALL & ~E_DEPRECATED);
function show($v) {
    if (is_object($v)) return get_class($v);
    if (is_array($v)) return 'array';
    return json_encode($v);
}
while (($l = fgets(STDIN)) !== false) {
    [$name, $h] = explode(' ', trim($l));
    $c = hex2bin($h);
    foreach (['R', 'r'] as $t) {
        for ($k = 1; $k <= 12; $k++) {
            $v = @unserialize('a:3:{i:0;' . $c . "i:1;$t:$k;i:2;s:3:\"end\";}");
            echo $name, ' ', $t, ':', $k, ' ', $v === false ? 'FAIL' : show($v[1]), "\n";
        }
    }
}
`

// legacySlotShow is legacySlotsPHP's show() of the value at slot k of v.
func legacySlotShow(v Value, k int) string {
	slots := appendSlots(nil, v)
	if k < 1 || k > len(slots) {
		return "none"
	}
	switch t := slots[k-1]; t.kind() {
	case Object, Custom:
		return t.Class()
	case Array:
		return "array"
	case String:
		return strconv.Quote(t.str)
	case Int:
		return strconv.FormatInt(int64(t.num), 10)
	case Null:
		return "null"
	default:
		return t.kind().String()
	}
}

// TestLegacyCustomSlots checks the slots of the values inside the C:
// payloads PHP 7.3 and older wrote for SPL classes, which PHP 8.2 still
// reads, against PHP 8.2: an R: or r: after such a value is accepted or
// refused as PHP does, and points at the value PHP's points at.
func TestLegacyCustomSlots(t *testing.T) {
	testenv.PHP(t)
	c := func(class, payload string) string {
		return fmt.Sprintf("C:%d:%q:%d:{%s}", len(class), class, len(payload), payload)
	}
	payloads := []struct{ name, value string }{
		{"ArrayObject", c("ArrayObject", `x:i:0;a:2:{i:0;s:1:"p";i:1;s:1:"q";};m:a:1:{s:1:"z";s:1:"w";}`)},
		{"ArrayIterator", c("ArrayIterator", `x:i:0;a:2:{i:0;s:1:"p";i:1;O:8:"stdClass":0:{}};m:a:0:{}`)},
		{"SplObjectStorage", c("SplObjectStorage", `x:i:2;O:8:"stdClass":1:{s:1:"k";s:1:"p";},s:1:"q";;O:8:"stdClass":0:{},N;;m:a:0:{}`)},
		{"SplObjectStorage-r", c("SplObjectStorage", `x:i:2;O:8:"stdClass":0:{},a:1:{i:0;s:1:"q";};r:4;,N;;m:a:1:{s:1:"z";r:4;}`)},
		{"SplDoublyLinkedList", c("SplDoublyLinkedList", `i:0;:s:1:"p";:O:8:"stdClass":0:{}`)},
		{"SplQueue", c("SplQueue", `i:4;:s:1:"p";:s:1:"q";`)},
		{"SplStack-R", c("SplStack", `i:6;:s:1:"p";:R:4;`)},
		{"nested", c("ArrayObject", `x:i:0;a:1:{i:0;`+c("SplQueue", `i:4;:s:1:"p";`)+`};m:a:0:{}`)},
	}
	var stdin bytes.Buffer
	for _, p := range payloads {
		fmt.Fprintf(&stdin, "%s %x\n", p.name, p.value)
	}
	out := testenv.RunPHP(t, legacySlotsPHP, stdin.Bytes())
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 24*len(payloads) {
		t.Fatalf("php printed %d lines, want %d:\n%s", len(lines), 24*len(payloads), out)
	}
	values := map[string]string{}
	for _, p := range payloads {
		values[p.name] = p.value
	}
	pointed := 0
	for _, l := range lines {
		f := strings.SplitN(l, " ", 3)
		name, ref, php := f[0], f[1], f[2]
		k, _ := strconv.Atoi(ref[2:])
		data := []byte(`a:3:{i:0;` + values[name] + `i:1;` + ref + `;i:2;s:3:"end";}`)
		v, _, err := decodeValue(data, limits{})
		if (err == nil) != (php != "FAIL") || Valid(data) != (php != "FAIL") {
			t.Errorf("%s: decodeValue(%s) = %v, Valid %v; PHP says %s", name, data, err, Valid(data), php)
			continue
		}
		if err != nil {
			continue
		}
		if enc, err := appendValue(nil, v); err != nil || !bytes.Equal(enc, data) {
			t.Errorf("%s: encode(decode(%s)) = %s, %v", name, data, enc, err)
		}
		got := legacySlotShow(v, k)
		if php == "null" && got == "array" && strings.Contains(values[name], "x:i:") {
			// PHP 8.2 resolves an R: to the storage array of an
			// ArrayObject or ArrayIterator to null: its slot's zval is
			// replaced when the object takes the array. serialize()
			// never writes such an R:.
			continue
		}
		if got != php {
			t.Errorf("%s: in %s, %s points at %s; PHP: %s", name, data, ref, got, php)
		}
		pointed++
	}
	if pointed < 40 {
		t.Errorf("only %d references checked", pointed)
	}
}

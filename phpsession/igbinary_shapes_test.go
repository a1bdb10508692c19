package phpsession

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/internal/testenv"
)

// igShapesPHP prints, for each shape PHP's igbinary writes that needs
// care, one line: its name, hex(igbinary_serialize(['v' => $v])) (the
// session of $v: see igWrap), and whether
// igbinary_serialize(igbinary_unserialize()) of it gives the same bytes
// ("same" or "differs").
const igShapesPHP = `<?php
error_reporting(E_ALL & ~E_DEPRECATED & ~E_NOTICE);
class Tok implements Serializable { public $p = ''; function __construct($p = '') { $this->p = $p; } function serialize() { return $this->p; } function unserialize($d) { $this->p = $d; } }
class Slp { public $a = 1; public $b = [2]; public $o; function __sleep() { return ['a', 'b', 'a', 'o', 'b', 'o']; } }
class Mag { public $a; function __serialize(): array { return ['x' => $this->a, 'y' => $this->a]; } function __unserialize(array $d): void { $this->a = $d['x']; } }
enum Suit: string { case Hearts = 'H'; }
function out($name, $v) {
    $ig = igbinary_serialize(['v' => $v]);
    echo $name, ' ', bin2hex($ig), ' ', igbinary_serialize(igbinary_unserialize($ig)) === $ig ? 'same' : 'differs', "\n";
}
$a = []; $a['self'] = &$a; out('array & referencing itself', $a);
$a = ['x' => 1]; $a['self'] = &$a; out('nested array & referencing itself', ['top' => $a, 'again' => $a]);
$a = [1]; $a[] = &$a; out('list & referencing itself', ['k' => $a]);
$s = new Slp; $s->o = new stdClass; out('__sleep naming properties twice', [$s, $s]);
$t = new Tok('x'); out('& references to a Serializable', [&$t, &$t]);
$t = new Tok('x'); $a = [$t]; $a[1] = &$a[0]; out('& reference to a Serializable element', $a);
$t = new Tok('x'); out('Serializable then & references to it', [$t, &$t, &$t, $t]);
$t = new Tok('x'); out('Serializable then one & reference', [$t, &$t, $t]);
$o = new stdClass; out('& object, & reference, objref', [&$o, &$o, $o]);
$o = new stdClass; out('object, then & references', [$o, &$o, &$o]);
$o = new stdClass; out('object, then one & reference', [$o, &$o]);
$o = new stdClass; out('object in an array, then & references', [[$o], &$o, &$o]);
$e = Suit::Hearts; out('enum & referenced', [&$e, &$e, Suit::Hearts]);
$e = Suit::Hearts; out('enum, then & references', [Suit::Hearts, &$e, &$e]);
$m = new Mag; $m->a = new stdClass; out('__serialize, then & references', [$m, &$m, &$m]);
$m = new Mag; $m->a = new stdClass; out('__serialize & referenced', [&$m, &$m, $m->a]);
$o = new stdClass; $o->self = &$o; out('object holding a & reference to itself', [$o, $o]);
$o = new stdClass; $o->self = $o; out('object holding itself', [$o]);
$a = ['a' => 1]; $a['b'] = &$a['a']; $a['c'] = $a; out('copy of an array holding a & reference', $a);
$x = ['a' => 1]; $x['self'] = &$x; out('copies of an array & referencing itself', ['s' => $x, 't' => $x]);
$o = new stdClass; $x = [$o, new Tok('t'), Suit::Hearts, [$o]]; out('copies of an array holding objects', [$x, $x, 'z' => [$x]]);
$o = new stdClass; $x = [$o]; out('copies of an array holding an object, then & references to it', [$x, $x, &$o, &$o]);
$a = ['x' => [1]]; $a['x']['up'] = &$a; out('copy of an array inside itself', $a);
`

// TestIgbinaryShapes has PHP write the shapes of igbinary_serialize()
// output that need care (references to arrays holding them, properties
// named twice, & references to objects of every kind), each as the value
// of a session, and checks that each decodes; that it encodes back from
// its values byte for byte when PHP itself writes it back so; and that PHP
// reads Go's encoding as the same value: serialize() writes the same for
// both, and so does igbinary_serialize() but for the shapes of
// igShapesOther.
func TestIgbinaryShapes(t *testing.T) {
	testenv.PHP(t, "igbinary")
	out := testenv.RunPHP(t, igShapesPHP, nil)
	var back bytes.Buffer
	type shape struct {
		name string
		why  string // igShapesOther's
	}
	var shapes []shape
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 19 {
		t.Fatalf("php printed %d shapes:\n%s", len(lines), out)
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 3 {
			t.Fatalf("php printed %q", l)
		}
		name, payload, same := strings.Join(f[:len(f)-2], " "), igMustHex(f[len(f)-2]), f[len(f)-1] == "same"
		v, err := igDecodeV(payload, limits{})
		if err != nil {
			t.Errorf("%s: DecodeSession(%x): %v", name, payload, err)
			continue
		}
		enc, err := igReencode(t, payload)
		if err != nil {
			t.Errorf("%s: re-encoding %s: %v", name, igShow(v), err)
			continue
		}
		why := igShapesOther[name]
		if same && (why != "" || !bytes.Equal(enc, payload)) {
			t.Errorf("%s: PHP writes it back as it is, Go writes\n%x (%q)\nwant\n%x\nvalue %s", name, enc, why, payload, igShow(v))
		}
		fmt.Fprintf(&back, "%x %x\n", payload, enc)
		shapes = append(shapes, shape{name, why})
	}
	// PHP reads both and writes each back: the same bytes, the same value.
	got := testenv.RunPHP(t, `<?php
error_reporting(E_ALL & ~E_DEPRECATED & ~E_NOTICE);
`+strings.SplitN(igShapesPHP, "\n", 3)[2][:strings.Index(strings.SplitN(igShapesPHP, "\n", 3)[2], "function out")]+`
while (($l = fgets(STDIN)) !== false) {
    [$php, $go] = explode(' ', trim($l));
    $p = igbinary_unserialize(hex2bin($php)); $g = igbinary_unserialize(hex2bin($go));
    echo bin2hex(serialize($p)), ' ', bin2hex(serialize($g)), ' ', bin2hex(igbinary_serialize($p)), ' ', bin2hex(igbinary_serialize($g)), "\n";
}
`, back.Bytes())
	for i, l := range strings.Split(strings.TrimSpace(string(got)), "\n") {
		f := strings.Fields(l)
		if len(f) != 4 || i >= len(shapes) {
			t.Fatalf("php printed %q", l)
		}
		sh := shapes[i]
		if f[0] != f[1] {
			t.Errorf("%s: PHP reads its payload as\n%q\nand Go's encoding as\n%q", sh.name, igMustHex(f[0]), igMustHex(f[1]))
		}
		if f[2] != f[3] {
			if sh.why == "" {
				t.Errorf("%s: PHP writes back its payload as\n%s\nand Go's encoding as\n%s", sh.name, f[2], f[3])
			} else {
				t.Logf("%s: %s", sh.name, sh.why)
			}
		}
	}
}

// igShapesOther are the shapes of igShapesPHP that PHP reads back as other
// than Go does, and why (see decodeIgbinarySession).
var igShapesOther = map[string]string{
	"copy of an array inside itself": igInside + " (PHP reads an array holding itself, Go null, as serialize() writes it)",
}

// TestIgbinaryObjectSessionPHP: PHP's igbinary session decoder takes the
// properties of a top-level object as the session's names, keeps a numeric
// one ("5") as a string key, and writes the session back as an array. A
// property written twice (__sleep naming it twice) is one name, in its
// first place. Go reads the same names, gives the payload back unchanged,
// and after the same change writes what PHP writes.
func TestIgbinaryObjectSessionPHP(t *testing.T) {
	testenv.PHP(t, "igbinary")
	out := testenv.RunPHP(t, `<?php
class Twice { public $a = 1; public $b = 2; function __sleep() { return ['a', 'b', 'a']; } }
ob_start();
ini_set('session.use_cookies', '0');
ini_set('session.save_path', sys_get_temp_dir());
ini_set('session.cache_limiter', '');
ini_set('session.serialize_handler', 'igbinary');
session_id('igobj');
session_start();
$o = new stdClass; $o->a = 1; $o->{'5'} = 'five'; $o->b = [1, new stdClass]; $o->c = &$o->a;
$lines = [];
foreach ([$o, new Twice] as $v) {
	$p = igbinary_serialize($v);
	$_SESSION = [];
	session_decode($p);
	$keys = json_encode(array_map('strval', array_keys($_SESSION)));
	$_SESSION['d'] = 2;
	$lines[] = bin2hex($p) . ' ' . $keys . ' ' . bin2hex(session_encode());
}
session_abort();
ob_end_clean();
echo implode("\n", $lines), "\n";
`, nil)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("php printed %q", out)
	}
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("php printed %q", line)
		}
		payload, phpKeys, phpAfter := igMustHex(f[0]), f[1], igMustHex(f[2])
		s, err := DecodeSession(payload, FormatIgbinary)
		if err != nil {
			t.Fatalf("DecodeSession(%x): %v", payload, err)
		}
		if got := fmt.Sprintf("%q", s.Names()); strings.ReplaceAll(got, " ", ",") != phpKeys {
			t.Errorf("%x: Names() = %s, PHP reads %s", payload, got, phpKeys)
		}
		if got, err := s.Encode(); err != nil || !bytes.Equal(got, payload) {
			t.Errorf("Encode() of the unchanged session = %x, %v; want %x", got, err, payload)
		}
		if err := s.Set("d", IntValue(2)); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Encode(); err != nil || !bytes.Equal(got, phpAfter) {
			t.Errorf("%x: Encode() after Set = %x, %v; PHP writes %x", payload, got, err, phpAfter)
		}
	}
}

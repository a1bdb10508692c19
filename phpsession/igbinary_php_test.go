package phpsession

// igPHPClasses are the classes both differential scripts know.
const igPHPClasses = `
class Acc { public $login = 'lone'; protected $role = 'admin'; private $secret = "s\0x"; public $extra; }
class Tok implements Serializable {
    public $p = '';
    public function __construct($p = '') { $this->p = $p; }
    public function serialize() { return $this->p; }
    public function unserialize($d) { $this->p = $d; }
}
class Pt { public function __construct(public int $x = 1, public float $y = 2.5) {} }
class Mag {
    public $a; public $b;
    public function __serialize(): array { return [0 => $this->a, 'b' => $this->b, 7 => 'x']; }
    public function __unserialize(array $d): void { $this->a = $d[0]; $this->b = $d['b']; }
}
class Typed { public int $x; public $y = 1; public ?array $z; }
class Slp { public $a; public $b; function __sleep() { return ['a', 'b', 'a']; } }
enum Suit: string { case Hearts = 'H'; case Spades = 'S'; }
enum Pure { case One; case Two; }
`

// igGenPHP prints, for argv[2] random values seeded with argv[1], one line
// each: base64(igbinary_serialize(['v' => $v])) base64(serialize(['v' =>
// $v])), then "inside" when it made $v hold a copy of an array inside
// itself (a & reference to an array from inside it), else "-".
const igGenPHP = `<?php
error_reporting(E_ALL & ~E_DEPRECATED);
` + igPHPClasses + `
mt_srand((int)$argv[1]);
$STRS = ['a', 'login', 'stdClass', 'Acc', 'Hearts', 'Suit', '05', '-0', '', "b\0in", 'é', str_repeat('x', 300), 'k1', 'k2'];
$PROPS = ['a', 'b', 'login', 'x1', '5', 'stdClass'];
$OBJS = [];
$ARRS = [];
$INSIDE = false;
function rbytes($n) { $s = ''; for ($i = 0; $i < $n; $i++) { $s .= chr(mt_rand(0, 255)); } return $s; }
function pick($a) { return $a[mt_rand(0, count($a) - 1)]; }
function rstr() {
    global $STRS;
    $r = mt_rand(0, 99);
    if ($r < 60) return pick($STRS);
    if ($r < 97) return rbytes(mt_rand(1, 12));
    if ($r < 99) return rbytes(mt_rand(256, 700));
    return str_repeat('y', 70000);
}
function rint() {
    $r = mt_rand(0, 3);
    if ($r == 0) return pick([0, 1, -1, 255, 256, -255, -256, 65535, 65536, -65535, -65536, 4294967295, 4294967296, -4294967296, PHP_INT_MAX, PHP_INT_MIN, PHP_INT_MIN + 1]);
    if ($r == 1) return mt_rand(-300, 300);
    if ($r == 2) return mt_rand(-70000, 70000);
    return mt_rand() * (mt_rand(0, 1) ? 1 : -1) * mt_rand(1, 4294967296);
}
function rfloat() {
    $r = mt_rand(0, 3);
    if ($r == 0) return pick([0.0, -0.0, INF, -INF, NAN, 0.1, 1e25, 1.5e-7, 1.0, -2.5]);
    if ($r == 1) return mt_rand() / 7;
    return unpack('E', rbytes(8))[1];
}
function rkey() { return mt_rand(0, 2) == 0 ? rint() : rstr(); }
function gen($d) {
    global $OBJS, $ARRS, $PROPS;
    $r = mt_rand(0, $d > 4 ? 9 : 19);
    switch ($r) {
    case 0: return null;
    case 1: return (bool)mt_rand(0, 1);
    case 2: case 3: return rint();
    case 4: return rfloat();
    case 5: case 6: case 7: case 8: case 9: return rstr();
    case 10: case 11: case 12: return garr($d);
    case 13:
        $o = mt_rand(0, 1) ? new stdClass : new Acc;
        for ($i = mt_rand(0, 3); $i > 0; $i--) { $o->{pick($PROPS)} = gen($d + 1); }
        if ($o instanceof Acc && mt_rand(0, 3) == 0) { $o->extra = &$o->login; }
        $OBJS[] = $o;
        return $o;
    case 14: $o = new Tok(rstr()); $OBJS[] = $o; return $o;
    case 15: return pick([Suit::Hearts, Suit::Spades, Pure::One, Pure::Two]);
    case 16:
        if ($OBJS && mt_rand(0, 1)) return pick($OBJS);
        $o = new Mag; $o->a = gen($d + 1); $o->b = gen($d + 1); $OBJS[] = $o; return $o;
    case 17:
        if (mt_rand(0, 1)) return new Pt(rint(), rfloat());
        $o = new Typed;
        if (mt_rand(0, 1)) { $o->x = rint(); }
        if (mt_rand(0, 1)) { $o->z = garr($d + 1); }
        return $o;
    case 18:
        if (mt_rand(0, 31)) return $ARRS ? pick($ARRS) : [];
        // __sleep() naming a property twice.
        $o = new Slp; $o->a = gen($d + 1); $o->b = gen($d + 1); $OBJS[] = $o; return $o;
    case 19:
        if (mt_rand(0, 19) != 0) return garr($d);
        // Wide tables: 16-bit string ids, array sizes and object ids.
        $a = [];
        for ($i = 0; $i < 300; $i++) { $a["s$i"] = mt_rand(0, 1) ? new stdClass : "v$i"; }
        for ($i = 0; $i < 300; $i++) { $a[] = "s$i"; }
        $a[] = $a['s299'];
        return $a;
    }
}
function garr($d) {
    global $ARRS, $INSIDE;
    $a = [];
    for ($i = mt_rand(0, 5); $i > 0; $i--) {
        $v = gen($d + 1);
        if (mt_rand(0, 1)) { try { $a[] = $v; } catch (Error $e) {} } else { $a[rkey()] = $v; }
    }
    $keys = array_keys($a);
    if (count($keys) >= 2 && mt_rand(0, 2) == 0) {
        $k1 = pick($keys); $k2 = pick($keys);
        if ($k1 !== $k2) {
            if (is_array($a[$k1]) && $a[$k1] && mt_rand(0, 1)) {
                // A & reference into a nested array.
                $j = pick(array_keys($a[$k1]));
                $a[$k2] = &$a[$k1][$j];
            } else {
                $a[$k2] = &$a[$k1];
            }
        }
    }
    $r = mt_rand(0, 79);
    if ($r == 0) {
        // An array & referencing itself: igbinary writes $a's own array
        // again as a copy of it, inside itself.
        $a[rkey()] = &$a;
        $INSIDE = true;
    } elseif ($r == 1 && $keys) {
        // An array inside itself, through a & reference to its holder.
        $k = pick($keys);
        if (is_array($a[$k])) { $a[$k][rkey()] = &$a; $INSIDE = true; }
    } elseif ($r <= 12) {
        // A value (an object, often) written plainly, then & references
        // to it.
        $v = gen($d + 1);
        $a[rkey()] = $v;
        $a[rkey()] = &$v;
        if (mt_rand(0, 1)) { $a[rkey()] = &$v; }
        unset($v);
    }
    if (mt_rand(0, 2) == 0) { $ARRS[] = $a; }
    return $a;
}
for ($n = (int)$argv[2], $i = 0; $i < $n; $i++) {
    $OBJS = []; $ARRS = []; $INSIDE = false;
    $v = mt_rand(0, 9) ? garr(0) : gen(0);
    $s = ['v' => $v];
    echo base64_encode(igbinary_serialize($s)), ' ', base64_encode(serialize($s)), ' ', $INSIDE ? 'inside' : '-', "\n";
}
`

// igRoundTripPHP reads base64 igbinary payloads, one a line, and prints
// base64(igbinary_serialize(igbinary_unserialize($payload))) for each.
const igRoundTripPHP = `<?php
error_reporting(E_ALL & ~E_DEPRECATED);
` + igPHPClasses + `
while (($l = fgets(STDIN)) !== false) {
    $v = igbinary_unserialize(base64_decode(trim($l)));
    echo base64_encode(igbinary_serialize($v)), "\n";
}
`

// igToSerializePHP reads hex igbinary payloads, one a line, and prints
// bin2hex(serialize(igbinary_unserialize($payload))) for each.
const igToSerializePHP = `<?php
error_reporting(E_ALL & ~E_DEPRECATED);
` + igPHPClasses + `
while (($l = fgets(STDIN)) !== false) {
    echo bin2hex(serialize(igbinary_unserialize(hex2bin(trim($l))))), "\n";
}
`

<?php
// Measures PHP's own session decoding and encoding on one payload, to compare
// with the Go benchmarks of phpsession (see phpsession/bench_test.go,
// TestBenchPHP).
//
// Usage: php bench_php.php <payload file> <handler> [iterations]
//   handler: php, php_binary or php_serialize (session_decode/session_encode
//   with that session.serialize_handler), or unserialize (unserialize and
//   serialize of the file as one value).
// Prints CPU ns/op for a full decode and for an encode.

if ($argc < 3) {
    fwrite(STDERR, "usage: php bench_php.php <payload file> <handler> [iterations]\n");
    exit(2);
}
$data = file_get_contents($argv[1]);
if ($data === false) {
    fwrite(STDERR, "bench_php: cannot read {$argv[1]}\n");
    exit(1);
}
$handler = $argv[2];
$n = (int)($argv[3] ?? 1000);

// The classes the sessions use, so that objects are real objects.
class Account { public $login = 'lone'; protected $role = 'admin'; private $secret = "s\0x"; }
class LegacyToken implements Serializable {
    public $t = 'tok';
    public function serialize() { return 'tok=' . $this->t; }
    public function unserialize($d) { $this->t = substr($d, 4); }
    public function __serialize(): array { return ['t' => $this->t]; }
    public function __unserialize(array $a): void { $this->t = $a['t']; }
}
class Point { public function __construct(public int $x = 1, public float $y = 2.5) {} }
enum Suit: string { case Hearts = 'H'; case Spades = 'S'; }

// Time is measured as CPU time (getrusage), which a busy machine inflates
// far less than wall time, and printed as ns/op.
function cpu_ns(): float {
    $r = getrusage();
    return ($r['ru_utime.tv_sec'] + $r['ru_stime.tv_sec']) * 1e9 + ($r['ru_utime.tv_usec'] + $r['ru_stime.tv_usec']) * 1e3;
}

function per_op(float $t0, int $n): string {
    return sprintf('%.0f ns/op', (cpu_ns() - $t0) / $n);
}

if ($handler === 'unserialize') {
    $v = unserialize($data);
    $t0 = cpu_ns();
    for ($i = 0; $i < $n; $i++) { $v = unserialize($data); }
    $dec = per_op($t0, $n);
    $t0 = cpu_ns();
    for ($i = 0; $i < $n; $i++) { $s = serialize($v); }
    $enc = per_op($t0, $n);
} else {
    ob_start();
    ini_set('session.serialize_handler', $handler);
    ini_set('session.use_cookies', '0');
    ini_set('session.save_path', sys_get_temp_dir());
    session_id('benchphp' . getmypid());
    session_start();
    if (!session_decode($data)) {
        fwrite(STDERR, "bench_php: session_decode failed\n");
        exit(1);
    }
    $t0 = cpu_ns();
    for ($i = 0; $i < $n; $i++) { session_decode($data); }
    $dec = per_op($t0, $n);
    $t0 = cpu_ns();
    for ($i = 0; $i < $n; $i++) { $s = session_encode(); }
    $enc = per_op($t0, $n);
    session_abort();
    ob_end_clean();
}
printf("php %s %s: decode %s, encode %s (%d bytes, %d iterations)\n", PHP_VERSION, $handler, $dec, $enc, strlen($data), $n);

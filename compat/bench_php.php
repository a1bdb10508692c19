<?php
// Measures PHP's own session decoding and encoding on one payload, to compare
// with the Go benchmarks of phpsession (see phpsession/bench_test.go,
// TestBenchPHP).
//
// Usage: php bench_php.php <payload file> <handler> [iterations | <N>ms]
//   handler: php, php_binary or php_serialize (session_decode/session_encode
//   with that session.serialize_handler), or unserialize (unserialize and
//   serialize of the file as one value).
//   iterations: how many times each is run (default 1000); or <N>ms: as many
//   times as take at least N milliseconds of CPU, found by doubling the
//   count as Go's testing.B does, so that a small payload is timed over as
//   long a stretch as a large one.
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
$arg = $argv[3] ?? '1000';
$minNs = str_ends_with($arg, 'ms') ? (float)substr($arg, 0, -2) * 1e6 : 0.0;
$n = $minNs > 0 ? 1 : (int)$arg;

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

// timed runs $f $n times, or with a minimum time ($minNs) as many times as
// take that long, and returns the CPU time per call as "<ns> ns/op".
function timed(callable $f, int $n, float $minNs): string {
    for (;;) {
        $t0 = cpu_ns();
        $f($n);
        $t = cpu_ns() - $t0;
        if ($minNs <= 0 || $t >= $minNs || $n >= 1e9) {
            return sprintf('%.0f ns/op', $t / $n);
        }
        // As testing.B: aim 20% past the minimum, at most 100 times more.
        $n = (int)min(max($n * 2, $minNs * 1.2 / max($t, 1) * $n), $n * 100);
    }
}

if ($handler === 'unserialize') {
    $v = unserialize($data);
    $dec = timed(function (int $n) use ($data, &$v) { for ($i = 0; $i < $n; $i++) { $v = unserialize($data); } }, $n, $minNs);
    $enc = timed(function (int $n) use ($v) { for ($i = 0; $i < $n; $i++) { $s = serialize($v); } }, $n, $minNs);
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
    $dec = timed(function (int $n) use ($data) { for ($i = 0; $i < $n; $i++) { session_decode($data); } }, $n, $minNs);
    $enc = timed(function (int $n) { for ($i = 0; $i < $n; $i++) { $s = session_encode(); } }, $n, $minNs);
    session_abort();
    ob_end_clean();
}
printf("php %s %s: decode %s, encode %s (%d bytes)\n", PHP_VERSION, $handler, $dec, $enc, strlen($data));

<?php
// Measures PHP's own session decoding and encoding on one payload, to compare
// with the Go benchmarks of phpsession (see phpsession/bench_test.go,
// TestBenchPHP).
//
// Usage: php bench_php.php <payload file>[,<payload file>...] <handler> [iterations | <N>ms]
//   payload files: one, or several, comma-separated, which each run takes
//   in turn (payloads alike but not the same bytes, as a server sees: a
//   processor learns the branches of one payload decoded over and over).
//   handler: php, php_binary or php_serialize (session_decode/session_encode
//   with that session.serialize_handler), or unserialize (unserialize and
//   serialize of the file as one value).
//   iterations: how many times each is run (default 1000); or <N>ms: as many
//   times as take at least N milliseconds of CPU, found by doubling the
//   count as Go's testing.B does, so that a small payload is timed over as
//   long a stretch as a large one.
// Prints CPU ns/op for a full decode and for an encode.

if ($argc < 3) {
    fwrite(STDERR, "usage: php bench_php.php <payload file>[,<payload file>...] <handler> [iterations]\n");
    exit(2);
}
$datas = [];
foreach (explode(',', $argv[1]) as $path) {
    $d = file_get_contents($path);
    if ($d === false) {
        fwrite(STDERR, "bench_php: cannot read $path\n");
        exit(1);
    }
    $datas[] = $d;
}
$m = count($datas);
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
    // One payload is timed without the turn-taking's few ns.
    $vs = array_map('unserialize', $datas);
    $dec = $m === 1
        ? timed(function (int $n) use ($datas) { $d = $datas[0]; for ($i = 0; $i < $n; $i++) { $v = unserialize($d); } }, $n, $minNs)
        : timed(function (int $n) use ($datas, $m) { for ($i = 0; $i < $n; $i++) { $v = unserialize($datas[$i % $m]); } }, $n, $minNs);
    $enc = $m === 1
        ? timed(function (int $n) use ($vs) { $v = $vs[0]; for ($i = 0; $i < $n; $i++) { $s = serialize($v); } }, $n, $minNs)
        : timed(function (int $n) use ($vs, $m) { for ($i = 0; $i < $n; $i++) { $s = serialize($vs[$i % $m]); } }, $n, $minNs);
} else {
    ob_start();
    ini_set('session.serialize_handler', $handler);
    ini_set('session.use_cookies', '0');
    ini_set('session.save_path', sys_get_temp_dir());
    session_id('benchphp' . getmypid());
    session_start();
    // The decoded sessions, for session_encode to take in turn.
    $sessions = [];
    foreach ($datas as $k => $d) {
        if (!session_decode($d)) {
            fwrite(STDERR, "bench_php: session_decode of payload $k failed\n");
            exit(1);
        }
        $sessions[] = $_SESSION;
    }
    // One payload is timed without the turn-taking's few ns.
    $dec = $m === 1
        ? timed(function (int $n) use ($datas) { $d = $datas[0]; for ($i = 0; $i < $n; $i++) { session_decode($d); } }, $n, $minNs)
        : timed(function (int $n) use ($datas, $m) { for ($i = 0; $i < $n; $i++) { session_decode($datas[$i % $m]); } }, $n, $minNs);
    $enc = $m === 1
        ? timed(function (int $n) { for ($i = 0; $i < $n; $i++) { $s = session_encode(); } }, $n, $minNs)
        : timed(function (int $n) use ($sessions, $m) { for ($i = 0; $i < $n; $i++) { $_SESSION = $sessions[$i % $m]; $s = session_encode(); } }, $n, $minNs);
    // Destroyed, not aborted: the files handler made an empty file for the
    // session when it started, which would be left in the temp dir.
    session_destroy();
    ob_end_clean();
}
printf("php %s %s: decode %s, encode %s (%d bytes%s)\n", PHP_VERSION, $handler, $dec, $enc,
    intdiv(array_sum(array_map('strlen', $datas)), $m), $m === 1 ? '' : " on average, $m payloads");

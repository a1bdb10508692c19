<?php
// Reads {"server":"host:port","type":"fastlz"|"zlib","values":[base64...]} on stdin
// and stores value i under "cz<i>" with php-memcached's default compression
// settings (threshold 2000, factor 1.3) and the given compression type.
$in = json_decode(stream_get_contents(STDIN), true);
[$host, $port] = explode(':', $in['server']);
$m = new Memcached();
$m->addServer($host, (int)$port);
$m->setOption(Memcached::OPT_COMPRESSION, true);
$m->setOption(Memcached::OPT_COMPRESSION_TYPE,
    $in['type'] === 'zlib' ? Memcached::COMPRESSION_ZLIB : Memcached::COMPRESSION_FASTLZ);
foreach ($in['values'] as $i => $v) {
    if (!$m->set("cz$i", base64_decode($v), 0)) {
        die("set cz$i: " . $m->getResultMessage() . "\n");
    }
}
echo count($in['values']), "\n";

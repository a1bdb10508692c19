<?php
// Reads {"configs":[{"servers":[[host,port,weight],...],"mode":...,"prefix":...}],"ids":[base64...]}
// on stdin and prints, per config, one line per id: the host:port php-memcached's
// getServerByKey() names.
//   phalcon5: what Phalcon >= 5.10 sets (Storage\Adapter\Libmemcached::getAdapter).
//   phalcon4: what Phalcon 4.0-5.9 applies: the same option array through array_merge,
//             which renumbers the integer keys (HASH=CRC, KETAMA=true, ...).
//   ketama:   libmemcached behavior KETAMA (3) set after the servers, as the session
//             handler's sess_consistent_hash_type=ketama does.
//   libketama: Memcached::OPT_LIBKETAMA_COMPATIBLE.
$in = json_decode(stream_get_contents(STDIN), true);
$failover = [
    Memcached::OPT_CONNECT_TIMEOUT => 50,
    Memcached::OPT_DISTRIBUTION => Memcached::DISTRIBUTION_CONSISTENT,
    Memcached::OPT_SERVER_FAILURE_LIMIT => 2,
    Memcached::OPT_REMOVE_FAILED_SERVERS => true,
    Memcached::OPT_RETRY_TIMEOUT => 1,
];
foreach ($in['configs'] as $c) {
    $m = new Memcached();
    $m->setOption(Memcached::OPT_PREFIX_KEY, $c['prefix']);
    switch ($c['mode']) {
    case 'phalcon5':
        $m->setOptions(array_replace($failover, [])) or die("setOptions\n");
        $m->addServers($c['servers']);
        break;
    case 'phalcon4':
        $m->setOptions(array_merge($failover, [])) or die("setOptions\n");
        $m->addServers($c['servers']);
        break;
    case 'ketama':
        $m->addServers($c['servers']);
        $m->setOption(3, true) or die("setOption\n");
        break;
    case 'libketama':
        $m->addServers($c['servers']);
        $m->setOption(Memcached::OPT_LIBKETAMA_COMPATIBLE, true) or die("setOption\n");
        break;
    default:
        die("unknown mode\n");
    }
    foreach (array_map('base64_decode', $in['ids']) as $id) {
        $s = $m->getServerByKey($id);
        if ($s === false) {
            die("getServerByKey($id) failed: " . $m->getResultMessage() . "\n");
        }
        echo $s['host'], ':', $s['port'], "\n";
    }
}

<?php
// Replays what Phalcon's Libmemcached session adapter does with php-memcached
// (Storage\Adapter\Libmemcached::getAdapter, Session\Adapter\AbstractAdapter).
// stdin: {"servers":[[host,port,weight],...],"era":"5"|"4","op":"write"|"read",
//         "items":[{"id":..., "payload":base64}, ...]}
//   era 5: Phalcon >= 5.10 options; the value is serialize($payload).
//   era 4: Phalcon 4.0-5.9 options (array_merge renumbering: HASH=CRC, KETAMA);
//          the value is the raw payload.
// write: set(id, value, 3600) for each item. read: prints one line per item,
// base64 of the payload read back, or MISS.
$in = json_decode(stream_get_contents(STDIN), true);
$failover = [
    Memcached::OPT_CONNECT_TIMEOUT => $in['era'] === '5' ? 50 : 10,
    Memcached::OPT_DISTRIBUTION => Memcached::DISTRIBUTION_CONSISTENT,
    Memcached::OPT_SERVER_FAILURE_LIMIT => 2,
    Memcached::OPT_REMOVE_FAILED_SERVERS => true,
    Memcached::OPT_RETRY_TIMEOUT => 1,
];
$m = new Memcached();
$m->setOption(Memcached::OPT_PREFIX_KEY, 'sess-memc-');
$options = $in['era'] === '5' ? array_replace($failover, []) : array_merge($failover, []);
$m->setOptions($options) or die("setOptions failed\n");
$m->addServers($in['servers']) or die("addServers failed\n");
foreach ($in['items'] as $it) {
    $id = $it['id'];
    if ($in['op'] === 'write') {
        $p = base64_decode($it['payload']);
        $v = $in['era'] === '5' ? serialize($p) : $p;
        if (!$m->set($id, $v, 3600)) {
            die("set($id): " . $m->getResultMessage() . "\n");
        }
        continue;
    }
    $v = $m->get($id);
    if ($m->getResultCode() === Memcached::RES_NOTFOUND) {
        echo "MISS\n";
        continue;
    }
    if ($in['era'] === '5') {
        $v = unserialize($v);
    }
    if (!is_string($v)) {
        die("get($id): not a string\n");
    }
    echo base64_encode($v), "\n";
}

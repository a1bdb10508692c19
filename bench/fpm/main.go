//go:build linux

// Command fpm is the headline benchmark: the same route on nginx + PHP-FPM
// and on Go with sessbridge, over the same sessions (README.md).
//
// Run it from the repository root, as `make bench-fpm` does:
//
//	go run ./bench/fpm [-rounds 3] [-duration 10s] [-conns 8] [-variants php-redis,go-merge] [-profile dir]
//
// It starts, on free loopback ports in a temp dir, one redis-server, one
// memcached, nginx with PHP-FPM (opcache on, one pool per PHP variant) and
// one Go server (bench/fpm/goroute, built from this repository) per Go
// variant. It writes the same logged-in sessions into every store and key
// layout (Phalcon's and phpredis's in Redis, php-memcached's, PHP's session
// files), checks that PHP sees the Go route's increment of "hits" and the
// other way round, then drives each variant with wrk in interleaved rounds
// (A B C A B C ...), a cookie picked at random per request. Per round it
// measures requests per second, latency percentiles, the CPU time the
// servers (nginx and PHP-FPM, or the Go process), the store (Redis or
// memcached) and wrk spent per request (from /proc/<pid>/stat), and how
// many increments of "hits" were lost to concurrent requests on one
// session. The medians go into a table at the end. Everything it started
// is stopped before it exits.
//
// It needs nginx, php-fpm (with php-redis and php-memcached), redis-server,
// memcached and wrk; `make bench-fpm` installs them from Debian when run as
// root.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/storeurl"
	"github.com/sessbridge/sessbridge/internal/phpapp"
	"github.com/sessbridge/sessbridge/phpsession"
)

// routePHP is the PHP route; internal/phpapp's handlers.php sits next to it.
//
//go:embed route.php
var routePHP []byte

// payload is the session every benchmark session starts as: a Phalcon login
// (manager's benchmark session).
const payload = `auth|a:3:{s:2:"id";i:42;s:4:"name";s:11:"Dark Helmet";s:5:"roles";a:2:{i:0;s:5:"admin";i:1;s:4:"user";}}csrf|s:6:"a1b2c3";hits|i:0;`

// A variant is one way of serving the route.
type variant struct {
	name  string
	desc  string
	php   string // the PHP-FPM pool serving it, "" for Go
	save  string // goroute's -save
	lock  bool   // goroute's -lock-requests; for PHP, the pool's handler locks
	query string // added to the query of goroute's -store URL
	keys  string // the sessions it serves: a key of env.urls
	debug string // goroute's -debug address: net/http/pprof and expvar

	url      string   // where the route answers
	pid      []int    // the server processes, whose trees are measured
	proxyPID []int    // those of pid that are nginx, measured apart too
	res      []result // one per timed round
}

// The sessions a variant serves: each names a store and a key layout, the
// same session ids in each.
const (
	keysPhalcon   = "redis"     // Phalcon's Redis adapter: sess-reds-<id>, serialize()d
	keysPHPRedis  = "phpredis"  // phpredis's handler: PHPREDIS_SESSION:<id>
	keysMemcached = "memcached" // php-memcached's handler: memc.sess.key.<id>
	keysFiles     = "files"     // PHP's files handler: <dir>/sess_<id>
)

// backend returns the store behind keys: redis, memcached or files.
func backend(keys string) string {
	if keys == keysPHPRedis {
		return keysPhalcon
	}
	return keys
}

// variants are all the ways of serving the route; -variants picks among
// them.
func variants() []*variant {
	return []*variant{
		{name: "php-redis", desc: "nginx + PHP-FPM, phpredis session handler", php: "redis", keys: keysPHPRedis},
		{name: "php-redis-persistent", desc: "nginx + PHP-FPM, phpredis session handler, persistent connections", php: "persistent", keys: keysPHPRedis},
		{name: "php-redis-locking", desc: "nginx + PHP-FPM, phpredis session handler, persistent connections, its lock (redis.session.locking_enabled=1)", php: "locking", keys: keysPHPRedis, lock: true},
		{name: "php-phalcon", desc: "nginx + PHP-FPM, Phalcon-style Redis handler in PHP", php: "phalcon", keys: keysPhalcon},
		{name: "go-merge", desc: "Go net/http + sessbridge, SaveMerge", save: "merge", keys: keysPhalcon},
		{name: "go-merge-ap", desc: "Go net/http + sessbridge, SaveMerge, redisstore AutoPipeline", save: "merge", query: "auto_pipeline=1", keys: keysPhalcon},
		{name: "go-replace", desc: "Go net/http + sessbridge, SaveReplace", save: "replace", keys: keysPhalcon},
		{name: "go-lock", desc: "Go net/http + sessbridge, LockRequests (Phalcon's lock)", save: "merge", lock: true, query: "locking=1", keys: keysPhalcon},
		{name: "go-lock-ap", desc: "Go net/http + sessbridge, LockRequests (Phalcon's lock), redisstore AutoPipeline", save: "merge", lock: true, query: "locking=1&auto_pipeline=1", keys: keysPhalcon},
		{name: "go-merge-phpredis", desc: "Go net/http + sessbridge, SaveMerge, on phpredis's keys", save: "merge", keys: keysPHPRedis},
		{name: "go-lock-phpredis", desc: "Go net/http + sessbridge, LockRequests on phpredis's keys and lock", save: "merge", lock: true, query: "locking=1", keys: keysPHPRedis},
		{name: "php-memcached", desc: "nginx + PHP-FPM, php-memcached session handler (its default lock on)", php: "memcached", keys: keysMemcached, lock: true},
		{name: "go-merge-memcached", desc: "Go net/http + sessbridge, SaveMerge, on php-memcached's keys", save: "merge", keys: keysMemcached},
		{name: "php-files", desc: "nginx + PHP-FPM, PHP's files handler (flock from start to save)", php: "files", keys: keysFiles, lock: true},
		{name: "go-merge-files", desc: "Go net/http + sessbridge, SaveMerge, on PHP's session files", save: "merge", keys: keysFiles},
	}
}

// defaultVariants are the variants timed without -variants. The others
// are started and checked all the same.
const defaultVariants = "php-redis,php-redis-persistent,php-redis-locking,php-phalcon,go-merge,go-merge-ap,go-replace,go-lock,go-lock-ap,php-memcached,go-merge-memcached,php-files,go-merge-files"

type options struct {
	rounds      int
	duration    time.Duration
	warmup      time.Duration
	conns       int
	threads     int
	sessions    int
	fpmChildren int
	variants    string
	profile     string
	keep        bool
}

func main() {
	var o options
	flag.IntVar(&o.rounds, "rounds", 3, "timed `rounds` of each variant, interleaved")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of one round")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "length of the untimed first round of each variant")
	flag.IntVar(&o.conns, "conns", 8, "wrk connections")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads")
	flag.IntVar(&o.sessions, "sessions", 256, "`number` of sessions the requests pick from")
	flag.IntVar(&o.fpmChildren, "fpm-children", 8, "PHP-FPM workers per pool (pm = static)")
	flag.StringVar(&o.variants, "variants", defaultVariants, "comma-separated `list` of variants to time (all: "+allNames()+")")
	flag.StringVar(&o.profile, "profile", "", "write a CPU profile of each Go variant's last round, and its heap profile, into this `dir`")
	flag.BoolVar(&o.keep, "keep", false, "keep the temp dir (configs and logs)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench-fpm: ")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		log.Fatal(err)
	}
}

func allNames() string {
	var names []string
	for _, v := range variants() {
		names = append(names, v.name)
	}
	return strings.Join(names, ",")
}

func run(ctx context.Context, o options) error {
	if o.rounds < 1 || o.conns < 1 || o.threads < 1 || o.threads > o.conns || o.sessions < 1 || o.fpmChildren < 1 || o.duration < time.Second {
		return errors.New("-rounds, -conns, -threads (at most -conns), -sessions and -fpm-children must be positive, -duration at least 1s")
	}
	all := variants()
	timed, err := pick(all, o.variants)
	if err != nil {
		return err
	}
	bins, err := lookBins()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "sessbridge-bench-fpm-")
	if err != nil {
		return err
	}
	if o.keep {
		log.Printf("temp dir %s (kept)", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	procs := &processes{}
	defer procs.stopAll()

	env, err := start(ctx, o, bins, dir, procs, all)
	if err != nil {
		return err
	}
	defer env.close()
	if err := env.writeSessions(ctx, o.sessions); err != nil {
		return err
	}
	if err := env.checkSharing(ctx, all); err != nil {
		return err
	}
	script := filepath.Join(dir, "pick.lua")
	if err := os.WriteFile(script, []byte(luaScript(o.sessions)), 0o600); err != nil {
		return err
	}
	// Fresh sessions again: the check incremented one.
	if err := env.writeSessions(ctx, o.sessions); err != nil {
		return err
	}

	for _, v := range timed {
		log.Printf("warm-up %s (%v)", v.name, o.warmup)
		if _, err := env.round(ctx, o, bins, script, v, o.warmup, ""); err != nil {
			return err
		}
	}
	for r := 1; r <= o.rounds; r++ {
		for _, v := range timed {
			profile := ""
			if o.profile != "" && r == o.rounds && v.debug != "" {
				profile = filepath.Join(o.profile, v.name+".pprof")
			}
			res, err := env.round(ctx, o, bins, script, v, o.duration, profile)
			if err != nil {
				return err
			}
			log.Printf("round %d %-21s %6.0f req/s  p99 %6.2f ms  CPU per request: server %5.1f µs, store %5.1f µs, wrk %5.1f µs; lost %d",
				r, v.name, res.rps(), res.p99/1000, res.serverPerReq(), res.storePerReq(), res.wrkPerReq(), res.lost)
			v.res = append(v.res, res)
		}
	}
	printTable(os.Stdout, o, timed)
	return nil
}

// pick returns the variants of all named in list.
func pick(all []*variant, list string) ([]*variant, error) {
	var out []*variant
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(all, func(v *variant) bool { return v.name == name })
		if i < 0 {
			return nil, fmt.Errorf("unknown variant %q (known: %s)", name, allNames())
		}
		if slices.Contains(out, all[i]) {
			return nil, fmt.Errorf("variant %q named twice", name)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// bins are the programs the benchmark runs.
type bins struct{ redis, memcached, nginx, fpm, wrk, goBin string }

// lookBins finds the programs, naming the Debian packages of missing ones.
func lookBins() (bins, error) {
	var b bins
	var missing []string
	look := func(dst *string, pkg string, names ...string) {
		for _, n := range names {
			for _, p := range []string{n, "/usr/sbin/" + n} {
				if path, err := exec.LookPath(p); err == nil {
					*dst = path
					return
				}
			}
		}
		missing = append(missing, pkg)
	}
	look(&b.redis, "redis-server", "redis-server")
	look(&b.memcached, "memcached", "memcached")
	look(&b.nginx, "nginx-light", "nginx")
	look(&b.fpm, "php-fpm php-redis", "php-fpm", "php-fpm8.4", "php-fpm8.3", "php-fpm8.2")
	look(&b.wrk, "wrk", "wrk")
	look(&b.goBin, "golang", "go")
	if len(missing) > 0 {
		return b, fmt.Errorf("missing programs; as root: apt-get install %s (or run make bench-fpm as root)", strings.Join(missing, " "))
	}
	return b, nil
}

// env is what start started.
type env struct {
	urls     map[string]string         // the store URL of each keys
	stores   map[string]adapters.Store // opened from urls
	storePID map[string]int            // the server of each backend; none for files
	// logTail returns the end of a started process's log.
	logTail func(name string) string
}

// close closes the stores.
func (e *env) close() {
	for _, st := range e.stores {
		if c, ok := st.(io.Closer); ok {
			c.Close()
		}
	}
}

// start starts redis-server, memcached, PHP-FPM, nginx and one goroute per
// Go variant, filling in each variant's url and pids.
func start(ctx context.Context, o options, b bins, dir string, procs *processes, vs []*variant) (*env, error) {
	e := &env{urls: map[string]string{}, stores: map[string]adapters.Store{}, storePID: map[string]int{},
		logTail: func(name string) string { return procs.logTail(dir, name) }}
	redisAddr, err := startServer(ctx, procs, dir, "redis", func(port string) []string {
		return []string{b.redis, "--port", port, "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"}
	})
	if err != nil {
		return nil, err
	}
	e.storePID["redis"] = redisAddr.pid
	mcArgs := func(port string) []string {
		args := []string{b.memcached, "-l", "127.0.0.1", "-p", port, "-U", "0", "-m", "64"}
		if os.Geteuid() == 0 {
			args = append(args, "-u", "root")
		}
		return args
	}
	mcAddr, err := startServer(ctx, procs, dir, "memcached", mcArgs)
	if err != nil {
		return nil, err
	}
	e.storePID["memcached"] = mcAddr.pid
	sessDir := filepath.Join(dir, "sessions")
	if err := os.Mkdir(sessDir, 0o700); err != nil {
		return nil, err
	}
	e.urls[keysPhalcon] = "redis://" + redisAddr.addr
	e.urls[keysPHPRedis] = "redis://" + redisAddr.addr + "?layout=php"
	e.urls[keysMemcached] = "memcached://" + mcAddr.addr + "?layout=php"
	e.urls[keysFiles] = "file://" + sessDir + "?layout=php"
	for keys, u := range e.urls {
		st, err := storeurl.Open(ctx, u)
		if err != nil {
			return nil, err
		}
		e.stores[keys] = st
	}

	// PHP: the route and internal/phpapp's handlers in www/, one FPM pool per PHP
	// variant, nginx with one location per pool.
	www := filepath.Join(dir, "www")
	if err := os.Mkdir(www, 0o755); err != nil {
		return nil, err
	}
	if _, err := phpapp.Write(www); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(www, "route.php"), routePHP, 0o644); err != nil {
		return nil, err
	}
	root := os.Geteuid() == 0
	var pools []string
	for _, v := range vs {
		if v.php != "" {
			pools = append(pools, v.php)
		}
	}
	fpmConf := filepath.Join(dir, "php-fpm.conf")
	if err := os.WriteFile(fpmConf, []byte(fpmConfig(dir, redisAddr.addr, mcAddr.addr, sessDir, pools, o.fpmChildren, root)), 0o600); err != nil {
		return nil, err
	}
	fpmArgs := []string{"--nodaemonize", "--fpm-config", fpmConf}
	if root {
		fpmArgs = append(fpmArgs, "--allow-to-run-as-root")
	}
	fpmCmd, err := procs.start(dir, "php-fpm", b.fpm, fpmArgs...)
	if err != nil {
		return nil, err
	}
	nginxPort, err := freePort()
	if err != nil {
		return nil, err
	}
	nginxAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(nginxPort))
	nginxConf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(nginxConf, []byte(nginxConfig(dir, nginxAddr, pools, root)), 0o600); err != nil {
		return nil, err
	}
	nginxCmd, err := procs.start(dir, "nginx", b.nginx, "-p", dir, "-c", nginxConf, "-e", filepath.Join(dir, "nginx-error.log"), "-g", "daemon off;")
	if err != nil {
		return nil, err
	}
	if err := waitTCP(ctx, nginxAddr); err != nil {
		return nil, fmt.Errorf("nginx: %w (log: %s)", err, procs.logTail(dir, "nginx"))
	}

	// Go: goroute built once, one process per Go variant.
	goroute := filepath.Join(dir, "goroute")
	build := exec.CommandContext(ctx, b.goBin, "build", "-o", goroute, "./bench/fpm/goroute")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./bench/fpm/goroute (run from the repository root): %w\n%s", err, out)
	}
	for _, v := range vs {
		if v.php != "" {
			v.url = "http://" + nginxAddr + "/" + v.php
			v.pid = []int{nginxCmd.Process.Pid, fpmCmd.Process.Pid}
			v.proxyPID = []int{nginxCmd.Process.Pid}
			continue
		}
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		store := e.urls[v.keys]
		if v.query != "" {
			if strings.Contains(store, "?") {
				store += "&" + v.query
			} else {
				store += "?" + v.query
			}
		}
		args := []string{"-listen", addr, "-store", store, "-save", v.save}
		if v.lock {
			args = append(args, "-lock-requests")
		}
		debugPort, err := freePort()
		if err != nil {
			return nil, err
		}
		v.debug = net.JoinHostPort("127.0.0.1", strconv.Itoa(debugPort))
		args = append(args, "-debug", v.debug)
		cmd, err := procs.start(dir, v.name, goroute, args...)
		if err != nil {
			return nil, err
		}
		if err := waitTCP(ctx, addr); err != nil {
			return nil, fmt.Errorf("%s: %w (log: %s)", v.name, err, procs.logTail(dir, v.name))
		}
		v.url = "http://" + addr + "/"
		v.pid = []int{cmd.Process.Pid}
	}
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// fpmConfig is PHP-FPM's configuration: one static pool per name, each on
// its own socket, with opcache on and timestamps not checked, as in
// production.
func fpmConfig(dir, redisAddr, mcAddr, sessDir string, pools []string, children int, root bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[global]\npid = %s/php-fpm.pid\nerror_log = %[1]s/php-fpm-error.log\ndaemonize = no\n", dir)
	for _, p := range pools {
		fmt.Fprintf(&b, "\n[%s]\nlisten = %s/%s.sock\npm = static\npm.max_children = %d\n", p, dir, p, children)
		if root {
			b.WriteString("user = root\ngroup = root\n")
		}
		fmt.Fprintf(&b, "php_admin_value[error_log] = %s/php-error.log\nphp_admin_flag[log_errors] = on\n", dir)
		b.WriteString("php_admin_value[opcache.enable] = 1\nphp_admin_value[opcache.validate_timestamps] = 0\n")
		switch p {
		case "redis":
			fmt.Fprintf(&b, "php_admin_value[session.save_handler] = redis\nphp_admin_value[session.save_path] = \"tcp://%s\"\n", redisAddr)
		case "persistent":
			fmt.Fprintf(&b, "php_admin_value[session.save_handler] = redis\nphp_admin_value[session.save_path] = \"tcp://%s?persistent=1\"\n", redisAddr)
		case "locking":
			// phpredis's lock, waited for as go-lock-phpredis waits
			// (redisstore's NativeLockRetries and NativeLockWait:
			// phpredis 6's defaults; 5.3's 10 tries 2 ms apart give up
			// on a busy session after 20 ms and then lose its write).
			fmt.Fprintf(&b, "php_admin_value[session.save_handler] = redis\nphp_admin_value[session.save_path] = \"tcp://%s?persistent=1\"\n", redisAddr)
			b.WriteString("php_admin_value[redis.session.locking_enabled] = 1\nphp_admin_value[redis.session.lock_retries] = 100\nphp_admin_value[redis.session.lock_wait_time] = 20000\n")
		case "phalcon":
			fmt.Fprintf(&b, "env[SB_HANDLER] = phalcon\nenv[SB_ADDR] = %s\n", redisAddr)
		case "memcached":
			fmt.Fprintf(&b, "php_admin_value[session.save_handler] = memcached\nphp_admin_value[session.save_path] = \"%s\"\n", mcAddr)
		case "files":
			fmt.Fprintf(&b, "php_admin_value[session.save_handler] = files\nphp_admin_value[session.save_path] = \"%s\"\n", sessDir)
		}
	}
	return b.String()
}

// nginxConfig serves /<pool> with route.php on that pool's socket.
func nginxConfig(dir, addr string, pools []string, root bool) string {
	var b strings.Builder
	if root {
		b.WriteString("user root;\n")
	}
	fmt.Fprintf(&b, "worker_processes auto;\npid %s/nginx.pid;\nerror_log %[1]s/nginx-error.log warn;\n", dir)
	b.WriteString("events { worker_connections 1024; }\nhttp {\n  access_log off;\n  keepalive_requests 1000000;\n")
	for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&b, "  %s_temp_path %s/%s_temp;\n", t, dir, t)
	}
	fmt.Fprintf(&b, "  server {\n    listen %s;\n", addr)
	for _, p := range pools {
		fmt.Fprintf(&b, "    location = /%s {\n      fastcgi_pass unix:%s/%[1]s.sock;\n", p, dir)
		fmt.Fprintf(&b, "      fastcgi_param SCRIPT_FILENAME %s/www/route.php;\n      fastcgi_param SCRIPT_NAME /route.php;\n", dir)
		for _, kv := range [][2]string{
			{"QUERY_STRING", "$query_string"}, {"REQUEST_METHOD", "$request_method"},
			{"CONTENT_TYPE", "$content_type"}, {"CONTENT_LENGTH", "$content_length"},
			{"REQUEST_URI", "$request_uri"}, {"DOCUMENT_ROOT", dir + "/www"},
			{"SERVER_PROTOCOL", "$server_protocol"}, {"GATEWAY_INTERFACE", "CGI/1.1"},
			{"REMOTE_ADDR", "$remote_addr"}, {"REMOTE_PORT", "$remote_port"},
			{"SERVER_ADDR", "$server_addr"}, {"SERVER_PORT", "$server_port"}, {"SERVER_NAME", "$server_name"},
		} {
			fmt.Fprintf(&b, "      fastcgi_param %s %s;\n", kv[0], kv[1])
		}
		b.WriteString("    }\n")
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

// sessionID is the id of benchmark session i: 32 hex digits, as PHP makes.
func sessionID(i int) string { return fmt.Sprintf("%032x", i+1) }

// writeSessions writes n fresh copies of payload into every store.
func (e *env) writeSessions(ctx context.Context, n int) error {
	for _, st := range e.stores {
		for i := range n {
			if err := st.Write(ctx, sessionID(i), []byte(payload), 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// hits returns the sum of "hits" over the first n sessions of keys.
func (e *env) hits(ctx context.Context, keys string, n int) (int64, error) {
	var sum int64
	for i := range n {
		data, found, err := e.stores[keys].Read(ctx, sessionID(i))
		if err != nil {
			return 0, err
		}
		if !found {
			return 0, fmt.Errorf("session %s is gone", sessionID(i))
		}
		s, err := phpsession.DecodeSession(data, phpsession.FormatPHP)
		if err != nil {
			return 0, fmt.Errorf("session %s: %w", sessionID(i), err)
		}
		v, _ := s.Get("hits")
		h, ok := v.Int()
		if !ok {
			return 0, fmt.Errorf("session %s: hits is not an int", sessionID(i))
		}
		sum += h
	}
	return sum, nil
}

// checkSharing sends one request in turn to every variant on the first
// session, each of the same keys after the other, and checks that each
// answers one more hit than the one before: PHP sees the Go route's
// increment, and Go sees PHP's.
func (e *env) checkSharing(ctx context.Context, vs []*variant) error {
	for _, keys := range []string{keysPhalcon, keysPHPRedis, keysMemcached, keysFiles} {
		var want int64 = 1
		var seen []string
		for pass := 0; pass < 2; pass++ {
			for _, v := range vs {
				if v.keys != keys {
					continue
				}
				got, err := hit(ctx, v.url, sessionID(0))
				if err != nil {
					return fmt.Errorf("check %s: %w", v.name, err)
				}
				if got != want {
					return fmt.Errorf("check: %s answered hits %d after %s, want %d", v.name, got, strings.Join(seen, ", "), want)
				}
				seen = append(seen, v.name)
				want++
			}
		}
		log.Printf("check: on the %s keys each of %s saw the one before's increment", keys, strings.Join(seen, " → "))
	}
	return nil
}

// hit sends one request for session id to url and returns the hits it
// answers. It retries for a few seconds while the server comes up.
func hit(ctx context.Context, url, id string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, err
	}
	req.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: id})
	var last error
	for range 50 {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			last = err
			time.Sleep(100 * time.Millisecond)
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, err
		}
		if resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable {
			last = fmt.Errorf("%s: %s", resp.Status, body)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("%s: %s", resp.Status, body)
		}
		return strconv.ParseInt(strings.TrimSpace(string(body)), 10, 64)
	}
	return 0, last
}

// result is what one round measured.
type result struct {
	requests, errors int64
	secs             float64
	p50, p90, p99    float64 // latency in µs
	serverCPU        float64 // seconds of CPU of the server processes
	proxyCPU         float64 // the part of serverCPU that nginx used
	storeCPU         float64 // seconds of CPU of redis-server or memcached
	wrkCPU           float64 // seconds of CPU of wrk, the load generator
	// mallocs and allocBytes are the heap allocations of a Go server
	// (runtime.MemStats), which also count those of the two memStats
	// calls around the round.
	mallocs, allocBytes uint64
	lost                int64 // increments of hits lost to concurrent requests
}

func (r result) rps() float64          { return float64(r.requests) / r.secs }
func (r result) serverPerReq() float64 { return r.serverCPU / float64(r.requests) * 1e6 }
func (r result) proxyPerReq() float64  { return r.proxyCPU / float64(r.requests) * 1e6 }
func (r result) storePerReq() float64  { return r.storeCPU / float64(r.requests) * 1e6 }
func (r result) allocsPerReq() float64 { return float64(r.mallocs) / float64(r.requests) }
func (r result) bytesPerReq() float64  { return float64(r.allocBytes) / float64(r.requests) }
func (r result) wrkPerReq() float64    { return r.wrkCPU / float64(r.requests) * 1e6 }

// allPerReq is the CPU per request of everything the benchmark runs:
// with the machine's CPUs all busy, requests per second follow it.
func (r result) allPerReq() float64 {
	return (r.serverCPU + r.storeCPU + r.wrkCPU) / float64(r.requests) * 1e6
}

// round drives v with wrk for d and measures it. With profile set, it also
// writes a CPU profile of the Go server, taken while wrk runs.
func (e *env) round(ctx context.Context, o options, b bins, script string, v *variant, d time.Duration, profile string) (result, error) {
	before, err := e.hits(ctx, v.keys, o.sessions)
	if err != nil {
		return result{}, err
	}
	var storePID []int // none for files
	if pid, ok := e.storePID[backend(v.keys)]; ok {
		storePID = []int{pid}
	}
	mem0, err := memStats(ctx, v.debug)
	if err != nil {
		return result{}, err
	}
	cpu0, proxy0, store0 := treeCPU(v.pid), treeCPU(v.proxyPID), treeCPU(storePID)
	var profErr chan error
	if profile != "" {
		profErr = make(chan error, 1)
		seconds := strconv.Itoa(int((d - time.Second).Seconds()))
		go func() { profErr <- fetchProfile(ctx, v.debug, "profile?seconds="+seconds, profile) }()
	}
	wrkCtx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(wrkCtx, b.wrk, "-t", strconv.Itoa(o.threads), "-c", strconv.Itoa(o.conns),
		"-d", strconv.Itoa(int(d.Seconds()))+"s", "--latency", "-s", script, v.url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk %s: %w\n%s", v.name, err, out)
	}
	time.Sleep(100 * time.Millisecond) // let the last requests finish their saves
	cpu1, proxy1, store1 := treeCPU(v.pid), treeCPU(v.proxyPID), treeCPU(storePID)
	res, err := parseWrk(string(out))
	if err != nil {
		return result{}, fmt.Errorf("wrk %s: %w\n%s", v.name, err, out)
	}
	// A few failed requests are counted and shown; more than 1 % stop
	// the benchmark, as the figures would then measure failures.
	if res.errors > 0 {
		logs := e.logTail(v.name)
		if v.php != "" {
			logs = e.logTail("php-error") + "\n" + e.logTail("nginx-error")
		}
		if res.errors*100 > res.requests {
			return result{}, fmt.Errorf("wrk %s: %d of %d requests failed or were not 200\n%s\nserver log:\n%s", v.name, res.errors, res.requests, out, logs)
		}
		log.Printf("%s: %d of %d requests failed or were not 200; server log:\n%s", v.name, res.errors, res.requests, logs)
	}
	res.serverCPU, res.proxyCPU, res.storeCPU = cpu1-cpu0, proxy1-proxy0, store1-store0
	mem1, err := memStats(ctx, v.debug)
	if err != nil {
		return result{}, err
	}
	res.mallocs, res.allocBytes = mem1.Mallocs-mem0.Mallocs, mem1.TotalAlloc-mem0.TotalAlloc
	res.wrkCPU = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	after, err := e.hits(ctx, v.keys, o.sessions)
	if err != nil {
		return result{}, err
	}
	// wrk does not count the requests in flight when it stops, which the
	// server may still have served: lost can only be told apart from those
	// above the number of connections.
	res.lost = max(0, res.requests-res.errors-(after-before))
	if after-before > res.requests+int64(o.conns) {
		return result{}, fmt.Errorf("%s: hits grew by %d in %d requests", v.name, after-before, res.requests)
	}
	if profErr != nil {
		if err := <-profErr; err != nil {
			return result{}, fmt.Errorf("profile %s: %w", v.name, err)
		}
		// The heap profile's allocations count from the server's start.
		allocs := strings.TrimSuffix(profile, ".pprof") + ".allocs.pprof"
		if err := fetchProfile(ctx, v.debug, "allocs", allocs); err != nil {
			return result{}, fmt.Errorf("profile %s: %w", v.name, err)
		}
	}
	return res, nil
}

// started is a server startServer started.
type started struct {
	addr string // 127.0.0.1:port
	pid  int
}

// startServer starts a server on a free loopback port, given the command
// line for a port, and waits until it listens.
func startServer(ctx context.Context, procs *processes, dir, name string, argv func(port string) []string) (started, error) {
	port, err := freePort()
	if err != nil {
		return started{}, err
	}
	args := argv(strconv.Itoa(port))
	cmd, err := procs.start(dir, name, args[0], args[1:]...)
	if err != nil {
		return started{}, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitTCP(ctx, addr); err != nil {
		return started{}, fmt.Errorf("%s: %w (log: %s)", name, err, procs.logTail(dir, name))
	}
	return started{addr: addr, pid: cmd.Process.Pid}, nil
}

// goMem is the part of runtime.MemStats that memStats reads.
type goMem struct{ Mallocs, TotalAlloc uint64 }

// memStats reads the memstats a Go server's expvar serves at addr; with
// addr "" (a PHP variant), it returns zeros.
func memStats(ctx context.Context, addr string) (goMem, error) {
	var v struct{ Memstats goMem }
	if addr == "" {
		return v.Memstats, nil
	}
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/debug/vars", nil)
	if err != nil {
		return v.Memstats, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return v.Memstats, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return v.Memstats, fmt.Errorf("expvar at %s: %w", addr, err)
	}
	return v.Memstats, nil
}

// fetchProfile writes to path the profile net/http/pprof serves at addr
// under /debug/pprof/<name>.
func fetchProfile(ctx context.Context, addr, name, path string) error {
	url := "http://" + addr + "/debug/pprof/" + name
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// luaScript is wrk's script: each request carries the cookie of one of n
// sessions picked at random, and done prints the round's figures on one
// line for parseWrk.
func luaScript(n int) string {
	return fmt.Sprintf(`-- bench/fpm: a random session per request.
local n = %d
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
function init(args)
  math.randomseed(seed * 7919 + os.time())
end
function request()
  return wrk.format("GET", nil, {["Cookie"] = string.format("PHPSESSID=%%032x", math.random(n))})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("SBRESULT %%d %%d %%d %%d %%d %%d %%d\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`, n)
}

// parseWrk reads the SBRESULT line luaScript's done prints.
func parseWrk(out string) (result, error) {
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) != 8 || f[0] != "SBRESULT" {
			continue
		}
		var n [7]int64
		for i := range n {
			v, err := strconv.ParseInt(f[i+1], 10, 64)
			if err != nil {
				return result{}, fmt.Errorf("bad SBRESULT line %q", line)
			}
			n[i] = v
		}
		if n[0] == 0 || n[1] == 0 {
			return result{}, errors.New("no requests completed")
		}
		return result{requests: n[0], secs: float64(n[1]) / 1e6, errors: n[2],
			p50: float64(n[3]), p90: float64(n[4]), p99: float64(n[5])}, nil
	}
	return result{}, errors.New("no SBRESULT line in wrk's output")
}

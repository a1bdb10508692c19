package manager

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/phpsession"
)

// The request-cycle benchmarks compare, on one Redis server started for the
// run, the same request served four ways:
//
//   - go-bare: a handler reading the cookie, then GET and SET EX (SETEX) of
//     the bytes read with go-redis, no decoding: the floor for any Go
//     session library doing two round trips.
//   - go-replace: LoadAndSave with SaveReplace: Start, read "auth",
//     increment "hits"; GET, then SETEX of the whole session.
//   - go-merge: the same with the default SaveMerge: GET, then one EVALSHA
//     (the compare-and-swap).
//   - go-merge-ap: go-merge on a store with redisstore's AutoPipeline, which
//     batches the commands of concurrent requests into shared pipelines.
//   - go-locked: LockRequests on a store with Locking (Phalcon's -lock
//     key): one pipeline SET NX + GET, then one pipeline SETEX + the
//     release script.
//   - php: internal/phpapp/bench.php, the same cycle (session_start, read
//     "auth", increment "hits", session_write_close) through the
//     Phalcon-style Redis handler, one PHP process per worker.
//
// Reproduce and compare (docs/benchmarks.md):
//
//	go test -run '^$' -bench 'RequestCycle|Concurrency' -count 6 ./manager | tee cycle.txt
//	benchstat -col /impl cycle.txt

// benchPayload is a logged-in Phalcon session (testdata's login scenario).
const benchPayload = `auth|a:3:{s:2:"id";i:42;s:4:"name";s:11:"Dark Helmet";s:5:"roles";a:2:{i:0;s:5:"admin";i:1;s:4:"user";}}csrf|s:6:"a1b2c3";hits|i:0;`

const benchID = "0123456789abcdef0123456789abcdef"

// benchEnv is the Redis server and store of one benchmark run.
type benchEnv struct {
	client  *redis.Client
	store   *redisstore.Store
	apStore *redisstore.Store // the same with AutoPipeline
	lkStore *redisstore.Store // the same with Locking
	addr    string
	trips   tripCounter
}

// tripCounter is a go-redis hook counting round trips: one per command or
// pipeline sent.
type tripCounter struct{ n atomic.Int64 }

func (c *tripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *tripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c *tripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

func benchRedis(b *testing.B) *benchEnv {
	b.Helper()
	srv := testenv.StartRedis(b)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	b.Cleanup(func() { client.Close() })
	store, err := redisstore.New(client, redisstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	apStore, err := redisstore.New(client, redisstore.Options{AutoPipeline: true})
	if err != nil {
		b.Fatal(err)
	}
	lkStore, err := redisstore.New(client, redisstore.Options{Locking: true})
	if err != nil {
		b.Fatal(err)
	}
	e := &benchEnv{client: client, store: store, apStore: apStore, lkStore: lkStore, addr: srv.Addr}
	client.AddHook(&e.trips)
	return e
}

// session writes a fresh copy of the benchmark session for worker i and
// returns its id.
func (e *benchEnv) session(b *testing.B, i int) string {
	b.Helper()
	id := fmt.Sprintf("%032d", i)
	if i == 0 {
		id = benchID
	}
	if err := e.store.Write(context.Background(), id, []byte(benchPayload), 0); err != nil {
		b.Fatal(err)
	}
	return id
}

// goImpls are the Go ways of serving the request.
var goImpls = []string{"go-bare", "go-replace", "go-merge", "go-merge-ap", "go-locked"}

// handler returns the http.Handler of a Go impl. It answers 500 when the
// cycle fails.
func (e *benchEnv) handler(b *testing.B, impl string) http.Handler {
	b.Helper()
	if impl == "go-bare" {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := r.Cookie("PHPSESSID")
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			key := e.store.Key(c.Value)
			v, err := e.client.Get(r.Context(), key).Bytes()
			if err == nil {
				err = e.client.Set(r.Context(), key, v, time.Hour).Err()
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		})
	}
	cfg, store := Config{Save: SaveMerge}, e.store
	switch impl {
	case "go-replace":
		cfg.Save = SaveReplace
	case "go-merge-ap":
		store = e.apStore
	case "go-locked":
		cfg.LockRequests, store = true, e.lkStore
	}
	m, err := New(store, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		if err := s.Start(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if !s.Get("auth", phpsession.Value{}).IsValid() {
			http.Error(w, "no auth", http.StatusInternalServerError)
			return
		}
		n, _ := s.Get("hits", phpsession.IntValue(0)).Int()
		if err := s.Set("hits", phpsession.IntValue(n+1)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
}

// request returns a request carrying session id's cookie.
func request(id string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "PHPSESSID", Value: id})
	return r
}

// serveCycle runs one request and returns an error unless it succeeded.
func serveCycle(h http.Handler, r *http.Request) error {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		return fmt.Errorf("status %d: %s", w.Code, w.Body)
	}
	return nil
}

// reportRate adds the cycles per second to the results.
func reportRate(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "cycles/s")
	}
}

// cpuMeter measures the CPU time that this process and the Redis server
// spend during a benchmark. On a machine shared with other work, CPU time
// per cycle is a steadier measure of cost than wall time: a busy neighbour
// stretches the wall time of a cycle, not the CPU it uses. The two metrics
// are "go-µs/cycle" (the Go process: handler, go-redis, its syscalls) and
// "redis-µs/cycle" (the server, as its INFO cpu reports).
type cpuMeter struct {
	e          *benchEnv
	self, srv  time.Duration
	selfOK, ok bool
}

// startCPU starts measuring.
func (e *benchEnv) startCPU() cpuMeter {
	c := cpuMeter{e: e}
	c.self, c.selfOK = processCPU()
	c.srv, c.ok = e.redisCPU()
	return c
}

// report adds the CPU per cycle since startCPU to b's results.
func (c cpuMeter) report(b *testing.B) {
	if b.N == 0 {
		return
	}
	if self, ok := processCPU(); ok && c.selfOK {
		b.ReportMetric(float64((self-c.self).Microseconds())/float64(b.N), "go-µs/cycle")
	}
	c.reportServer(b)
}

// reportServer adds the Redis server's CPU per cycle since startCPU to b's
// results: the only CPU figure when the cycles ran in PHP processes.
func (c cpuMeter) reportServer(b *testing.B) {
	if srv, ok := c.e.redisCPU(); ok && c.ok && b.N > 0 {
		b.ReportMetric(float64((srv-c.srv).Microseconds())/float64(b.N), "redis-µs/cycle")
	}
}

// processCPU returns the user and system CPU time of this process so far,
// from /proc/self/stat (Linux; false elsewhere). Its unit is the clock tick,
// 10 ms, which is well under 1 % of a benchmark's second of CPU.
func processCPU() (time.Duration, bool) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command name, which is in parentheses: state is
	// field 3, utime and stime are fields 14 and 15.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on every Linux
	return time.Duration(utime+stime) * tick, true
}

// redisCPU returns the CPU time the Redis server has used so far
// (used_cpu_sys + used_cpu_user of INFO cpu).
func (e *benchEnv) redisCPU() (time.Duration, bool) {
	info, err := e.client.Info(context.Background(), "cpu").Result()
	if err != nil {
		return 0, false
	}
	var total float64
	n := 0
	for line := range strings.Lines(info) {
		name, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || (name != "used_cpu_sys" && name != "used_cpu_user") {
			continue
		}
		sec, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, false
		}
		total += sec
		n++
	}
	return time.Duration(total * float64(time.Second)), n == 2
}

// BenchmarkRequestCycle is one request after another: its time per op is
// the latency of one request cycle, all round trips included.
func BenchmarkRequestCycle(b *testing.B) {
	e := benchRedis(b)
	for _, impl := range goImpls {
		b.Run("impl="+impl, func(b *testing.B) {
			h, r := e.handler(b, impl), request(e.session(b, 0))
			if err := serveCycle(h, r); err != nil { // warm: connection, script cache
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu := e.startCPU()
			trips := e.trips.n.Load()
			for b.Loop() {
				if err := serveCycle(h, r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(e.trips.n.Load()-trips)/float64(b.N), "trips/cycle")
			cpu.report(b)
			reportRate(b)
		})
	}
	b.Run("impl=php", func(b *testing.B) {
		runPHP(b, e, []string{e.session(b, 0)})
	})
}

// BenchmarkRequestCycleParallel runs requests from GOMAXPROCS×4 goroutines at
// once, each on its own session, as a server handles its clients: its time
// per op is the inverse of the throughput.
func BenchmarkRequestCycleParallel(b *testing.B) {
	e := benchRedis(b)
	for _, impl := range goImpls {
		// Fresh sessions for the goroutines, which take ids 1, 2, ...
		for i := range 4 * runtime.GOMAXPROCS(0) {
			e.session(b, i+1)
		}
		b.Run("impl="+impl, func(b *testing.B) {
			h := e.handler(b, impl)
			var next atomic.Int64
			b.SetParallelism(4)
			b.ReportAllocs()
			cpu := e.startCPU()
			b.RunParallel(func(pb *testing.PB) {
				r := request(fmt.Sprintf("%032d", next.Add(1)))
				for pb.Next() {
					if err := serveCycle(h, r); err != nil {
						b.Error(err)
						return
					}
				}
			})
			cpu.report(b)
			reportRate(b)
		})
	}
}

// concurrency is the number of workers (Go goroutines or PHP processes) of
// BenchmarkConcurrency.
var concurrency = []int{1, 2, 4, 8}

// BenchmarkConcurrency compares throughput with P workers at once, each on
// its own session: P goroutines in this process, or P PHP processes, on a
// machine whose cores they share with the Redis server.
func BenchmarkConcurrency(b *testing.B) {
	e := benchRedis(b)
	for _, p := range concurrency {
		ids := make([]string, p)
		for i := range ids {
			ids[i] = e.session(b, i)
		}
		for _, impl := range goImpls {
			b.Run(fmt.Sprintf("P=%d/impl=%s", p, impl), func(b *testing.B) {
				runGo(b, e, e.handler(b, impl), ids)
			})
		}
		b.Run(fmt.Sprintf("P=%d/impl=php", p), func(b *testing.B) {
			runPHP(b, e, ids)
		})
	}
}

// runGo serves b.N requests with one goroutine per session id.
func runGo(b *testing.B, e *benchEnv, h http.Handler, ids []string) {
	reqs := make([]*http.Request, len(ids))
	for i, id := range ids {
		reqs[i] = request(id)
		if err := serveCycle(h, reqs[i]); err != nil { // warm: connections, script cache
			b.Fatal(err)
		}
	}
	var (
		left  atomic.Int64
		wg    sync.WaitGroup
		first atomic.Pointer[error]
	)
	left.Store(int64(b.N))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := e.startCPU()
	for _, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				if err := serveCycle(h, r); err != nil {
					first.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err := first.Load(); err != nil {
		b.Fatal(*err)
	}
	cpu.report(b)
	reportRate(b)
}

// runPHP runs b.N cycles of internal/phpapp/bench.php split over one PHP
// process per session id. The processes start and connect to Redis before
// the clock starts, then run together; the time ends when the last exits.
func runPHP(b *testing.B, e *benchEnv, ids []string) {
	php := testenv.PHP(b, "redis")
	script := filepath.Join(phpAppDir(b), "bench.php")
	env := append(os.Environ(), storeEnv{kind: "redis", addr: e.addr}.vars(phpsession.FormatPHP)...)
	type proc struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Reader
	}
	procs := make([]proc, len(ids))
	for i, id := range ids {
		n := b.N / len(ids)
		if i < b.N%len(ids) {
			n++
		}
		cmd := exec.Command(php, script, id, strconv.Itoa(n), "gate")
		cmd.Env = env
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		procs[i] = proc{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
		b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	for _, p := range procs {
		if line, err := p.out.ReadString('\n'); err != nil || line != "ready\n" {
			b.Fatalf("bench.php: %q, %v", line, err)
		}
	}
	b.ResetTimer()
	cpu := e.startCPU()
	for _, p := range procs {
		io.WriteString(p.stdin, "go\n")
	}
	var rates []string
	for _, p := range procs {
		rate, _ := p.out.ReadString('\n')
		if err := p.cmd.Wait(); err != nil {
			b.Fatalf("bench.php: %v", err)
		}
		rates = append(rates, strings.TrimSpace(rate))
	}
	b.StopTimer()
	if len(rates) == 0 || rates[0] == "" {
		b.Fatal("bench.php printed no rate")
	}
	cpu.reportServer(b)
	reportRate(b)
}

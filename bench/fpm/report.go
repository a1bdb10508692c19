//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// median returns the median of f over rs.
func median(rs []result, f func(result) float64) float64 {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2
	}
	return vs[len(vs)/2]
}

// span returns the lowest and highest of f over rs.
func span(rs []result, f func(result) float64) (lo, hi float64) {
	lo, hi = f(rs[0]), f(rs[0])
	for _, r := range rs[1:] {
		lo, hi = min(lo, f(r)), max(hi, f(r))
	}
	return lo, hi
}

// printTable prints the medians of every variant's rounds as a Markdown
// table, then how each Go variant compares with PHP's best on the same
// store.
func printTable(w io.Writer, o options, vs []*variant) {
	fmt.Fprintf(w, "\n%s; %d rounds of %v per variant, interleaved; wrk -t%d -c%d over %d sessions.\n",
		machine(), o.rounds, o.duration, o.threads, o.conns, o.sessions)
	fmt.Fprintf(w, "Medians over the rounds (req/s: lowest–highest).\n\n")
	fmt.Fprintln(w, "| variant | req/s | latency p50 / p90 / p99 | server CPU per request | store CPU per request | wrk CPU per request | Go heap allocations per request | increments lost | failed requests |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, v := range vs {
		lo, hi := span(v.res, result.rps)
		var lost, reqs, failed int64
		for _, r := range v.res {
			lost += r.lost
			reqs += r.requests
			failed += r.errors
		}
		store := "–"
		if backend(v.keys) != keysFiles {
			store = fmt.Sprintf("%.1f µs", median(v.res, result.storePerReq))
		}
		server := fmt.Sprintf("%.0f µs", median(v.res, result.serverPerReq))
		if v.proxyPID != nil {
			server += fmt.Sprintf(" (nginx %.0f)", median(v.res, result.proxyPerReq))
		}
		allocs := "–"
		if v.php == "" {
			allocs = fmt.Sprintf("%.0f (%.0f B)", median(v.res, result.allocsPerReq), median(v.res, result.bytesPerReq))
		}
		fmt.Fprintf(w, "| %s: %s | %.0f (%.0f–%.0f) | %s / %s / %s | %s | %s | %.0f µs | %s | %d of %d | %d |\n",
			v.name, v.desc, median(v.res, result.rps), lo, hi,
			ms(median(v.res, func(r result) float64 { return r.p50 })),
			ms(median(v.res, func(r result) float64 { return r.p90 })),
			ms(median(v.res, func(r result) float64 { return r.p99 })),
			server, store, median(v.res, result.wrkPerReq), allocs, lost, reqs, failed)
	}

	for _, b := range []string{keysPhalcon, keysMemcached, keysFiles} {
		compare(w, vs, b, false)
		compare(w, vs, b, true)
	}
}

// compare prints how the Go variants on backend b compare with PHP's best
// there (the PHP variant with the most requests per second). With locked,
// it compares only the variants that hold a lock from read to save, Go's
// with PHP's, and prints nothing unless both sides have one.
func compare(w io.Writer, vs []*variant, b string, locked bool) {
	var best *variant
	for _, v := range vs {
		if v.php != "" && backend(v.keys) == b && (!locked || v.lock) && (best == nil || median(v.res, result.rps) > median(best.res, result.rps)) {
			best = v
		}
	}
	if best == nil || locked && !slices.ContainsFunc(vs, func(v *variant) bool { return v.php == "" && v.lock && backend(v.keys) == b }) {
		return
	}
	if locked {
		fmt.Fprintf(w, "\nAgainst PHP's best with a lock held from read to save on %s, %s:\n\n", b, best.name)
	} else {
		fmt.Fprintf(w, "\nAgainst PHP's best on %s, %s:\n\n", b, best.name)
	}
	for _, v := range vs {
		if v.php != "" || backend(v.keys) != b || locked && !v.lock {
			continue
		}
		fmt.Fprintf(w, "- %s: %.2f× the requests per second, %.2f× less server CPU per request", v.name,
			median(v.res, result.rps)/median(best.res, result.rps),
			median(best.res, result.serverPerReq)/median(v.res, result.serverPerReq))
		if b != keysFiles {
			fmt.Fprintf(w, ", %s CPU per request %.2f× PHP's", b, median(v.res, result.storePerReq)/median(best.res, result.storePerReq))
		}
		fmt.Fprintf(w, "; all CPU per request (server, store, wrk) %.2f× less\n",
			median(best.res, result.allPerReq)/median(v.res, result.allPerReq))
	}
}

// ms formats a latency in µs as milliseconds.
func ms(us float64) string {
	return fmt.Sprintf("%.2f ms", us/1000)
}

// machine names the CPU, the number of CPUs and the load when the table is
// printed.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			load = ", load average " + strings.Join(f[:3], " ")
		}
	}
	return fmt.Sprintf("%s, %d CPUs%s, %s", model, runtime.NumCPU(), load, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
}

//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// processes are the servers the benchmark started, stopped by stopAll.
type processes struct {
	cmds []*exec.Cmd
	done []chan struct{}
	logs []*os.File
}

// start starts a server whose output goes to dir/name.log. It is killed
// too if the benchmark dies without stopping it.
func (p *processes) start(dir, name, bin string, args ...string) (*exec.Cmd, error) {
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	p.cmds, p.done, p.logs = append(p.cmds, cmd), append(p.done, done), append(p.logs, logf)
	return cmd, nil
}

// stopAll stops every server, last started first: SIGTERM (nginx and
// PHP-FPM then stop their workers), then SIGKILL after 5 s.
func (p *processes) stopAll() {
	for i := len(p.cmds) - 1; i >= 0; i-- {
		p.cmds[i].Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done[i]:
		case <-time.After(5 * time.Second):
			p.cmds[i].Process.Kill()
			<-p.done[i]
		}
		p.logs[i].Close()
	}
	p.cmds, p.done, p.logs = nil, nil, nil
}

// logTail returns the end of dir/name.log, for an error message.
func (p *processes) logTail(dir, name string) string {
	b, _ := os.ReadFile(filepath.Join(dir, name+".log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on
// every Linux architecture Go runs on.
const clockTicks = 100

// treeCPU returns the CPU time, in seconds, that the processes pids and
// all their descendants have used (utime + stime of /proc/<pid>/stat; the
// workers of nginx and PHP-FPM are the masters' children). A process that
// is gone counts nothing.
func treeCPU(pids []int) float64 {
	stats := procStats()
	children := map[int][]int{}
	for pid, s := range stats {
		children[s.ppid] = append(children[s.ppid], pid)
	}
	var ticks int64
	var walk func(pid int)
	walk = func(pid int) {
		ticks += stats[pid].ticks
		for _, c := range children[pid] {
			walk(c)
		}
	}
	for _, pid := range pids {
		walk(pid)
	}
	return float64(ticks) / clockTicks
}

type procStat struct {
	ppid  int
	ticks int64 // utime + stime
}

// procStats reads /proc/<pid>/stat of every process.
func procStats() map[int]procStat {
	out := map[int]procStat{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone
		}
		// The command name, field 2, is in parentheses and may hold
		// spaces: the fields counted from 3 follow its last ')'.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])               // field 4
		utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
		stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
		out[pid] = procStat{ppid: ppid, ticks: utime + stime}
	}
	return out
}

// freePort returns a TCP port free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitTCP waits up to 10 s for addr to accept connections.
func waitTCP(ctx context.Context, addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("nothing listens on %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Package redishook holds go-redis hooks for this module's tests: RoundTrips
// counts the round trips a client makes. (It is a package of its own, not
// part of internal/testenv, so that modules whose tests use testenv but not
// Redis do not depend on go-redis.)
package redishook

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// RoundTrips is a go-redis hook (client.AddHook) that records the round
// trips a client makes: a command sent alone as its name ("get"), a
// pipeline as "pipeline(a,b,...)". It leaves out the commands go-redis
// sends to set up a new connection (HELLO, CLIENT, AUTH, SELECT), which
// come and go with the connection pool. It is safe for concurrent use.
type RoundTrips struct {
	mu    sync.Mutex
	trips []string
}

// DialHook returns next.
func (l *RoundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook records a command sent alone.
func (l *RoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !connSetup(cmd) {
			l.add(cmd.Name())
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook records a pipeline.
func (l *RoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if slices.ContainsFunc(cmds, func(c redis.Cmder) bool { return !connSetup(c) }) {
			names := make([]string, len(cmds))
			for i, c := range cmds {
				names[i] = c.Name()
			}
			l.add("pipeline(" + strings.Join(names, ",") + ")")
		}
		return next(ctx, cmds)
	}
}

// connSetup reports whether cmd is one go-redis sends to set up a new
// connection.
func connSetup(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "client", "auth", "select":
		return true
	}
	return false
}

func (l *RoundTrips) add(trip string) {
	l.mu.Lock()
	l.trips = append(l.trips, trip)
	l.mu.Unlock()
}

// Take returns the round trips recorded since the last Take.
func (l *RoundTrips) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	trips := l.trips
	l.trips = nil
	return trips
}

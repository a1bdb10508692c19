package redisstore

import (
	"context"
	"slices"

	"github.com/redis/go-redis/v9"
)

// script is a Lua script that a Store runs as [redis.Script.Run] does:
// EVALSHA, then EVAL when the server does not know it (NOSCRIPT). Its run
// takes the command's arguments in a slice the caller fills, so that a
// call allocates only for what the arguments themselves need: the
// *redis.Script methods build a []string of keys, then a second slice of
// arguments into which each key and the script's SHA-1 is boxed again, on
// every call.
type script struct {
	s   *redis.Script
	sha any // s.Hash(), boxed once
	src any // the source, boxed once
}

func newScript(src string) *script {
	s := redis.NewScript(src)
	return &script{s: s, sha: s.Hash(), src: src}
}

// run runs the script on c. args is the whole command: its first two
// elements are run's to fill in (the command's name, the script's SHA-1 or
// source), then come the number of keys, the keys, and the arguments
// (ARGV). The command keeps args.
func (sc *script) run(ctx context.Context, c redis.UniversalClient, args []any) *redis.Cmd {
	args[0], args[1] = "evalsha", sc.sha
	cmd := redis.NewCmd(ctx, args...)
	cmd.SetFirstKeyPos(3)
	_ = c.Process(ctx, cmd) // the error is the command's
	// HasErrorPrefix allocates even for a nil error: look only at one.
	if err := cmd.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		args = slices.Clone(args) // the first command keeps its own
		args[0], args[1] = "eval", sc.src
		cmd = redis.NewCmd(ctx, args...)
		cmd.SetFirstKeyPos(3)
		_ = c.Process(ctx, cmd)
	}
	return cmd
}

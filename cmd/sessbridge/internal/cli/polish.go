package cli

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version returns sessbridge's version from the build information: the
// module version (a tag, or "(devel)" in a build from source), the commit
// and its time when the build knows them, and the Go version.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (commit %.12s, %s%s)", rev, at, dirty)
	}
	return v + " " + bi.GoVersion
}

// suggestFlag returns a "did you mean" hint for an unknown flag error of
// cmd, or "".
func suggestFlag(cmd *cobra.Command, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return ""
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	return didYouMean(name, names, "--")
}

// suggestCommand returns a "did you mean" hint for an unknown command.
func suggestCommand(root *cobra.Command, name string) string {
	var names []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return didYouMean(name, names, "")
}

// didYouMean returns a hint naming the candidates closest to typed: the
// nearest within two edits, and those that start with it; or "".
func didYouMean(typed string, candidates []string, prefix string) string {
	best := 3
	for _, c := range candidates {
		best = min(best, levenshtein(strings.ToLower(typed), strings.ToLower(c)))
	}
	var near []string
	for _, c := range candidates {
		if levenshtein(strings.ToLower(typed), strings.ToLower(c)) == best || strings.HasPrefix(c, typed) {
			near = append(near, prefix+c)
		}
	}
	if len(near) == 0 {
		return ""
	}
	slices.Sort(near)
	return "\n\nDid you mean this?\n\t" + strings.Join(near, "\n\t")
}

// levenshtein returns the edit distance of a and b.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// argNames returns the names of cmd's arguments, from its Use line
// ("get ID [KEY]" gives ID and KEY).
func argNames(cmd *cobra.Command) []string {
	words := strings.Fields(cmd.Use)
	var names []string
	for _, w := range words[1:] {
		w = strings.Trim(w, "[]")
		if w == "" || strings.HasPrefix(w, "-") || w == "URL" || strings.Contains(w, "...") {
			continue
		}
		names = append(names, w)
	}
	return names
}

// rangeArgs is cobra.RangeArgs returning a *FlagError that names the
// missing arguments.
func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		names := argNames(cmd)
		switch {
		case len(args) < lo:
			missing := names[min(len(args), len(names)):min(lo, len(names))]
			return flagErrorf("%s: missing %s", cmd.Name(), joinWords(missing))
		case len(args) > hi:
			return flagErrorf("%s: too many arguments: %s takes %s, got %d", cmd.Name(), cmd.Name(), joinWords(names), len(args))
		}
		return nil
	}
}

// storeSchemes are the store URL beginnings that --store, --from and --to
// complete to.
var storeSchemes = []string{"file://", "redis://", "rediss://", "redis+sentinel://", "redis+cluster://", "phpredis://", "memcached://", "phpmemcached://", "noop:"}

// completeStoreURL completes a store URL: its scheme, then after
// "layout=" a layout.
func completeStoreURL(_ *cobra.Command, _ []string, typed string) ([]string, cobra.ShellCompDirective) {
	if i := strings.LastIndex(typed, "layout="); i >= 0 && !strings.ContainsAny(typed[i:], "&#") {
		var out []string
		for _, l := range []string{"phalcon5", "phalcon4", "php"} {
			out = append(out, typed[:i]+"layout="+l)
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	return storeSchemes, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeHandler completes a session.serialize_handler.
func completeHandler(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, f := range phpsession.Formats() {
		out = append(out, f.String())
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// registerCompletions registers the completion of flag values on every
// command of root that has the flags: handlers, output formats, store URLs.
func registerCompletions(root *cobra.Command) {
	fixed := func(vals ...string) cobra.CompletionFunc {
		return cobra.FixedCompletions(vals, cobra.ShellCompDirectiveNoFileComp)
	}
	_ = root.RegisterFlagCompletionFunc("output", fixed(string(outputTable), string(outputJSON)))
	byName := map[string]cobra.CompletionFunc{
		"handler":      completeHandler,
		"from-handler": completeHandler,
		"to-handler":   completeHandler,
		"store":        completeStoreURL,
		"from":         completeStoreURL,
		"to":           completeStoreURL,
	}
	for _, c := range root.Commands() {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if fn, ok := byName[f.Name]; ok {
				_ = c.RegisterFlagCompletionFunc(f.Name, fn)
			}
		})
	}
}

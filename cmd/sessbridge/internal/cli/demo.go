package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
)

// defaultVectors is where the repository keeps the Phalcon-written sessions
// relative to the repository root.
const defaultVectors = "testdata/phalcon5-sessions.jsonl"

// demoOptions are the inputs of the demo command.
type demoOptions struct {
	IO     *IOStreams
	Output outputFormat
	// Vectors, when set, runs the offline view: the JSON Lines file of
	// Phalcon-written sessions to decode. Otherwise demo runs live.
	Vectors string
	PHP     string // --php: the php CLI of the live demo
	Store   string // --store: the shared store; "" a Stream store in a temp dir
	Once    bool   // --once: exit after the scripted walk
}

// newCmdDemo returns the demo command. runF replaces demoRun in tests.
func newCmdDemo(f *Factory, runF func(*demoOptions) error) *cobra.Command {
	opts := &demoOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "demo [--once] [--store URL] | demo --vectors FILE",
		Short: "Run a PHP app and a Go app sharing live sessions",
		Long: `Demo starts a Phalcon-style PHP app (internal/phpapp, under php -S) and a Go app
(the manager package's LoadAndSave middleware) on two loopback ports,
sharing one session store: by default a Stream (file) store in a temp dir,
or the store given with --store (file:///dir, redis://host:port or
memcached://host:port with Phalcon's default options).

It then walks through the scenario with an HTTP client holding the
PHPSESSID cookie: it logs in on the PHP side, shows the Go side seeing the
user and adding a flash message, and PHP displaying it. It prints both URLs
and serves until Ctrl-C so you can click through; --once exits after the
walk. It exits with code 3 when a side does not see what the other wrote.
It needs the php CLI (apt-get install php-cli).

With --vectors FILE it runs offline instead: it decodes the sessions a
real Phalcon 5 (PHP 8.2) wrote through its Stream, Redis and Libmemcached
adapters with each of PHP's four session.serialize_handler settings (the
repository's are in testdata/phalcon5-sessions.jsonl), prints what a Go
service reads, and checks that every payload re-encodes to exactly the bytes
Phalcon wrote (exit code 3 when one does not). With --output json it prints
one array, an element per scenario: {"scenario", "payloads": [{"adapter",
"handler", "bytes", "round_trip"}], "session": the JSON document of the
first payload (docs/json.md), "problems": [messages]}.`,
		Example: `  make demo
  sessbridge demo --once
  sessbridge demo --store redis://127.0.0.1:6379
  sessbridge demo --vectors testdata/phalcon5-sessions.jsonl --output json | jq '.[0].session'`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			if cmd.Flags().Changed("vectors") {
				if opts.Vectors == "" {
					return flagErrorf("--vectors: give the JSON Lines file, such as %s", defaultVectors)
				}
				if cmd.Flags().Changed("store") || opts.Once {
					return flagErrorf("--vectors runs offline: it takes no --store or --once")
				}
				if runF != nil {
					return runF(opts)
				}
				return demoRun(opts)
			}
			if runF != nil {
				return runF(opts)
			}
			return demoLiveRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Vectors, "vectors", "", "decode the Phalcon-written sessions of this JSON Lines file instead of running live (the repository's are in "+defaultVectors+")")
	cmd.Flags().StringVar(&opts.PHP, "php", "php", "the php CLI that serves the PHP app")
	cmd.Flags().StringVar(&opts.Store, "store", "", "the store both apps share (default: a Stream store in a temp dir)")
	cmd.Flags().BoolVar(&opts.Once, "once", false, "exit after the scripted walk instead of serving until Ctrl-C")
	return cmd
}

// vector is one line of the vectors file (testdata/README.md).
type vector struct {
	Adapter  string `json:"adapter"`
	Handler  string `json:"handler"`
	Scenario string `json:"scenario"`
	ID       string `json:"id"`
	Payload  []byte `json:"payload_b64"`
}

// demoScenario is what demo found for one scenario; its JSON form is the
// --output json shape.
type demoScenario struct {
	Scenario string          `json:"scenario"`
	Payloads []demoPayload   `json:"payloads"`
	Session  json.RawMessage `json:"session"` // the JSON document of the first payload
	Problems []string        `json:"problems"`

	session *phpsession.Session
}

// demoPayload is one payload of a scenario.
type demoPayload struct {
	Adapter   string `json:"adapter"`
	Handler   string `json:"handler"`
	Bytes     int    `json:"bytes"`
	RoundTrip bool   `json:"round_trip"` // re-encodes byte for byte
}

// demoRun decodes the vectors and prints what Go sees (demo --vectors).
func demoRun(opts *demoOptions) error {
	vectors, err := readVectors(opts.Vectors)
	if err != nil {
		return err
	}
	scenarios, err := demoScenarios(vectors)
	if err != nil {
		return fmt.Errorf("%s: %w", opts.Vectors, err)
	}
	problems := 0
	for _, sc := range scenarios {
		problems += len(sc.Problems)
	}

	switch opts.Output {
	case outputJSON:
		if err := writeJSON(opts.IO.Out, scenarios); err != nil {
			return err
		}
	default:
		if err := printDemo(opts.IO, opts.Vectors, len(vectors), scenarios); err != nil {
			return err
		}
	}
	if problems > 0 {
		return fmt.Errorf("%w: %d payloads do not read or write back as Phalcon wrote them", errMismatch, problems)
	}
	return nil
}

// readVectors reads the JSON Lines file at path.
func readVectors(path string) ([]vector, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var vs []vector
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxInput)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v vector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%s: no sessions", path)
	}
	return vs, nil
}

// demoScenarios decodes every vector, grouped by scenario in file order,
// and records what does not match.
func demoScenarios(vectors []vector) ([]*demoScenario, error) {
	var out []*demoScenario
	byName := map[string]*demoScenario{}
	for _, v := range vectors {
		sc := byName[v.Scenario]
		if sc == nil {
			sc = &demoScenario{Scenario: v.Scenario, Problems: []string{}}
			byName[v.Scenario] = sc
			out = append(out, sc)
		}
		where := v.Adapter + "/" + v.Handler
		f, err := phpsession.ParseFormat(v.Handler)
		if err != nil {
			return nil, fmt.Errorf("scenario %s, %s: %w", v.Scenario, where, err)
		}
		p := demoPayload{Adapter: v.Adapter, Handler: v.Handler, Bytes: len(v.Payload)}
		s, err := phpsession.DecodeSession(v.Payload, f)
		if err != nil {
			sc.Problems = append(sc.Problems, fmt.Sprintf("%s: %v", where, err))
			sc.Payloads = append(sc.Payloads, p)
			continue
		}
		var enc []byte
		if s, err = jsonRoundTrip(s); err == nil {
			enc, err = s.Encode()
		}
		p.RoundTrip = err == nil && bytes.Equal(enc, v.Payload)
		if !p.RoundTrip {
			sc.Problems = append(sc.Problems, fmt.Sprintf("%s: re-encoding does not give back the %d bytes Phalcon wrote (err: %v)", where, len(v.Payload), err))
		}
		sc.Payloads = append(sc.Payloads, p)
		if sc.session == nil {
			sc.session = s
			if sc.Session, err = s.MarshalJSON(); err != nil {
				return nil, fmt.Errorf("scenario %s, %s: %w", v.Scenario, where, err)
			}
			continue
		}
		if diff := sessionDiff(sc.session, s); diff != "" {
			sc.Problems = append(sc.Problems, fmt.Sprintf("%s: not the same session as %s/%s: %s",
				where, sc.Payloads[0].Adapter, sc.Payloads[0].Handler, diff))
		}
	}
	return out, nil
}

// jsonRoundTrip returns the session read back from its JSON document, so
// that Encode writes every value with the encoder instead of copying the
// input bytes: the demo checks the JSON form and the encoder too.
func jsonRoundTrip(s *phpsession.Session) (*phpsession.Session, error) {
	doc, err := s.MarshalJSON()
	if err != nil {
		return nil, err
	}
	out := new(phpsession.Session)
	return out, out.UnmarshalJSON(doc)
}

// sessionDiff describes the first difference between two sessions, perhaps
// of different formats (reference slots are compared as PHP numbers them
// in each format); "" when they hold the same keys and values.
func sessionDiff(a, b *phpsession.Session) string {
	an, bn := a.Names(), b.Names()
	if !slices.Equal(an, bn) {
		return fmt.Sprintf("keys %q, want %q", bn, an)
	}
	shift := slotBase(a.Format()) - slotBase(b.Format())
	for _, n := range an {
		av, _ := a.Get(n)
		bv, _ := b.Get(n)
		if !shiftSlots(bv, shift).Equal(av) {
			return fmt.Sprintf("key %s is %s, want %s", quoteName(n), summarize(bv, 60, nil), summarize(av, 60, nil))
		}
	}
	return ""
}

// printDemo prints the scenarios for people (on a terminal) or as
// tab-separated lines "scenario key kind value" (piped).
func printDemo(ios *IOStreams, path string, n int, scenarios []*demoScenario) error {
	w := ios.Out
	if !ios.OutIsTTY {
		t := newTablePrinter(ios)
		for _, sc := range scenarios {
			paths := slotPaths(sc.session)
			for _, name := range sessionNames(sc) {
				v, _ := sc.session.Get(name)
				t.addRow(sc.Scenario, quoteName(name), v.Kind().String(), summarize(v, summaryWidth, paths))
			}
		}
		if err := t.render(); err != nil {
			return err
		}
		for _, sc := range scenarios {
			for _, p := range sc.Problems {
				fmt.Fprintf(ios.ErrOut, "demo: %s: %s\n", sc.Scenario, p)
			}
		}
		return nil
	}

	var adapters, handlers []string
	for _, sc := range scenarios {
		for _, p := range sc.Payloads {
			if !slices.Contains(adapters, p.Adapter) {
				adapters = append(adapters, p.Adapter)
			}
			if !slices.Contains(handlers, p.Handler) {
				handlers = append(handlers, p.Handler)
			}
		}
	}
	fmt.Fprintf(w, "What a Go service sees of %d sessions a real Phalcon 5 wrote (%s):\n", n, path)
	adapterWord := "adapters"
	if len(adapters) == 1 {
		adapterWord = "adapter"
	}
	fmt.Fprintf(w, "%s, each written through Phalcon's %s %s\n", plural(len(scenarios), "scenario"), joinWords(adapters), adapterWord)
	fmt.Fprintf(w, "with session.serialize_handler = %s.\n", joinWords(handlers))
	for _, sc := range scenarios {
		fmt.Fprintf(w, "\n== %s  %s\n", sc.Scenario, payloadSummary(sc))
		if len(sc.Problems) > 0 {
			for _, p := range sc.Problems {
				fmt.Fprintf(w, "   ✗ %s\n", p)
			}
		}
		names := sessionNames(sc)
		if len(names) == 0 {
			fmt.Fprintf(w, "   (no keys: the session is empty)\n")
			continue
		}
		var table bytes.Buffer
		t := newTablePrinter(&IOStreams{Out: &table, OutIsTTY: true}, "KEY", "KIND", "VALUE")
		paths := slotPaths(sc.session)
		for _, name := range names {
			v, _ := sc.session.Get(name)
			t.addRow(quoteName(name), v.Kind().String(), summarize(v, summaryWidth, paths))
		}
		if err := t.render(); err != nil {
			return err
		}
		for _, line := range strings.SplitAfter(table.String(), "\n") {
			if line != "" {
				fmt.Fprint(w, "   "+line)
			}
		}
	}
	fmt.Fprint(w, `
In Go, one key of a session Phalcon wrote:

    s, err := phpsession.DecodeSession(payload, phpsession.FormatPHP)
    auth, _ := s.Get("auth")           // a phpsession.Value
    name, _ := auth.Lookup("name")
    fmt.Println(name.Str())            // Dark Helmet true

Try: sessbridge decode --handler php <file> | sessbridge encode   (docs/json.md)
`)
	return nil
}

// sessionNames returns the keys of the scenario's session, none when no
// payload decoded.
func sessionNames(sc *demoScenario) []string {
	if sc.session == nil {
		return nil
	}
	return sc.session.Names()
}

// payloadSummary says whether the payloads of the scenario all decode to
// the session shown and re-encode byte for byte.
func payloadSummary(sc *demoScenario) string {
	if len(sc.Problems) == 0 {
		return fmt.Sprintf("✓ all %d payloads decode to this session and re-encode byte for byte", len(sc.Payloads))
	}
	return fmt.Sprintf("✗ %d of %d payloads do not match:", len(sc.Problems), len(sc.Payloads))
}

// plural returns "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// joinWords joins words as in "a, b and c".
func joinWords(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// findUp returns the path of rel in the current directory or the nearest
// parent that has it.
func findUp(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			if wd, _ := os.Getwd(); wd == dir {
				return rel, nil
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fs.ErrNotExist
		}
		dir = parent
	}
}

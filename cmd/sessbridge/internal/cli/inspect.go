package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/phpsession"
	"github.com/spf13/cobra"
)

// inspectOptions are the inputs of the inspect command.
type inspectOptions struct {
	IO     *IOStreams
	Output outputFormat
	storeFlags
	ID string
	// Now returns the time ages are measured from. Default: time.Now.
	Now func() time.Time
}

// newCmdInspect returns the inspect command. runF replaces inspectRun in
// tests.
func newCmdInspect(f *Factory, runF func(context.Context, *inspectOptions) error) *cobra.Command {
	opts := &inspectOptions{IO: f.IO}
	var handler string
	cmd := &cobra.Command{
		Use:   "inspect ID",
		Short: "Show how a session is stored: raw bytes, layout, format, TTL, lock",
		Long: `Inspect shows what the store holds for the session ID, for debugging a
session that PHP and Go see differently:

  location   the file or key that holds it
  stored     the stored bytes (an escaped excerpt) and their size
  wrapped    whether they are Phalcon's s:N:"payload"; around the payload
  formats    which of php, php_serialize, php_binary and igbinary PHP can
             read it in (igbinary also when only its header is valid)
  ttl, age   its time to live (Redis) or time since it was written (files)
  lock       whether a lock is held on it: the lock key (Redis), an
             exclusive flock (files)

What the store cannot tell is listed under "unknown". Memcached's item flags
and compression are not shown: the memcached store does not expose raw items.
` + storeHelp + `

Exit codes: 0 shown, 1 no such session or the store failed, 2 bad flags or
arguments.`,
		Example: `  sessbridge inspect --store redis://10.0.0.5/2 e3ea125e2e80
  sessbridge inspect --store file:///var/lib/php/sessions e3ea125e2e80 --output json`,
		Args: rangeArgs(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := parseStoreFlags(cmd, &opts.storeFlags, handler); err != nil {
				return err
			}
			opts.Output = f.Output
			opts.ID = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return inspectRun(cmd.Context(), opts)
		},
	}
	addStoreFlags(cmd, &opts.storeFlags, &handler)
	return cmd
}

// inspection is what inspect reports, and its --output json shape.
type inspection struct {
	ID          string   `json:"id"`
	Store       string   `json:"store"`
	Layout      string   `json:"layout"`
	Location    string   `json:"location,omitempty"`
	StoredSize  int      `json:"stored_size"`
	Stored      string   `json:"stored"`     // escaped excerpt
	StoredB64   []byte   `json:"stored_b64"` // all of it; null when unknown
	Wrapped     *bool    `json:"wrapped"`    // null when unknown
	PayloadSize int      `json:"payload_size"`
	Handler     string   `json:"handler"` // the --handler
	Formats     []string `json:"formats"` // the formats PHP can read the payload in (phpsession.DetectFormats)
	Keys        []string `json:"keys,omitempty"`
	TTL         *int64   `json:"ttl"`             // seconds; -1: never expires
	Age         *int64   `json:"age"`             // seconds
	Flags       *uint32  `json:"flags,omitempty"` // memcached item flags
	Lock        string   `json:"lock"`
	Unknown     []string `json:"unknown,omitempty"`
}

// storedExcerpt is how many bytes of the stored value inspect shows.
const storedExcerpt = 160

// inspectRun inspects the session.
func inspectRun(ctx context.Context, opts *inspectOptions) error {
	st, err := openStore(ctx, opts.storeFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	in := inspection{ID: opts.ID, Store: st.Config.String(), Layout: st.Config.Layout().String(), Handler: st.Format.String(), Lock: "unknown"}
	raw, payload, err := inspectStored(ctx, st, opts.ID, &in)
	if err != nil {
		return err
	}
	in.PayloadSize = len(payload)
	if raw == nil {
		in.Unknown = append(in.Unknown, "stored bytes (shown: the payload the store returns)")
		in.Stored = escapeBytes(payload, storedExcerpt)
	} else {
		in.StoredSize, in.StoredB64 = len(raw), raw
		in.Stored = escapeBytes(raw, storedExcerpt)
		_, err := adapters.Unwrap(raw)
		wrapped := err == nil
		in.Wrapped = &wrapped
	}
	in.Formats = []string{}
	for _, f := range phpsession.DetectFormats(payload) {
		in.Formats = append(in.Formats, f.String())
		if f != st.Format {
			continue
		}
		if s, err := phpsession.DecodeSession(payload, f); err == nil {
			in.Keys = s.Names()
		}
	}
	ex, err := sessionExpiry(ctx, st.Store, opts.ID, now())
	if err != nil {
		return err
	}
	in.TTL, in.Age = seconds(ex.TTL, ex.HasTTL), seconds(ex.Age, ex.HasAge)
	if !ex.HasTTL && !ex.HasAge {
		in.Unknown = append(in.Unknown, "ttl and age")
	}
	if in.Lock == "unknown" {
		in.Unknown = append(in.Unknown, "lock")
	}
	if opts.Output == outputJSON {
		return writeJSON(opts.IO.Out, in)
	}
	t := newTablePrinter(opts.IO, "FIELD", "VALUE")
	t.addRow("id", quoteName(in.ID))
	t.addRow("store", in.Store)
	t.addRow("layout", in.Layout)
	if in.Location != "" {
		t.addRow("location", in.Location)
	}
	if in.Wrapped != nil {
		t.addRow("stored", fmt.Sprintf("%d bytes: %s", in.StoredSize, in.Stored))
		t.addRow("wrapped", strconv.FormatBool(*in.Wrapped))
	}
	if in.Wrapped != nil {
		t.addRow("payload", fmt.Sprintf("%d bytes", in.PayloadSize))
	} else {
		t.addRow("payload", fmt.Sprintf("%d bytes: %s", in.PayloadSize, in.Stored))
	}
	t.addRow("formats", strings.Join(in.Formats, ","))
	if in.Keys != nil {
		names := make([]string, len(in.Keys))
		for i, k := range in.Keys {
			names[i] = quoteName(k)
		}
		t.addRow("keys ("+in.Handler+")", strings.Join(names, ","))
	}
	t.addRow("ttl", durationText(ex.TTL, ex.HasTTL))
	t.addRow("age", durationText(ex.Age, ex.HasAge))
	if in.Flags != nil {
		t.addRow("flags", fmt.Sprintf("%d (0x%x)", *in.Flags, *in.Flags))
	}
	t.addRow("lock", in.Lock)
	if len(in.Unknown) > 0 {
		t.addRow("unknown", strings.Join(in.Unknown, "; "))
	}
	return t.render()
}

// inspectStored returns the stored bytes of a session (nil when the store
// does not show them) and its payload, and fills in the location, lock
// state and flags the store tells ([adapters.Inspector]).
func inspectStored(ctx context.Context, st *openedStore, id string, in *inspection) (raw, payload []byte, err error) {
	ins, ok := st.Store.(adapters.Inspector)
	if !ok {
		payload, found, err := st.Read(ctx, id)
		if err == nil && !found {
			err = fmt.Errorf("session %s: %w in %s%s", quoteName(id), errNotFound, st.Config, layoutHint(ctx, st, id))
		}
		return nil, payload, err
	}
	x, found, err := ins.Inspect(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, fmt.Errorf("session %s: %w in %s%s", quoteName(id), errNotFound, st.Config, layoutHint(ctx, st, id))
	}
	in.Location, in.Lock = x.Location, lockText(x)
	if x.HasFlags {
		in.Flags = &x.Flags
	}
	return x.Stored, x.Payload, nil
}

// lockText shows the lock state of an inspection: "held (KEY exists)" or
// "free (no KEY)" for a lock key, "held (exclusive flock)" or "free" for a
// flock on the session file.
func lockText(x adapters.Inspection) string {
	switch {
	case x.Lock == adapters.LockHeld && x.LockName != "":
		return "held (" + x.LockName + " exists)"
	case x.Lock == adapters.LockHeld:
		return "held (exclusive flock)"
	case x.Lock == adapters.LockFree && x.LockName != "":
		return "free (no " + x.LockName + ")"
	case x.Lock == adapters.LockFree:
		return "free"
	}
	return "unknown"
}

// escapeBytes shows b on one line, bytes that do not print escaped as in
// Go strings, cut after max bytes with "…".
func escapeBytes(b []byte, max int) string {
	var sb strings.Builder
	for i, c := range b {
		if i == max {
			sb.WriteString("…")
			break
		}
		sb.WriteString(escapeByte(c))
	}
	return sb.String()
}

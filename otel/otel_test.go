package sessbridgeotel_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/internal/testenv"
	"github.com/sessbridge/sessbridge/manager"
	sessbridgeotel "github.com/sessbridge/sessbridge/otel"
	"github.com/sessbridge/sessbridge/phpsession"
)

// telemetry is an in-memory OpenTelemetry SDK: a manual metric reader and a
// span recorder.
type telemetry struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	opts   []sessbridgeotel.Option
}

func newTelemetry() *telemetry {
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	return &telemetry{
		reader: reader,
		spans:  spans,
		opts: []sessbridgeotel.Option{
			sessbridgeotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
			sessbridgeotel.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))),
		},
	}
}

// metrics collects the metrics recorded so far, by name.
func (tm *telemetry) metrics(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tm.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// point returns the histogram data point of metric name whose attributes
// are exactly want, failing the test when there is none.
func histogram[N int64 | float64](t *testing.T, ms map[string]metricdata.Metrics, name, unit string, want ...attribute.KeyValue) metricdata.HistogramDataPoint[N] {
	t.Helper()
	m, ok := ms[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	if m.Unit != unit {
		t.Errorf("metric %s unit %q, want %q", name, m.Unit, unit)
	}
	h, ok := m.Data.(metricdata.Histogram[N])
	if !ok {
		t.Fatalf("metric %s is a %T, want a histogram", name, m.Data)
	}
	set := attribute.NewSet(want...)
	for _, dp := range h.DataPoints {
		if dp.Attributes.Equals(&set) {
			return dp
		}
	}
	var have []string
	for _, dp := range h.DataPoints {
		have = append(have, dp.Attributes.Encoded(attribute.DefaultEncoder()))
	}
	t.Fatalf("metric %s has no point with attributes %s; it has %q", name, set.Encoded(attribute.DefaultEncoder()), have)
	return metricdata.HistogramDataPoint[N]{}
}

// noIDs fails the test if a span or metric attribute holds a session id.
func (tm *telemetry) noIDs(t *testing.T, ids ...string) {
	t.Helper()
	check := func(where string, kvs []attribute.KeyValue) {
		for _, kv := range kvs {
			for _, id := range ids {
				if strings.Contains(kv.Value.String(), id) {
					t.Errorf("%s attribute %s = %q holds session id %q", where, kv.Key, kv.Value.String(), id)
				}
			}
		}
	}
	for _, s := range tm.spans.Ended() {
		check("span "+s.Name(), s.Attributes())
		for _, e := range s.Events() {
			check("span "+s.Name()+" event "+e.Name, e.Attributes)
		}
		for _, id := range ids {
			if strings.Contains(s.Status().Description, id) {
				t.Errorf("span %s status %q holds session id %q", s.Name(), s.Status().Description, id)
			}
		}
	}
}

func str(s string) phpsession.Value { return phpsession.StringValue(s) }

// request runs one request's session work: start with cookie id, apply f,
// commit. It returns the id to send back.
func request(t *testing.T, m *manager.Manager, id string, f func(s *manager.Session)) string {
	t.Helper()
	ctx := m.Load(context.Background(), id)
	s := m.Session(ctx)
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if f != nil {
		f(s)
	}
	id, _, err := m.Commit(ctx)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return id
}

func TestInstrumentFileStore(t *testing.T) {
	fs, err := filestore.New(filestore.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := manager.New(fs, manager.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tm := newTelemetry()
	if err := sessbridgeotel.Instrument(m, tm.opts...); err != nil {
		t.Fatal(err)
	}

	id := request(t, m, "", func(s *manager.Session) { s.Set("user", str("ana")) }) // a new session: write
	request(t, m, id, nil)                                                          // unchanged: touch
	request(t, m, id, func(s *manager.Session) {                                    // changed, with PHP writing meanwhile: a conflict, then a merge
		s.Set("go", phpsession.IntValue(1))
		if err := fs.Write(context.Background(), id, []byte(`user|s:3:"ana";php|i:2;`), 0); err != nil {
			t.Fatal(err)
		}
	})
	// A stored session that does not decode: a failed load.
	const bad = "0123456789abcdef0123456789abcdef"
	if err := fs.Write(context.Background(), bad, []byte("user|garbage"), 0); err != nil {
		t.Fatal(err)
	}
	ctx := m.Load(context.Background(), bad)
	if err := m.Session(ctx).Start(ctx); err == nil {
		t.Fatal("Start of a corrupt session succeeded")
	}

	store := sessbridgeotel.StoreKey.String("filestore")
	ms := tm.metrics(t)
	found := sessbridgeotel.FoundKey.Bool(true)
	if dp := histogram[float64](t, ms, "sessbridge.session.load.duration", "s", store, found); dp.Count != 2 || dp.Sum <= 0 {
		t.Errorf("load.duration found: count %d sum %v, want 2 loads", dp.Count, dp.Sum)
	}
	if dp := histogram[float64](t, ms, "sessbridge.session.load.duration", "s", store, sessbridgeotel.FoundKey.Bool(false), attribute.String("error.type", "decode")); dp.Count != 1 {
		t.Errorf("load.duration decode error: count %d, want 1", dp.Count)
	}
	if dp := histogram[int64](t, ms, "sessbridge.session.load.size", "By", store, found); dp.Count != 2 || dp.Sum != 2*int64(len(`user|s:3:"ana";`)) {
		t.Errorf("load.size: count %d sum %d, want 2 loads of %d bytes", dp.Count, dp.Sum, len(`user|s:3:"ana";`))
	}
	for op, want := range map[string]uint64{"write": 1, "touch": 1, "merge": 1} {
		if dp := histogram[float64](t, ms, "sessbridge.session.save.duration", "s", store, sessbridgeotel.SaveOpKey.String(op)); dp.Count != want {
			t.Errorf("save.duration op=%s: count %d, want %d", op, dp.Count, want)
		}
	}
	merge := sessbridgeotel.SaveOpKey.String("merge")
	if dp := histogram[int64](t, ms, "sessbridge.session.save.attempts", "{attempt}", store, merge); dp.Count != 1 || dp.Sum != 2 {
		t.Errorf("save.attempts merge: count %d sum %d, want one save of 2 attempts", dp.Count, dp.Sum)
	}
	if dp := histogram[int64](t, ms, "sessbridge.session.save.size", "By", store, merge); dp.Sum != int64(len(`user|s:3:"ana";php|i:2;go|i:1;`)) {
		t.Errorf("save.size merge: sum %d, want %d", dp.Sum, len(`user|s:3:"ana";php|i:2;go|i:1;`))
	}
	c, ok := ms["sessbridge.session.conflicts"].Data.(metricdata.Sum[int64])
	if !ok || len(c.DataPoints) != 1 || c.DataPoints[0].Value != 1 || !c.IsMonotonic || ms["sessbridge.session.conflicts"].Unit != "{conflict}" {
		t.Errorf("conflicts = %+v, want a counter at 1", ms["sessbridge.session.conflicts"])
	}

	var loads, saves int
	for _, s := range tm.spans.Ended() {
		switch s.Name() {
		case "sessbridge.session.load":
			loads++
		case "sessbridge.session.save":
			saves++
			if s.Status().Code == codes.Error {
				t.Errorf("save span status %v", s.Status())
			}
		}
	}
	if loads != 3 || saves != 3 {
		t.Errorf("%d load and %d save spans, want 3 and 3", loads, saves)
	}
	tm.noIDs(t, id, bad)
}

func TestInstrumentLock(t *testing.T) {
	fs, err := filestore.New(filestore.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := manager.New(fs, manager.Config{Save: manager.SaveMergeLocked})
	if err != nil {
		t.Fatal(err)
	}
	tm := newTelemetry()
	if err := sessbridgeotel.Instrument(m, tm.opts...); err != nil {
		t.Fatal(err)
	}
	id := request(t, m, "", func(s *manager.Session) { s.Set("a", str("x")) })
	request(t, m, id, func(s *manager.Session) { s.Set("b", str("y")) })
	ms := tm.metrics(t)
	store := sessbridgeotel.StoreKey.String("filestore")
	if dp := histogram[float64](t, ms, "sessbridge.session.lock.wait", "s", store); dp.Count != 1 {
		t.Errorf("lock.wait count %d, want 1", dp.Count)
	}
	if dp := histogram[float64](t, ms, "sessbridge.session.lock.hold", "s", store); dp.Count != 1 || dp.Sum <= 0 {
		t.Errorf("lock.hold count %d sum %v, want 1 hold", dp.Count, dp.Sum)
	}
	var events int
	for _, s := range tm.spans.Ended() {
		for _, e := range s.Events() {
			if e.Name == "sessbridge.session.lock" && s.Name() == "sessbridge.session.save" {
				events++
			}
		}
	}
	if events != 1 {
		t.Errorf("%d lock events on save spans, want 1", events)
	}
}

func TestInstrumentRedis(t *testing.T) {
	srv := testenv.StartRedis(t)
	st, err := redisstore.Open(redisstore.Options{Host: "127.0.0.1", Port: srv.Port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := manager.New(st, manager.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tm := newTelemetry()
	if err := sessbridgeotel.Instrument(m, tm.opts...); err != nil {
		t.Fatal(err)
	}
	id := request(t, m, "", func(s *manager.Session) { s.Set("user", str("ana")) })
	request(t, m, id, func(s *manager.Session) { s.Set("n", phpsession.IntValue(2)) })

	spans := tm.spans.Ended()
	parents := map[string]string{} // span id -> name
	for _, s := range spans {
		if strings.HasPrefix(s.Name(), "sessbridge.") {
			parents[s.SpanContext().SpanID().String()] = s.Name()
		}
	}
	children := map[string]int{} // our span's name -> redis spans under it
	for _, s := range spans {
		if strings.HasPrefix(s.Name(), "sessbridge.") {
			continue
		}
		if p, ok := parents[s.Parent().SpanID().String()]; ok {
			children[p]++
		}
		for _, kv := range s.Attributes() {
			if kv.Key == "db.statement" {
				t.Errorf("redis span %s has db.statement %q: it would hold ids and payloads", s.Name(), kv.Value.String())
			}
		}
	}
	if children["sessbridge.session.load"] == 0 || children["sessbridge.session.save"] == 0 {
		t.Errorf("redis spans under ours: %v, want some under both load and save (spans: %d)", children, len(spans))
	}
	ms := tm.metrics(t)
	store := sessbridgeotel.StoreKey.String("redisstore")
	if dp := histogram[float64](t, ms, "sessbridge.session.load.duration", "s", store, sessbridgeotel.FoundKey.Bool(true)); dp.Count != 1 {
		t.Errorf("load.duration count %d, want 1", dp.Count)
	}
	var redisMetrics int
	for name := range ms {
		if strings.HasPrefix(name, "db.client.") {
			redisMetrics++
		}
	}
	if redisMetrics == 0 {
		t.Errorf("no db.client.* metrics from redisotel among %d metrics", len(ms))
	}
	tm.noIDs(t, id, adapters.HashID(id))
}

func TestErrorType(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{adapters.ErrConflict, "conflict"},
		{adapters.ErrLockTimeout, "lock_timeout"},
		{&manager.DecodeError{Err: phpsession.ErrMaxDepth}, "decode"},
		{&manager.FormatMismatchError{Err: phpsession.ErrMaxDepth}, "format_mismatch"},
		{context.DeadlineExceeded, "timeout"},
		{context.Canceled, "canceled"},
		{adapters.ErrInvalidID, "_OTHER"},
	}
	for _, tt := range tests {
		if got := sessbridgeotel.ErrorType(tt.err); got != tt.want {
			t.Errorf("ErrorType(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestInstrumentRequestLock(t *testing.T) {
	srv := testenv.StartRedis(t)
	st, err := redisstore.Open(redisstore.Options{Host: "127.0.0.1", Port: srv.Port, Locking: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := manager.New(st, manager.Config{LockRequests: true})
	if err != nil {
		t.Fatal(err)
	}
	tm := newTelemetry()
	if err := sessbridgeotel.Instrument(m, tm.opts...); err != nil {
		t.Fatal(err)
	}
	id := request(t, m, "", func(s *manager.Session) { s.Set("user", str("ana")) })
	request(t, m, id, func(s *manager.Session) { s.Set("n", phpsession.IntValue(2)) })

	ms := tm.metrics(t)
	store := sessbridgeotel.StoreKey.String("redisstore")
	if dp := histogram[float64](t, ms, "sessbridge.session.lock.hold", "s", store); dp.Count != 1 || dp.Sum <= 0 {
		t.Errorf("lock.hold count %d sum %v, want the request's lock held once", dp.Count, dp.Sum)
	}
	if dp := histogram[float64](t, ms, "sessbridge.session.lock.wait", "s", store); dp.Count != 1 {
		t.Errorf("lock.wait count %d, want 1", dp.Count)
	}
	var onSave int
	for _, s := range tm.spans.Ended() {
		for _, e := range s.Events() {
			if e.Name == "sessbridge.session.lock" && s.Name() == "sessbridge.session.save" {
				onSave++
			}
		}
	}
	if onSave != 1 {
		t.Errorf("%d lock events on save spans, want the request lock's release on the save's span", onSave)
	}
	tm.noIDs(t, id)
}

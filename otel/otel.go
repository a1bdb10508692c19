package sessbridgeotel

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/manager"
)

// ScopeName is the instrumentation scope of the meter and tracer.
const ScopeName = "github.com/sessbridge/sessbridge/otel"

// Attribute keys, besides OpenTelemetry's error.type.
const (
	StoreKey   = attribute.Key("sessbridge.store")
	FoundKey   = attribute.Key("sessbridge.session.found")
	SaveOpKey  = attribute.Key("sessbridge.save.op")
	RetriedKey = attribute.Key("sessbridge.retried")
	SizeKey    = attribute.Key("sessbridge.session.size")
	errorType  = attribute.Key("error.type")
)

// Option configures [Instrument].
type Option func(*config)

type config struct {
	mp      metric.MeterProvider
	tp      trace.TracerProvider
	noRedis bool
}

// WithMeterProvider records metrics with mp.
// Default: otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// WithTracerProvider records spans with tp.
// Default: otel.GetTracerProvider().
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithoutRedis leaves a redisstore's go-redis client alone, for a client
// the program instruments itself (instrumenting one client twice records
// every command twice). Default: a redisstore's client is instrumented.
func WithoutRedis() Option {
	return func(c *config) { c.noRedis = true }
}

// Instrument makes m record metrics and spans (see the package doc), by
// adding [manager.Hooks] with [manager.Manager.AddHooks]. Call it once per
// Manager, before it serves requests. It returns an error when an
// instrument cannot be created or the Redis client cannot be instrumented.
func Instrument(m *manager.Manager, opts ...Option) error {
	c := config{mp: otel.GetMeterProvider(), tp: otel.GetTracerProvider()}
	for _, o := range opts {
		o(&c)
	}
	h, err := newHooks(c, storeName(m.Store()))
	if err != nil {
		return err
	}
	if rs, ok := m.Store().(interface{ Client() redis.UniversalClient }); ok && !c.noRedis {
		if err := redisotel.InstrumentTracing(rs.Client(), redisotel.WithTracerProvider(c.tp), redisotel.WithDBStatement(false)); err != nil {
			return fmt.Errorf("sessbridgeotel: instrumenting the redis client: %w", err)
		}
		if err := redisotel.InstrumentMetrics(rs.Client(), redisotel.WithMeterProvider(c.mp)); err != nil {
			return fmt.Errorf("sessbridgeotel: instrumenting the redis client: %w", err)
		}
	}
	m.AddHooks(h.hooks())
	return nil
}

// storeName is the package of the store's type ("redisstore"), a
// low-cardinality name for it.
func storeName(s adapters.Store) string {
	t := reflect.TypeOf(s)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	p := t.PkgPath()
	if p == "" {
		return t.String()
	}
	return p[strings.LastIndexByte(p, '/')+1:]
}

// instruments holds the meter's instruments and the tracer.
type instruments struct {
	tracer    trace.Tracer
	store     attribute.KeyValue
	loadDur   metric.Float64Histogram
	loadSize  metric.Int64Histogram
	saveDur   metric.Float64Histogram
	saveSize  metric.Int64Histogram
	attempts  metric.Int64Histogram
	lockWait  metric.Float64Histogram
	lockHold  metric.Float64Histogram
	conflicts metric.Int64Counter

	// The attribute sets of operations that succeeded, made once: by
	// found (false, true), by manager.SaveOp, and for locks.
	loadOK [2]metric.MeasurementOption
	saveOK [3]metric.MeasurementOption
	lockOK metric.MeasurementOption
}

// Bucket boundaries: durations from 0.5 ms to 10 s, sizes from 64 B to 4 MiB.
var (
	durationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	sizeBuckets     = []float64{64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304}
	attemptBuckets  = []float64{1, 2, 3, 5, 8, 11}
)

func newHooks(c config, store string) (*instruments, error) {
	meter := c.mp.Meter(ScopeName)
	in := &instruments{tracer: c.tp.Tracer(ScopeName), store: StoreKey.String(store)}
	var errs []error
	dur := func(name, desc string) metric.Float64Histogram {
		h, err := meter.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc), metric.WithExplicitBucketBoundaries(durationBuckets...))
		errs = append(errs, err)
		return h
	}
	size := func(name, unit, desc string, buckets []float64) metric.Int64Histogram {
		h, err := meter.Int64Histogram(name, metric.WithUnit(unit), metric.WithDescription(desc), metric.WithExplicitBucketBoundaries(buckets...))
		errs = append(errs, err)
		return h
	}
	in.loadDur = dur("sessbridge.session.load.duration", "Duration of reading a session from the store.")
	in.loadSize = size("sessbridge.session.load.size", "By", "Size of the stored session payload read.", sizeBuckets)
	in.saveDur = dur("sessbridge.session.save.duration", "Duration of saving a session to the store.")
	in.saveSize = size("sessbridge.session.save.size", "By", "Size of the session payload written.", sizeBuckets)
	in.attempts = size("sessbridge.session.save.attempts", "{attempt}", "Writes tried per save; more than one after compare-and-swap conflicts.", attemptBuckets)
	in.lockWait = dur("sessbridge.session.lock.wait", "Time a save waited for the store's session lock.")
	in.lockHold = dur("sessbridge.session.lock.hold", "Time a save held the store's session lock.")
	var err error
	in.conflicts, err = meter.Int64Counter("sessbridge.session.conflicts", metric.WithUnit("{conflict}"), metric.WithDescription("Compare-and-swap writes that lost to a concurrent writer."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("sessbridgeotel: creating instruments: %w", err)
	}
	for i, found := range []bool{false, true} {
		in.loadOK[i] = in.newAttrs(nil, FoundKey.Bool(found))
	}
	for op := range in.saveOK {
		in.saveOK[op] = in.newAttrs(nil, SaveOpKey.String(manager.SaveOp(op).String()))
	}
	in.lockOK = in.newAttrs(nil)
	return in, nil
}

func (in *instruments) hooks() manager.Hooks {
	return manager.Hooks{Load: in.load, Save: in.save, Lock: in.lock, Conflict: in.conflict}
}

// newAttrs returns the store attribute, extra, and error.type when err is
// not nil.
func (in *instruments) newAttrs(err error, extra ...attribute.KeyValue) metric.MeasurementOption {
	kv := append([]attribute.KeyValue{in.store}, extra...)
	if err != nil {
		kv = append(kv, errorType.String(ErrorType(err)))
	}
	return metric.WithAttributeSet(attribute.NewSet(kv...))
}

func (in *instruments) load(ctx context.Context) (context.Context, func(manager.LoadInfo)) {
	ctx, span := in.tracer.Start(ctx, "sessbridge.session.load", trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(in.store))
	return ctx, func(i manager.LoadInfo) {
		found := FoundKey.Bool(i.Found)
		set := in.loadOK[b2i(i.Found)]
		if i.Err != nil {
			set = in.newAttrs(i.Err, found)
		}
		in.loadDur.Record(ctx, i.Duration.Seconds(), set)
		if i.Size > 0 || i.Found {
			in.loadSize.Record(ctx, int64(i.Size), set)
		}
		span.SetAttributes(found, SizeKey.Int(i.Size))
		end(span, i.Err)
	}
}

func (in *instruments) save(ctx context.Context) (context.Context, func(manager.SaveInfo)) {
	ctx, span := in.tracer.Start(ctx, "sessbridge.session.save", trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(in.store))
	return ctx, func(i manager.SaveInfo) {
		op := SaveOpKey.String(i.Op.String())
		var set metric.MeasurementOption
		if i.Err == nil && int(i.Op) < len(in.saveOK) {
			set = in.saveOK[i.Op]
		} else {
			set = in.newAttrs(i.Err, op)
		}
		in.saveDur.Record(ctx, i.Duration.Seconds(), set)
		if i.Op != manager.SaveOpTouch && i.Attempts > 0 {
			in.saveSize.Record(ctx, int64(i.Size), set)
			in.attempts.Record(ctx, int64(i.Attempts), set)
		}
		span.SetAttributes(op, SizeKey.Int(i.Size), attribute.Int("sessbridge.save.attempts", i.Attempts))
		end(span, i.Err)
	}
}

func (in *instruments) lock(ctx context.Context, i manager.LockInfo) {
	set := in.lockOK
	if i.Err != nil {
		set = in.newAttrs(i.Err)
	}
	in.lockWait.Record(ctx, i.Wait.Seconds(), set)
	if i.Err == nil || i.Held > 0 {
		in.lockHold.Record(ctx, i.Held.Seconds(), set)
	}
	ev := []attribute.KeyValue{attribute.Float64("sessbridge.lock.wait", i.Wait.Seconds()), attribute.Float64("sessbridge.lock.hold", i.Held.Seconds())}
	if i.Err != nil {
		ev = append(ev, errorType.String(ErrorType(i.Err)))
	}
	trace.SpanFromContext(ctx).AddEvent("sessbridge.session.lock", trace.WithAttributes(ev...))
}

func (in *instruments) conflict(ctx context.Context, i manager.ConflictInfo) {
	retried := RetriedKey.Bool(i.Retry)
	in.conflicts.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(in.store, retried)))
	trace.SpanFromContext(ctx).AddEvent("sessbridge.session.conflict", trace.WithAttributes(attribute.Int("sessbridge.attempt", i.Attempt), retried))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// end ends span, with an error status naming err's [ErrorType] (never its
// text, which names the session).
func end(span trace.Span, err error) {
	if err != nil {
		t := ErrorType(err)
		span.SetAttributes(errorType.String(t))
		span.SetStatus(codes.Error, t)
	}
	span.End()
}

// ErrorType returns the low-cardinality error.type of an error from the
// manager: "conflict", "lock_timeout", "format_mismatch" (a session stored
// in another format than Config.Format), "decode", "timeout", "canceled", or
// "_OTHER" (OpenTelemetry's name for the rest).
func ErrorType(err error) string {
	var de *manager.DecodeError
	switch {
	case errors.Is(err, adapters.ErrConflict):
		return "conflict"
	case errors.Is(err, adapters.ErrLockTimeout):
		return "lock_timeout"
	case errors.Is(err, manager.ErrFormatMismatch):
		return "format_mismatch"
	case errors.As(err, &de):
		return "decode"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "_OTHER"
}

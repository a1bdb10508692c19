package sessbridgeotel_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/manager"
	sessbridgeotel "github.com/sessbridge/sessbridge/otel"
	"github.com/sessbridge/sessbridge/phpsession"
)

// BenchmarkRequestCycle is one request's session work (load, set a key,
// save) on a file store, without instrumentation and with it (the SDK's
// meter with a manual reader, spans batched to an exporter that drops
// them): the difference is what Instrument costs a request.
func BenchmarkRequestCycle(b *testing.B) {
	for _, instrumented := range []bool{false, true} {
		name := "otel=off"
		if instrumented {
			name = "otel=on"
		}
		b.Run(name, func(b *testing.B) {
			fs, err := filestore.New(filestore.Options{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			m, err := manager.New(fs, manager.Config{})
			if err != nil {
				b.Fatal(err)
			}
			if instrumented {
				tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
				b.Cleanup(func() { tp.Shutdown(context.Background()) })
				mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
				if err := sessbridgeotel.Instrument(m, sessbridgeotel.WithMeterProvider(mp), sessbridgeotel.WithTracerProvider(tp)); err != nil {
					b.Fatal(err)
				}
			}
			cycle := func(id string) string {
				ctx := m.Load(context.Background(), id)
				s := m.Session(ctx)
				if err := s.Start(ctx); err != nil {
					b.Fatal(err)
				}
				if err := s.Set("n", phpsession.IntValue(1)); err != nil {
					b.Fatal(err)
				}
				id, _, err := m.Commit(ctx)
				if err != nil {
					b.Fatal(err)
				}
				return id
			}
			id := cycle("")
			b.ReportAllocs()
			for b.Loop() {
				cycle(id)
			}
		})
	}
}

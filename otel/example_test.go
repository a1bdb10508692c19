package sessbridgeotel_test

import (
	"context"
	"fmt"
	"log"
	"os"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/manager"
	sessbridgeotel "github.com/sessbridge/sessbridge/otel"
	"github.com/sessbridge/sessbridge/phpsession"
)

func ExampleInstrument() {
	dir, _ := os.MkdirTemp("", "sessions")
	defer os.RemoveAll(dir)
	store, err := filestore.New(filestore.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	m, err := manager.New(store, manager.Config{})
	if err != nil {
		log.Fatal(err)
	}
	// A program passes its own providers, or none for the global ones.
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	if err := sessbridgeotel.Instrument(m, sessbridgeotel.WithMeterProvider(mp)); err != nil {
		log.Fatal(err)
	}

	ctx := m.Load(context.Background(), "")
	s := m.Session(ctx)
	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}
	s.Set("user", phpsession.StringValue("ana"))
	if _, _, err := m.Commit(ctx); err != nil {
		log.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if h, ok := m.Data.(metricdata.Histogram[int64]); ok && len(h.DataPoints) > 0 {
			fmt.Println(m.Name, m.Unit, h.DataPoints[0].Sum)
		}
	}
	// Output:
	// sessbridge.session.save.size By 15
	// sessbridge.session.save.attempts {attempt} 1
}

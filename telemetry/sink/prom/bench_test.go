package prom

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/topology"
)

// BenchmarkScrape serves /metrics for generated networks of growing size,
// every link fed: the cost of one scrape, and per series. 200 sites with
// 48 ports a device is the telemetry benchmark's network.
func BenchmarkScrape(b *testing.B) {
	for _, c := range []struct{ sites, ports int }{{50, 0}, {500, 0}, {200, 48}} {
		sites := c.sites
		snap, err := synth.Generate(synth.Options{Sites: sites, Seed: 1, InterfacesPerDevice: c.ports})
		if err != nil {
			b.Fatal(err)
		}
		p, err := telemetry.Plan(snap, telemetry.PlanOptions{}, topology.BudgetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		eng := telemetry.NewEngine(p.Topo, p.Budgets, telemetry.EngineOptions{})
		f := newFeeder(p, eng)
		f.round()
		f.round()
		x := New(eng, Options{NoRuntime: true})
		n := len(gather(b, x))
		h := x.Handler()
		b.Run(fmt.Sprintf("sites=%d/ports=%d/links=%d/series=%d", sites, c.ports, len(p.Topo.Links), n), func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			var bytes int64
			cpu0 := cpuTime()
			for b.Loop() {
				w := &countingWriter{h: http.Header{}}
				h.ServeHTTP(w, req)
				bytes = w.n
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/series")
			b.ReportMetric(float64(bytes), "bytes/scrape")
			// CPU of the process (all threads, GC included), not the wall
			// clock: the machine is shared.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/scrape")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type countingWriter struct {
	h http.Header
	n int64
}

func (w *countingWriter) Header() http.Header { return w.h }
func (w *countingWriter) WriteHeader(int)     {}
func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)

package main

import (
	"math"
	"testing"

	"github.com/tuyau-net/tuyau/telemetry"
)

// TestArrival: the window's histogram is the targets' growth, and its
// quantiles interpolate within the bucket as histogram_quantile does.
func TestArrival(t *testing.T) {
	h := func(name string, count uint64, sum float64, b ...uint64) telemetry.TargetHealth {
		var d telemetry.ArrivalDelay
		d.Count, d.SumSeconds = count, sum
		for i := range d.Buckets {
			d.Buckets[i] = b[min(i, len(b)-1)]
		}
		return telemetry.TargetHealth{Name: name, Delay: d}
	}
	cases := []struct {
		name          string
		h0, h1        []telemetry.TargetHealth
		n, over       uint64
		mean, p50, p9 float64
	}{
		// 100 new notifications of r1, all in (10, 25] ms: p50 halfway.
		{"one bucket", []telemetry.TargetHealth{h("r1", 10, 0.05, 10)},
			[]telemetry.TargetHealth{h("r1", 110, 2.05, 10, 10, 110)}, 100, 0, 20, 17.5, 24.85},
		// Two targets; r2 restarted its counts (fewer than before): left out.
		{"restarted target left out", []telemetry.TargetHealth{h("r1", 0, 0, 0), h("r2", 50, 1, 50)},
			[]telemetry.TargetHealth{h("r1", 100, 0.4, 100), h("r2", 5, 0.1, 5)}, 100, 0, 4, 2.5, 4.95},
		// Over the last bound: the quantile is the last bound.
		{"beyond the last bound", nil, []telemetry.TargetHealth{h("r1", 10, 200, 0)}, 10, 10, 20000, 10000, 10000},
		{"nothing", nil, nil, 0, 0, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := arrival(c.h0, c.h1)
			near := func(x, y float64) bool { return math.Abs(x-y) < 1e-6 }
			if a.Notifications != c.n || a.Over10s != c.over || !near(a.MeanMs, c.mean) || !near(a.P50, c.p50) || !near(a.P99, c.p9) {
				t.Errorf("got %+v, want n %d over %d mean %v p50 %v p99 %v", a, c.n, c.over, c.mean, c.p50, c.p9)
			}
		})
	}
}

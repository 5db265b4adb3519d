package telemetry

import (
	"fmt"
	"testing"
	"time"
)

// benchShape is the benchmark network: 200 devices of 48
// interfaces, each interface sending its counters, oper-status and one
// optical channel per sample.
const benchDevices, benchIfaces = 200, 48

// benchRound returns one sample round of every device, one slice per
// device as a collector's per-target goroutine hands them over.
func benchRound(ts time.Time, base uint64) [][]Update {
	out := make([][]Update, benchDevices)
	for d := range benchDevices {
		dev := fmt.Sprintf("r%03d", d)
		ups := make([]Update, 0, benchIfaces*11)
		for i := range benchIfaces {
			ifc := fmt.Sprintf("eth%d", i)
			v := base + uint64(i)*1000
			for _, leaf := range []string{"in-octets", "out-octets", "in-pkts", "out-pkts", "in-errors", "out-errors", "in-discards", "out-discards"} {
				ups = append(ups, Update{Target: dev, Class: ClassCounters, Key: ifc, Leaf: leaf, Uint: v, Timestamp: ts})
			}
			ups = append(ups,
				Update{Target: dev, Class: ClassOper, Key: ifc, Leaf: "oper-status", Str: "UP", Timestamp: ts},
				Update{Target: dev, Class: ClassOptics, Key: ifc, Component: ifc, Leaf: "input-power/instant", Float: -7.5, Timestamp: ts},
				Update{Target: dev, Class: ClassOptics, Key: ifc, Component: ifc, Leaf: "output-power/instant", Float: -1, Timestamp: ts},
			)
		}
		out[d] = ups
	}
	return out
}

// BenchmarkObserve measures the engine's hot path on one core: updates
// per second for the 200 x 48 shape, and allocations per update (none
// once every interface is known).
func BenchmarkObserve(b *testing.B) {
	e := NewEngine(nil, nil, EngineOptions{})
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	// Two rounds prepared: the timestamps must move for the counters to be rated.
	rounds := [2][][]Update{benchRound(t0, 1e9), benchRound(t0.Add(10*time.Second), 1e9+1.25e9)}
	for _, r := range rounds[0] {
		e.Observe(r) // every interface known
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; n < b.N; i++ {
		// Alternate two rounds, shifting the timestamps so that each is newer.
		round := rounds[i%2]
		shift := time.Duration(i+1) * 10 * time.Second
		for _, ups := range round {
			// As a collector does, the engine sees each target's updates
			// just decoded: still in the cache.
			b.StopTimer()
			for j := range ups {
				ups[j].Timestamp = t0.Add(shift)
				ups[j].Uint += 1_250_000_000
			}
			b.StartTimer()
			e.Observe(ups)
			n += len(ups)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "updates/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/update")
}

// BenchmarkTick measures one evaluation of the 200 x 48 shape after a full
// round of samples: what a collector pays at each flush.
func BenchmarkTick(b *testing.B) {
	e := NewEngine(nil, nil, EngineOptions{})
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	rounds := [2][][]Update{benchRound(t0, 1e9), benchRound(t0.Add(10*time.Second), 1e9+1.25e9)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for _, ups := range rounds[i%2] {
			for j := range ups {
				ups[j].Timestamp = t0.Add(time.Duration(i) * 10 * time.Second)
				ups[j].Uint += 1_250_000_000
			}
			e.Observe(ups)
		}
		b.StartTimer()
		e.Tick(t0.Add(time.Duration(i) * 10 * time.Second))
	}
}

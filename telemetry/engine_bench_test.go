package telemetry

import (
	"fmt"
	"testing"
	"time"

	"github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"
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

// BenchmarkTickSparse is the cost of a flush when few objects changed:
// one device of the 200 x 48 shape sent a sample since the last Tick. A
// collector flushing every few milliseconds pays this many times a
// second, so it must grow with what changed, not with the inventory.
func BenchmarkTickSparse(b *testing.B) {
	e := NewEngine(nil, nil, EngineOptions{})
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	round := benchRound(t0, 1e9)
	for _, ups := range round {
		e.Observe(ups)
	}
	e.Tick(t0)
	one := round[0]
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ts := t0.Add(time.Duration(i+1) * 10 * time.Second)
		for j := range one {
			one[j].Timestamp = ts
			one[j].Uint += 1_250_000_000
		}
		e.Observe(one)
		b.StartTimer()
		e.Tick(ts)
	}
}

// BenchmarkPipeline is the collector's per-update path without the
// network: the response's bytes decoded (proto: proto.Unmarshal then
// Response, as before Decoder.Wire; wire: Wire, as a session does), the
// engine's Observe and a Tick after every device's notification (a flush
// per notification, the latency-bound worst case), for 200 devices of 48
// interfaces.
func BenchmarkPipeline(b *testing.B) {
	b.Run("proto", func(b *testing.B) { benchPipeline(b, false) })
	b.Run("wire", func(b *testing.B) { benchPipeline(b, true) })
}

func benchPipeline(b *testing.B, useWire bool) {
	const devs = 200
	wire, per := sampleWire(b, benchIfaces, gnmi.Encoding_PROTO)
	e := NewEngine(nil, nil, EngineOptions{})
	decs := make([]*Decoder, devs)
	for i := range decs {
		decs[i] = NewDecoder(Target{Name: fmt.Sprintf("r%03d", i)})
	}
	var r gnmi.SubscribeResponse
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	// Each round's bytes, with their timestamp.
	var rounds [2][]byte
	for k := range rounds {
		if err := proto.Unmarshal(wire, &r); err != nil {
			b.Fatal(err)
		}
		r.GetUpdate().Timestamp = t0.Add(time.Duration(k+1) * time.Second).UnixNano()
		rounds[k] = marshalB(b, &r)
	}
	var ups []Update
	b.ReportAllocs()
	n := 0
	for i := 0; n < b.N*per; i++ {
		d := i % devs
		msg := rounds[(i/devs)%2]
		ts := t0.Add(time.Duration(i/devs+1) * time.Second)
		if useWire {
			var ok bool
			if ups, _, ok = decs[d].Wire(msg, ts, ups[:0]); !ok {
				b.Fatal("sample declined")
			}
		} else {
			r.Reset()
			if err := proto.Unmarshal(msg, &r); err != nil {
				b.Fatal(err)
			}
			ups, _ = decs[d].Response(&r, ts, ups[:0])
		}
		e.Observe(ups)
		e.Tick(ts)
		n += len(ups)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/update")
}

func marshalB(b *testing.B, m proto.Message) []byte {
	out, err := proto.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

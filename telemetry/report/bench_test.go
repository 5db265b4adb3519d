package report

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/topology"
)

// BenchmarkAvailability replays 30 days of a 2,000-site network: a
// heartbeat a minute, 200 duct cuts of an hour each at random.
func BenchmarkAvailability(b *testing.B) {
	snap, err := synth.Generate(synth.Options{Sites: 2000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		b.Fatal(err)
	}
	fs := topology.Analyze(topo).Cuts(topology.CutOptions{Kinds: []topology.FailureKind{topology.FailSRLG}})
	var h telemetry.ChangeHistory
	start := t0.Add(-30 * 24 * time.Hour)
	h.Changes = append(h.Changes, telemetry.StateChange{Time: start, ObjectKind: telemetry.KindCollector, To: telemetry.MarkStarted})
	for _, l := range topo.Links {
		h.Changes = append(h.Changes, telemetry.StateChange{Time: start.Add(time.Second), ObjectKind: "link", Object: l.ID, From: "unknown", To: "up"})
	}
	for d := time.Minute; d < 30*24*time.Hour; d += time.Minute {
		h.Changes = append(h.Changes, telemetry.StateChange{Time: start.Add(d), ObjectKind: telemetry.KindCollector, To: telemetry.MarkRunning})
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		f := fs[rnd.IntN(len(fs))]
		at := start.Add(time.Duration(rnd.Int64N(int64(29 * 24 * time.Hour))))
		id := telemetry.AlarmID("telemetry", "duct", "duct", f.Name)
		for _, l := range f.LinksDown {
			h.Changes = append(h.Changes, telemetry.StateChange{Time: at, ObjectKind: "link", Object: l, From: "up", To: "down", Cause: id},
				telemetry.StateChange{Time: at.Add(time.Hour), ObjectKind: "link", Object: l, From: "down", To: "up"})
		}
	}
	h.Until = t0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := Availability(topo, h, Options{From: start, To: t0})
		if err != nil || len(r.Members) == 0 {
			b.Fatal(err, len(r.Members))
		}
	}
}

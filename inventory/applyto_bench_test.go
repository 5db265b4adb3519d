package inventory_test

import (
	"fmt"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
)

// BenchmarkApplyTo applies a change set touching every tenth cable and
// interface (updates), adding as many cables and removing a few devices'
// sessions: the shape of a NetBox pull or a large inventory edit.
func BenchmarkApplyTo(b *testing.B) {
	from, err := synth.Generate(synth.Options{Sites: 2000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	to := from.Clone()
	for i := range to.Cables {
		if i%10 == 0 {
			to.Cables[i].Splices++
		}
	}
	n := len(to.Cables)
	for i := 0; i < n/10; i++ {
		c := to.Cables[i]
		c.Label = fmt.Sprintf("NEW-%06d", i)
		c.A, c.B = inventory.Termination{}, inventory.Termination{}
		to.Cables = append(to.Cables, c)
	}
	for i := range to.Devices {
		if i%10 == 0 && len(to.Devices[i].Interfaces) > 0 {
			to.Devices[i].Interfaces[0].Description += " (moved)"
		}
		if i%50 == 0 {
			to.Devices[i].BGPSessions = nil
		}
	}
	cs, err := inventory.Diff(from, to)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(cs)), "changes")
	b.ResetTimer()
	for range b.N {
		got, err := cs.ApplyTo(from)
		if err != nil {
			b.Fatal(err)
		}
		if rest, _ := inventory.Diff(got, to); len(rest) != 0 {
			b.Fatalf("after ApplyTo, %d differences left", len(rest))
		}
	}
}

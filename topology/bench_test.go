package topology

import (
	"testing"

	"github.com/tuyau-net/tuyau/inventory/synth"
)

// benchNet is the yardstick: about 10,000 sites and 15,500 cables
// in 17,900 ducts.
func benchNet(b *testing.B) *Topology {
	b.Helper()
	s, err := synth.Generate(synth.Options{Sites: 10000, Seed: 1, NoPanels: true})
	if err != nil {
		b.Fatal(err)
	}
	t, err := Build(s, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkAllCableAndSRLGCuts is every single-cable cut and every
// shared-risk-group cut of the 10,000-site network, from the topology to
// the ranked list (goal: under 200 ms).
func BenchmarkAllCableAndSRLGCuts(b *testing.B) {
	t := benchNet(b)
	b.ReportMetric(float64(len(t.Physical.Spans)), "cables")
	b.ResetTimer()
	for b.Loop() {
		fs := Analyze(t).Cuts(CutOptions{Kinds: []FailureKind{FailCable, FailSRLG}, Everything: true})
		if len(fs) == 0 {
			b.Fatal("no failures")
		}
	}
}

// BenchmarkAllSiteLosses is the loss of each of the 10,000 sites.
func BenchmarkAllSiteLosses(b *testing.B) {
	t := benchNet(b)
	b.ResetTimer()
	for b.Loop() {
		Analyze(t).Cuts(CutOptions{Kinds: []FailureKind{FailSite}})
	}
}

// BenchmarkBuild is the topology itself: traces, links, ducts.
func BenchmarkBuild(b *testing.B) {
	s, err := synth.Generate(synth.Options{Sites: 10000, Seed: 1, NoPanels: true})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Build(s, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

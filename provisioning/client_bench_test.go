package provisioning_test

import (
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/provisioning"
)

// BenchmarkFRRRouterClientWork is the CPU tuyau spends on one router of
// bench/provisioning/run's network (20 sites, seed 7) outside SSH: the
// intent and its render, the plan's delta from a router with no BGP yet
// (a first push), and the verify's delta from the config it now runs.
// Per router, not per fleet: multiply by 20 for the bench's share of the
// client's CPU (2026-12-06, load 2.7: 0.93 to 1.42 ms a router, so 19 to
// 28 ms of the push's 0.46 s; the rest is SSH, the process start and git).
func BenchmarkFRRRouterClientWork(b *testing.B) {
	snap, err := synth.Generate(synth.Options{Sites: 20, Seed: 7})
	if err != nil {
		b.Fatal(err)
	}
	x := inventory.NewIndex(snap)
	var names []string
	for _, d := range snap.Devices {
		if d.Platform == "frr" {
			names = append(names, d.Name)
		}
	}
	if len(names) == 0 {
		b.Fatal("no FRR router in the network")
	}
	p := provisioning.FRR{}
	const fresh = provisioning.FRRDaemonsHeader + " zebra bgpd ospfd staticd bfdd\nfrr version 8.4.4\nfrr defaults traditional\nhostname r\n!\nend\n"
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := names[i%len(names)]
		in, err := provisioning.BuildIntent(x, n, provisioning.Options{})
		if err != nil {
			b.Fatal(err)
		}
		cfg, err := p.Render(in)
		if err != nil {
			b.Fatal(err)
		}
		d, err := p.Delta([]byte(fresh), cfg)
		if err != nil || !d.Changed() {
			b.Fatalf("%s: plan from a fresh router: %v, changed %v", n, err, d.Changed())
		}
		_ = d.Diff(n+" (running)", n+" (intended)")
		v, err := p.Delta(append([]byte(provisioning.FRRDaemonsHeader+" zebra bgpd ospfd staticd bfdd\n"), cfg...), cfg)
		if err != nil || v.Changed() {
			b.Fatalf("%s: verify against its own render: %v, left %q", n, err, v.Commands)
		}
	}
}

package telemetry

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/topology"
)

// BenchmarkTickNetwork is a flush after one device's sample on generated
// networks of 48-port devices (links, budgets, correlation: the bench's
// shape), at two sizes: what a latency-bound collector pays per flush must
// stay flat as the network grows.
func BenchmarkTickNetwork(b *testing.B) {
	for _, sites := range []int{50, 200} {
		b.Run(fmt.Sprintf("sites=%d", sites), func(b *testing.B) {
			snap, err := synth.Generate(synth.Options{Sites: sites, Seed: 1, InterfacesPerDevice: 48})
			if err != nil {
				b.Fatal(err)
			}
			topo, err := topology.Build(snap, topology.Options{})
			if err != nil {
				b.Fatal(err)
			}
			budgets, err := topology.Budgets(topo, topology.BudgetOptions{})
			if err != nil {
				b.Fatal(err)
			}
			e := NewEngine(topo, budgets, EngineOptions{})
			ifs := map[string][]string{}
			for _, l := range topo.Links {
				for i, end := range []string{l.A, l.B} {
					if i == 1 && l.External {
						continue
					}
					dev, ifc, _ := strings.Cut(end, ":")
					ifs[dev] = append(ifs[dev], ifc)
				}
			}
			devs := make([]string, 0, len(ifs))
			for d := range ifs {
				devs = append(devs, d)
			}
			slices.Sort(devs)
			t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
			rounds := make([][]Update, len(devs))
			for k, d := range devs {
				for _, ifc := range ifs[d] {
					for _, leaf := range []string{LeafInOctets, LeafOutOctets, LeafInErrors, LeafOutErrors, LeafInDiscards, LeafOutDiscards} {
						rounds[k] = append(rounds[k], Update{Target: d, Class: ClassCounters, Key: ifc, Leaf: leaf, Uint: 1e9, Timestamp: t0})
					}
					rounds[k] = append(rounds[k], Update{Target: d, Class: ClassOper, Key: ifc, Leaf: LeafOperStatus, Str: "UP", Timestamp: t0})
				}
				e.Observe(rounds[k])
			}
			e.Tick(t0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ups := rounds[i%len(devs)]
				ts := t0.Add(time.Duration(i/len(devs)+1) * 10 * time.Second)
				for j := range ups {
					ups[j].Timestamp = ts
					ups[j].Uint += 1_250_000_000
				}
				e.Observe(ups)
				b.StartTimer()
				e.Tick(ts)
			}
		})
	}
}

// BenchmarkCorrelatePass is one full correlation pass (what a link-down or
// a target alarm moving costs) on a generated network with one link in ten
// down (and the dark ones), every target connected: every candidate of
// every link down is tried again, none is new.
func BenchmarkCorrelatePass(b *testing.B) {
	for _, sites := range []int{50, 200} {
		b.Run(fmt.Sprintf("sites=%d", sites), func(b *testing.B) {
			snap, err := synth.Generate(synth.Options{Sites: sites, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			n := netOf(b, snap)
			topo, budgets := n.topo, n.budgets
			t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
			now := t0
			e := NewEngine(topo, budgets, EngineOptions{Clock: func() time.Time { return now }})
			var ups []Update
			dark := 0
			for i, l := range topo.Links {
				oper := "UP"
				if budgets[i].Status == topology.BudgetFail || i%10 == 0 {
					oper, dark = "DOWN", dark+1
				}
				for j, end := range []string{l.A, l.B} {
					if j == 1 && l.External {
						continue
					}
					dev, ifc, _ := strings.Cut(end, ":")
					ups = append(ups, Update{Target: dev, Class: ClassOper, Key: ifc, Leaf: LeafOperStatus, Str: oper, Timestamp: t0})
				}
			}
			e.Observe(ups)
			for _, d := range snap.Devices {
				e.ObserveTarget(TargetHealth{Name: d.Name, Connected: true, Since: t0, LastUpdate: t0})
			}
			for range 3 {
				now = now.Add(10 * time.Second)
				e.Tick(now)
			}
			if n := len(activeAlarms(e, "link-down")); n != dark || dark == 0 {
				b.Fatalf("%d link-down alarms, %d links down", n, dark)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				now = now.Add(time.Second)
				e.mu.Lock()
				e.corr.rescan = true
				e.correlate(now)
				e.mu.Unlock()
			}
			b.ReportMetric(float64(dark), "links-down")
		})
	}
}

package telemetry

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/topology"
)

// mancheTwoRouters is examples/manche with a second router at the core
// site saint-lo-dc: saint-lo-dc-r2 takes over r1's eth5 (the link to
// torigni-sur-vire-pop), r1 keeps the other links and the transit circuit.
func mancheTwoRouters(t testing.TB) *testNet {
	t.Helper()
	snap, err := yamlstore.Open("../examples/manche").Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const r1, r2, ifc = "saint-lo-dc-r1", "saint-lo-dc-r2", "eth5"
	i := slices.IndexFunc(snap.Devices, func(d inventory.Device) bool { return d.Name == r1 })
	if i < 0 {
		t.Fatalf("no %s in examples/manche", r1)
	}
	d2 := snap.Devices[i]
	d2.Name, d2.Interfaces, d2.BGPSessions, d2.RouteReflector = r2, nil, nil, false
	d2.Mgmt, d2.Loopback, d2.Loopback6 = d2.Mgmt.Next(), d2.Loopback.Next(), d2.Loopback6.Next()
	d1 := &snap.Devices[i]
	k := slices.IndexFunc(d1.Interfaces, func(f inventory.Interface) bool { return f.Name == ifc })
	if k < 0 {
		t.Fatalf("no %s:%s in examples/manche", r1, ifc)
	}
	d2.Interfaces = append(d2.Interfaces, d1.Interfaces[k])
	d1.Interfaces = slices.Delete(d1.Interfaces, k, k+1)
	snap.Devices = append(snap.Devices, d2)
	moved := 0
	for j := range snap.Cables {
		for _, end := range []*inventory.Termination{&snap.Cables[j].A, &snap.Cables[j].B} {
			if end.Device == r1 && end.Interface == ifc {
				end.Device = r2
				moved++
			}
		}
	}
	if moved != 1 {
		t.Fatalf("%d cables on %s:%s, want 1", moved, r1, ifc)
	}
	return netOf(t, snap)
}

// siteFeed steps a plant the way a collector reports it: devices killed
// stop streaming and their links go dark; devices muted (management lost)
// stop streaming while their links stay up; either target is still
// reported connected for staleSteps (a half-open stream) and then
// disconnected, its LastUpdate frozen at its last sample.
type siteFeed struct {
	p          *plant
	e          *Engine
	devs       []string
	mute       map[string]bool
	lastHeard  map[string]time.Time
	lostStep   map[string]int
	staleSteps int
	step       int
	reconnects map[string]int
}

func newSiteFeed(p *plant, e *Engine) *siteFeed {
	f := &siteFeed{p: p, e: e, mute: map[string]bool{}, lastHeard: map[string]time.Time{}, lostStep: map[string]int{}, reconnects: map[string]int{}}
	for d := range e.devSite {
		f.devs = append(f.devs, d)
	}
	slices.Sort(f.devs)
	return f
}

func (f *siteFeed) lose(dev string) { f.lostStep[dev] = f.step }

func (f *siteFeed) back(dev string) {
	delete(f.lostStep, dev)
	delete(f.mute, dev)
	delete(f.p.dead, dev)
	f.reconnects[dev]++
}

func (f *siteFeed) run(n int) {
	for range n {
		ts := f.p.now
		var ups []Update
		for _, u := range f.p.updates() {
			if !f.mute[u.Target] {
				ups = append(ups, u)
			}
		}
		f.e.Observe(ups)
		for _, d := range f.devs {
			h := TargetHealth{Name: d, Connected: true, Since: f.p.start, Reconnects: uint64(f.reconnects[d])}
			lost, gone := f.lostStep[d]
			if !gone {
				f.lastHeard[d] = ts
			}
			h.LastUpdate = f.lastHeard[d]
			if gone && f.step-lost >= f.staleSteps {
				h.Connected, h.Since, h.LastError = false, h.LastUpdate, "connection refused"
			}
			f.e.ObserveTarget(h)
		}
		f.e.Tick(f.p.now)
		f.step++
	}
}

// litCable is the middle cable of a lit link of dev that no other link rides.
func litCable(t testing.TB, n *testNet, dev string) string {
	t.Helper()
	for i, l := range n.topo.Links {
		if !l.Up || l.External || n.budgets[i].Status == topology.BudgetFail || !strings.HasPrefix(l.A, dev+":") && !strings.HasPrefix(l.B, dev+":") {
			continue
		}
		c := l.Cables[len(l.Cables)/2]
		if sp, ok := n.topo.Span(c); ok && len(sp.Links) == 1 {
			return c
		}
	}
	t.Fatalf("no lit link of %s on a cable of its own", dev)
	return ""
}

// Site losses found by the targets as well as the links: a site root is
// named when all a site's devices are lost, even once the link alarms
// have long settled (target-unreachable rising after correlation.settle),
// and never while a link of the site is seen up from a live end.
func TestSiteLossTargets(t *testing.T) {
	const core = "saint-lo-dc"
	for _, tc := range []struct {
		name string
		net  func(testing.TB) *testNet
		// kill are devices powered off, mute devices whose management is
		// lost (their links stay up); cutOne cuts one lit link of the
		// first muted device once its target-unreachable is raised.
		kill, mute []string
		cutOne     bool
		// ductBefore is cut before the fault: its root is older than the
		// site's loss and must stay itself.
		ductBefore string
		staleSteps int // steps the collector still calls a lost target connected
		// wantRoot is the one root ("rule object") the fault must name,
		// its children every new link-down and target alarm; "": none.
		wantRoot    string
		wantTargets []string
	}{{
		name: "dead core site, its transit link seen only from it",
		net:  manche, kill: []string{"saint-lo-dc-r1"},
		wantRoot: "site-loss " + core, wantTargets: []string{"saint-lo-dc-r1"},
	}, {
		name: "dead core site, its stream half-open for 8 s (the transit stays 'up' until then)",
		net:  manche, kill: []string{"saint-lo-dc-r1"}, staleSteps: 8,
		wantRoot: "site-loss " + core, wantTargets: []string{"saint-lo-dc-r1"},
	}, {
		name: "dead core site holding a duct cut before",
		net:  manche, kill: []string{"saint-lo-dc-r1"}, ductBefore: "duct-saint-lo-dc-s",
		wantRoot: "site-loss " + core, wantTargets: []string{"saint-lo-dc-r1"},
	}, {
		name: "one router of a two-router site dead, the other alive",
		net:  mancheTwoRouters, kill: []string{"saint-lo-dc-r1"},
		wantTargets: []string{"saint-lo-dc-r1"},
	}, {
		name: "both routers of a two-router site dead",
		net:  mancheTwoRouters, kill: []string{"saint-lo-dc-r1", "saint-lo-dc-r2"},
		wantRoot: "site-loss " + core, wantTargets: []string{"saint-lo-dc-r1", "saint-lo-dc-r2"},
	}, {
		name: "target unreachable, its links up from the far end, one of them cut",
		net:  manche, mute: []string{"villedieu-les-poeles-pop-r1"}, cutOne: true,
		wantTargets: []string{"villedieu-les-poeles-pop-r1"},
	}, {
		name: "target unreachable, its links up from the far end",
		net:  manche, mute: []string{"saint-lo-dc-r1"},
		wantTargets: []string{"saint-lo-dc-r1"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.net(t)
			p := newPlant(n)
			p.interval = time.Second // target-unreachable (5 s) rises after the links settle (3 s)
			e := NewEngine(n.topo, n.budgets, EngineOptions{Rules: testRules(), Analysis: n.an, Clock: func() time.Time { return p.now }})
			f := newSiteFeed(p, e)
			f.staleSteps = tc.staleSteps
			ductRoot := AlarmID(sourceTelemetry, "duct", "duct", tc.ductBefore)
			if tc.ductBefore != "" {
				for _, g := range n.topo.SRLGs() {
					if g.Name == tc.ductBefore {
						for _, c := range g.Cables {
							p.cut[c] = true
						}
					}
				}
			}
			f.run(8)
			before := snapshotActive(e)
			if _, ok := before[ductRoot]; tc.ductBefore != "" && !ok {
				t.Fatalf("%s cut: no duct root", tc.ductBefore)
			}
			for _, d := range tc.kill {
				p.dead[d] = true
				f.lose(d)
			}
			for _, d := range tc.mute {
				f.mute[d] = true
				f.lose(d)
			}
			if tc.cutOne {
				f.run(7)
				if _, ok := activeAlarms(e, "target-unreachable")[tc.mute[0]]; !ok {
					t.Fatalf("%s muted 7 s: no target-unreachable", tc.mute[0])
				}
				p.cut[litCable(t, n, tc.mute[0])] = true
			}
			f.run(tc.staleSteps + 15)
			var roots, targets, links []string
			var root Alarm
			for _, a := range newSince(e, before) {
				switch {
				case isRoot(a):
					roots = append(roots, a.Rule+" "+a.Object)
					root = a
				case a.Rule == "target-unreachable":
					targets = append(targets, a.Object)
				case a.Rule == "link-down":
					links = append(links, a.ID)
				}
			}
			slices.Sort(targets)
			if !slices.Equal(targets, tc.wantTargets) {
				t.Errorf("target-unreachable on %v, want %v", targets, tc.wantTargets)
			}
			if tc.wantRoot == "" {
				if len(roots) != 0 {
					t.Fatalf("roots %v, want none", roots)
				}
			} else {
				if len(roots) != 1 || roots[0] != tc.wantRoot {
					t.Fatalf("roots %v, want %s", roots, tc.wantRoot)
				}
				want := slices.Clone(links)
				for _, d := range tc.wantTargets {
					want = append(want, AlarmID(sourceTelemetry, "target-unreachable", "target", d))
				}
				slices.Sort(want)
				if !slices.Equal(root.Children, want) {
					t.Errorf("children %v, want every new link-down and target alarm %v", root.Children, want)
				}
				cut, _ := n.an.Cut(topology.FailSite, core)
				if len(links) == 0 || len(links) > len(cut.LinksDown) {
					t.Errorf("%d link alarms, topology predicts %d", len(links), len(cut.LinksDown))
				}
				if !strings.Contains(root.Message, "devices unreachable") || root.Severity != SevCritical {
					t.Errorf("root %s %q", root.Severity, root.Message)
				}
				for _, id := range root.Children {
					if a := snapshotActive(e)[id]; a.Parent != root.ID {
						t.Errorf("%s: parent %q, want %s", id, a.Parent, root.ID)
					}
				}
			}
			if a, ok := snapshotActive(e)[ductRoot]; tc.ductBefore != "" && (!ok || !slices.Equal(a.Children, before[ductRoot].Children)) {
				t.Errorf("the duct cut before: root %+v, want it as it was %v", a, before[ductRoot].Children)
			}
			// Restore: every alarm the fault raised clears.
			for _, d := range append(slices.Clone(tc.kill), tc.mute...) {
				f.back(d)
			}
			clear(p.cut)
			f.run(4)
			if left := newSince(e, before); len(left) != 0 {
				t.Errorf("after restore %d alarms active, first %s %s", len(left), left[0].Rule, left[0].Object)
			}
		})
	}
}

// A collector restarting reads back the alarms it kept and finds its
// targets as it dials them; one taking longer than target-unreachable's
// raise_after while its links are up names no site.
func TestSiteLossCollectorRestart(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	p.interval = time.Second
	old := NewEngine(n.topo, n.budgets, EngineOptions{Rules: testRules(), Analysis: n.an, Clock: func() time.Time { return p.now }})
	newSiteFeed(p, old).run(8)
	kept := old.Alarms()
	e := NewEngine(n.topo, n.budgets, EngineOptions{Rules: testRules(), Analysis: n.an, Clock: func() time.Time { return p.now }})
	e.Restore(kept)
	f := newSiteFeed(p, e)
	const slow = "villedieu-les-poeles-pop-r1"
	for _, d := range f.devs {
		// Dialling: every target disconnected and silent at first.
		f.mute[d] = true
		f.lose(d)
	}
	f.run(1)
	for _, d := range f.devs {
		if d != slow {
			f.back(d)
		}
	}
	f.run(10)
	if a := activeAlarms(e, "target-unreachable"); len(a) != 1 || a[slow].ID == "" {
		t.Errorf("target-unreachable on %v, want %s only", sortedNames(a), slow)
	}
	f.back(slow)
	f.run(4)
	was := map[string]bool{}
	for _, a := range kept {
		if a.State == AlarmActive {
			was[a.ID] = true
		}
	}
	for _, a := range e.Alarms() {
		if a.State == AlarmActive && !was[a.ID] {
			t.Errorf("after the restart: %s %s active (%s), not kept before", a.Rule, a.Object, a.Message)
		}
		if a.State != AlarmActive && was[a.ID] && isRoot(a) {
			t.Errorf("root %s %s cleared by the restart", a.Rule, a.Object)
		}
	}
}

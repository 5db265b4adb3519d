package telemetry

import (
	"maps"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/topology"
)

// TestEngineShared splits examples/manche's devices between two engines
// as two collectors would: the standby one rates its devices' interfaces
// and raises nothing; the holder takes them through ObserveShared and
// decides over the whole network. A duct cut gives the holder the same
// alarms as one engine fed everything; taking the engine over from what
// the holder wrote (standby off, Restore) keeps them, same ids and raise
// times, and a holder going to standby forgets them.
func TestEngineShared(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	r := testRules()
	one := newMancheEngine(t, r, p)
	holder := newMancheEngine(t, r, p)
	other := newMancheEngine(t, r, p)
	other.SetStandby(true)
	devs := map[string]bool{}
	for _, l := range n.topo.Links {
		for _, end := range []string{l.A, l.B} {
			if dev, _, ok := strings.Cut(end, ":"); ok {
				devs[dev] = true
			}
		}
	}
	mine := map[string]bool{} // the other's devices: every second one
	for i, d := range sortedNames(devs) {
		if i%2 == 1 {
			mine[d] = true
		}
	}
	step := func() (Batch, Batch) {
		ups := p.updates()
		var hUps, oUps []Update
		for _, u := range ups {
			if mine[u.Target] {
				oUps = append(oUps, u)
			} else {
				hUps = append(hUps, u)
			}
		}
		one.Observe(ups)
		other.Observe(oUps)
		holder.Observe(hUps)
		ob := other.Tick(p.now)
		var shared []InterfaceState
		for _, s := range ob.Interfaces {
			if mine[s.Device] {
				shared = append(shared, s)
			}
		}
		holder.ObserveShared(shared, nil)
		one.Tick(p.now)
		return holder.Tick(p.now), ob
	}
	same := func(what string) {
		t.Helper()
		want, got := activeSet(one), activeSet(holder)
		if !maps.EqualFunc(want, got, func(a, b Alarm) bool { return a.Rule == b.Rule && a.Object == b.Object && a.Raised.Equal(b.Raised) }) {
			t.Errorf("%s: holder's active alarms %v, want %v (one engine fed everything)", what, sortedNames(got), sortedNames(want))
		}
		for i, l := range holder.Links() {
			if w := one.Links()[i]; l.Oper != w.Oper || l.HasRx != w.HasRx || l.A.InBps != w.A.InBps || l.B.InBps != w.B.InBps {
				t.Errorf("%s: link %s on the holder: oper %s rx %v in %.0f/%.0f, want %s %v %.0f/%.0f", what, l.ID, l.Oper, l.HasRx, l.A.InBps, l.B.InBps, w.Oper, w.HasRx, w.A.InBps, w.B.InBps)
				return
			}
		}
	}
	for range 40 {
		_, ob := step()
		if len(ob.Alarms) > 0 || len(ob.Links) > 0 {
			t.Fatalf("the standby engine returned %d alarms and %d links", len(ob.Alarms), len(ob.Links))
		}
		for _, c := range ob.Changes {
			if c.ObjectKind == "link" {
				t.Fatalf("the standby engine returned a link change %+v", c)
			}
		}
	}
	same("healthy")
	// The duct taking the most links down, across both engines' devices.
	var duct topology.SRLG
	most := 0
	for _, g := range n.topo.SRLGs() {
		f, _ := n.an.Cut(topology.FailSRLG, g.Name)
		if len(f.LinksDown) > most {
			duct, most = g, len(f.LinksDown)
		}
	}
	for _, c := range duct.Cables {
		p.cut[c] = true
	}
	for range 3 {
		step()
	}
	same("cut " + duct.Name)
	if _, ok := activeSet(holder)[AlarmID("telemetry", "duct", "duct", duct.Name)]; !ok {
		t.Fatalf("no duct alarm for %s on the holder: %v", duct.Name, sortedNames(activeSet(holder)))
	}
	// The other takes the engine over from what the holder wrote.
	written := holder.Alarms()
	other.SetStandby(false)
	other.Restore(written)
	holder.SetStandby(true)
	if got := holder.Alarms(); len(got) != 0 {
		t.Errorf("the engine gone to standby still lists %d alarms", len(got))
	}
	b := other.Tick(p.now)
	for _, a := range b.Alarms {
		t.Errorf("taking over changed alarm %s %s (%s)", a.Rule, a.Object, a.State)
	}
	before := activeSet(one)
	if got := activeSet(other); !maps.EqualFunc(before, got, func(a, b Alarm) bool { return a.Raised.Equal(b.Raised) }) {
		t.Errorf("after the takeover %v, want %v", sortedNames(got), sortedNames(before))
	}
}

func activeSet(e *Engine) map[string]Alarm {
	out := map[string]Alarm{}
	for _, a := range e.Alarms() {
		if a.State == AlarmActive {
			out[a.ID] = a
		}
	}
	return out
}

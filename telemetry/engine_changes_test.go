package telemetry

import (
	"testing"
	"time"
)

// Tick reports the transitions of targets, interfaces, BGP sessions and
// links, each at the device's time, once.
func TestStateChanges(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	e := newMancheEngine(t, testRules(), p)
	if ls := e.Links(); len(ls) != len(n.topo.Links) || ls[0].ID == "" || ls[0].Oper != "unknown" {
		t.Fatalf("links before any data: %d, first %+v; want every link, unknown", len(ls), ls[0])
	}
	const dev, nbr = "saint-lo-dc-r1", "10.255.0.2"
	e.ObserveTarget(TargetHealth{Name: dev, Connected: true, Since: p.now})
	sess := func(state string, at time.Time) {
		e.Observe([]Update{{Target: dev, Class: ClassBGP, Key: nbr, Leaf: "session-state", Str: state, Timestamp: at}})
	}
	sess("ESTABLISHED", p.now)
	var all []StateChange
	for range 2 {
		all = append(all, p.step(e).Changes...)
	}
	count := func(kind, obj, from, to string) int {
		k := 0
		for _, c := range all {
			if c.ObjectKind == kind && (obj == "" || c.Object == obj) && c.From == from && c.To == to {
				k++
			}
		}
		return k
	}
	if count("target", dev, "unknown", "up") != 1 || count("session", dev+" "+nbr, "unknown", "ESTABLISHED") != 1 {
		t.Errorf("first changes %+v: want the target up and the session established, once", all)
	}
	if got := count("link", "", "unknown", "up"); got < len(n.topo.Links)/2 {
		t.Errorf("%d links came up, want most of %d", got, len(n.topo.Links))
	}
	if got := count("interface", dev+":eth1", "unknown", "UP"); got != 1 {
		t.Errorf("interface %s:eth1 came up %d times, want once", dev, got)
	}
	all = nil
	down := p.now.Add(-2 * time.Second)
	sess("IDLE", down)
	e.ObserveTarget(TargetHealth{Name: dev, Connected: false, Since: down})
	all = append(all, e.Tick(p.now).Changes...)
	if count("session", dev+" "+nbr, "ESTABLISHED", "IDLE") != 1 || count("target", dev, "up", "down") != 1 {
		t.Errorf("changes %+v: want the session and the target down", all)
	}
	for _, c := range all {
		if c.ObjectKind == "session" && !c.Time.Equal(down) {
			t.Errorf("session change at %v, want the device's time %v", c.Time, down)
		}
	}
}

package telemetry

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/topology"
)

// A reload keeps the state of what still exists (rates, baselines,
// alarms) and clears the alarms of links the inventory no longer has.
func TestReload(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	e := newMancheEngine(t, testRules(), p)
	p.run(e, 4)
	const gone = "avranches-pop-r1:eth1 -- coutances-pop-r1:eth2"
	const kept = "avranches-pop-r1:eth2 -- villedieu-les-poeles-pop-r1:eth1"
	lg, _ := n.topo.Link(gone)
	lk, _ := n.topo.Link(kept)
	p.cut[lg.Cables[1]], p.cut[lk.Cables[1]] = true, true
	p.run(e, 2)
	if got := activeAlarms(e, "link-down"); len(got) < 2 {
		t.Fatalf("link-down alarms %v, want %s and %s", sortedNames(got), gone, kept)
	}
	keptID := activeAlarms(e, "link-down")[kept].ID
	// The inventory loses the cables of one link.
	snap, err := yamlstore.Open("../examples/manche").Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	snap.Cables = slices.DeleteFunc(snap.Cables, func(c inventory.Cable) bool {
		return slices.Contains(lg.Cables, c.Label) && !strings.HasPrefix(c.Label, "PC-")
	})
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	budgets, err := topology.Budgets(topo, topology.BudgetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := topo.Link(gone); ok {
		t.Fatal("the link is still in the new topology")
	}
	e.Reload(topo, budgets)
	b := e.Tick(p.now)
	var cleared bool
	for _, a := range b.Alarms {
		if a.Object == gone && a.State == AlarmCleared && strings.Contains(a.Message, "no longer in the inventory") {
			cleared = true
		}
	}
	if !cleared {
		t.Errorf("alarms of %s not cleared by the reload: %+v", gone, b.Alarms)
	}
	if a := activeAlarms(e, "link-down")[kept]; a.ID != keptID {
		t.Errorf("alarm of %s lost across the reload", kept)
	}
	var st LinkState
	for _, l := range e.Links() {
		if l.ID == gone {
			t.Errorf("%s still listed", gone)
		}
		if l.ID == "agon-coutainville-mediatheque-r1:eth1 -- coutances-pop-r1:eth6" {
			st = l
		}
	}
	if st.Oper != "up" || st.BaselineDBm == 0 || st.A.InBps == 0 {
		t.Errorf("kept link after reload: oper %s baseline %.2f rate %.0f, want its state kept", st.Oper, st.BaselineDBm, st.A.InBps)
	}
	// Rates go on from the same counters: no reset.
	delete(p.cut, lk.Cables[1])
	p.run(e, 2)
	for _, l := range e.Links() {
		if l.A.Resets != 0 || l.B.Resets != 0 {
			t.Errorf("%s: counter resets %d/%d after a reload", l.ID, l.A.Resets, l.B.Resets)
		}
	}
	if _, ok := activeAlarms(e, "link-down")[kept]; ok {
		t.Errorf("%s repaired but still alarmed", kept)
	}
}

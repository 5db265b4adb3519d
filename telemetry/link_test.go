package telemetry

import (
	"math"
	"testing"

	"github.com/tuyau-net/tuyau/topology"
)

// Healthy examples/manche as the lab runs it: both ends joined, traffic
// against the link speed, Rx power against the budget end by end.
func TestLinkStateManche(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	e := newMancheEngine(t, testRules(), p)
	p.run(e, 4)
	links := e.Links()
	if len(links) != len(n.topo.Links) {
		t.Fatalf("%d links, want %d", len(links), len(n.topo.Links))
	}
	budget := map[string]topology.LinkBudget{}
	for _, b := range n.budgets {
		budget[b.Link] = b
	}
	checked := 0
	for i, ls := range links {
		tl := n.topo.Links[i]
		b := budget[tl.ID]
		if ls.ID != tl.ID {
			t.Fatalf("link %d is %s, want %s", i, ls.ID, tl.ID)
		}
		wantUp := tl.Up && (b.Status != topology.BudgetFail)
		if got := ls.Oper == "up"; got != wantUp {
			t.Errorf("%s: oper %s, want up=%v (budget %s)", ls.ID, ls.Oper, wantUp, b.Status)
		}
		if !wantUp {
			continue
		}
		if ls.A.Device == "" || !tl.External && ls.B.Device == "" || tl.External && ls.B.Device != "" {
			t.Errorf("%s: ends %q and %q not joined", ls.ID, ls.A.Device, ls.B.Device)
		}
		if want := 1e9 / (float64(tl.Speed) * 1e6); !tl.External && math.Abs(ls.Utilization-want) > 1e-9 {
			t.Errorf("%s: utilization %v, want %v", ls.ID, ls.Utilization, want)
		}
		if !ls.HasBudget {
			continue
		}
		checked++
		// The lab launches at the middle of the Tx range, the budget at
		// its minimum: measured sits above expected by half the range, and
		// the loss is what was planned, so the worst-case margin is the
		// budget's.
		o, _ := n.topo.Optic(tl.ATransceiver)
		if tl.ATransceiver == tl.BTransceiver || tl.External {
			halfRange := math.Round((o.TxMaxDBm-o.TxMinDBm)/2*100) / 100
			if math.Abs(ls.DeviationDB-halfRange) > 0.02 {
				t.Errorf("%s: deviation %.2f dB, want %.2f (typical launch above worst case)", ls.ID, ls.DeviationDB, halfRange)
			}
			if math.Abs(ls.BudgetMarginDB-b.MarginDB) > 0.02 {
				t.Errorf("%s: budget margin %.2f, want the budget's %.2f", ls.ID, ls.BudgetMarginDB, b.MarginDB)
			}
		}
		if !tl.External && (math.Abs(ls.ExcessLossDB) > 0.02 || math.Abs(ls.WorstCaseMarginDB-ls.BudgetMarginDB) > 0.02) {
			t.Errorf("%s: excess loss %.2f, worst-case margin %.2f, want 0 and %.2f", ls.ID, ls.ExcessLossDB, ls.WorstCaseMarginDB, ls.BudgetMarginDB)
		}
		if ls.BaselineDBm != ls.MeasuredRxDBm || ls.DriftDB != 0 {
			t.Errorf("%s: baseline %.2f drift %.2f, want the steady power %.2f and no drift", ls.ID, ls.BaselineDBm, ls.DriftDB, ls.MeasuredRxDBm)
		}
	}
	if checked < len(links)/2 {
		t.Errorf("only %d of %d links had a budget to check", checked, len(links))
	}
	// A healthy network raises only what its budget already flags as dark.
	for _, a := range e.Alarms() {
		if a.State != AlarmActive {
			continue
		}
		if a.Rule != "link-down" && a.Rule != "rx-margin" {
			t.Errorf("healthy network: unexpected alarm %s on %s: %s", a.Rule, a.Object, a.Message)
			continue
		}
		if b := budget[a.Object]; b.Status != topology.BudgetFail {
			t.Errorf("healthy network: %s on %s, whose budget is %s", a.Rule, a.Object, b.Status)
		}
	}
}

// A fiber slowly losing power drifts from its baseline before it fails.
func TestRxDrift(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	e := newMancheEngine(t, testRules(), p)
	// The 10GBASE-ZR link from avranches to coutances has 9 dB of margin.
	const id = "avranches-pop-r1:eth1 -- coutances-pop-r1:eth2"
	l, _ := n.topo.Link(id)
	p.run(e, 4)
	for _, db := range []float64{0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4} {
		p.degrade[l.Cables[0]] = db
		p.run(e, 1)
	}
	p.run(e, 3)
	var ls LinkState
	for _, x := range e.Links() {
		if x.ID == id {
			ls = x
		}
	}
	if ls.Oper != "up" || math.Abs(ls.DriftDB+4) > 0.02 {
		t.Fatalf("%s: oper %s drift %.2f, want up and -4 dB", id, ls.Oper, ls.DriftDB)
	}
	if _, ok := activeAlarms(e, "rx-drift")[id]; !ok {
		t.Errorf("no rx-drift alarm on %s after 4 dB of drift", id)
	}
	if _, ok := activeAlarms(e, "rx-margin")[id]; ok {
		t.Errorf("rx-margin alarm on %s with 5 dB of margin left", id)
	}
	delete(p.degrade, l.Cables[0])
	p.run(e, 4)
	if _, ok := activeAlarms(e, "rx-drift")[id]; ok {
		t.Errorf("rx-drift alarm on %s did not clear after the repair", id)
	}
}

// A restarted engine keeps the baselines a sink kept: a fiber that lost
// 4 dB while the engine was down still shows its drift.
func TestRestoreLinks(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	e := newMancheEngine(t, testRules(), p)
	p.run(e, 4)
	const id = "avranches-pop-r1:eth1 -- coutances-pop-r1:eth2"
	l, _ := n.topo.Link(id)
	saved := e.Links()
	p.degrade[l.Cables[1]] = 4
	e2 := newMancheEngine(t, testRules(), p)
	e2.RestoreLinks(saved)
	p.run(e2, 4)
	for _, ls := range e2.Links() {
		if ls.ID != id {
			continue
		}
		if !ls.A.HasBaseline || math.Abs(ls.DriftDB+4) > 0.02 {
			t.Errorf("%s after restart: drift %.2f (baseline %.2f), want -4 against the restored baseline", id, ls.DriftDB, ls.BaselineDBm)
		}
	}
	if _, ok := activeAlarms(e2, "rx-drift")[id]; !ok {
		t.Errorf("no rx-drift on %s after the restart", id)
	}
}

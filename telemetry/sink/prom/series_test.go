package prom

import (
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/topology"
)

// TestCollectOrder: Collect sends every link and interface family's
// series already in the
// order the registry sorts them in (by label values, the pairs sorted by
// name), with each series' label pairs sorted by name, so that the
// registry's sort has nothing to move; and the registry gathers every
// series Collect sent.
func TestCollectOrder(t *testing.T) {
	for _, c := range []struct{ sites, ports int }{{12, 0}, {30, 8}} {
		snap, err := synth.Generate(synth.Options{Sites: c.sites, Seed: 3, InterfacesPerDevice: c.ports})
		if err != nil {
			t.Fatal(err)
		}
		p, err := telemetry.Plan(snap, telemetry.PlanOptions{}, topology.BudgetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		eng := telemetry.NewEngine(p.Topo, p.Budgets, telemetry.EngineOptions{})
		f := newFeeder(p, eng)
		f.round()
		f.round()
		x := New(eng, Options{NoRuntime: true})
		ch := make(chan prometheus.Metric, 1024)
		go func() { x.Collect(ch); close(ch) }()
		byDesc := map[*prometheus.Desc][]*dto.Metric{}
		var order []*prometheus.Desc
		for m := range ch {
			var d dto.Metric
			if err := m.Write(&d); err != nil {
				t.Fatal(err)
			}
			if _, ok := byDesc[m.Desc()]; !ok {
				order = append(order, m.Desc())
			}
			byDesc[m.Desc()] = append(byDesc[m.Desc()], &d)
		}
		d := x.d
		ordered := map[*prometheus.Desc]bool{}
		for _, desc := range []*prometheus.Desc{d.rxBytes, d.txBytes, d.rxPkts, d.txPkts, d.rxErrors, d.txErrors, d.rxDiscards, d.txDiscard,
			d.counterResets, d.ifOper, d.rxPower, d.txPower, d.ifUpdated,
			d.linkInfo, d.linkOper, d.utilization, d.speed, d.linkRx, d.expectedRx, d.sensitivity,
			d.rxMargin, d.deviation, d.budgetMargin, d.worstMargin, d.excessLoss, d.loss, d.drift} {
			ordered[desc] = true
		}
		sent, checked := 0, 0
		for _, desc := range order {
			ms := byDesc[desc]
			sent += len(ms)
			if !ordered[desc] {
				continue // targets, alarms, sinks: a few series each, sorted by the registry
			}
			checked++
			for i, m := range ms {
				if !slices.IsSortedFunc(m.Label, func(a, b *dto.LabelPair) int { return compareStr(a.GetName(), b.GetName()) }) {
					t.Fatalf("%s: series %d's label pairs not sorted by name: %v", desc, i, m.Label)
				}
				if i > 0 && !metricLess(ms[i-1], m) {
					t.Fatalf("%s: series %d (%v) sent after %v, which sorts after it", desc, i, m.Label, ms[i-1].Label)
				}
			}
		}
		if got := len(gather(t, x)); got != sent {
			t.Errorf("%d sites x %d ports: gathered %d series, Collect sent %d", c.sites, c.ports, got, sent)
		}
		if sent < 100 || checked < 20 {
			t.Errorf("%d sites x %d ports: only %d series, %d link and interface families", c.sites, c.ports, sent, checked)
		}
	}
}

// metricLess is client_golang's MetricSorter.Less without timestamps:
// strictly less, since no two series of a family have the same labels.
func metricLess(a, b *dto.Metric) bool {
	for i := range a.Label {
		if va, vb := a.Label[i].GetValue(), b.Label[i].GetValue(); va != vb {
			return va < vb
		}
	}
	return false
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestStateSortsLast: a state set's extra label goes after every other
// label of the families that have one, and its values are listed sorted.
func TestStateSortsLast(t *testing.T) {
	if !slices.IsSorted(operStates) {
		t.Errorf("operStates %v not sorted: a state set's series would go out of order", operStates)
	}
	for _, names := range [][]string{endLabels, linkLabels} {
		for _, n := range names {
			if n >= stateLabel {
				t.Errorf("label %q sorts after %q: withLast would break the order", n, stateLabel)
			}
		}
	}
}

package telemetry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/testlab"
	"github.com/tuyau-net/tuyau/topology"
)

// TestEngineLab runs the engine behind the real collector on a virtual
// lab: a duct cut with the lab's "cut --srlg" raises exactly the link
// alarms topology predicts plus one duct alarm, a restore clears them, and
// a 6 dB degradation raises rx-margin exactly where the budget margin is
// under 6 dB. The lab devices are reached over gNMI only, as in production.
func TestEngineLab(t *testing.T) {
	env := startLab(t, 12)
	topo, err := topology.Build(env.snap, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	budgets, err := topology.Budgets(topo, topology.BudgetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	an := topology.Analyze(topo)
	// The duct to cut: the one taking the most links down.
	var duct topology.Failure
	for _, g := range topo.SRLGs() {
		f, _ := an.Cut(topology.FailSRLG, g.Name)
		if len(f.LinksDown) > len(duct.LinksDown) {
			duct = f
		}
	}
	if len(duct.LinksDown) < 2 {
		t.Fatalf("the generated network has no duct carrying two links")
	}
	r := DefaultRules()
	r.LinkDown.ClearAfter = 0
	r.Optics.BaselineSamples = 3
	r.Correlation.Settle = Duration(2 * time.Second)
	eng := NewEngine(topo, budgets, EngineOptions{Rules: r, Analysis: an})
	p := env.planned(t, time.Second)
	runCollector(t, p, CollectorOptions{Engine: eng, Dial: env.dial(), Flush: 200 * time.Millisecond})

	activeSet := func() map[string]Alarm {
		out := map[string]Alarm{}
		for _, a := range eng.Alarms() {
			if a.State == AlarmActive {
				out[a.ID] = a
			}
		}
		return out
	}
	// Healthy: every link the budget does not call dark is up, with
	// baselines learned.
	waitFor(t, 60*time.Second, "every link up with its Rx baseline", func() (bool, string) {
		for i, l := range eng.Links() {
			if !topo.Links[i].Up || budgets[i].Status == topology.BudgetFail {
				continue
			}
			if l.Oper != "up" || l.HasBudget && l.HasRx && l.BaselineDBm == 0 {
				return false, fmt.Sprintf("%s: oper %s baseline %.2f", l.ID, l.Oper, l.BaselineDBm)
			}
		}
		return true, ""
	})
	// The links the budget calls dark went down at the start: let the
	// correlation settle on them before cutting, as a network running for
	// more than a few seconds has.
	time.Sleep(r.Correlation.Settle.D() + time.Second)
	before := activeSet()
	for _, a := range before {
		if a.Rule != "link-down" && a.Rule != "rx-margin" {
			t.Errorf("healthy lab: %s on %s: %s", a.Rule, a.Object, a.Message)
		}
	}
	ctx := context.Background()
	if _, err := env.lab.CutSRLG(ctx, duct.Name); err != nil {
		t.Fatal(err)
	}
	rootID := AlarmID("telemetry", "duct", "duct", duct.Name)
	// Links the budget calls dark are down before the cut already.
	var wantNew []string
	for _, l := range duct.LinksDown {
		if _, was := before[AlarmID("telemetry", "link-down", "link", l)]; !was {
			wantNew = append(wantNew, l)
		}
	}
	var got []string
	waitFor(t, 30*time.Second, "the link alarms of "+duct.Name+" and its root", func() (bool, string) {
		got = got[:0]
		now := activeSet()
		for id, a := range now {
			if _, was := before[id]; !was && a.Rule == "link-down" {
				got = append(got, a.Object)
			}
		}
		slices.Sort(got)
		root, ok := now[rootID]
		return ok && len(root.Children) == len(wantNew) && len(got) == len(wantNew),
			fmt.Sprintf("link alarms %v, root %v %q", got, ok, root.Message)
	})
	// Let the rest of the network report: nothing else may be raised.
	time.Sleep(3 * time.Second)
	var extra []string
	for id, a := range activeSet() {
		if _, was := before[id]; !was && a.Rule != "link-down" && id != rootID {
			extra = append(extra, a.Rule+" "+a.Object+": "+a.Message)
		}
	}
	if !slices.Equal(got, wantNew) || len(extra) > 0 {
		t.Errorf("cut --srlg %s: link alarms %v, want %v (topology cuts, less the links dark before); other new alarms %v", duct.Name, got, wantNew, extra)
	}
	root := activeSet()[rootID]
	if !slices.Equal(root.LoseHosting, duct.LoseHosting) || !strings.HasPrefix(root.Message, duct.Name+" suspected: ") {
		t.Errorf("root %q loses %v, want %v", root.Message, root.LoseHosting, duct.LoseHosting)
	}
	t.Logf("cut --srlg %s: %s", duct.Name, root.Message)

	if _, err := env.lab.Restore(ctx, testlab.Target{SRLG: duct.Name}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "every alarm of the cut cleared", func() (bool, string) {
		var left []string
		for id, a := range activeSet() {
			if _, was := before[id]; !was {
				left = append(left, a.Rule+" "+a.Object)
			}
		}
		return len(left) == 0, fmt.Sprint(left)
	})

	// Degrade by 6 dB the fiber of three links with less than 6 dB of
	// budget margin and of three with more.
	var low, high, cables []string
	for i, tl := range topo.Links {
		b := budgets[i]
		switch b.Status {
		case topology.BudgetOK, topology.BudgetLow, topology.BudgetOverload, topology.BudgetReach:
		default:
			continue
		}
		var fiber string
		for _, c := range tl.Cables {
			if sp, _ := topo.Span(c); sp.Km > 0 && len(sp.Links) == 1 {
				fiber = c
			}
		}
		switch {
		case fiber == "" || tl.External:
		case b.MarginDB < 6 && len(low) < 3:
			low, cables = append(low, tl.ID), append(cables, fiber)
		case b.MarginDB >= 6 && len(high) < 3:
			high, cables = append(high, tl.ID), append(cables, fiber)
		}
	}
	if len(low) == 0 || len(high) == 0 {
		t.Fatalf("links under 6 dB of margin %v, over %v: want some of both", low, high)
	}
	want := slices.Sorted(slices.Values(low))
	before = activeSet()
	for _, c := range cables {
		if _, err := env.lab.Degrade(ctx, c, 6); err != nil {
			t.Fatal(err)
		}
	}
	var margin []string
	check := func() (bool, string) {
		margin = margin[:0]
		for id, a := range activeSet() {
			if _, was := before[id]; !was && a.Rule == "rx-margin" {
				margin = append(margin, a.Object)
			}
		}
		slices.Sort(margin)
		return slices.Equal(margin, want), fmt.Sprintf("rx-margin on %v, want %v", margin, want)
	}
	waitFor(t, 30*time.Second, "rx-margin where the margin is under 6 dB", check)
	time.Sleep(4 * time.Second) // three more samples: nothing else may rise
	if ok, msg := check(); !ok {
		t.Errorf("degrade %v by 6 dB: %s", cables, msg)
	}
	t.Logf("degrade %v by 6 dB: rx-margin on %v, not on %v", cables, margin, high)
}

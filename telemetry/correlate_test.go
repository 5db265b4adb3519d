package telemetry

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/topology"
)

// snapshotActive returns the ids of the active alarms.
func snapshotActive(e *Engine) map[string]Alarm {
	out := map[string]Alarm{}
	for _, a := range e.Alarms() {
		if a.State == AlarmActive {
			out[a.ID] = a
		}
	}
	return out
}

// newSince returns the alarms active now that were not before.
func newSince(e *Engine, before map[string]Alarm) []Alarm {
	var out []Alarm
	for id, a := range snapshotActive(e) {
		if _, ok := before[id]; !ok {
			out = append(out, a)
		}
	}
	return out
}

func linkDownID(l string) string { return AlarmID("telemetry", "link-down", "link", l) }

func isRoot(a Alarm) bool { return a.Rule == "duct" || a.Rule == "cable" || a.Rule == "site-loss" }

// Cutting a duct raises exactly the link alarms "tuyau topology cuts
// --srlg D" predicts and one duct alarm naming D with the member sites it
// cuts off, its children those link alarms; restoring clears them all.
// Every shared-risk group of examples/manche, as the lab's "cut --srlg" does.
func TestCutSRLGManche(t *testing.T) {
	n := manche(t)
	sameSet := map[string][]string{} // sorted links down -> SRLGs predicting exactly them
	for _, g := range n.topo.SRLGs() {
		f, err := n.an.Cut(topology.FailSRLG, g.Name)
		if err != nil {
			t.Fatal(err)
		}
		k := strings.Join(f.LinksDown, "|")
		sameSet[k] = append(sameSet[k], g.Name)
	}
	rooted := 0
	for _, g := range n.topo.SRLGs() {
		t.Run(g.Name, func(t *testing.T) {
			want, _ := n.an.Cut(topology.FailSRLG, g.Name)
			p := newPlant(n)
			e := newMancheEngine(t, testRules(), p)
			p.run(e, 4)
			before := snapshotActive(e)
			for _, c := range g.Cables {
				p.cut[c] = true
			}
			var changes []StateChange
			for range 3 {
				changes = append(changes, p.step(e).Changes...)
			}
			var links, roots []Alarm
			for _, a := range newSince(e, before) {
				switch {
				case a.Rule == "link-down":
					links = append(links, a)
				case isRoot(a):
					roots = append(roots, a)
				default:
					t.Errorf("unexpected alarm %s on %s: %s", a.Rule, a.Object, a.Message)
				}
			}
			var got []string
			for _, a := range links {
				got = append(got, a.Object)
			}
			slices.Sort(got)
			var wantNew []string
			for _, l := range want.LinksDown {
				if _, was := before[linkDownID(l)]; !was {
					wantNew = append(wantNew, l)
				}
			}
			if !slices.Equal(got, wantNew) {
				t.Fatalf("link alarms %v, want %v (topology cuts --srlg %s)", got, wantNew, g.Name)
			}
			if len(want.LinksDown) < 2 {
				if len(roots) != 0 {
					t.Errorf("one link down: root %s %s, want none", roots[0].Rule, roots[0].Object)
				}
				return
			}
			rooted++
			if len(roots) != 1 || roots[0].Rule != "duct" || roots[0].ObjectKind != "duct" {
				t.Fatalf("roots %+v, want one duct alarm", roots)
			}
			r := roots[0]
			if alike := sameSet[strings.Join(want.LinksDown, "|")]; !slices.Contains(alike, r.Object) {
				t.Errorf("root names %s, want %s (or a duct predicting the same links: %v)", r.Object, g.Name, alike)
			} else if r.Object != g.Name {
				want, _ = n.an.Cut(topology.FailSRLG, r.Object)
			}
			var kids []string
			for _, l := range want.LinksDown {
				if _, was := before[linkDownID(l)]; !was {
					kids = append(kids, linkDownID(l)) // a link dark before is not the cut's
				}
			}
			slices.Sort(kids)
			if !slices.Equal(r.Children, kids) {
				t.Errorf("children %v, want the link alarms %v", r.Children, kids)
			}
			if !slices.Equal(r.LoseHosting, want.LoseHosting) || len(r.LoseOneCore) != len(want.LoseCoreA)+len(want.LoseCoreB) {
				t.Errorf("root loses hosting %v one core %v, want %v and %v%v", r.LoseHosting, r.LoseOneCore, want.LoseHosting, want.LoseCoreA, want.LoseCoreB)
			}
			if wantSev := map[bool]Severity{true: SevCritical, false: SevMajor}[len(want.LoseHosting) > 0]; r.Severity != wantSev {
				t.Errorf("severity %s, want %s", r.Severity, wantSev)
			}
			if !strings.HasPrefix(r.Message, r.Object+" suspected: ") || !slices.Equal(r.Ducts, []string{r.Object}) {
				t.Errorf("message %q ducts %v", r.Message, r.Ducts)
			}
			for _, a := range links {
				if a.Parent != r.ID {
					t.Errorf("%s: parent %q, want %s", a.Object, a.Parent, r.ID)
				}
			}
			for _, c := range changes {
				if c.ObjectKind == "link" && c.To == "down" && c.Cause != r.ID {
					t.Errorf("state change of %s: cause %q, want the root %s", c.Object, c.Cause, r.ID)
				}
			}
			// Restore: every alarm the cut raised clears.
			clear(p.cut)
			p.run(e, 3)
			if left := newSince(e, before); len(left) != 0 {
				t.Errorf("after restore %d alarms still active, first %s on %s", len(left), left[0].Rule, left[0].Object)
			}
		})
	}
	if rooted < 20 {
		t.Errorf("only %d shared-risk groups took several links down", rooted)
	}
}

// A 6 dB degradation of a cable raises the Rx-margin alarm on the links
// riding it whose budget margin is under 6 dB, and nowhere else.
func TestDegradeManche(t *testing.T) {
	n := manche(t)
	budget := map[string]topology.LinkBudget{}
	for _, b := range n.budgets {
		budget[b.Link] = b
	}
	tried, raised := 0, 0
	for _, sp := range n.topo.Physical.Spans {
		if len(sp.Links) == 0 || !strings.HasPrefix(sp.Cable, "FO-") {
			continue
		}
		tried++
		t.Run(sp.Cable, func(t *testing.T) {
			p := newPlant(n)
			e := newMancheEngine(t, testRules(), p)
			p.run(e, 4)
			before := snapshotActive(e)
			p.degrade[sp.Cable] = 6
			p.run(e, 4)
			var got, want []string
			for _, a := range newSince(e, before) {
				if a.Rule == "rx-margin" {
					got = append(got, a.Object)
				}
			}
			for _, l := range sp.Links {
				b := budget[l]
				if _, was := before[AlarmID("telemetry", "rx-margin", "link", l)]; was || b.MarginDB >= 6 {
					continue
				}
				switch b.Status {
				case topology.BudgetOK, topology.BudgetLow, topology.BudgetOverload, topology.BudgetReach:
					want = append(want, l)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("rx-margin alarms %v, want %v", got, want)
			}
			raised += len(got)
		})
	}
	if tried < 50 || raised < 20 {
		t.Errorf("%d cables tried, %d alarms raised: the table does not cover the network", tried, raised)
	}
}

// A site whose device stops answering and whose links all go dark is named
// as a site loss, its link and target alarms its children.
func TestSiteLossDark(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	e := newMancheEngine(t, testRules(), p)
	const site, dev = "villedieu-les-poeles-pop", "villedieu-les-poeles-pop-r1"
	for _, d := range []string{dev, "avranches-pop-r1"} {
		e.ObserveTarget(TargetHealth{Name: d, Connected: true, Since: p.now})
	}
	p.run(e, 4)
	before := snapshotActive(e)
	p.dead[dev] = true
	e.ObserveTarget(TargetHealth{Name: dev, Connected: false, Since: p.now, LastError: "connection refused"})
	p.run(e, 3)
	want, _ := n.an.Cut(topology.FailSite, site)
	var roots []Alarm
	links := 0
	for _, a := range newSince(e, before) {
		switch {
		case isRoot(a):
			roots = append(roots, a)
		case a.Rule == "link-down":
			links++
		}
	}
	if len(roots) != 1 || roots[0].Rule != "site-loss" || roots[0].Object != site || roots[0].Severity != SevCritical {
		t.Fatalf("roots %+v, want site-loss of %s", roots, site)
	}
	r := roots[0]
	if links != len(want.LinksDown) || len(r.Children) != links+1 || !slices.Contains(r.Children, AlarmID("telemetry", "target-unreachable", "target", dev)) {
		t.Errorf("%d link alarms, children %v: want the %d links down and the target", links, r.Children, len(want.LinksDown))
	}
	if !strings.HasPrefix(r.Message, "site "+site+" lost: ") || !strings.Contains(r.Message, "1 of 1 devices unreachable") {
		t.Errorf("message %q", r.Message)
	}
	delete(p.dead, dev)
	e.ObserveTarget(TargetHealth{Name: dev, Connected: true, Since: p.now, Reconnects: 1})
	p.run(e, 3)
	if left := newSince(e, before); len(left) != 0 {
		t.Errorf("after restore %d alarms active, first %s %s", len(left), left[0].Rule, left[0].Object)
	}
}

// A member site cut off by two cuts in different ducts, its device still
// answering: no duct or cable explains both, the site does.
func TestSiteCutOff(t *testing.T) {
	n := manche(t)
	var site string
	var links []string
	for _, s := range n.topo.Sites {
		f, _ := n.an.Cut(topology.FailSite, s.Slug)
		if len(f.LinksDown) != 2 || s.Role != "member" {
			continue
		}
		// No duct or cable predicts a subset of these two links with both.
		shared := false
		for _, g := range n.topo.SRLGs() {
			fg, _ := n.an.Cut(topology.FailSRLG, g.Name)
			if len(fg.LinksDown) >= 2 && slices.Contains(fg.LinksDown, f.LinksDown[0]) && slices.Contains(fg.LinksDown, f.LinksDown[1]) {
				shared = true
			}
		}
		if !shared {
			site, links = s.Slug, f.LinksDown
			break
		}
	}
	if site == "" {
		t.Fatal("no dual-homed member site with its two links in different ducts")
	}
	p := newPlant(n)
	e := newMancheEngine(t, testRules(), p)
	p.run(e, 4)
	before := snapshotActive(e)
	for _, id := range links {
		l, _ := n.topo.Link(id)
		p.cut[l.Cables[len(l.Cables)/2]] = true
	}
	p.run(e, 3)
	var roots []Alarm
	for _, a := range newSince(e, before) {
		if isRoot(a) {
			roots = append(roots, a)
		}
	}
	if len(roots) != 1 || roots[0].Rule != "site-loss" || roots[0].Object != site || len(roots[0].Children) != 2 {
		t.Fatalf("roots %+v, want the loss of %s with its 2 links", roots, site)
	}
}

// A duct repaired cable by cable keeps its root alarm until the last link
// is back; two links of a duct down while its others are up name no duct.
func TestRootLifecycle(t *testing.T) {
	n := manche(t)
	const duct = "duct-villedieu-les-poeles-pop-s"
	var cables []string
	for _, g := range n.topo.SRLGs() {
		if g.Name == duct {
			cables = g.Cables
		}
	}
	p := newPlant(n)
	e := newMancheEngine(t, testRules(), p)
	p.run(e, 4)
	before := snapshotActive(e)
	for _, c := range cables {
		p.cut[c] = true
	}
	p.run(e, 3)
	rootID := AlarmID("telemetry", "duct", "duct", duct)
	if a := snapshotActive(e)[rootID]; len(a.Children) != 4 || !strings.Contains(a.Message, "4 links down") {
		t.Fatalf("duct root %+v, want 4 children", a)
	}
	delete(p.cut, cables[0])
	delete(p.cut, cables[1])
	p.run(e, 3)
	a, ok := snapshotActive(e)[rootID]
	if !ok || len(a.Children) != 2 || !strings.Contains(a.Message, "2 links down") {
		t.Fatalf("half repaired: root %+v, want it active with 2 children", a)
	}
	clear(p.cut)
	p.run(e, 3)
	if left := newSince(e, before); len(left) != 0 {
		t.Fatalf("repaired: %d alarms active", len(left))
	}
	// Two of the four cables cut: the duct is contradicted by its links
	// still up, and each cable explains a single link.
	p.cut[cables[0]], p.cut[cables[1]] = true, true
	p.run(e, 3)
	for _, a := range newSince(e, before) {
		if isRoot(a) {
			t.Errorf("partial cut: root %s %s: %s", a.Rule, a.Object, a.Message)
		}
	}
	// Settle: roots wait until the link-down alarms stop moving.
	clear(p.cut)
	p.run(e, 3)
	p.interval = time.Second
	for _, c := range cables {
		p.cut[c] = true
	}
	p.step(e)
	if _, ok := snapshotActive(e)[rootID]; ok {
		t.Error("root named in the same second the links went down")
	}
	p.run(e, 4)
	if _, ok := snapshotActive(e)[rootID]; !ok {
		t.Error("root not named once the link alarms settled")
	}
}

package topology

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/tuyau-net/tuyau/inventory/synth"
)

func TestCutsHandNetwork(t *testing.T) {
	a := Analyze(mustBuild(t, handNet(t, ringSites, ringCables)))
	tests := []struct {
		kind                  FailureKind
		name                  string
		hosting, onlyA, onlyB []string
		down                  int
	}{
		// C1 is on the a-p1-p2-b ring: every site keeps both cores.
		{FailCable, "C1", nil, nil, nil, 1},
		{FailCable, "C5", []string{"m4"}, nil, nil, 1},
		{FailCable, "C6", []string{"m1"}, nil, nil, 1},
		{FailCable, "C7", nil, nil, nil, 1},
		// m2's two uplinks share a duct.
		{FailSRLG, "duct-m2", []string{"m2"}, nil, nil, 2},
		{FailSRLG, "duct-m3-w", nil, nil, nil, 1},
		// a loses its two cables: every member keeps b only.
		{FailSRLG, "duct-a-out", nil, []string{"m1", "m2", "m3", "m4"}, nil, 2},
		// p2 and p3 are cut off; m2 and m3 are dual-homed through p2 but
		// carry no traffic for p2, so m4 loses the hosting.
		{FailSRLG, "trench-d7", []string{"m4"}, nil, nil, 2},
		{FailSite, "p2", []string{"m4"}, nil, nil, 5},
		{FailSite, "p1", []string{"m1"}, nil, nil, 4},
		{FailSite, "a", nil, []string{"m1", "m2", "m3", "m4"}, nil, 2},
		{FailSite, "b", nil, nil, []string{"m1", "m2", "m3", "m4"}, 3},
		{FailSite, "m1", nil, nil, nil, 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.name, func(t *testing.T) {
			f, err := a.Cut(tt.kind, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.LoseHosting, tt.hosting) || !slices.Equal(f.LoseCoreA, tt.onlyA) || !slices.Equal(f.LoseCoreB, tt.onlyB) {
				t.Errorf("Cut(%s %s) loses hosting %v, core A %v, core B %v; want %v, %v, %v",
					tt.kind, tt.name, f.LoseHosting, f.LoseCoreA, f.LoseCoreB, tt.hosting, tt.onlyA, tt.onlyB)
			}
			if len(f.LinksDown) != tt.down {
				t.Errorf("Cut(%s %s) takes %d links down %v, want %d", tt.kind, tt.name, len(f.LinksDown), f.LinksDown, tt.down)
			}
		})
	}
	if _, err := a.Cut(FailCable, "C99"); err == nil {
		t.Error("Cut(cable C99) succeeded on a network without it")
	}
}

func TestCutsRanked(t *testing.T) {
	a := Analyze(mustBuild(t, handNet(t, ringSites, ringCables)))
	got := a.Cuts(CutOptions{})
	if len(got) == 0 {
		t.Fatal("no cut breaks anything in the ring network")
	}
	for i := 1; i < len(got); i++ {
		p, c := got[i-1], got[i]
		if len(c.LoseHosting) > len(p.LoseHosting) {
			t.Errorf("%s %s (%d lose hosting) ranked after %s %s (%d)", c.Kind, c.Name, len(c.LoseHosting), p.Kind, p.Name, len(p.LoseHosting))
		}
	}
	for _, f := range got {
		if f.Impact() == 0 {
			t.Errorf("%s %s breaks nothing but is listed without Everything", f.Kind, f.Name)
		}
	}
}

// TestCutsAgainstSearch checks every failure against a plain graph search
// after the failure, on the example network and generated ones with and
// without patch panels.
func TestCutsAgainstSearch(t *testing.T) {
	nets := map[string]func(testing.TB) *Topology{
		"manche": func(t testing.TB) *Topology { return mustBuild(t, loadManche(t)) },
		"hand":   func(t testing.TB) *Topology { return mustBuild(t, handNet(t, ringSites, ringCables)) },
		"synth-300-panels": func(t testing.TB) *Topology {
			return mustBuild(t, synthNet(t, synth.Options{Sites: 300, Seed: 3}))
		},
		// One trench carries 40 backbone cables: more pieces than the
		// labels sort out, so the exact recomputation answers.
		"synth-300-trench": func(t testing.TB) *Topology {
			s := synthNet(t, synth.Options{Sites: 300, Seed: 8, NoPanels: true})
			n := 0
			for i := range s.Cables {
				if s.Cables[i].Strands == 48 && n < 40 && i%2 == 0 {
					s.Cables[i].SRLGs = append(s.Cables[i].SRLGs, "big-trench")
					n++
				}
			}
			return mustBuild(t, s)
		},
		"synth-400-flat-sparse": func(t testing.TB) *Topology {
			return mustBuild(t, synthNet(t, synth.Options{Sites: 400, Seed: 5, NoPanels: true, DualHomed: 0.3, POPRatio: 3}))
		},
	}
	for name, mk := range nets {
		t.Run(name, func(t *testing.T) {
			top := mk(t)
			a := Analyze(top)
			fs := a.Cuts(CutOptions{Everything: true})
			if len(fs) < len(top.Sites) {
				t.Fatalf("only %d failures for %d sites", len(fs), len(top.Sites))
			}
			ref := newSearchRef(top)
			lost := 0
			for _, f := range fs {
				want := ref.cut(f)
				got := [3][]string{f.LoseHosting, f.LoseCoreA, f.LoseCoreB}
				if !reflect.DeepEqual(norm(got), norm(want)) {
					t.Errorf("%s %s: got hosting/A/B %v, search says %v", f.Kind, f.Name, got, want)
				}
				lost += f.Impact()
			}
			if lost == 0 {
				t.Error("no failure cuts any member off: the comparison tested nothing")
			}
		})
	}
}

func norm(x [3][]string) [3][]string {
	for i := range x {
		if len(x[i]) == 0 {
			x[i] = nil
		}
	}
	return x
}

// searchRef answers a failure the slow, obvious way: remove the links, run
// a breadth-first search from each core over the backbone, then look at
// each member's surviving uplinks.
type searchRef struct {
	t      *Topology
	member map[string]bool
}

func newSearchRef(t *Topology) *searchRef {
	r := &searchRef{t: t, member: map[string]bool{}}
	for _, s := range t.Sites {
		r.member[s.Slug] = s.Role == "member"
	}
	return r
}

func (r *searchRef) reach(down map[string]bool, deadSite string) (a, b map[string]bool) {
	adj := map[string][]string{}
	for _, l := range r.t.Links {
		if !l.Up || l.External || down[l.ID] || l.ASite == l.BSite || r.member[l.ASite] || r.member[l.BSite] {
			continue
		}
		if l.ASite == deadSite || l.BSite == deadSite {
			continue
		}
		adj[l.ASite] = append(adj[l.ASite], l.BSite)
		adj[l.BSite] = append(adj[l.BSite], l.ASite)
	}
	bfs := func(src string) map[string]bool {
		seen := map[string]bool{}
		if src == deadSite {
			return seen
		}
		q := []string{src}
		seen[src] = true
		for len(q) > 0 {
			v := q[0]
			q = q[1:]
			for _, w := range adj[v] {
				if !seen[w] {
					seen[w] = true
					q = append(q, w)
				}
			}
		}
		return seen
	}
	return bfs(r.t.CoreA), bfs(r.t.CoreB)
}

func (r *searchRef) memberReach(down map[string]bool, deadSite string) map[string][2]bool {
	ra, rb := r.reach(down, deadSite)
	out := map[string][2]bool{}
	// homed members have an up link to a backbone site, whatever failed.
	homed := map[string]bool{}
	memberAdj := map[string][]string{}
	for _, l := range r.t.Links {
		if !l.Up || l.External || l.ASite == l.BSite {
			continue
		}
		switch ma, mb := r.member[l.ASite], r.member[l.BSite]; {
		case ma && !mb:
			homed[l.ASite] = true
		case mb && !ma:
			homed[l.BSite] = true
		case ma && mb && !down[l.ID] && l.ASite != deadSite && l.BSite != deadSite:
			memberAdj[l.ASite] = append(memberAdj[l.ASite], l.BSite)
			memberAdj[l.BSite] = append(memberAdj[l.BSite], l.ASite)
		}
	}
	for _, l := range r.t.Links {
		if !l.Up || l.External || down[l.ID] || l.ASite == deadSite || l.BSite == deadSite {
			continue
		}
		m, p := l.ASite, l.BSite
		if r.member[p] {
			m, p = p, m
		}
		if !r.member[m] || r.member[p] {
			continue
		}
		cur := out[m]
		out[m] = [2]bool{cur[0] || ra[p], cur[1] || rb[p]}
	}
	// A member without uplinks reaches what the homed members it is linked
	// to reach, through other members without uplinks.
	for _, s := range r.t.Sites {
		if !r.member[s.Slug] || homed[s.Slug] || s.Slug == deadSite {
			continue
		}
		seen := map[string]bool{s.Slug: true}
		q := []string{s.Slug}
		var got [2]bool
		for len(q) > 0 {
			v := q[0]
			q = q[1:]
			for _, w := range memberAdj[v] {
				if homed[w] {
					got[0], got[1] = got[0] || out[w][0], got[1] || out[w][1]
				} else if !seen[w] {
					seen[w] = true
					q = append(q, w)
				}
			}
		}
		if got[0] || got[1] {
			out[s.Slug] = got
		}
	}
	return out
}

func (r *searchRef) cut(f Failure) [3][]string {
	down := map[string]bool{}
	for _, id := range f.LinksDown {
		down[id] = true
	}
	dead := ""
	if f.Kind == FailSite {
		dead = f.Name
	}
	before := r.memberReach(nil, "")
	after := r.memberReach(down, dead)
	var out [3][]string
	for _, s := range r.t.Sites {
		if !r.member[s.Slug] || s.Slug == dead {
			continue
		}
		b, a := before[s.Slug], after[s.Slug]
		switch {
		case (b[0] || b[1]) && !a[0] && !a[1]:
			out[0] = append(out[0], s.Slug)
		case b[0] && !a[0]:
			out[1] = append(out[1], s.Slug)
		case b[1] && !a[1]:
			out[2] = append(out[2], s.Slug)
		}
	}
	return out
}

func TestCutsIndependentOfInputOrder(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			s := synthNet(t, synth.Options{Sites: 200, Seed: 9})
			want := Analyze(mustBuild(t, s)).Cuts(CutOptions{Everything: true})
			got := Analyze(mustBuild(t, shuffled(s, seed))).Cuts(CutOptions{Everything: true})
			if !reflect.DeepEqual(got, want) {
				for i := range min(len(got), len(want)) {
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Fatalf("shuffled input: failure %d is %+v, want %+v", i, got[i], want[i])
					}
				}
				t.Fatalf("shuffled input: %d failures, want %d", len(got), len(want))
			}
		})
	}
}

// TestNonBridgeCutChangesNothing: removing a backbone link that is not a
// bridge leaves every site reaching what it reached.
func TestNonBridgeCutChangesNothing(t *testing.T) {
	top := mustBuild(t, synthNet(t, synth.Options{Sites: 300, Seed: 4, NoPanels: true}))
	a := Analyze(top)
	ref := newSearchRef(top)
	before := ref.memberReach(nil, "")
	checked := 0
	for e := range a.f.eu {
		if a.f.uplink[e] || a.f.isBridge(int32(e)) {
			continue
		}
		l := top.Links[a.f.edgeOf[e]]
		after := ref.memberReach(map[string]bool{l.ID: true}, "")
		if !reflect.DeepEqual(after, before) {
			t.Errorf("cutting non-bridge link %s changed reachability", l.ID)
		}
		f, err := a.Cut(FailCable, l.Cables[0])
		if err != nil {
			t.Fatal(err)
		}
		if f.Impact() != 0 {
			t.Errorf("cutting %s (non-bridge link %s) loses %d member sites", l.Cables[0], l.ID, f.Impact())
		}
		checked++
	}
	if checked < 50 {
		t.Fatalf("only %d non-bridge links checked", checked)
	}
}

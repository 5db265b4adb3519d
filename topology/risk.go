package topology

import (
	"cmp"
	"slices"
	"strings"
)

// MemberRisk says how well a member site is homed on the two core sites.
type MemberRisk struct {
	Site string `json:"site"`
	// Uplinks are the member's up links to backbone sites.
	Uplinks int `json:"uplinks"`
	// FiberPathsA/B count paths to core A/B that share no routed link (and,
	// when no two links share a cable, no cable): exact, by maximum flow.
	FiberPathsA int `json:"fiber_paths_a"`
	FiberPathsB int `json:"fiber_paths_b"`
	// SRLGPathsA/B count paths that share no shared-risk group and no
	// cable, found greedily shortest first: a lower bound, since the exact
	// count is NP-hard in general.
	SRLGPathsA int `json:"srlg_paths_a"`
	SRLGPathsB int `json:"srlg_paths_b"`
	// SPOFs are the single failures ("cable FO-12", "srlg duct-x",
	// "site p3") after which the site reaches neither core.
	SPOFs []string `json:"spofs"`
	// Via are the member sites it is fed through when it has no uplink of
	// its own (a school behind a town hall), in slug order.
	Via []string `json:"via,omitempty"`
	// Isolated is true when the site reaches no core site even with every
	// link up: it has lost the hosting before any failure.
	Isolated bool `json:"isolated,omitempty"`
}

// Risk is the resilience report of a network.
type Risk struct {
	CoreA   string       `json:"core_a"`
	CoreB   string       `json:"core_b"`
	Members []MemberRisk `json:"members"`
	// Bridges are the backbone links whose loss splits the backbone;
	// Articulations the backbone sites whose loss does.
	Bridges       []string `json:"bridges"`
	Articulations []string `json:"articulations"`
	// Isolated are the member sites that reach no core site even with
	// every link up, with why.
	Isolated []IsolatedSite `json:"isolated"`
}

// Risk computes, for every member site, its disjoint paths to both cores
// and the single failures that cut it off, plus the backbone's bridges and
// articulation points. Members are listed most exposed first.
func (a *Analysis) Risk() Risk {
	t, f := a.t, a.f
	r := Risk{CoreA: t.CoreA, CoreB: t.CoreB, Bridges: []string{}, Articulations: []string{}, Isolated: a.Isolated()}
	spofs := map[string][]string{}
	for _, fl := range a.Cuts(CutOptions{}) {
		for _, m := range fl.LoseHosting {
			spofs[m] = append(spofs[m], string(fl.Kind)+" "+fl.Name)
		}
	}
	for e := range f.eu {
		if !f.offBackbone(int32(e)) && f.isBridge(int32(e)) {
			r.Bridges = append(r.Bridges, t.Links[f.edgeOf[e]].ID)
		}
	}
	for v := range f.n {
		if !f.isMember[v] && f.articulation(int32(v)) {
			r.Articulations = append(r.Articulations, t.Sites[v].Slug)
		}
	}
	slices.Sort(r.Bridges)
	fl := newFlow(a)
	for v, s := range t.Sites {
		if !f.isMember[v] {
			continue
		}
		m := int32(v)
		mr := MemberRisk{Site: s.Slug, Uplinks: int(f.upOff[v+1] - f.upOff[v]), Via: a.via(m), Isolated: a.base[m] == 0, SPOFs: spofs[s.Slug]}
		if mr.SPOFs == nil {
			mr.SPOFs = []string{}
		}
		// Sites and ducts first: they are what an engineer can act on before
		// the patch cords.
		slices.SortFunc(mr.SPOFs, func(x, y string) int {
			return cmp.Or(cmp.Compare(spofRank(x), spofRank(y)), cmp.Compare(x, y))
		})
		mr.FiberPathsA = fl.maxFlow(m, a.coreA)
		mr.FiberPathsB = fl.maxFlow(m, a.coreB)
		mr.SRLGPathsA = fl.greedyDisjoint(m, a.coreA)
		mr.SRLGPathsB = fl.greedyDisjoint(m, a.coreB)
		r.Members = append(r.Members, mr)
	}
	slices.SortStableFunc(r.Members, func(x, y MemberRisk) int {
		return cmp.Or(
			cmp.Compare(len(y.SPOFs), len(x.SPOFs)),
			cmp.Compare(min(x.SRLGPathsA, x.SRLGPathsB), min(y.SRLGPathsA, y.SRLGPathsB)),
			cmp.Compare(min(x.FiberPathsA, x.FiberPathsB), min(y.FiberPathsA, y.FiberPathsB)),
			cmp.Compare(x.Site, y.Site))
	})
	if r.Members == nil {
		r.Members = []MemberRisk{}
	}
	return r
}

func spofRank(s string) int {
	switch {
	case strings.HasPrefix(s, "site "):
		return 0
	case strings.HasPrefix(s, "srlg "):
		return 1
	}
	return 2
}

// flow finds edge-disjoint paths from one member site over its own
// uplinks and the backbone. Counts are bounded by the member's uplinks,
// so a few breadth-first searches of the backbone answer each question.
type flow struct {
	a     *Analysis
	used  []int8 // per edge: flow direction, +1 from eu to ev, -1 back, 0 none
	dead  []bool // per edge: excluded by the greedy SRLG search
	prevE []int32
	seen  []int32
	stamp int32
	queue []int32
	// byRisk lists the edges riding each cable ("cable X") and each
	// shared-risk group.
	byRisk map[string][]int32
}

func newFlow(a *Analysis) *flow {
	fl := &flow{a: a, used: make([]int8, len(a.f.eu)), dead: make([]bool, len(a.f.eu)),
		prevE: make([]int32, a.f.n), seen: make([]int32, a.f.n), byRisk: map[string][]int32{}}
	for e, li := range a.f.edgeOf {
		for _, r := range linkRisks(a.t.Links[li]) {
			fl.byRisk[r] = append(fl.byRisk[r], int32(e))
		}
	}
	return fl
}

// linkRisks names what a link can fail with: each of its cables and each
// of its shared-risk groups.
func linkRisks(l Link) []string {
	rs := make([]string, 0, len(l.Cables)+len(l.SRLGs))
	for _, c := range l.Cables {
		rs = append(rs, "cable "+c)
	}
	return append(rs, l.SRLGs...)
}

// neighbours calls fn for each edge at v: backbone edges, uplinks and
// member links. Which of them a path may take is forwardOK's business.
func (fl *flow) neighbours(v int32, fn func(e int32)) {
	f := fl.a.f
	for i := f.adjOff[v]; i < f.adjOff[v+1]; i++ {
		fn(f.adjE[i])
	}
	for i := f.upOff[v]; i < f.upOff[v+1]; i++ {
		fn(f.upE[i])
	}
	for i := f.feedOff[v]; i < f.feedOff[v+1]; i++ {
		fn(f.feedE[i])
	}
}

// forwardOK says whether a path from member src to the backbone may take
// edge e out of v when e carries no flow yet: backbone links always,
// uplinks only out of a member (src or a feeder of src's behind set: no
// other member can be reached), member links only out of src's behind
// set. Flow is only ever cancelled back, so every member edge keeps
// carrying traffic towards the backbone and no member becomes transit.
func (f *forest) forwardOK(e, v, src int32) bool {
	switch f.kind(e) {
	case kindUplink:
		return f.eu[e] == v
	case kindFeed:
		return f.behind[src] >= 0 && f.behind[v] == f.behind[src]
	}
	return true
}

// augment finds one path from src to dst in the residual graph (or, with
// residual false, among unused live edges) and records it.
func (fl *flow) augment(src, dst int32, residual bool) []int32 {
	f := fl.a.f
	fl.stamp++
	fl.seen[src] = fl.stamp
	fl.queue = append(fl.queue[:0], src)
	for qi := 0; qi < len(fl.queue); qi++ {
		v := fl.queue[qi]
		if v == dst {
			break
		}
		fl.neighbours(v, func(e int32) {
			if fl.dead[e] {
				return
			}
			w := f.other(e, v)
			if fl.seen[w] == fl.stamp {
				return
			}
			dir := int8(1)
			if f.eu[e] != v {
				dir = -1
			}
			if fl.used[e] == dir || (!residual && fl.used[e] != 0) {
				return // already carries flow this way
			}
			if fl.used[e] == 0 && !f.forwardOK(e, v, src) {
				return
			}
			fl.seen[w] = fl.stamp
			fl.prevE[w] = e
			fl.queue = append(fl.queue, w)
		})
	}
	if fl.seen[dst] != fl.stamp {
		return nil
	}
	var path []int32
	for v := dst; v != src; {
		e := fl.prevE[v]
		u := f.other(e, v)
		dir := int8(1)
		if f.eu[e] != u {
			dir = -1
		}
		if fl.used[e] == -dir {
			fl.used[e] = 0 // cancels flow the other way
		} else {
			fl.used[e] = dir
		}
		path = append(path, e)
		v = u
	}
	return path
}

func (fl *flow) reset(paths ...[]int32) {
	for _, p := range paths {
		for _, e := range p {
			fl.used[e] = 0
			fl.dead[e] = false
		}
	}
}

// maxFlow counts edge-disjoint paths from member m to core site dst.
func (fl *flow) maxFlow(m, dst int32) int {
	var paths [][]int32
	for len(paths) < fl.a.f.homingDegree(m) {
		p := fl.augment(m, dst, true)
		if p == nil {
			break
		}
		paths = append(paths, p)
	}
	fl.reset(paths...)
	return len(paths)
}

// greedyDisjoint takes the fewest-hop path, removes every link sharing a
// cable or a shared-risk group with it, and repeats.
func (fl *flow) greedyDisjoint(m, dst int32) int {
	t, f := fl.a.t, fl.a.f
	var killed [][]int32
	n := 0
	for n < f.homingDegree(m) {
		p := fl.augment(m, dst, false)
		if p == nil {
			break
		}
		n++
		var k []int32
		for _, e := range p {
			for _, r := range linkRisks(t.Links[f.edgeOf[e]]) {
				for _, d := range fl.byRisk[r] {
					if !fl.dead[d] {
						fl.dead[d] = true
						k = append(k, d)
					}
				}
			}
		}
		killed = append(killed, p, k)
	}
	fl.reset(killed...)
	return n
}

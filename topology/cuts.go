package topology

import (
	"cmp"
	"fmt"
	"slices"
)

// FailureKind is what fails: one cable, every cable of a shared-risk group,
// or a whole site.
type FailureKind string

const (
	FailCable FailureKind = "cable"
	FailSRLG  FailureKind = "srlg"
	FailSite  FailureKind = "site"
)

// FailureKinds lists the failure kinds in the order they are reported.
var FailureKinds = []FailureKind{FailCable, FailSRLG, FailSite}

// Failure is what one failure breaks. Member sites are sorted by slug; a
// member site appears in at most one of the three lists.
type Failure struct {
	Kind FailureKind `json:"kind"`
	Name string      `json:"name"`
	// Cables lists the cables of a shared-risk group.
	Cables    []string `json:"cables,omitempty"`
	LinksDown []string `json:"links_down"`
	// LoseHosting are the member sites that reach neither core site any
	// more: they lose the hosting.
	LoseHosting []string `json:"lose_hosting"`
	// LoseCoreA and LoseCoreB lose one core site and keep the other.
	LoseCoreA []string `json:"lose_core_a"`
	LoseCoreB []string `json:"lose_core_b"`
}

// Impact is the number of member sites that lose anything.
func (f Failure) Impact() int { return len(f.LoseHosting) + len(f.LoseCoreA) + len(f.LoseCoreB) }

// Analysis is a topology prepared for failure questions: building it is
// linear in the size of the network, and each failure then costs about the
// square of the number of links it takes down.
type Analysis struct {
	t            *Topology
	f            *forest
	coreA, coreB int32
	// cableEdges holds, per cable, the forest edges riding it, and
	// cableDown the ids of the up links riding it.
	cableEdges [][]int32
	cableDown  [][]string
	// base is what each member site reaches with every link up (reachA,
	// reachB bits); a member with neither is cut off before any failure.
	base []uint8
	// lostHomed is scratch for evaluate.
	lostHomed []int32
	// edgeOfLink is the forest edge of each link (-1: none, a link that
	// joins no two sites or is not up), for LinksDown.
	edgeOfLink []int32
	downCut    *cutter
}

// Analyze prepares a topology for failure analysis.
func Analyze(t *Topology) *Analysis {
	f := newForest(t)
	a := &Analysis{t: t, f: f, coreA: int32(t.siteIdx[t.CoreA]), coreB: int32(t.siteIdx[t.CoreB])}
	edgeOfLink := make([]int32, len(t.Links))
	for i := range edgeOfLink {
		edgeOfLink[i] = -1
	}
	for e, l := range f.edgeOf {
		edgeOfLink[l] = int32(e)
	}
	a.edgeOfLink = edgeOfLink
	a.base = baseReach(newCutter(f, a.coreA, a.coreB))
	a.cableEdges = make([][]int32, len(t.Physical.Spans))
	a.cableDown = make([][]string, len(t.Physical.Spans))
	for li, l := range t.Links {
		if !l.Up {
			continue
		}
		for _, s := range l.spans {
			a.cableDown[s] = append(a.cableDown[s], l.ID)
			if e := edgeOfLink[li]; e >= 0 {
				a.cableEdges[s] = append(a.cableEdges[s], e)
			}
		}
	}
	return a
}

// Topology returns the analysed topology.
func (a *Analysis) Topology() *Topology { return a.t }

// CutOptions choose the failures Cuts evaluates.
type CutOptions struct {
	// Kinds limits the failure kinds; empty means all.
	Kinds []FailureKind
	// Everything keeps failures that only take links down without cutting
	// any member site off; by default they are left out.
	Everything bool
}

// Cuts evaluates every failure of the chosen kinds and returns them ranked
// by impact: member sites losing the hosting first, then sites losing one
// core, then links down.
func (a *Analysis) Cuts(o CutOptions) []Failure {
	kinds := o.Kinds
	if len(kinds) == 0 {
		kinds = FailureKinds
	}
	c := newCutter(a.f, a.coreA, a.coreB)
	t := a.t
	out := make([]Failure, 0, len(t.Physical.Spans)+len(t.srlgList)+len(t.Sites))
	keep := func(fl Failure) {
		if o.Everything && len(fl.LinksDown) > 0 || fl.Impact() > 0 {
			out = append(out, fl)
		}
	}
	for _, k := range kinds {
		switch k {
		case FailCable:
			for si, s := range t.Physical.Spans {
				keep(a.evaluate(c, FailCable, s.Cable, a.cableEdges[si], -1, a.cableDown[si]))
			}
		case FailSRLG:
			var edges []int32
			for _, g := range t.srlgList {
				edges = edges[:0]
				var down []string
				for _, si := range g.spans {
					edges = append(edges, a.cableEdges[si]...)
					down = append(down, a.cableDown[si]...)
				}
				if len(g.Cables) > 1 {
					slices.Sort(down)
					down = slices.Compact(down)
				}
				fl := a.evaluate(c, FailSRLG, g.Name, edges, -1, down)
				fl.Cables = g.Cables
				keep(fl)
			}
		case FailSite:
			edges := []int32{}
			byS := a.linksBySite()
			for v, s := range t.Sites {
				edges = edges[:0]
				f := a.f
				edges = append(edges, f.adjE[f.adjOff[v]:f.adjOff[v+1]]...)
				edges = append(edges, f.upE[f.upOff[v]:f.upOff[v+1]]...)
				edges = append(edges, f.feedE[f.feedOff[v]:f.feedOff[v+1]]...)
				keep(a.evaluate(c, FailSite, s.Slug, edges, int32(v), byS[v]))
			}
		}
	}
	rank(out)
	return out
}

// linksBySite lists, per site, the up links that end there.
func (a *Analysis) linksBySite() [][]string {
	t := a.t
	by := make([][]string, len(t.Sites))
	for _, l := range t.Links {
		if !l.Up {
			continue
		}
		u, ok := t.siteIdx[l.ASite]
		if ok {
			by[u] = append(by[u], l.ID)
		}
		if v, ok := t.siteIdx[l.BSite]; ok && (v != u) {
			by[v] = append(by[v], l.ID)
		}
	}
	return by
}

// evaluate runs one failure and, when it cuts sites off, lists them.
func (a *Analysis) evaluate(c *cutter, kind FailureKind, name string, edges []int32, removed int32, down []string) Failure {
	fl := Failure{Kind: kind, Name: name, LinksDown: down}
	if fl.LinksDown == nil {
		fl.LinksDown = []string{}
	}
	c.cut(edges, removed)
	record := func(m int32, loss int) {
		slug := a.t.Sites[m].Slug
		switch loss {
		case lostBoth:
			fl.LoseHosting = append(fl.LoseHosting, slug)
		case lostA:
			fl.LoseCoreA = append(fl.LoseCoreA, slug)
		case lostB:
			fl.LoseCoreB = append(fl.LoseCoreB, slug)
		}
	}
	a.lostHomed = a.lostHomed[:0]
	c.affected(func(m int32) {
		if m == removed {
			return
		}
		if loss := c.memberLoss(m); loss != 0 {
			record(m, loss)
			a.lostHomed = append(a.lostHomed, m)
		}
	})
	c.behindLosses(a.lostHomed, a.base, record)
	fl.LoseHosting = sortedList(fl.LoseHosting)
	fl.LoseCoreA = sortedList(fl.LoseCoreA)
	fl.LoseCoreB = sortedList(fl.LoseCoreB)
	return fl
}

// Cut evaluates one failure by name: a cable label, a shared-risk group or a site slug.
func (a *Analysis) Cut(kind FailureKind, name string) (Failure, error) {
	for _, fl := range a.Cuts(CutOptions{Kinds: []FailureKind{kind}, Everything: true}) {
		if fl.Name == name {
			return fl, nil
		}
	}
	t := a.t
	known := false
	switch kind {
	case FailCable:
		_, known = t.spanIdx[name]
	case FailSRLG:
		_, known = slices.BinarySearchFunc(t.srlgList, name, func(g SRLG, n string) int { return cmp.Compare(g.Name, n) })
	case FailSite:
		_, known = t.siteIdx[name]
	default:
		return Failure{}, fmt.Errorf("failure kind %q: want one of %v", kind, FailureKinds)
	}
	if !known {
		return Failure{}, fmt.Errorf("%s %q: not in the topology", kind, name)
	}
	return Failure{Kind: kind, Name: name, LinksDown: []string{}, LoseHosting: []string{}, LoseCoreA: []string{}, LoseCoreB: []string{}}, nil
}

// sortedList sorts a list of names in place; an empty one is [] in JSON,
// not null.
func sortedList(s []string) []string {
	if s == nil {
		return []string{}
	}
	slices.Sort(s)
	return s
}

// rank sorts failures by impact. It sorts small keys rather than the
// failures themselves: moving 33,000 seven-field structs costs more than
// the analysis.
func rank(fs []Failure) {
	type key struct {
		hosting, oneCore, down int32
		kind                   int8
		i                      int32
	}
	keys := make([]key, len(fs))
	for i, f := range fs {
		keys[i] = key{int32(len(f.LoseHosting)), int32(len(f.LoseCoreA) + len(f.LoseCoreB)), int32(len(f.LinksDown)),
			int8(slices.Index(FailureKinds, f.Kind)), int32(i)}
	}
	// Cuts appends the failures of one kind in name order (cables, groups
	// and sites are sorted in the topology), so within a kind the index
	// orders by name: the order is total and needs no string compare.
	slices.SortFunc(keys, func(x, y key) int {
		switch {
		case x.hosting != y.hosting:
			return cmp.Compare(y.hosting, x.hosting)
		case x.oneCore != y.oneCore:
			return cmp.Compare(y.oneCore, x.oneCore)
		case x.down != y.down:
			return cmp.Compare(y.down, x.down)
		case x.kind != y.kind:
			return cmp.Compare(x.kind, y.kind)
		}
		return cmp.Compare(x.i, y.i)
	})
	sorted := make([]Failure, len(fs))
	for i, k := range keys {
		sorted[i] = fs[k.i]
	}
	copy(fs, sorted)
}

package topology

import (
	"fmt"
	"math"
	"slices"
)

// Hop is one routed link of a route.
type Hop struct {
	Link   string   `json:"link"`
	From   string   `json:"from"`
	To     string   `json:"to"`
	Km     float64  `json:"km"`
	LossDB float64  `json:"loss_db"`
	Status string   `json:"budget"`
	Cables []string `json:"cables"`
	SRLGs  []string `json:"srlgs,omitempty"`
}

// Route is a path of routed links between two sites.
type Route struct {
	Km float64 `json:"km"`
	// LossDB adds up the hops' losses: each hop is a separate optical span,
	// so it is a measure of the fiber used, not a signal level.
	LossDB float64 `json:"loss_db"`
	Hops   []Hop   `json:"hops"`
}

// PathResult holds the shortest route between two sites or, with
// Disjoint, the pair of link-disjoint routes of least total length, and
// what the two still share.
type PathResult struct {
	From   string  `json:"from"`
	To     string  `json:"to"`
	Routes []Route `json:"routes"`
	// SharedCables and SharedSRLGs are what both routes run through: a
	// single failure there breaks both.
	SharedCables []string `json:"shared_cables"`
	SharedSRLGs  []string `json:"shared_srlgs"`
}

// PathOptions shape a path query.
type PathOptions struct {
	Disjoint bool
	Budget   BudgetOptions
}

// Path finds routes by fiber length between two sites (or the sites of two
// devices) over up routed links. Member sites carry no transit: a route
// only starts or ends at one.
func (a *Analysis) Path(from, to string, o PathOptions) (PathResult, error) {
	t := a.t
	src, err := t.resolveSite(from)
	if err != nil {
		return PathResult{}, err
	}
	dst, err := t.resolveSite(to)
	if err != nil {
		return PathResult{}, err
	}
	res := PathResult{From: t.Sites[src].Slug, To: t.Sites[dst].Slug, Routes: []Route{}, SharedCables: []string{}, SharedSRLGs: []string{}}
	if src == dst {
		return res, fmt.Errorf("path from %s to itself", res.From)
	}
	budgets, err := Budgets(t, o.Budget)
	if err != nil {
		return res, err
	}
	want := 1
	if o.Disjoint {
		want = 2
	}
	routes := a.minCostRoutes(int32(src), int32(dst), want)
	if len(routes) == 0 {
		return res, fmt.Errorf("path from %s to %s: %w", res.From, res.To, ErrNoPath)
	}
	count := map[string]int{}
	for _, r := range routes {
		route := Route{}
		at := int32(src)
		seen := map[string]bool{}
		for _, e := range r {
			li := a.f.edgeOf[e]
			l, b := t.Links[li], budgets[li]
			next := a.f.other(e, at)
			route.Hops = append(route.Hops, Hop{Link: l.ID, From: t.Sites[at].Slug, To: t.Sites[next].Slug, Km: l.Km,
				LossDB: b.LossDB, Status: string(b.Status), Cables: l.Cables, SRLGs: l.SRLGs})
			route.Km += l.Km
			route.LossDB += b.LossDB
			for _, rk := range linkRisks(l) {
				if !seen[rk] {
					seen[rk] = true
					count[rk]++
				}
			}
			at = next
		}
		route.Km, route.LossDB = round(route.Km, 3), round(route.LossDB, 2)
		res.Routes = append(res.Routes, route)
	}
	if len(routes) == 2 {
		for _, rk := range sortedKeys(count) {
			if count[rk] < 2 {
				continue
			}
			if c, ok := cutPrefix(rk, "cable "); ok {
				res.SharedCables = append(res.SharedCables, c)
			} else {
				res.SharedSRLGs = append(res.SharedSRLGs, rk)
			}
		}
	}
	if o.Disjoint && len(routes) < 2 {
		return res, fmt.Errorf("path from %s to %s: only one link-disjoint route: %w", res.From, res.To, ErrNoPath)
	}
	return res, nil
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

// minCostRoutes sends up to k units of flow from src to dst along
// shortest augmenting paths (Bellman-Ford on the residual graph, since
// cancelling a used link has negative length), which yields k
// link-disjoint routes of least total length (Suurballe's pair for k=2).
func (a *Analysis) minCostRoutes(src, dst int32, k int) [][]int32 {
	f := a.f
	used := make([]int8, len(f.eu)) // +1: flow eu->ev, -1: ev->eu
	km := func(e int32) float64 { return a.t.Links[f.edgeOf[e]].Km }
	edgesAt := func(v int32, fn func(e int32)) {
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
	dist := make([]float64, f.n)
	prev := make([]int32, f.n)
	inQ := make([]bool, f.n)
	units := 0
	for ; units < k; units++ {
		for i := range dist {
			dist[i] = math.Inf(1)
			prev[i] = -1
		}
		dist[src] = 0
		q := []int32{src}
		inQ[src] = true
		for len(q) > 0 {
			v := q[0]
			q = q[1:]
			inQ[v] = false
			edgesAt(v, func(e int32) {
				dir := int8(1)
				if f.eu[e] != v {
					dir = -1
				}
				cost := km(e)
				switch used[e] {
				case dir:
					return
				case -dir:
					cost = -cost
				default:
					if !f.routeOK(e, v, src, dst) {
						return
					}
				}
				w := f.other(e, v)
				if d := dist[v] + cost; d < dist[w]-1e-12 {
					dist[w], prev[w] = d, e
					if !inQ[w] {
						inQ[w] = true
						q = append(q, w)
					}
				}
			})
		}
		if math.IsInf(dist[dst], 1) {
			break
		}
		for v := dst; v != src; {
			e := prev[v]
			u := f.other(e, v)
			dir := int8(1)
			if f.eu[e] != u {
				dir = -1
			}
			if used[e] == -dir {
				used[e] = 0
			} else {
				used[e] = dir
			}
			v = u
		}
	}
	// Walk the flow from src to dst once per unit.
	var routes [][]int32
	for range units {
		var r []int32
		for v := src; v != dst && len(r) <= len(f.eu); {
			step := int32(-1)
			edgesAt(v, func(e int32) {
				dir := int8(1)
				if f.eu[e] != v {
					dir = -1
				}
				if step < 0 && used[e] == dir {
					step = e
				}
			})
			if step < 0 {
				break
			}
			used[step] = 0
			r = append(r, step)
			v = f.other(step, v)
		}
		routes = append(routes, r)
	}
	slices.SortStableFunc(routes, func(x, y []int32) int {
		return compareFloat(routeKm(a, x), routeKm(a, y))
	})
	return routes
}

func routeKm(a *Analysis, r []int32) float64 {
	var s float64
	for _, e := range r {
		s += a.t.Links[a.f.edgeOf[e]].Km
	}
	return s
}

func compareFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// routeOK says whether a route from src to dst may take edge e out of v
// when e carries no flow yet. Members carry no transit: a route leaves
// src's side over uplinks and member links towards the backbone only, and
// enters dst's side only from the backbone towards dst (behind.go).
func (f *forest) routeOK(e, v, src, dst int32) bool {
	w := f.other(e, v)
	switch f.kind(e) {
	case kindUplink:
		m := f.eu[e]
		if v == m {
			return m == src || f.isFeederOf(m, f.behind[src])
		}
		return m == dst || f.isFeederOf(m, f.behind[dst])
	case kindFeed:
		return f.behind[src] >= 0 && f.behind[v] == f.behind[src] ||
			f.behind[dst] >= 0 && f.behind[w] == f.behind[dst]
	}
	return true
}

package topology

import "github.com/tuyau-net/tuyau/inventory"

// forest is the routed-link graph between sites with one depth-first
// spanning forest over it, and what one linear pass derives from that
// forest: pre-order intervals, lowpoints (bridges, articulation points) and
// cycle-space labels.
//
// The labels answer "does removing this set of links disconnect anything,
// and what" in time that depends on the size of the set, not of the graph
// (Pritchard and Thurimella, "Fast computation of small cuts via cycle
// space sampling", ACM TALG 2011): every non-tree link gets a random 64-bit
// label, every tree link the XOR of the labels of the non-tree links whose
// cycle runs over it. For any set X of sites, the labels of the links
// leaving X XOR to zero; a set of links whose labels XOR to zero is, with
// probability 1-2^-64 per test, a cut. Bridges are the tree links labelled 0.
type forest struct {
	n      int
	eu, ev []int32 // endpoints of each edge (a routed link between two sites)
	edgeOf []int32 // link index of each edge
	// uplink marks the edges between a member site (eu) and a backbone
	// site (ev). They are not in the forest: member sites do not carry
	// traffic between other sites (their routers are BGP customers, and the
	// backbone's own AS in the path stops any route through them).
	uplink []bool
	// feed marks the edges between two member sites of which at least one
	// has no uplink of its own: a school behind a town hall. They are not
	// in the forest either; see behind.go for what they may carry.
	feed   []bool
	adjOff []int32 // CSR adjacency over backbone edges: adjE[adjOff[v]:adjOff[v+1]]
	adjE   []int32
	// upOff/upE list the uplinks at each site, member or backbone.
	upOff []int32
	upE   []int32
	// feedOff/feedE list the feed edges at each member site.
	feedOff []int32
	feedE   []int32
	behindSets

	parent, parentEdge []int32
	treeChild          []int32 // per edge: the child node when it is a tree edge, else -1
	tin, tout          []int32 // pre-order interval [tin, tout) of each subtree
	order              []int32 // order[tin[v]] == v
	root               []int32
	low                []int32
	label              []uint64
	isMember           []bool
}

func newForest(t *Topology) *forest {
	f := &forest{n: len(t.Sites)}
	f.isMember = make([]bool, f.n)
	for i, s := range t.Sites {
		f.isMember[i] = s.Role == inventory.SiteMember
	}
	deg := make([]int32, f.n)
	updeg := make([]int32, f.n)
	var memberLinks [][3]int32 // u, v, link
	for i, l := range t.Links {
		if !l.Up || l.External {
			continue
		}
		u, okU := t.siteIdx[l.ASite]
		v, okV := t.siteIdx[l.BSite]
		if !okU || !okV || u == v {
			continue // links inside a site do not join sites
		}
		mu, mv := f.isMember[u], f.isMember[v]
		if mu && mv {
			memberLinks = append(memberLinks, [3]int32{int32(u), int32(v), int32(i)})
			continue // kept for the members behind members, below
		}
		if mv {
			u, v = v, u
		}
		f.eu = append(f.eu, int32(u))
		f.ev = append(f.ev, int32(v))
		f.edgeOf = append(f.edgeOf, int32(i))
		f.uplink = append(f.uplink, mu || mv)
		f.feed = append(f.feed, false)
		if mu || mv {
			updeg[u]++
			updeg[v]++
		} else {
			deg[u]++
			deg[v]++
		}
	}
	// A link between two members that both have uplinks carries nothing
	// for anyone; one to a member without uplinks feeds it.
	feeddeg := make([]int32, f.n)
	for _, ml := range memberLinks {
		u, v := ml[0], ml[1]
		if updeg[u] > 0 && updeg[v] > 0 {
			continue
		}
		f.eu = append(f.eu, u)
		f.ev = append(f.ev, v)
		f.edgeOf = append(f.edgeOf, ml[2])
		f.uplink = append(f.uplink, false)
		f.feed = append(f.feed, true)
		feeddeg[u]++
		feeddeg[v]++
	}
	f.adjOff, f.adjE = csr(f, deg, kindBackbone)
	f.upOff, f.upE = csr(f, updeg, kindUplink)
	f.feedOff, f.feedE = csr(f, feeddeg, kindFeed)
	f.groupBehind(updeg)
	f.dfs()
	f.labels(0x7475796175)
	return f
}

type edgeKind int8

const (
	kindBackbone edgeKind = iota
	kindUplink
	kindFeed
)

func (f *forest) kind(e int32) edgeKind {
	switch {
	case f.uplink[e]:
		return kindUplink
	case f.feed[e]:
		return kindFeed
	}
	return kindBackbone
}

// offBackbone reports whether edge e is an uplink or a feed edge: not part
// of the backbone forest.
func (f *forest) offBackbone(e int32) bool { return f.uplink[e] || f.feed[e] }

// csr lays out the edges of one kind per node.
func csr(f *forest, deg []int32, k edgeKind) (off, adj []int32) {
	off = make([]int32, f.n+1)
	for v := 0; v < f.n; v++ {
		off[v+1] = off[v] + deg[v]
	}
	adj = make([]int32, off[f.n])
	fill := make([]int32, f.n)
	copy(fill, off[:f.n])
	for e := range f.eu {
		if f.kind(int32(e)) != k {
			continue
		}
		u, v := f.eu[e], f.ev[e]
		adj[fill[u]] = int32(e)
		fill[u]++
		adj[fill[v]] = int32(e)
		fill[v]++
	}
	return off, adj
}

func (f *forest) other(e, v int32) int32 {
	if f.eu[e] == v {
		return f.ev[e]
	}
	return f.eu[e]
}

// dfs builds the spanning forest iteratively (a chain of 60,000 POPs must
// not exhaust the stack) and the lowpoints on the way back up.
func (f *forest) dfs() {
	n := f.n
	f.parent = make([]int32, n)
	f.parentEdge = make([]int32, n)
	f.tin = make([]int32, n)
	f.tout = make([]int32, n)
	f.order = make([]int32, 0, n)
	f.root = make([]int32, n)
	f.low = make([]int32, n)
	f.treeChild = make([]int32, len(f.eu))
	for i := range f.treeChild {
		f.treeChild[i] = -1
	}
	for i := range f.tin {
		f.tin[i] = -1
	}
	next := make([]int32, n) // next adjacency position to look at
	stack := make([]int32, 0, 64)
	for r := int32(0); r < int32(n); r++ {
		if f.tin[r] >= 0 {
			continue
		}
		f.visit(r, -1, -1, r)
		next[r] = f.adjOff[r]
		stack = append(stack[:0], r)
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			if next[v] < f.adjOff[v+1] {
				e := f.adjE[next[v]]
				next[v]++
				if e == f.parentEdge[v] {
					continue
				}
				w := f.other(e, v)
				if f.tin[w] < 0 {
					f.visit(w, v, e, r)
					f.treeChild[e] = w
					next[w] = f.adjOff[w]
					stack = append(stack, w)
				} else if f.tin[w] < f.low[v] {
					f.low[v] = f.tin[w]
				}
				continue
			}
			stack = stack[:len(stack)-1]
			f.tout[v] = int32(len(f.order))
			if p := f.parent[v]; p >= 0 && f.low[v] < f.low[p] {
				f.low[p] = f.low[v]
			}
		}
	}
}

func (f *forest) visit(v, parent, edge, root int32) {
	f.tin[v] = int32(len(f.order))
	f.low[v] = f.tin[v]
	f.order = append(f.order, v)
	f.parent[v] = parent
	f.parentEdge[v] = edge
	f.root[v] = root
}

// labels draws the cycle-space labels from a fixed seed: answers do not
// depend on the seed except with probability 2^-64 per failure.
func (f *forest) labels(seed uint64) {
	f.label = make([]uint64, len(f.eu))
	acc := make([]uint64, f.n)
	s := seed
	for e := range f.eu {
		if f.treeChild[e] >= 0 || f.offBackbone(int32(e)) {
			continue
		}
		s += 0x9e3779b97f4a7c15 // splitmix64
		z := s
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		f.label[e] = z
		acc[f.eu[e]] ^= z
		acc[f.ev[e]] ^= z
	}
	for i := len(f.order) - 1; i >= 0; i-- {
		v := f.order[i]
		if p := f.parent[v]; p >= 0 {
			f.label[f.parentEdge[v]] = acc[v]
			acc[p] ^= acc[v]
		}
	}
}

// isBridge reports whether removing edge e alone disconnects its endpoints.
func (f *forest) isBridge(e int32) bool {
	c := f.treeChild[e]
	return c >= 0 && f.low[c] > f.tin[f.parent[c]]
}

// articulation reports whether removing site v disconnects other sites
// from each other.
func (f *forest) articulation(v int32) bool {
	children := 0
	cut := false
	for i := f.adjOff[v]; i < f.adjOff[v+1]; i++ {
		c := f.treeChild[f.adjE[i]]
		if c < 0 || c == v {
			continue
		}
		children++
		if f.parent[v] >= 0 && f.low[c] >= f.tin[v] {
			cut = true
		}
	}
	if f.parent[v] < 0 {
		return children > 1
	}
	return cut
}

// ancestorOrSelf reports whether a is an ancestor of b or b itself.
func (f *forest) ancestorOrSelf(a, b int32) bool {
	return f.tin[a] <= f.tin[b] && f.tin[b] < f.tout[a]
}

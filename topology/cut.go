package topology

import (
	"math/bits"
	"slices"
)

// cutter evaluates one failure (a set of removed edges, and optionally a
// removed site) against a forest. Its scratch space is reused from one
// failure to the next, so that evaluating every cable and every duct of a
// large network allocates little. A cutter is not safe for concurrent use.
type cutter struct {
	f            *forest
	coreA, coreB int32
	stamp        int32
	mark         []int32 // mark[e] == stamp: edge e is in the current failure
	seen         []int32 // seen[v] == stamp: member v already looked at
	removed      int32

	edges  []int32 // the current failure's distinct edges
	tops   []int32 // pieces of the cut forest, named by their highest node
	encl   []int32 // index in tops of the piece enclosing each piece, or -1
	vec    []uint64
	comp   []int32 // component of each piece
	nComp  int
	hasA   []bool // per component
	hasB   []bool
	treeOf []int32 // per component: the tree (root) it lies in
	ids    []int32 // scratch for groupPieces
	uf     []int32 // union-find for exactComponents

	// behind sets (behind.go)
	setStamp int32
	setSeen  []int32
	queue    []int32
}

func newCutter(f *forest, coreA, coreB int32) *cutter {
	return &cutter{f: f, coreA: coreA, coreB: coreB, mark: make([]int32, len(f.eu)), seen: make([]int32, f.n),
		setSeen: make([]int32, f.nSets())}
}

// cut removes edges (duplicates allowed) and site removed (-1 for none;
// its edges must be among edges) and works out which pieces of the
// backbone forest stay together. reach then answers per site.
func (c *cutter) cut(edges []int32, removed int32) {
	f := c.f
	c.stamp++
	c.removed = removed
	c.edges = c.edges[:0]
	c.tops = c.tops[:0]
	c.nComp = 0
	for _, e := range edges {
		if c.mark[e] == c.stamp {
			continue
		}
		c.mark[e] = c.stamp
		c.edges = append(c.edges, e)
		if ch := f.treeChild[e]; ch >= 0 {
			c.tops = append(c.tops, ch)
		}
	}
	if len(c.tops) == 0 {
		// No tree edge is gone: the spanning forest still holds every
		// backbone site where it was.
		return
	}
	// Each tree that lost an edge falls into pieces; its root heads one.
	nTree := len(c.tops)
	for i := 0; i < nTree; i++ {
		r := f.root[c.tops[i]]
		if !slices.Contains(c.tops[nTree:], r) {
			c.tops = append(c.tops, r)
		}
	}
	slices.SortFunc(c.tops, func(a, b int32) int { return int(f.tin[a] - f.tin[b]) })
	c.enclosing()
	if removed >= 0 && !f.isMember[removed] {
		c.siteComponents(removed)
	} else {
		m := len(c.tops)
		c.vec = resize(c.vec, m)
		for _, e := range c.edges {
			if f.offBackbone(e) {
				continue
			}
			pu, pv := c.pieceOf(f.eu[e]), c.pieceOf(f.ev[e])
			if pu != pv {
				c.vec[pu] ^= f.label[e]
				c.vec[pv] ^= f.label[e]
			}
		}
		c.components()
	}
	c.hasA = resize(c.hasA, c.nComp)
	c.hasB = resize(c.hasB, c.nComp)
	c.treeOf = resize(c.treeOf, c.nComp)
	for p, top := range c.tops {
		c.treeOf[c.comp[p]] = f.root[top]
	}
	if c.coreA != removed && c.touched(f.root[c.coreA]) {
		c.hasA[c.comp[c.pieceOf(c.coreA)]] = true
	}
	if c.coreB != removed && c.touched(f.root[c.coreB]) {
		c.hasB[c.comp[c.pieceOf(c.coreB)]] = true
	}
}

// reach says whether backbone site v still reaches core A and core B.
func (c *cutter) reach(v int32) (a, b bool) {
	f := c.f
	if v == c.removed {
		return false, false
	}
	r := f.root[v]
	if c.nComp > 0 && c.touched(r) {
		k := c.comp[c.pieceOf(v)]
		return c.hasA[k], c.hasB[k]
	}
	return r == f.root[c.coreA] && c.coreA != c.removed, r == f.root[c.coreB] && c.coreB != c.removed
}

// pieceLost reports whether the backbone sites of piece p lost a core site
// they reached before the failure.
func (c *cutter) pieceLost(p int) bool {
	k := c.comp[p]
	tree := c.treeOf[k]
	return tree == c.f.root[c.coreA] && !c.hasA[k] || tree == c.f.root[c.coreB] && !c.hasB[k]
}

// memberLoss says what member site m lost: reachability is measured
// against the network before the failure, so a site that never reached a
// core does not count as losing it.
func (c *cutter) memberLoss(m int32) int {
	f := c.f
	var hadA, hadB, keepA, keepB bool
	for i := f.upOff[m]; i < f.upOff[m+1]; i++ {
		e := f.upE[i]
		p := f.ev[e]
		hadA = hadA || f.root[p] == f.root[c.coreA]
		hadB = hadB || f.root[p] == f.root[c.coreB]
		if c.mark[e] == c.stamp || m == c.removed {
			continue
		}
		a, b := c.reach(p)
		keepA, keepB = keepA || a, keepB || b
	}
	switch {
	case (hadA || hadB) && !keepA && !keepB:
		return lostBoth
	case hadA && !keepA:
		return lostA
	case hadB && !keepB:
		return lostB
	}
	return 0
}

const (
	lostA = 1 + iota
	lostB
	lostBoth
)

// affected calls fn once for every member site that may have lost
// something: those whose uplinks failed and those homed on backbone
// pieces that lost a core site.
func (c *cutter) affected(fn func(m int32)) {
	f := c.f
	visit := func(m int32) {
		if c.seen[m] != c.stamp {
			c.seen[m] = c.stamp
			fn(m)
		}
	}
	for _, e := range c.edges {
		if f.uplink[e] {
			visit(f.eu[e])
		}
	}
	for p := range c.tops {
		if !c.pieceLost(p) {
			continue
		}
		c.pieceSites(p, func(v int32) {
			for i := f.upOff[v]; i < f.upOff[v+1]; i++ {
				visit(f.eu[f.upE[i]])
			}
		})
	}
}

func (c *cutter) touched(root int32) bool {
	_, ok := slices.BinarySearchFunc(c.tops, root, func(a, b int32) int { return int(c.f.tin[a] - c.f.tin[b]) })
	return ok
}

// enclosing links each piece to the piece just above it in the tree.
func (c *cutter) enclosing() {
	f := c.f
	c.encl = resize(c.encl, len(c.tops))
	var stack []int32
	for i, v := range c.tops {
		for len(stack) > 0 && !f.ancestorOrSelf(c.tops[stack[len(stack)-1]], v) {
			stack = stack[:len(stack)-1]
		}
		c.encl[i] = -1
		if len(stack) > 0 {
			c.encl[i] = stack[len(stack)-1]
		}
		stack = append(stack, int32(i))
	}
}

// pieceOf returns the piece holding site v: the deepest top above it.
func (c *cutter) pieceOf(v int32) int32 {
	f := c.f
	i, found := slices.BinarySearchFunc(c.tops, v, func(a, b int32) int { return int(f.tin[a] - f.tin[b]) })
	if !found {
		i--
	}
	p := int32(i)
	for p >= 0 && !f.ancestorOrSelf(c.tops[p], v) {
		p = c.encl[p]
	}
	return p
}

// pieceSites calls fn for every site of piece p.
func (c *cutter) pieceSites(p int, fn func(v int32)) {
	f := c.f
	top := c.tops[p]
	pos := f.tin[top]
	for q := p + 1; q < len(c.tops) && f.tin[c.tops[q]] < f.tout[top]; q++ {
		if c.encl[q] != int32(p) {
			continue
		}
		s := c.tops[q]
		for ; pos < f.tin[s]; pos++ {
			fn(f.order[pos])
		}
		pos = f.tout[s]
	}
	for ; pos < f.tout[top]; pos++ {
		fn(f.order[pos])
	}
}

// maxLabelPieces bounds the pieces the cycle-space labels sort out: with
// m pieces in g components, a spurious XOR-to-zero among the m-g free label
// vectors has probability about 2^(m-g-64). Up to 24 pieces that is below
// 2^-40 per failure; beyond, components are recomputed exactly.
const maxLabelPieces = 24

// components groups the pieces into the connected components of the
// backbone after the failure.
func (c *cutter) components() {
	if len(c.tops) <= maxLabelPieces {
		c.labelComponents()
		return
	}
	c.exactComponents()
}

// exactComponents recomputes the backbone's components without the
// failed links with a union-find, for the rare failure with many pieces
// (a trench carrying dozens of cables).
func (c *cutter) exactComponents() {
	f := c.f
	if c.uf == nil {
		c.uf = make([]int32, f.n)
	}
	for i := range c.uf {
		c.uf[i] = int32(i)
	}
	find := func(v int32) int32 {
		for c.uf[v] != v {
			c.uf[v] = c.uf[c.uf[v]]
			v = c.uf[v]
		}
		return v
	}
	for e := range f.eu {
		if f.offBackbone(int32(e)) || c.mark[e] == c.stamp {
			continue
		}
		if a, b := find(f.eu[e]), find(f.ev[e]); a != b {
			c.uf[a] = b
		}
	}
	c.groupPieces(func(p int) int32 { return find(c.tops[p]) })
}

// siteComponents groups the pieces left by the loss of backbone site v
// with its lowpoints, exactly and in time proportional to its degree: a
// child subtree stays attached to the rest of the tree if and only if a
// non-tree link from it climbs above v (there are no cross links in a
// depth-first tree). v itself is a piece alone.
func (c *cutter) siteComponents(v int32) {
	f := c.f
	c.groupPieces(func(p int) int32 {
		top := c.tops[p]
		switch {
		case top == v:
			return -1
		case f.parent[top] == v && (f.parent[v] < 0 || f.low[top] >= f.tin[v]):
			return top // cut off with its subtree
		}
		return -2 // with the rest of the tree
	})
}

// groupPieces numbers the components from a key per piece.
func (c *cutter) groupPieces(key func(p int) int32) {
	m := len(c.tops)
	c.comp = resize(c.comp, m)
	ids := c.ids[:0]
	for p := 0; p < m; p++ {
		k := key(p)
		id := -1
		for i, x := range ids {
			if x == k {
				id = i
				break
			}
		}
		if id < 0 {
			id = len(ids)
			ids = append(ids, k)
		}
		c.comp[p] = int32(id)
	}
	c.ids = ids
	c.nComp = len(ids)
}

// labelComponents finds the components from the pieces' label vectors:
// the indicator vectors of the components span the kernel of the
// piece-label matrix over GF(2), so two pieces belong to the same component
// exactly when every kernel vector holds both or neither. Gaussian
// elimination in machine words, without allocating.
func (c *cutter) labelComponents() {
	m := len(c.tops)
	var basisV, basisPivot, basisComb [64]uint64
	var kernel [64]uint64
	nb, nk := 0, 0
	for p := 0; p < m; p++ {
		v, comb := c.vec[p], uint64(1)<<p
		for i := 0; i < nb; i++ {
			if v&basisPivot[i] != 0 {
				v ^= basisV[i]
				comb ^= basisComb[i]
			}
		}
		if v == 0 {
			kernel[nk] = comb
			nk++
			continue
		}
		basisV[nb], basisPivot[nb], basisComb[nb] = v, 1<<(63-bits.LeadingZeros64(v)), comb
		nb++
	}
	c.comp = resize(c.comp, m)
	var sigs [64]uint64
	n := 0
	for p := 0; p < m; p++ {
		var sig uint64
		for k := 0; k < nk; k++ {
			sig |= (kernel[k] >> p & 1) << k
		}
		id := -1
		for i := 0; i < n; i++ {
			if sigs[i] == sig {
				id = i
				break
			}
		}
		if id < 0 {
			id = n
			sigs[n] = sig
			n++
		}
		c.comp[p] = int32(id)
	}
	c.nComp = n
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

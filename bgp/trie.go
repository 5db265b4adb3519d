package bgp

import "net/netip"

// prefixTrie indexes the network's own prefixes (member LANs, hosting,
// infrastructure) by their bits, one binary trie per family, so that a
// received prefix finds every one of ours it equals or falls inside in at
// most its length steps, whatever the size of the table being loaded: a
// full table of a million prefixes costs a million walks of at most 32 (or
// 128) nodes, and most stop at the first bit that leaves our space.
type prefixTrie[V any] struct {
	v4, v6 *trieNode[V]
	n      int
}

type trieNode[V any] struct {
	child [2]*trieNode[V]
	val   V
	set   bool
}

func bitAt(a netip.Addr, i int) int {
	b := a.AsSlice()
	return int(b[i/8]>>(7-i%8)) & 1
}

func (t *prefixTrie[V]) root(p netip.Prefix, create bool) *trieNode[V] {
	r := &t.v4
	if p.Addr().Is6() {
		r = &t.v6
	}
	if *r == nil && create {
		*r = &trieNode[V]{}
	}
	return *r
}

// insert sets the value of p (masked), replacing any.
func (t *prefixTrie[V]) insert(p netip.Prefix, v V) {
	p = p.Masked()
	n := t.root(p, true)
	for i := 0; i < p.Bits(); i++ {
		b := bitAt(p.Addr(), i)
		if n.child[b] == nil {
			n.child[b] = &trieNode[V]{}
		}
		n = n.child[b]
	}
	if !n.set {
		t.n++
	}
	n.val, n.set = v, true
}

// get returns the value stored at exactly p.
func (t *prefixTrie[V]) get(p netip.Prefix) (V, bool) {
	p = p.Masked()
	n := t.root(p, false)
	for i := 0; n != nil && i < p.Bits(); i++ {
		n = n.child[bitAt(p.Addr(), i)]
	}
	if n == nil || !n.set {
		var zero V
		return zero, false
	}
	return n.val, true
}

// longest returns the most specific stored prefix equal to or covering p,
// with its value: the walk stops where p leaves the indexed space.
func (t *prefixTrie[V]) longest(p netip.Prefix) (netip.Prefix, V, bool) {
	p = p.Masked()
	var (
		best    V
		bestLen = -1
	)
	n := t.root(p, false)
	for i := 0; n != nil; i++ {
		if n.set {
			best, bestLen = n.val, i
		}
		if i == p.Bits() {
			break
		}
		n = n.child[bitAt(p.Addr(), i)]
	}
	if bestLen < 0 {
		return netip.Prefix{}, best, false
	}
	q, _ := p.Addr().Prefix(bestLen)
	return q, best, true
}

// len is the number of prefixes stored.
func (t *prefixTrie[V]) len() int { return t.n }

package topology

import (
	"slices"
	"strings"
)

// Members behind members.
//
// Member sites carry no transit: a school's router is a customer of the
// backbone, so no route between two backbone sites runs through it. The
// data shows one exception, and it is a rule, not a guess: a member site
// with no uplink of its own (a school behind a town hall) is fed over the
// link to the member that has one. So:
//
//   - a member with at least one up link to a backbone site is homed; it
//     reaches the cores over its uplinks only;
//   - the members without uplinks, with the member-to-member links between
//     them, form behind sets; a behind set is fed by the homed members it
//     links to (its feeders), and reaches a core when one of its feeders
//     that is still linked to it does;
//   - a link between two homed members carries nothing and is ignored, and
//     a feeder never carries traffic between the backbone and another
//     member's uplinks.
//
// So a feeder site and the cable to it are single points of failure of the
// members behind it, and the cut analysis checks a behind set only when one
// of its feeders lost something or one of its own links or sites failed.

// behindSets holds the behind sets of a forest.
type behindSets struct {
	// behind is, per site, the index of its behind set, or -1 (backbone
	// sites, homed members, members with no link at all).
	behind []int32
	// setOff/setSites list the members of each behind set; setFeedOff/
	// setFeeders its feeders; feedsOff/feeds, per site, the behind sets a
	// homed member feeds.
	setOff, setSites      []int32
	setFeedOff, setFeeder []int32
	feedsOff, feeds       []int32
}

func (f *forest) nSets() int { return len(f.setOff) - 1 }

// groupBehind numbers the behind sets: the connected components of the
// feed edges between members without uplinks.
func (f *forest) groupBehind(updeg []int32) {
	f.behind = make([]int32, f.n)
	for i := range f.behind {
		f.behind[i] = -1
	}
	f.setOff = []int32{0}
	var stack []int32
	var feeders [][]int32
	for s := int32(0); s < int32(f.n); s++ {
		if !f.isMember[s] || updeg[s] > 0 || f.behind[s] >= 0 || f.feedOff[s] == f.feedOff[s+1] {
			continue
		}
		k := int32(len(f.setOff) - 1)
		f.behind[s] = k
		stack = append(stack[:0], s)
		var fs []int32
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			f.setSites = append(f.setSites, v)
			for i := f.feedOff[v]; i < f.feedOff[v+1]; i++ {
				w := f.other(f.feedE[i], v)
				switch {
				case updeg[w] > 0:
					if !contains32(fs, w) {
						fs = append(fs, w)
					}
				case f.behind[w] < 0:
					f.behind[w] = k
					stack = append(stack, w)
				}
			}
		}
		f.setOff = append(f.setOff, int32(len(f.setSites)))
		feeders = append(feeders, fs)
	}
	f.setFeedOff = make([]int32, 1, len(feeders)+1)
	cnt := make([]int32, f.n+1)
	for _, fs := range feeders {
		f.setFeeder = append(f.setFeeder, fs...)
		f.setFeedOff = append(f.setFeedOff, int32(len(f.setFeeder)))
		for _, w := range fs {
			cnt[w+1]++
		}
	}
	f.feedsOff = make([]int32, f.n+1)
	for v := 0; v < f.n; v++ {
		f.feedsOff[v+1] = f.feedsOff[v] + cnt[v+1]
	}
	f.feeds = make([]int32, f.feedsOff[f.n])
	fill := make([]int32, f.n)
	copy(fill, f.feedsOff[:f.n])
	for k, fs := range feeders {
		for _, w := range fs {
			f.feeds[fill[w]] = int32(k)
			fill[w]++
		}
	}
}

func contains32(s []int32, x int32) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// isFeederOf reports whether homed member m feeds behind set k.
func (f *forest) isFeederOf(m, k int32) bool {
	return k >= 0 && contains32(f.setFeeder[f.setFeedOff[k]:f.setFeedOff[k+1]], m)
}

// homingDegree is the number of links member m's own traffic can leave
// on: its uplinks, or for a member behind others its member links.
func (f *forest) homingDegree(m int32) int {
	if f.behind[m] >= 0 {
		return int(f.feedOff[m+1] - f.feedOff[m])
	}
	return int(f.upOff[m+1] - f.upOff[m])
}

// homedReach says whether homed member m reaches core A and core B after
// the current failure, over its uplinks that did not fail.
func (c *cutter) homedReach(m int32) (keepA, keepB bool) {
	f := c.f
	if m == c.removed {
		return false, false
	}
	for i := f.upOff[m]; i < f.upOff[m+1]; i++ {
		e := f.upE[i]
		if c.mark[e] == c.stamp {
			continue
		}
		a, b := c.reach(f.ev[e])
		keepA, keepB = keepA || a, keepB || b
	}
	return keepA, keepB
}

// setReach works out, after the current failure, which cores each member
// of behind set k reaches, and calls fn for each member that is not the
// removed site. The set is explored over its surviving links, each piece
// reaching what its surviving feeders reach.
func (c *cutter) setReach(k int32, fn func(m int32, a, b bool)) {
	f := c.f
	sites := f.setSites[f.setOff[k]:f.setOff[k+1]]
	for _, s := range sites {
		if s == c.removed || c.seen[s] == c.stamp {
			continue
		}
		c.seen[s] = c.stamp
		c.queue = append(c.queue[:0], s)
		var ra, rb bool
		for qi := 0; qi < len(c.queue); qi++ {
			v := c.queue[qi]
			for i := f.feedOff[v]; i < f.feedOff[v+1]; i++ {
				e := f.feedE[i]
				if c.mark[e] == c.stamp {
					continue
				}
				w := f.other(e, v)
				if w == c.removed {
					continue
				}
				if f.behind[w] == k {
					if c.seen[w] != c.stamp {
						c.seen[w] = c.stamp
						c.queue = append(c.queue, w)
					}
					continue
				}
				if !ra || !rb {
					a, b := c.homedReach(w)
					ra, rb = ra || a, rb || b
				}
			}
		}
		for _, v := range c.queue {
			fn(v, ra, rb)
		}
	}
}

// behindLosses calls fn with what each member behind others lost in the
// current failure. lostHomed are the homed members that lost something;
// only the behind sets they feed, and those the failure touches directly,
// are looked at.
func (c *cutter) behindLosses(lostHomed []int32, base []uint8, fn func(m int32, loss int)) {
	f := c.f
	if f.nSets() == 0 {
		return
	}
	c.setStamp++
	check := func(k int32) {
		if k < 0 || c.setSeen[k] == c.setStamp {
			return
		}
		c.setSeen[k] = c.setStamp
		c.setReach(k, func(m int32, a, b bool) {
			if l := lossOf(base[m], a, b); l != 0 {
				fn(m, l)
			}
		})
	}
	for _, m := range lostHomed {
		for _, k := range f.feeds[f.feedsOff[m]:f.feedsOff[m+1]] {
			check(k)
		}
	}
	for _, e := range c.edges {
		if f.feed[e] {
			check(f.behind[f.eu[e]])
			check(f.behind[f.ev[e]])
		}
	}
	if r := c.removed; r >= 0 {
		check(f.behind[r])
		for _, k := range f.feeds[f.feedsOff[r]:f.feedsOff[r+1]] {
			check(k)
		}
	}
}

const (
	reachA uint8 = 1 << iota
	reachB
)

func bitsOf(a, b bool) uint8 {
	var r uint8
	if a {
		r |= reachA
	}
	if b {
		r |= reachB
	}
	return r
}

// lossOf compares what a member reached before a failure with what it
// reaches after.
func lossOf(had uint8, keepA, keepB bool) int {
	hadA, hadB := had&reachA != 0, had&reachB != 0
	switch {
	case had != 0 && !keepA && !keepB:
		return lostBoth
	case hadA && !keepA:
		return lostA
	case hadB && !keepB:
		return lostB
	}
	return 0
}

// baseReach is what every member site reaches with every link up.
func baseReach(c *cutter) []uint8 {
	f := c.f
	base := make([]uint8, f.n)
	c.cut(nil, -1)
	for m := int32(0); m < int32(f.n); m++ {
		if f.isMember[m] && f.behind[m] < 0 {
			base[m] = bitsOf(c.homedReach(m))
		}
	}
	for k := int32(0); k < int32(f.nSets()); k++ {
		c.setReach(k, func(m int32, a, b bool) { base[m] = bitsOf(a, b) })
	}
	return base
}

// IsolatedSite is a member site that reaches no core site even with every
// link up, and why.
type IsolatedSite struct {
	Site   string `json:"site"`
	Reason string `json:"reason"`
}

// Isolated lists the member sites that reach no core site with every link
// up, in slug order: they have lost the hosting before any failure.
func (a *Analysis) Isolated() []IsolatedSite {
	t, f := a.t, a.f
	out := []IsolatedSite{}
	for v, s := range t.Sites {
		m := int32(v)
		if !f.isMember[m] || a.base[m] != 0 {
			continue
		}
		var why string
		switch {
		case f.upOff[m+1] > f.upOff[m]:
			var pops []string
			for i := f.upOff[m]; i < f.upOff[m+1]; i++ {
				pops = append(pops, t.Sites[f.ev[f.upE[i]]].Slug)
			}
			why = "its uplinks end at " + joinSorted(pops) + ", which reach no core site"
		case f.behind[m] >= 0 && len(a.via(m)) > 0:
			why = "it is fed through member sites " + joinSorted(a.via(m)) + ", which reach no core site"
		case f.behind[m] >= 0:
			var peers []string
			for i := f.feedOff[m]; i < f.feedOff[m+1]; i++ {
				peers = append(peers, t.Sites[f.other(f.feedE[i], m)].Slug)
			}
			why = "it is linked only to member sites without uplinks (" + joinSorted(peers) + ")"
		default:
			why = "it has no routed link that is up to another site"
		}
		out = append(out, IsolatedSite{Site: s.Slug, Reason: why})
	}
	return out
}

// via lists the feeders of member m's behind set.
func (a *Analysis) via(m int32) []string {
	f := a.f
	k := f.behind[m]
	if k < 0 {
		return nil
	}
	var out []string
	for _, w := range f.setFeeder[f.setFeedOff[k]:f.setFeedOff[k+1]] {
		out = append(out, a.t.Sites[w].Slug)
	}
	slices.Sort(out)
	return out
}

func joinSorted(s []string) string {
	s = slices.Clone(s)
	slices.Sort(s)
	return strings.Join(slices.Compact(s), ", ")
}

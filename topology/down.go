package topology

import "slices"

// LinksDown evaluates an arbitrary set of routed links down, by id (as in
// Link.ID): what telemetry sees at one moment, rather than the links one
// cable, duct or site takes down. The answer is the one Cuts gives for a
// failure taking exactly those links down: member sites losing both core
// sites, or one, against the network with every link up. Ids the
// topology does not hold, and links it already counts as down (a disabled
// port, a planned cable), are left out of LinksDown. Kind is "links" and
// Name empty. Like Cuts, it is not safe for concurrent use of one
// Analysis.
func (a *Analysis) LinksDown(ids []string) Failure {
	fl := Failure{Kind: FailLinks, LinksDown: []string{}}
	edges := make([]int32, 0, len(ids))
	for _, id := range ids {
		li, ok := a.t.linkIdx[id]
		if !ok || !a.t.Links[li].Up {
			continue
		}
		fl.LinksDown = append(fl.LinksDown, id)
		if e := a.edgeOfLink[li]; e >= 0 {
			edges = append(edges, e)
		}
	}
	slices.Sort(fl.LinksDown)
	fl.LinksDown = slices.Compact(fl.LinksDown)
	// One cutter kept for every call: a report replays thousands of
	// moments, and a cutter's scratch is sized by the whole network.
	if a.downCut == nil {
		a.downCut = newCutter(a.f, a.coreA, a.coreB)
	}
	return a.evaluate(a.downCut, FailLinks, "", edges, -1, fl.LinksDown)
}

// FailLinks is the kind of a failure given as a set of links (LinksDown),
// not one of the inventory's objects.
const FailLinks FailureKind = "links"

// Reaches says which core sites member site slug reaches with every link
// up: the reference LinksDown measures losses against. A site the
// topology does not hold, or that is not a member, reaches neither.
func (a *Analysis) Reaches(slug string) (coreA, coreB bool) {
	v, ok := a.t.siteIdx[slug]
	if !ok || !a.f.isMember[v] {
		return false, false
	}
	return a.base[v]&reachA != 0, a.base[v]&reachB != 0
}

package telemetry

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tuyau-net/tuyau/topology"
)

// Correlation names what broke. Every duct (shared-risk group), cable and
// site is a candidate explanation with the links topology predicts it
// takes down (topology.Analysis, the same answers as "tuyau topology
// cuts"). Once the link-down alarms have settled, and again whenever a
// target's reachability alarm rises or clears (a dead site's
// target-unreachable comes after its links, RaiseAfter being longer than
// Settle), the candidates are tried greedily: the one explaining the most
// link-down alarms not yet explained wins, provided none of its predicted
// links is seen up. Seen up means reported up by an end whose target is
// trusted: a target disconnected, unreachable or losing samples (a
// telemetry gap) tells its last word, not the link's state, so a link
// only it reports neither confirms nor refutes, like a link with no data.
// On a tie a site whose devices are unreachable comes first, then a duct,
// then a cable, then a site cut off with its devices still answering,
// and then the candidate predicting fewer links. The winner becomes a
// root alarm, the link-down alarms it explains its children. A wider
// explanation takes over the narrower roots it contains, their children
// with them (a duct named while a dead site's targets were still
// answering becomes the site). A root stays until its last child clears,
// so a duct repaired cable by cable keeps its name to the end.

// rootCandidate is one failure topology can predict.
type rootCandidate struct {
	kind                     topology.FailureKind
	name                     string
	rule, objKind            string
	prio                     int
	links                    []*engLink
	cables, ducts            []string
	loseHosting, loseOneCore []string
	devices                  []string // a site's devices
}

// rootAlarm is an active root alarm and the links it explains.
type rootAlarm struct {
	id     string
	cand   *rootCandidate
	links  []*engLink // children, in candidate order
	tgts   []string
	formed time.Time // when it was named
}

type rootCorrelator struct {
	cands  []*rootCandidate
	byLink map[*engLink][]*rootCandidate
	byKey  map[string]*rootCandidate // rule + object
	roots  map[string]*rootAlarm
	owner  map[*engLink]*rootAlarm
	// lastPass is the last time new roots were looked for: link-down
	// alarms raised since are the ones to explain.
	lastPass time.Time
	// rescan asks the next pass to look at every link even without a
	// link-down moved since the last one (alarms restored, a new topology).
	rescan bool
}

const (
	prioSiteDark = iota // a site whose devices do not answer
	prioDuct
	prioCable
	prioSiteCut // a site cut off, its devices still answering
)

func newCorrelator(an *topology.Analysis, links map[string]*engLink, devSite map[string]string, old *rootCorrelator) *rootCorrelator {
	c := &rootCorrelator{byLink: map[*engLink][]*rootCandidate{}, byKey: map[string]*rootCandidate{}, roots: map[string]*rootAlarm{}, owner: map[*engLink]*rootAlarm{}, rescan: true}
	t := an.Topology()
	siteDevs := map[string][]string{}
	for d, s := range devSite {
		siteDevs[s] = append(siteDevs[s], d)
	}
	for _, fl := range an.Cuts(topology.CutOptions{Kinds: []topology.FailureKind{topology.FailSRLG, topology.FailCable, topology.FailSite}, Everything: true}) {
		cd := &rootCandidate{kind: fl.Kind, name: fl.Name, loseHosting: fl.LoseHosting}
		cd.loseOneCore = append(append([]string(nil), fl.LoseCoreA...), fl.LoseCoreB...)
		slices.Sort(cd.loseOneCore)
		for _, id := range fl.LinksDown {
			if l := links[id]; l != nil {
				cd.links = append(cd.links, l)
			}
		}
		if len(cd.links) == 0 {
			continue
		}
		switch fl.Kind {
		case topology.FailSRLG:
			cd.rule, cd.objKind, cd.prio = "duct", "duct", prioDuct
			cd.cables, cd.ducts = fl.Cables, []string{fl.Name}
		case topology.FailCable:
			cd.rule, cd.objKind, cd.prio = "cable", "cable", prioCable
			cd.cables = []string{fl.Name}
			if s, ok := t.Span(fl.Name); ok {
				cd.ducts = s.SRLGs
			}
		case topology.FailSite:
			cd.rule, cd.objKind, cd.prio = "site-loss", "site", prioSiteCut
			cd.devices = siteDevs[fl.Name]
			slices.Sort(cd.devices)
		}
		c.cands = append(c.cands, cd)
		c.byKey[cd.rule+"\x00"+cd.name] = cd
		for _, l := range cd.links {
			c.byLink[l] = append(c.byLink[l], cd)
		}
	}
	if old != nil {
		c.lastPass = old.lastPass
		// Roots survive a reload when topology still predicts them.
		for id, r := range old.roots {
			cd := c.byKey[r.cand.rule+"\x00"+r.cand.name]
			if cd == nil {
				continue
			}
			nr := &rootAlarm{id: id, cand: cd, tgts: r.tgts, formed: r.formed}
			for _, l := range cd.links {
				if slices.Contains(r.links, l) {
					nr.links = append(nr.links, l)
					c.owner[l] = nr
				}
			}
			c.roots[id] = nr
		}
	}
	return c
}

// causeOf returns the root alarm explaining a link, if any.
func (c *rootCorrelator) causeOf(l *engLink) string {
	if r := c.owner[l]; r != nil {
		return r.id
	}
	return ""
}

// correlate updates the roots at now; it reports whether the link-down
// alarms have settled (no raise or clear within the settle time). e.mu held.
func (e *Engine) correlate(now time.Time) bool {
	c := e.corr
	cr := e.rules.Correlation
	settled := now.Sub(e.downMoved) >= cr.Settle.D()
	isDown := func(l *engLink) bool { return l.cond[ruleLinkDown].active }
	// Existing roots keep the children still down and adopt their
	// predicted links that went down since; a root without children clears.
	for _, id := range alarmSortedKeys(c.roots) {
		r := c.roots[id]
		if cr.Disabled {
			e.dropRoot(r, now, "correlation disabled")
			continue
		}
		var links []*engLink
		for _, l := range r.cand.links {
			// Keep the children still down; adopt the predicted links
			// that went down after the root was named, not those that were
			// down before (a dark link is not explained by a new cut).
			if isDown(l) && (c.owner[l] == r || c.owner[l] == nil && !e.downSince(l).Before(r.formed)) {
				links = append(links, l)
			}
		}
		tgts := e.siteTargetsDown(r.cand)
		if len(links) == 0 {
			e.dropRoot(r, now, fmt.Sprintf("%s: every link it took down is back up", r.cand.label()))
			continue
		}
		if !slices.Equal(links, r.links) || !slices.Equal(tgts, r.tgts) {
			for _, l := range r.links {
				delete(c.owner, l)
			}
			r.links, r.tgts = links, tgts
			e.bindRoot(r, now)
		}
	}
	if cr.Disabled || !settled {
		return cr.Disabled || settled
	}
	// Only a link-down raised since the last pass can make a candidate
	// (fresh), or a target-unreachable or telemetry-gap alarm moved (a
	// site's devices lost after its links went down): without one, the
	// scan of every link is skipped.
	if !c.rescan && !c.lastPass.IsZero() && !e.downMoved.After(c.lastPass) && !e.tgtMoved.After(c.lastPass) {
		c.lastPass = now
		return true
	}
	c.rescan = false
	for {
		best := e.bestCandidate()
		if best == nil {
			break
		}
		r := &rootAlarm{id: AlarmID(sourceTelemetry, best.rule, best.objKind, best.name), cand: best, formed: now}
		// A wider explanation replaces the narrower roots it contains and
		// takes their children: the second cable of a duct going down
		// turns the cable into the duct. A dark site takes only those
		// named as it died (takenOver).
		taken := map[*engLink]bool{}
		since := e.horizon(best)
		dark := e.siteDark(best)
		for _, id := range alarmSortedKeys(c.roots) {
			o := c.roots[id]
			if o.id != r.id && linksWithin(o.links, best.links) && (!dark || e.takenOver(o, best, since)) {
				for _, l := range o.links {
					taken[l] = true
				}
				e.dropRoot(o, now, fmt.Sprintf("superseded by %s", best.label()))
			}
		}
		for _, l := range best.links {
			if isDown(l) && c.owner[l] == nil && (taken[l] || e.downSince(l).After(since)) {
				r.links = append(r.links, l)
			}
		}
		r.tgts = e.siteTargetsDown(best)
		c.roots[r.id] = r
		e.bindRoot(r, now)
	}
	c.lastPass = now
	return true
}

// downSince is when the link's link-down alarm was raised.
func (e *Engine) downSince(l *engLink) time.Time {
	if a := e.alarms.byID[l.ids[ruleLinkDown]]; a != nil {
		return a.Raised
	}
	return time.Time{}
}

// horizon is the time after which a link-down is new for a candidate:
// the last pass, or for a site whose targets are lost (unreachable,
// disconnected or gapped) the last time one of them was heard from, less
// the settle time (clocks of several collectors, an interface reported
// down as the device went): its links went down as it died, before its
// target-unreachable rose and the pass that can name the site. A link
// down before (dark since the start, or left unexplained) neither counts
// for a candidate nor refutes it. A target never heard from moves
// nothing: what was down when it was first seen is not its loss.
func (e *Engine) horizon(cd *rootCandidate) time.Time {
	h := e.corr.lastPass
	for _, d := range cd.devices {
		t := e.targets[d]
		if t == nil || !e.targetSuspect(t) || t.h.LastUpdate.IsZero() {
			continue
		}
		if at := t.h.LastUpdate.Add(-e.rules.Correlation.Settle.D()); at.Before(h) {
			h = at
		}
	}
	return h
}

// targetSuspect says whether a target's reports may be stale: it is
// disconnected, or its target-unreachable or telemetry-gap alarm is
// active. e.mu held.
func (e *Engine) targetSuspect(t *engTarget) bool {
	return t.seen && !t.h.Connected || t.cond[ruleUnreachable].active || t.cond[ruleGap].active
}

// seenUp says whether a link is up by the word of an end that can be
// believed: no end reports it down and one whose target is not suspect
// reports it up. A link whose only up ends are lost targets is unknown,
// not up (a dead site's transit circuit, which only its router reports).
// e.mu held.
func (e *Engine) seenUp(l *engLink) bool {
	up := false
	for i := 0; i < l.n; i++ {
		end := &l.ends[i]
		switch end.oper {
		case "down":
			return false
		case "up":
			if t := e.targets[end.device]; t == nil || !e.targetSuspect(t) {
				up = true
			}
		}
	}
	return up
}

// bestCandidate picks the explanation of the most unexplained link-down
// alarms, by the order the package comment gives. e.mu held.
func (e *Engine) bestCandidate() *rootCandidate {
	c := e.corr
	minLinks := e.rules.Correlation.MinLinks
	var best *rootCandidate
	bestN, bestPrio := 0, 0
	seen := map[*rootCandidate]bool{}
	for _, r := range c.roots {
		seen[r.cand] = true // named already: it adopts its own links
	}
	// The earliest horizon of any candidate: only a link down since can
	// make one (a pass costs the links that moved, not every dark one).
	early := c.lastPass
	for _, t := range e.tgtList {
		if !t.h.LastUpdate.IsZero() && e.targetSuspect(t) {
			if at := t.h.LastUpdate.Add(-e.rules.Correlation.Settle.D()); at.Before(early) {
				early = at
			}
		}
	}
	for _, l := range e.links {
		// A link a site root explains is settled; one a duct or a cable
		// explains may yet be a dark site's.
		if o := c.owner[l]; !l.cond[ruleLinkDown].active || o != nil && o.cand.kind == topology.FailSite || !e.downSince(l).After(early) {
			continue
		}
		for _, cd := range c.byLink[l] {
			if seen[cd] {
				continue
			}
			seen[cd] = true
			dark := e.siteDark(cd)
			since := e.horizon(cd)
			n, all, contra := 0, true, false
			for _, m := range cd.links {
				if e.seenUp(m) {
					contra = true
					break
				}
				if !m.cond[ruleLinkDown].active {
					all = false
					continue
				}
				// A dark site counts the links of the narrower roots it
				// takes over (a duct named as it died, before its targets
				// were found lost).
				if o := c.owner[m]; o == nil && e.downSince(m).After(since) || o != nil && dark && e.takenOver(o, cd, since) {
					n++
				}
			}
			if contra || n == 0 {
				continue
			}
			prio := cd.prio
			switch {
			case dark:
				prio = prioSiteDark
			case cd.kind == topology.FailSite && (!all || n < minLinks):
				continue
			case cd.kind != topology.FailSite && n < minLinks:
				continue
			}
			better := best == nil || n > bestN || n == bestN && (prio < bestPrio ||
				prio == bestPrio && (len(cd.links) < len(best.links) || len(cd.links) == len(best.links) && cd.name < best.name))
			if better {
				best, bestN, bestPrio = cd, n, prio
			}
		}
	}
	return best
}

// siteDark says whether a candidate is a site whose devices are all
// unreachable. e.mu held.
func (e *Engine) siteDark(cd *rootCandidate) bool {
	return cd.kind == topology.FailSite && len(cd.devices) > 0 && len(e.siteTargetsDown(cd)) == len(cd.devices)
}

// takenOver says whether a dark site takes over a narrower root: a duct or
// cable root within its links named since its targets were last heard
// from, the same failure seen before the targets were found lost. A root
// named before (a duct dark since the start, inside the site) stays
// itself: the site explains what went down as it died. e.mu held.
func (e *Engine) takenOver(o *rootAlarm, cd *rootCandidate, since time.Time) bool {
	return o.cand != cd && o.cand.kind != topology.FailSite && o.formed.After(since) && linksWithin(o.links, cd.links)
}

// siteTargetsDown lists a site candidate's devices whose target-unreachable
// alarm is active.
func (e *Engine) siteTargetsDown(cd *rootCandidate) []string {
	var out []string
	for _, d := range cd.devices {
		if t := e.targets[d]; t != nil && t.cond[ruleUnreachable].active {
			out = append(out, d)
		}
	}
	return out
}

func linksWithin(a, b []*engLink) bool {
	for _, l := range a {
		if !slices.Contains(b, l) {
			return false
		}
	}
	return true
}

// bindRoot raises or updates the root alarm and points its children at it.
func (e *Engine) bindRoot(r *rootAlarm, now time.Time) {
	c := e.corr
	cd := r.cand
	a := Alarm{ID: r.id, Rule: cd.rule, Source: sourceTelemetry, Severity: e.rules.Correlation.Severity, ObjectKind: cd.objKind, Object: cd.name,
		Cables: slices.Clone(cd.cables), Ducts: slices.Clone(cd.ducts), LoseHosting: slices.Clone(cd.loseHosting), LoseOneCore: slices.Clone(cd.loseOneCore)}
	if len(cd.loseHosting) > 0 || cd.kind == topology.FailSite {
		a.Severity = SevCritical
	}
	sites := map[string]bool{}
	for _, s := range cd.loseHosting {
		sites[s] = true
	}
	for _, s := range cd.loseOneCore {
		sites[s] = true
	}
	if cd.kind == topology.FailSite {
		sites[cd.name] = true
	}
	for _, l := range r.links {
		c.owner[l] = r
		a.Children = append(a.Children, l.ids[ruleLinkDown])
		for _, s := range linkSites(l) {
			sites[s] = true
		}
	}
	for _, d := range r.tgts {
		if t := e.targets[d]; t != nil && t.ids[ruleUnreachable] != "" {
			a.Children = append(a.Children, t.ids[ruleUnreachable])
		}
	}
	slices.Sort(a.Children)
	a.Sites = alarmSortedKeys(sites)
	a.Message = cd.message(len(r.links), len(r.tgts))
	a.Attrs = map[string]string{"links_down": fmt.Sprint(len(r.links)), "links_predicted": fmt.Sprint(len(cd.links))}
	rec := e.alarms.byID[r.id]
	if rec == nil || rec.State != AlarmActive {
		rec = e.alarms.raise(a, now)
	} else {
		a.State, a.Raised, a.Updated = rec.State, rec.Raised, now
		a.Acked, a.AckedBy, a.AckedAt = rec.Acked, rec.AckedBy, rec.AckedAt
		rec.Alarm = a
		e.alarms.touch(rec)
	}
	for _, id := range a.Children {
		if ch := e.alarms.byID[id]; ch != nil && ch.Parent != r.id {
			ch.Parent, ch.Updated = r.id, now
			e.alarms.touch(ch)
		}
	}
}

// dropRoot clears a root alarm and releases its children.
func (e *Engine) dropRoot(r *rootAlarm, now time.Time, why string) {
	c := e.corr
	for _, l := range r.links {
		if c.owner[l] == r {
			delete(c.owner, l)
		}
	}
	delete(c.roots, r.id)
	e.alarms.clear(r.id, now, why)
}

func (cd *rootCandidate) label() string {
	switch cd.kind {
	case topology.FailCable:
		return "cable " + cd.name
	case topology.FailSite:
		return "site " + cd.name
	}
	return cd.name
}

// message says what the root alarm suspects and what it costs the members.
func (cd *rootCandidate) message(links, tgts int) string {
	var b strings.Builder
	switch cd.kind {
	case topology.FailSite:
		fmt.Fprintf(&b, "site %s lost: %d links down", cd.name, links)
		if tgts > 0 {
			fmt.Fprintf(&b, ", %d of %d devices unreachable", tgts, len(cd.devices))
		}
	default:
		fmt.Fprintf(&b, "%s suspected: %d links down", cd.label(), links)
	}
	if len(cd.loseHosting) > 0 {
		fmt.Fprintf(&b, "; %d member sites lose the hosting (%s)", len(cd.loseHosting), strings.Join(cd.loseHosting, ", "))
	}
	if len(cd.loseOneCore) > 0 {
		fmt.Fprintf(&b, "; %d keep one core site only (%s)", len(cd.loseOneCore), strings.Join(cd.loseOneCore, ", "))
	}
	return b.String()
}

func alarmSortedKeys[V any](m map[string]V) []string {
	sortedNames := make([]string, 0, len(m))
	for k := range m {
		sortedNames = append(sortedNames, k)
	}
	slices.Sort(sortedNames)
	return sortedNames
}

package telemetry

import (
	"cmp"
	"maps"
	"slices"
)

// Restore loads the alarms a sink kept (at start, before the first Tick):
// their ids, raise times and acknowledgements stay, and the active ones
// are bound to their conditions so that they clear through the rules like
// any other, not raise a second time. An active alarm on an object no
// longer in the inventory is cleared; events stay until their source
// clears them.
func (e *Engine) Restore(alarms []Alarm) {
	now := e.clock()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.corr.rescan = true // restored link-down alarms may be fresh
	e.decideAll = true
	var roots []Alarm
	for _, a := range alarms {
		if a.ID == "" {
			continue
		}
		rec := e.alarms.byID[a.ID]
		if rec == nil {
			rec = &alarmRecord{}
			e.alarms.byID[a.ID] = rec
		}
		rec.Alarm = a
		if a.State != AlarmActive {
			continue
		}
		if a.Source != sourceTelemetry {
			e.events[a.ID] = &eventCond{id: a.ID, cond: alarmCond{active: true}, last: Event{Source: a.Source, Rule: a.Rule,
				Severity: a.Severity, ObjectKind: a.ObjectKind, Object: a.Object, Active: true, Message: a.Message,
				Time: a.Raised, Sites: slices.Clone(a.Sites), Attrs: maps.Clone(a.Attrs)}}
			continue
		}
		bound := false
		switch a.ObjectKind {
		case "link":
			if l := e.linkByID[a.Object]; l != nil {
				if i := slices.Index(linkRuleNames[:], a.Rule); i >= 0 {
					l.cond[i], l.ids[i], bound = alarmCond{active: true}, a.ID, true
				}
			}
		case "target":
			if i := slices.Index(targetRuleNames[:], a.Rule); i >= 0 {
				t := e.targetLocked(a.Object)
				t.cond[i], t.ids[i], bound = alarmCond{active: true}, a.ID, true
			}
		case "duct", "cable", "site":
			roots = append(roots, a)
			bound = true
		}
		if !bound {
			e.alarms.clear(a.ID, now, a.Message+" (no longer in the inventory)")
		}
	}
	// Roots last: their children are bound by now.
	for _, a := range roots {
		cd := e.corr.byKey[a.Rule+"\x00"+a.Object]
		if cd == nil {
			e.alarms.clear(a.ID, now, a.Message+" (no longer in the inventory)")
			continue
		}
		r := &rootAlarm{id: a.ID, cand: cd, formed: a.Raised}
		for _, l := range cd.links {
			if slices.Contains(a.Children, l.ids[ruleLinkDown]) && l.cond[ruleLinkDown].active {
				r.links = append(r.links, l)
				e.corr.owner[l] = r
			}
		}
		for _, d := range cd.devices {
			if t := e.targets[d]; t != nil && slices.Contains(a.Children, t.ids[ruleUnreachable]) {
				r.tgts = append(r.tgts, d)
			}
		}
		e.corr.roots[a.ID] = r
	}
}

// targetLocked returns the target record, creating it. e.mu held.
func (e *Engine) targetLocked(name string) *engTarget {
	t := e.targets[name]
	if t == nil {
		t = &engTarget{site: e.devSite[name]}
		t.h.Name = name
		e.targets[name] = t
		i, _ := slices.BinarySearchFunc(e.tgtList, name, func(t *engTarget, n string) int { return cmp.Compare(t.h.Name, n) })
		e.tgtList = slices.Insert(e.tgtList, i, t)
	}
	return t
}

// RestoreLinks takes back the Rx baselines a sink kept (LinkEnd.BaselineDBm)
// for the links that still exist, so that a restart does not learn a
// degraded fiber as its new normal. Call it at start, with Restore.
func (e *Engine) RestoreLinks(links []LinkState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ls := range links {
		l := e.linkByID[ls.ID]
		if l == nil {
			continue
		}
		for i, end := range [2]LinkEnd{ls.A, ls.B} {
			le := &l.ends[i]
			if i < l.n && end.HasBaseline && !le.base.ok && end.Device == le.device && end.Interface == le.name {
				le.base = rxBaseline{value: end.BaselineDBm, ok: true}
			}
		}
	}
}

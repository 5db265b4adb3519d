package telemetry

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Tick evaluates the rules at now and returns what changed since the last
// Tick: the interfaces and links with new data, the state changes (links,
// interfaces, targets, BGP sessions) and the alarms raised, cleared,
// acknowledged or re-parented. The collector calls it at its flush
// interval and hands the batch to its sinks.
func (e *Engine) Tick(now time.Time) Batch {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b Batch
	e.collect(&b, now)
	if e.standby {
		e.standbyTick(&b, now)
		return b
	}
	if e.syncLinks {
		e.syncLinks = false
		for _, l := range e.links {
			if l.st.Oper != "" {
				e.linkChg = append(e.linkChg, StateChange{Time: now, ObjectKind: "link", Object: l.t.ID, From: "unknown", To: l.st.Oper})
			}
		}
	}
	e.tickN++
	sampled := e.takeSampled()
	// Sized once: a LinkState is over a kilobyte, and growing the slice
	// by doubling allocated twice what a hand-over holds.
	if len(sampled) > 0 {
		if cap(e.linkStates) >= len(sampled) {
			b.Links, e.linkStates = e.linkStates[:0], nil
		} else {
			b.Links = make([]LinkState, 0, len(sampled))
		}
	}
	for _, l := range sampled {
		l.sample = false
		prev := l.st.Oper
		fig := l.evaluate(&e.rules.Optics)
		l.observeRules(&e.rules, fig, now)
		b.Links = append(b.Links, l.st)
		if prev != l.st.Oper {
			from := prev
			if from == "" {
				from = "unknown"
			}
			at := l.st.Updated
			if at.IsZero() {
				at = now
			}
			e.linkChg = append(e.linkChg, StateChange{Time: at, ObjectKind: "link", Object: l.t.ID, From: from, To: l.st.Oper})
		}
		e.decideOnce(l, now)
	}
	// Links without new samples need a look only when time alone can
	// decide them: a condition pending its raise_after or clear_after.
	watch := e.watch
	if e.decideAll {
		watch = e.links
		e.decideAll = false
	}
	for _, l := range watch {
		e.decideOnce(l, now)
	}
	e.watch, e.spareWatch = e.spareWatch[:0], e.watch
	clear(e.spareWatch)
	for _, l := range e.watching {
		if !l.gone && l.watchN == e.tickN {
			e.watch = append(e.watch, l)
		}
	}
	e.watching = e.watching[:0]
	e.decideTargets(now)
	e.decideEvents(now)
	settled := e.correlate(now)
	// Link transitions wait for the correlation to settle so that they
	// carry the root alarm that explains them; a minute at most.
	if settled || len(e.linkChg) > 0 && now.Sub(e.linkChg[0].Time) > time.Minute {
		for i := range e.linkChg {
			c := &e.linkChg[i]
			if l := e.linkByID[c.Object]; l != nil {
				c.Cause = e.corr.causeOf(l)
			}
		}
		e.changes = append(e.changes, e.linkChg...)
		e.linkChg = e.linkChg[:0]
	}
	b.Changes, e.changes = e.changes, nil
	b.Alarms = e.alarms.changed(now, e.rules.Retention)
	return b
}

// takeSampled returns the links sampled since the last Tick in the
// inventory's order, and empties the list. e.mu held.
func (e *Engine) takeSampled() []*engLink {
	list := e.sampled
	e.sampled, e.spareLinks = e.spareLinks[:0], list
	slices.SortFunc(list, func(a, b *engLink) int { return a.idx - b.idx })
	return list
}

// decideOnce decides the link's alarms at most once per Tick and keeps it
// watched while a condition waits for time alone (raise_after,
// clear_after): one counting samples is decided when the next comes. e.mu
// held.
func (e *Engine) decideOnce(l *engLink, now time.Time) {
	if l.tickN == e.tickN || l.gone {
		return
	}
	l.tickN = e.tickN
	e.decideLink(l, now)
	for i := range l.cond {
		if l.cond[i].timed(e.rules.linkRule(i)) {
			if l.watchN != e.tickN {
				l.watchN = e.tickN
				e.watching = append(e.watching, l)
			}
			break
		}
	}
}

// collect snapshots the interfaces and sessions that changed since the
// last Tick and marks their links for evaluation: only the devices that
// Observe (or a connection change) queued. e.mu held.
func (e *Engine) collect(b *Batch, now time.Time) {
	e.devMu.RLock()
	defer e.devMu.RUnlock()
	e.dirtyMu.Lock()
	devs := e.dirtyDevs
	e.dirtyDevs, e.spareDevs = e.spareDevs[:0], devs
	e.dirtyMu.Unlock()
	// The order of the inventory's device names, as a full scan gave.
	slices.SortFunc(devs, func(a, b *engDevice) int { return strings.Compare(a.name, b.name) })
	defer clear(devs)
	n := 0
	for _, d := range devs {
		n += len(d.ifList)
	}
	if n > 0 {
		b.Interfaces, e.ifaceStates = slices.Grow(e.ifaceStates[:0], n), nil
	}
	for _, d := range devs {
		d.mu.Lock()
		d.queued = false
		all := d.connDirty
		d.connDirty = false
		for _, f := range d.ifList {
			if !f.dirty && !all {
				continue
			}
			f.dirty = false
			s := f.snapshot(d.name)
			b.Interfaces = append(b.Interfaces, s)
			if f.oper != f.pubOper || !f.published && f.oper != "" {
				e.changes = append(e.changes, StateChange{Time: unixOr(f.operTs, now), ObjectKind: "interface",
					Object: d.name + ":" + f.name, From: orUnknown(f.pubOper), To: orUnknown(f.oper)})
				f.pubOper, f.published = f.oper, true
			}
			if l := f.link; l != nil {
				for i := 0; i < l.n; i++ {
					end := &l.ends[i]
					if end.ifc != f {
						continue
					}
					end.snap = s
					end.rated, end.rxSamples = f.rated(), f.rxSamples
					end.oper = operOf(s.Oper)
					if d.conn == connDown {
						end.oper = "" // the device is not telling: its last word is stale
					}
				}
				e.sampleLink(l)
			}
		}
		for _, s := range d.sessList {
			if !s.dirty {
				continue
			}
			s.dirty = false
			if s.state != s.pub {
				e.changes = append(e.changes, StateChange{Time: unixOr(s.ts, now), ObjectKind: "session",
					Object: d.name + " " + s.neighbor, From: orUnknown(s.pub), To: orUnknown(s.state)})
				s.pub = s.state
			}
		}
		d.mu.Unlock()
	}
}

func unixOr(ns int64, now time.Time) time.Time {
	if ns == 0 {
		return now
	}
	return time.Unix(0, ns).UTC()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// decideLink raises and clears the link's alarms that are due. e.mu held.
func (e *Engine) decideLink(l *engLink, now time.Time) {
	for i := range l.cond {
		c := &l.cond[i]
		r := e.rules.linkRule(i)
		if r.Disabled {
			if c.active {
				c.active = false
				e.alarms.clear(l.ids[i], now, "")
			}
			continue
		}
		if !c.pending() {
			continue
		}
		raise, clr := c.due(r, now)
		switch {
		case raise:
			c.active = true
			a := e.linkAlarm(l, i, r)
			l.ids[i] = a.ID
			e.alarms.raise(a, now)
			if i == ruleLinkDown {
				e.downMoved = now
			}
		case clr:
			c.active = false
			e.alarms.clear(l.ids[i], now, "")
			if i == ruleLinkDown {
				e.downMoved = now
			}
		}
	}
}

// linkAlarm builds the alarm of rule i on a link from its current state.
func (e *Engine) linkAlarm(l *engLink, i int, r Rule) Alarm {
	st := &l.st
	a := Alarm{ID: AlarmID(sourceTelemetry, linkRuleNames[i], "link", l.t.ID), Rule: linkRuleNames[i], Source: sourceTelemetry,
		Severity: r.Severity, ObjectKind: "link", Object: l.t.ID,
		Cables: append([]string(nil), l.t.Cables...), Ducts: append([]string(nil), l.t.SRLGs...), Sites: linkSites(l)}
	rxEnd := func() string {
		if st.RxEnd == "b" {
			return l.t.B
		}
		return l.t.A
	}
	switch i {
	case ruleLinkDown:
		var ends []string
		for j := 0; j < l.n; j++ {
			en := &l.ends[j]
			ends = append(ends, en.device+":"+en.name+" "+orUnknown(en.snap.Oper))
		}
		a.Message = fmt.Sprintf("link %s down (%s)", l.t.ID, strings.Join(ends, ", "))
	case ruleRxMargin:
		a.Message = fmt.Sprintf("%s receives %.1f dBm: %.1f dB of margin left at worst-case launch power (planned %.1f dB, %.1f dB of loss beyond plan)",
			rxEnd(), st.MeasuredRxDBm, st.WorstCaseMarginDB, st.BudgetMarginDB, st.ExcessLossDB)
		a.Attrs = map[string]string{"rx_dbm": f1(st.MeasuredRxDBm), "expected_rx_dbm": f1(st.ExpectedRxDBm),
			"worst_case_margin_db": f1(st.WorstCaseMarginDB), "budget_margin_db": f1(st.BudgetMarginDB)}
	case ruleRxDrift:
		a.Message = fmt.Sprintf("%s receives %.1f dBm, %.1f dB below its baseline of %.1f dBm", rxEnd(), st.MeasuredRxDBm, -st.DriftDB, st.BaselineDBm)
		a.Attrs = map[string]string{"rx_dbm": f1(st.MeasuredRxDBm), "baseline_dbm": f1(st.BaselineDBm)}
	case ruleUtilization:
		a.Message = fmt.Sprintf("link %s at %.0f%% of its %d Mbit/s", l.t.ID, 100*st.Utilization, st.SpeedMbps)
	case ruleErrors, ruleDiscards:
		what, v := "errors", st.A.ErrorsPerSec+st.B.ErrorsPerSec
		if i == ruleDiscards {
			what, v = "discards", st.A.DiscardsPerSec+st.B.DiscardsPerSec
		}
		a.Message = fmt.Sprintf("link %s: %.1f %s per second (A %s, B %s)", l.t.ID, v, what, l.t.A, l.t.B)
	}
	return a
}

func f1(v float64) string { return fmt.Sprintf("%.1f", v) }

func linkSites(l *engLink) []string {
	var s []string
	if l.t.ASite != "" {
		s = append(s, l.t.ASite)
	}
	if l.t.BSite != "" && l.t.BSite != l.t.ASite {
		s = append(s, l.t.BSite)
	}
	return s
}

package telemetry

import "time"

// Several collectors share a network's targets (docs/telemetry.md,
// "Several collectors"): each streams the targets it holds a lease on and
// runs an engine over them, for their interfaces' rates and state; only
// the holder of EngineLease decides alarms, over every target's data. The
// others keep their engine in standby. The holder feeds its engine what
// the others published (ObserveShared), and on taking the engine over
// restores the alarms and baselines the previous holder wrote (Restore,
// RestoreLinks).

// EngineLease is the lease whose holder runs the alarm engine for the
// whole network, beside the targets' leases in a LeaseHolder's Owned.
const EngineLease = "@engine"

// SetStandby puts the engine in standby (another collector runs the
// alarms) or back to deciding. In standby Tick still rates interfaces and
// joins links but raises, clears and correlates nothing and returns no
// alarms nor link transitions; the alarm state is forgotten, so that
// taking over starts from what the holder wrote (Restore), not from a
// stale picture of our own. Hysteresis runs stay warm.
func (e *Engine) SetStandby(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.standby == on {
		return
	}
	e.standby = on
	e.decideAll = true
	e.corr.rescan = true
	if !on {
		// The standby engine evaluated the links without recording their
		// changes: the history is told, at the takeover, the state of
		// every link known, so that a reader replaying it (the
		// availability reports) does not keep what it last heard from
		// the previous holder.
		e.syncLinks = true
		return
	}
	e.alarms = newAlarmTable()
	for _, l := range e.links {
		for i := range l.cond {
			l.cond[i].active, l.ids[i] = false, ""
		}
	}
	for _, t := range e.tgtList {
		for i := range t.cond {
			t.cond[i].active, t.ids[i] = false, ""
		}
	}
	clear(e.events)
	clear(e.corr.roots)
	clear(e.corr.owner)
	e.linkChg = e.linkChg[:0]
}

// Standby says whether the engine is in standby.
func (e *Engine) Standby() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.standby
}

// ObserveShared takes the interfaces and target health that other
// collectors published for the targets they hold: the interfaces stand
// for their devices' raw updates (rates as their collector measured them)
// until updates of the device arrive here again, and the health feeds the
// target rules. Their state changes are their collector's to publish, so
// none is made here. An unchanged interface costs a comparison.
func (e *Engine) ObserveShared(ifaces []InterfaceState, targets []TargetHealth) {
	for _, h := range targets {
		e.observeTarget(h, false)
	}
	e.devMu.Lock()
	defer e.devMu.Unlock()
	var d *engDevice
	for i := range ifaces {
		s := &ifaces[i]
		if s.Device == "" || s.Interface == "" {
			continue
		}
		if d == nil || d.name != s.Device {
			if d != nil {
				d.mu.Unlock()
			}
			d = e.deviceLocked(s.Device)
			d.mu.Lock()
		}
		f := d.ifaceLocked(s.Interface)
		if f.ext != nil && *f.ext == *s {
			continue
		}
		switch {
		case f.ext == nil || s.RxSamples < f.ext.RxSamples:
			if s.RxSamples > 0 {
				f.rxSamples++
			}
		case s.RxSamples > f.ext.RxSamples:
			f.rxSamples += s.RxSamples - f.ext.RxSamples
		}
		cp := *s
		f.ext = &cp
		f.oper, f.pubOper, f.published = s.Oper, s.Oper, true
		if !s.Updated.IsZero() {
			f.operTs, f.updated = s.Updated.UnixNano(), s.Updated.UnixNano()
		}
		f.dirty = true
		e.queueLocked(d)
	}
	if d != nil {
		d.mu.Unlock()
	}
}

// standbyTick is Tick in standby: interfaces and state changes of the
// collector's own devices, links evaluated (their hysteresis runs stay
// warm) but not returned: the holder publishes them. e.mu held.
func (e *Engine) standbyTick(b *Batch, now time.Time) {
	for _, l := range e.takeSampled() {
		l.sample = false
		fig := l.evaluate(&e.rules.Optics)
		l.observeRules(&e.rules, fig, now)
	}
	b.Changes, e.changes = e.changes, nil
}

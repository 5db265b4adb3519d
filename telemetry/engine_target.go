package telemetry

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Target rules, by index into target.cond.
const (
	ruleUnreachable = iota
	ruleGap
	nTargetRules
)

var targetRuleNames = [nTargetRules]string{"target-unreachable", "telemetry-gap"}

func (r *Rules) targetRule(i int) Rule {
	if i == ruleUnreachable {
		return r.TargetUnreachable
	}
	return r.TelemetryGap
}

// engTarget is a gNMI target's health and the hysteresis of its rules.
type engTarget struct {
	h    TargetHealth
	seen bool
	site string
	cond [nTargetRules]alarmCond
	ids  [nTargetRules]string
	// The gap ledger at the start of the current window, and what the
	// last window lost.
	winStart          time.Time
	winExp, winGaps   uint64
	missing, expected uint64
}

// ObserveTarget records a target's health as the collector reports it:
// connection, last update, the gap ledger. A reconnection starts a new
// counter epoch for the device, so that a counter that went back across it
// is taken for a reboot rather than a wrap.
func (e *Engine) ObserveTarget(h TargetHealth) { e.observeTarget(h, true) }

// NewCounterEpoch starts a new counter epoch for a device: the collector
// calls it when the device's stream connects, before that stream's first
// update, so that a counter that went back across it is taken for a reset
// (a reboot), never a wrap. ObserveTarget starts one too when it sees a
// reconnection, but only at the next flush, after the new stream's first
// samples were applied: a 64-bit counter in the upper half of 32 bits
// that a reboot had reset read as a 32-bit wrap, over 10 Gbit/s on a 10 G
// link (TestTelemetryRedisManche).
func (e *Engine) NewCounterEpoch(target string) {
	e.devMu.Lock()
	d := e.deviceLocked(target)
	e.devMu.Unlock()
	d.mu.Lock()
	d.epoch++
	d.mu.Unlock()
}

// observeTarget is ObserveTarget; emit says whether a connection change
// is this engine's to publish (not for a target another collector holds).
func (e *Engine) observeTarget(h TargetHealth, emit bool) {
	now := e.clock()
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.targetLocked(h.Name)
	at := h.Since
	if at.IsZero() {
		at = now
	}
	prev := t.h
	reconnected := t.seen && (h.Reconnects != prev.Reconnects || h.Connected && !prev.Connected)
	if emit && (!t.seen || h.Connected != prev.Connected) {
		from := "unknown"
		if t.seen {
			from = upDown(prev.Connected)
		}
		e.changes = append(e.changes, StateChange{Time: at, ObjectKind: "target", Object: h.Name, From: from, To: upDown(h.Connected)})
	}
	e.devMu.Lock()
	d := e.deviceLocked(h.Name)
	e.devMu.Unlock()
	d.mu.Lock()
	if reconnected {
		d.epoch++
	}
	conn := connDown
	if h.Connected {
		conn = connUp
	}
	if d.conn != conn {
		d.conn, d.connDirty = conn, true
		e.queueLocked(d)
	}
	d.mu.Unlock()

	if !e.rules.TargetUnreachable.Disabled {
		t.cond[ruleUnreachable].observe(!h.Connected, h.Connected, now)
	}
	// The gap ledger: the slots the collector counts as missed (a sample
	// later than its interval plus a grace) against those the subscription
	// promised, over windows of at least the rule's window: a report every
	// flush would see a sample due but not yet arrived. A ledger that went
	// back (the collector restarted its count) or a disconnection starts a
	// new window; a disconnected target is target-unreachable's business.
	gr := e.rules.TelemetryGap
	switch {
	case !t.seen || !h.Connected || h.Expected < t.winExp || h.Gaps < t.winGaps:
		t.winStart, t.winExp, t.winGaps = now, h.Expected, h.Gaps
	case now.Sub(t.winStart) >= gr.Window.D() && h.Expected > t.winExp:
		exp, miss := h.Expected-t.winExp, h.Gaps-t.winGaps
		share := float64(miss) / float64(exp)
		t.missing, t.expected = miss, exp
		if !gr.Disabled {
			t.cond[ruleGap].observe(share > gr.Threshold, share <= gr.Clear, now)
		}
		t.winStart, t.winExp, t.winGaps = now, h.Expected, h.Gaps
	}
	t.h, t.seen = h, true
}

func upDown(b bool) string {
	if b {
		return "up"
	}
	return "down"
}

// Targets returns the health of every target reported, sorted by name.
func (e *Engine) Targets() []TargetHealth {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]TargetHealth, 0, len(e.tgtList))
	for _, t := range e.tgtList {
		out = append(out, t.h)
	}
	return out
}

// decideTargets raises and clears the target alarms due. e.mu held.
func (e *Engine) decideTargets(now time.Time) {
	for _, t := range e.tgtList {
		for i := range t.cond {
			r := e.rules.targetRule(i)
			c := &t.cond[i]
			if r.Disabled {
				if c.active {
					e.alarms.clear(t.ids[i], now, "")
					c.active = false
				}
				continue
			}
			raise, clr := c.due(r, now)
			switch {
			case raise:
				c.active = true
				a := e.targetAlarm(t, i, r)
				t.ids[i] = a.ID
				e.alarms.raise(a, now)
				e.tgtMoved = now // a site may be named now (correlate)
			case clr:
				c.active = false
				e.alarms.clear(t.ids[i], now, "")
				e.tgtMoved = now
			}
		}
	}
}

func (e *Engine) targetAlarm(t *engTarget, i int, r Rule) Alarm {
	h := t.h
	a := Alarm{ID: AlarmID(sourceTelemetry, targetRuleNames[i], "target", h.Name), Rule: targetRuleNames[i], Source: sourceTelemetry,
		Severity: r.Severity, ObjectKind: "target", Object: h.Name}
	if t.site != "" {
		a.Sites = []string{t.site}
	}
	switch i {
	case ruleUnreachable:
		a.Message = fmt.Sprintf("target %s (%s) unreachable since %s", h.Name, h.Address, h.Since.UTC().Format(time.RFC3339))
		if h.LastError != "" {
			a.Message += ": " + h.LastError
		}
	case ruleGap:
		a.Message = fmt.Sprintf("target %s: %d of the %d samples its subscription promised were missed (%.0f%%), %d so far",
			h.Name, t.missing, t.expected, 100*float64(t.missing)/float64(max(t.expected, 1)), h.Gaps)
		a.Attrs = map[string]string{"missing": fmt.Sprint(t.missing), "expected": fmt.Sprint(t.expected)}
	}
	return a
}

const sourceTelemetry = "telemetry"

// eventCond is a condition another package reports through Ingest.
type eventCond struct {
	id   string
	last Event
	cond alarmCond
}

// Ingest takes an event from another package (the BGP speaker): a
// condition that became true (Active) or false on an object. It goes
// through the same hysteresis (Rules.Events by rule name; by default the
// first report raises and the first clear clears), deduplication and
// acknowledgement as the engine's own alarms, in the next Tick.
func (e *Engine) Ingest(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = e.clock()
	}
	if ev.Source == "" {
		ev.Source = "external"
	}
	id := AlarmID(ev.Source, ev.Rule, ev.ObjectKind, ev.Object)
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.events[id]
	if c == nil {
		c = &eventCond{id: id}
		e.events[id] = c
	}
	c.last = ev
	c.cond.observe(ev.Active, !ev.Active, ev.Time)
}

func (e *Engine) eventRule(name string) Rule {
	if r, ok := e.rules.Events[name]; ok {
		return r
	}
	return eventDefault
}

// decideEvents raises and clears the event alarms due. e.mu held.
func (e *Engine) decideEvents(now time.Time) {
	for id, c := range e.events {
		r := e.eventRule(c.last.Rule)
		raise, clr := c.cond.due(r, now)
		switch {
		case raise && !r.Disabled:
			c.cond.active = true
			ev := c.last
			sev := r.Severity
			if sev == "" {
				sev = ev.Severity
			}
			if sev == "" {
				sev = SevMajor
			}
			a := Alarm{ID: id, Rule: ev.Rule, Source: ev.Source, Severity: sev, ObjectKind: ev.ObjectKind, Object: ev.Object,
				Message: ev.Message, Sites: slices.Clone(ev.Sites), Attrs: maps.Clone(ev.Attrs)}
			e.alarms.raise(a, ev.Time)
		case clr || r.Disabled && c.cond.active:
			c.cond.active = false
			// The source's own words for the end (a BGP prefix "restored:
			// ... back in the core's view") replace the raise's message.
			why := ""
			if clr && !c.last.Active {
				why = c.last.Message
			}
			e.alarms.clear(id, c.last.Time, why)
		}
		if !c.cond.active && !c.cond.pending() && !e.alarms.isActive(id) {
			delete(e.events, id)
		}
	}
}

package telemetry

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrUnknownAlarm is returned when acknowledging an id the engine does not hold.
var ErrUnknownAlarm = errors.New("no such alarm")

// AlarmID is the stable id of a condition on an object: the same source,
// rule and object always give the same id, across restarts and
// collectors, so that raising twice is a no-op and an acknowledgement
// survives a restart.
func AlarmID(source, rule, kind, object string) string {
	h := sha256.New()
	for _, s := range []string{source, rule, kind, object} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}

// alarmCond is the hysteresis of one condition on one object.
type alarmCond struct {
	bad, good           int
	badSince, goodSince time.Time
	active              bool
}

// observe records one sample: bad (past the threshold), good (back past
// the clear level) or, when neither, a value in the dead band that resets
// both runs.
func (c *alarmCond) observe(bad, good bool, now time.Time) {
	switch {
	case bad:
		c.good, c.goodSince = 0, time.Time{}
		if c.bad == 0 {
			c.badSince = now
		}
		c.bad++
	case good:
		c.bad, c.badSince = 0, time.Time{}
		if c.good == 0 {
			c.goodSince = now
		}
		c.good++
	default:
		c.bad, c.good = 0, 0
		c.badSince, c.goodSince = time.Time{}, time.Time{}
	}
}

// due says whether the alarm must be raised or cleared now.
func (c *alarmCond) due(r Rule, now time.Time) (raise, clear bool) {
	if !c.active && c.bad > 0 {
		raise = reached(c.bad, c.badSince, r.RaiseSamples, r.RaiseAfter, now)
	}
	if c.active && c.good > 0 {
		clear = reached(c.good, c.goodSince, r.ClearSamples, r.ClearAfter, now)
	}
	return raise, clear
}

func reached(n int, since time.Time, samples int, after Duration, now time.Time) bool {
	if samples == 0 && after == 0 {
		return true
	}
	return samples > 0 && n >= samples || after > 0 && now.Sub(since) >= after.D()
}

// pending says whether the condition is on its way to a raise or a clear:
// only those need a look when time passes without samples.
func (c *alarmCond) pending() bool {
	return !c.active && c.bad > 0 || c.active && c.good > 0
}

// timed says whether time alone can decide the pending condition: its
// rule raises or clears after a duration.
func (c *alarmCond) timed(r Rule) bool {
	return !c.active && c.bad > 0 && r.RaiseAfter > 0 || c.active && c.good > 0 && r.ClearAfter > 0
}

// alarmRecord is an alarm as the engine holds it.
type alarmRecord struct {
	Alarm
	dirty bool // changed since the last Tick
}

// alarmBook holds every alarm by id, active and recently cleared.
type alarmBook struct {
	byID map[string]*alarmRecord
	// dirty lists the records changed since the last changed(), so that a
	// Tick costs the alarms that moved; the retention sweep over every
	// record runs at most once a second.
	dirty  []*alarmRecord
	swept  time.Time
	spareD []*alarmRecord
}

// touch marks a record changed since the last Tick.
func (t *alarmBook) touch(r *alarmRecord) {
	if !r.dirty {
		r.dirty = true
		t.dirty = append(t.dirty, r)
	}
}

func newAlarmTable() *alarmBook { return &alarmBook{byID: map[string]*alarmRecord{}} }

// raise makes the alarm of a active, creating it or re-opening a cleared
// one (a new occurrence: a new raise time, a new acknowledgement needed).
// Raising an active alarm changes nothing.
func (t *alarmBook) raise(a Alarm, now time.Time) *alarmRecord {
	r := t.byID[a.ID]
	if r != nil && r.State == AlarmActive {
		return r
	}
	if r == nil {
		r = &alarmRecord{}
		t.byID[a.ID] = r
	}
	a.State, a.Raised, a.Updated = AlarmActive, now, now
	a.Cleared, a.Acked, a.AckedBy, a.AckedAt = time.Time{}, false, "", time.Time{}
	r.Alarm = a
	t.touch(r)
	return r
}

// clear marks an active alarm cleared; why, when given, replaces its message.
func (t *alarmBook) clear(id string, now time.Time, why string) *alarmRecord {
	r := t.byID[id]
	if r == nil || r.State != AlarmActive {
		return r
	}
	r.State, r.Cleared, r.Updated = AlarmCleared, now, now
	t.touch(r)
	if why != "" {
		r.Message = why
	}
	return r
}

func (t *alarmBook) isActive(id string) bool {
	r := t.byID[id]
	return r != nil && r.State == AlarmActive
}

// ack acknowledges an alarm.
func (t *alarmBook) ack(id, by string, now time.Time) (Alarm, error) {
	r := t.byID[id]
	if r == nil {
		return Alarm{}, fmt.Errorf("acknowledge alarm %s: %w", id, ErrUnknownAlarm)
	}
	r.Acked, r.AckedBy, r.AckedAt, r.Updated = true, by, now, now
	t.touch(r)
	return r.copy(), nil
}

// changed returns the alarms changed since the last call, in list order,
// and forgets cleared alarms older than the retention.
func (t *alarmBook) changed(now time.Time, retention Duration) []Alarm {
	var out []Alarm
	list := t.dirty
	t.dirty, t.spareD = t.spareD[:0], list
	for _, r := range list {
		if r.dirty {
			out = append(out, r.copy())
			r.dirty = false
		}
	}
	clear(list)
	if retention > 0 && (t.swept.IsZero() || now.Sub(t.swept) >= min(time.Second, retention.D()) || now.Before(t.swept)) {
		t.swept = now
		for id, r := range t.byID {
			if r.State == AlarmCleared && now.Sub(r.Cleared) > retention.D() {
				delete(t.byID, id)
			}
		}
	}
	sortAlarms(out)
	return out
}

func (t *alarmBook) list() []Alarm {
	out := make([]Alarm, 0, len(t.byID))
	for _, r := range t.byID {
		out = append(out, r.copy())
	}
	sortAlarms(out)
	return out
}

// copy returns the alarm with its slices and map its own, so that a batch
// handed to a sink does not change under it.
func (r *alarmRecord) copy() Alarm {
	a := r.Alarm
	a.Cables, a.Ducts, a.Sites = slices.Clone(a.Cables), slices.Clone(a.Ducts), slices.Clone(a.Sites)
	a.Children = slices.Clone(a.Children)
	a.LoseHosting, a.LoseOneCore = slices.Clone(a.LoseHosting), slices.Clone(a.LoseOneCore)
	if a.Attrs != nil {
		m := make(map[string]string, len(a.Attrs))
		for k, v := range a.Attrs {
			m[k] = v
		}
		a.Attrs = m
	}
	nonNilSlices(&a)
	return a
}

// nonNilSlices makes the plant lists [] rather than null in JSON.
func nonNilSlices(a *Alarm) {
	if a.Cables == nil {
		a.Cables = []string{}
	}
	if a.Ducts == nil {
		a.Ducts = []string{}
	}
	if a.Sites == nil {
		a.Sites = []string{}
	}
}

// sortAlarms orders alarms as a NOC list does: active first, then by
// severity, the most recent first, then by id.
func sortAlarms(as []Alarm) {
	slices.SortFunc(as, func(a, b Alarm) int {
		if (a.State == AlarmActive) != (b.State == AlarmActive) {
			if a.State == AlarmActive {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(a.Severity.Rank(), b.Severity.Rank()); c != 0 {
			return c
		}
		if c := b.Raised.Compare(a.Raised); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

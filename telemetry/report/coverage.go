package report

import (
	"slices"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
)

// Interval is a span of time, [Start, End).
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Duration is End - Start.
func (i Interval) Duration() time.Duration { return i.End.Sub(i.Start) }

// proof is one collector life marker: a moment some collector running the
// alarms said it was watching (or stopped watching).
type proof struct {
	t    time.Time
	mark string
}

// watched works out, from the collectors' life markers, when a collector
// running the alarms was watching the network: the only time whose state
// the history can tell. Between two markers the time is watched unless
// the first is a stop, the second a start (what came before it is lost:
// a crash, a restart) or, for a source that is not live, they are more
// than maxGap apart (a collector that died without a word, or stalled).
// The result is clipped to [h.Since, h.Until], sorted and disjoint.
func watched(h telemetry.ChangeHistory, maxGap time.Duration) []Interval {
	var ps []proof
	for _, c := range h.Changes {
		if c.ObjectKind == telemetry.KindCollector {
			ps = append(ps, proof{c.Time, c.To})
		}
	}
	slices.SortStableFunc(ps, func(a, b proof) int { return a.t.Compare(b.t) })
	// The source's now: a live source is watching as it answers; Redis
	// only if its last heartbeat is recent enough (the gap rule below).
	if !h.Until.IsZero() {
		ps = append(ps, proof{h.Until, telemetry.MarkRunning})
	}
	var out []Interval
	for i := 0; i+1 < len(ps); i++ {
		p, q := ps[i], ps[i+1]
		if p.mark == telemetry.MarkStopped || q.mark == telemetry.MarkStarted || !q.t.After(p.t) {
			continue
		}
		if !h.Live && q.t.Sub(p.t) > maxGap {
			continue
		}
		iv := Interval{p.t, q.t}
		if iv.Start.Before(h.Since) {
			iv.Start = h.Since
		}
		if !iv.End.After(iv.Start) {
			continue
		}
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			out[n-1].End = maxTime(out[n-1].End, iv.End)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// clip is the part of ivs within w.
func clip(ivs []Interval, w Interval) []Interval {
	var out []Interval
	for _, iv := range ivs {
		s, e := maxTime(iv.Start, w.Start), minTime(iv.End, w.End)
		if e.After(s) {
			out = append(out, Interval{s, e})
		}
	}
	return out
}

// gaps is w less ivs (sorted, disjoint).
func gaps(ivs []Interval, w Interval) []Interval {
	var out []Interval
	at := w.Start
	for _, iv := range clip(ivs, w) {
		if iv.Start.After(at) {
			out = append(out, Interval{at, iv.Start})
		}
		at = iv.End
	}
	if w.End.After(at) {
		out = append(out, Interval{at, w.End})
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

package telemetry

import (
	"math"
	"sync"
	"time"
)

// health is one target's TargetHealth as its session updates it, with
// the gap ledger. The session writes it once per notification; the
// collector reads a snapshot at each flush.
type health struct {
	mu      sync.Mutex
	h       TargetHealth
	total   uint64 // updates received, ever
	leaves  uint64 // leaves received, ever: total plus the skipped ones
	started bool   // a stream has been established once
	ledger  ledger
	// rate: UpdatesPerSec is the updates over the last window (the
	// longest SAMPLE interval), from the snapshots' totals in points.
	// Between two flushes a second apart, a target sampled every 10 s
	// sends nothing nine times out of ten: a per-flush rate showed 0.0
	// for most healthy targets and ten times the rate for the others.
	window time.Duration
	points []ratePoint // oldest first; points[0] is at least window old once there is one
	// delay: the arrival delays, per bucket (not cumulative: over the
	// last bound is Count less the rest) and the largest since the last
	// point (-Inf: none).
	delay  ArrivalDelay
	perBkt [DelayBuckets]uint64
	curMax float64
}

type ratePoint struct {
	at    time.Time
	total uint64
	// maxMs is the largest delay between the previous point and this one
	// (-Inf: none).
	maxMs float64
}

func newHealth(t Target, now time.Time) *health {
	h := &health{h: TargetHealth{Name: t.Name, Address: t.Address, Since: now, LastError: t.Problem},
		window: rateWindow(t), points: []ratePoint{{at: now, maxMs: math.Inf(-1)}}, curMax: math.Inf(-1)}
	h.ledger = newLedger(t, now)
	return h
}

// rateWindow is the longest SAMPLE interval of the target's plan, so
// that every sampled object sends within it; DefaultSampleInterval for a
// target only subscribed ON_CHANGE.
func rateWindow(t Target) time.Duration {
	var w time.Duration
	for _, s := range t.Subscriptions {
		if s.Mode == ModeSample {
			w = max(w, s.Interval)
		}
	}
	if w <= 0 {
		w = DefaultSampleInterval
	}
	return w
}

func (h *health) connected(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.started {
		h.h.Reconnects++
	}
	h.started = true
	h.h.Connected, h.h.Since, h.h.LastError = true, now, ""
}

func (h *health) disconnected(now time.Time, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.h.Connected {
		h.h.Since = now
	}
	h.h.Connected = false
	if err != nil {
		h.h.LastError = err.Error()
	}
}

// saw records a notification's updates and the leaves of it the decoder
// skipped: counts, last update, and each sample the ledger promised.
// Updates of one object come together, so the ledger is asked once per
// object rather than once per leaf.
func (h *health) saw(ups []Update, skipped uint64, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.total += uint64(len(ups))
	h.leaves += uint64(len(ups)) + skipped
	if len(ups) > 0 {
		h.h.LastUpdate = now
		// One notification per call, so one timestamp; the decoders
		// stamp a notification without one with its receive time, which
		// says nothing of the delay.
		if ts := ups[0].Timestamp; !ts.Equal(ups[0].Received) {
			h.sawDelay(now.Sub(ts))
		}
	}
	var lastClass PathClass
	lastKey := ""
	for i := range ups {
		u := &ups[i]
		if u.Deleted || (u.Class != ClassCounters && u.Class != ClassOptics) {
			continue
		}
		if u.Class == lastClass && u.Key == lastKey {
			continue
		}
		lastClass, lastKey = u.Class, u.Key
		h.ledger.saw(u.Class, u.Key, now)
	}
}

func (h *health) sawDelay(delay time.Duration) {
	sec := delay.Seconds()
	d := &h.delay
	d.LastMs = sec * 1000
	d.Count++
	d.SumSeconds += sec
	for i, b := range DelayBounds() {
		if sec <= b {
			h.perBkt[i]++
			break
		}
	}
	h.curMax = max(h.curMax, d.LastMs)
}

// snapshot returns the health as published, closing the ledger's books
// up to now.
func (h *health) snapshot(now time.Time) TargetHealth {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ledger.check(now)
	out := h.h
	out.Expected, out.Received, out.Gaps = h.ledger.totals(now)
	out.Updates = h.total
	out.Leaves = h.leaves
	if last := h.points[len(h.points)-1]; now.After(last.at) {
		h.points = append(h.points, ratePoint{at: now, total: h.total, maxMs: h.curMax})
		h.curMax = math.Inf(-1)
	}
	// Keep one point at least a window old: the base of the rate.
	k := 0
	for k+1 < len(h.points) && now.Sub(h.points[k+1].at) >= h.window {
		k++
	}
	h.points = h.points[k:]
	if base := h.points[0]; now.After(base.at) {
		h.h.UpdatesPerSec = float64(h.total-base.total) / now.Sub(base.at).Seconds()
	}
	out.UpdatesPerSec = h.h.UpdatesPerSec
	out.Delay = h.delayNow()
	return out
}

// delayNow is the published delay: cumulative buckets, and the largest
// delay of the points inside the window (points[0] closes the interval
// before it, older than the window once the window has passed).
func (h *health) delayNow() ArrivalDelay {
	d := h.delay
	var run uint64
	for i := range d.Buckets {
		run += h.perBkt[i]
		d.Buckets[i] = run
	}
	worst := h.curMax
	for i, p := range h.points {
		if i > 0 || len(h.points) == 1 {
			worst = max(worst, p.maxMs)
		}
	}
	d.MaxMs = 0 // none in the window
	if !math.IsInf(worst, -1) {
		d.MaxMs = worst
	}
	return d
}

// ledger counts, per SAMPLE class, the samples the subscription promises
// against those that arrived. Each planned object (an interface's
// counters, its transceiver's power) owes one sample per interval from
// the moment the collector starts on the target, connected or not:
// Expected = objects × (1 + intervals elapsed). A sample counts once per
// object per interval (at most one every half interval); an object that
// sends nothing for an interval plus half an interval of grace misses a
// slot, and Gaps counts the missed slots. A healthy target therefore shows
// Received ≈ Expected and Gaps = 0; a dead one grows Gaps by its objects
// every interval.
type ledger struct {
	start   time.Time
	classes []*classLedger
}

type classLedger struct {
	class    PathClass
	interval time.Duration
	grace    time.Duration
	slots    map[string]*slot
	// next is at or before the earliest slot's due time: check scans
	// the slots only from then (saw only pushes due times later), once
	// an interval rather than at every flush.
	next     time.Time
	received uint64
	missed   uint64
}

type slot struct{ last, due time.Time }

func newLedger(t Target, now time.Time) ledger {
	l := ledger{start: now}
	for _, c := range []PathClass{ClassCounters, ClassOptics} {
		objs, iv := t.Samples(c)
		if len(objs) == 0 || iv <= 0 {
			continue
		}
		cl := &classLedger{class: c, interval: iv, grace: iv / 2, slots: make(map[string]*slot, len(objs)), next: now.Add(iv + iv/2)}
		for _, o := range objs {
			cl.slots[o] = &slot{due: now.Add(iv + cl.grace)}
		}
		l.classes = append(l.classes, cl)
	}
	return l
}

func (l *ledger) saw(c PathClass, key string, now time.Time) {
	for _, cl := range l.classes {
		if cl.class != c {
			continue
		}
		s := cl.slots[key]
		if s == nil {
			return // not planned: the target sends more than asked
		}
		if s.last.IsZero() || now.Sub(s.last) >= cl.interval/2 {
			cl.received++
			s.last = now
		}
		s.due = now.Add(cl.interval + cl.grace)
		return
	}
}

func (l *ledger) check(now time.Time) {
	for _, cl := range l.classes {
		if now.Before(cl.next) {
			continue
		}
		next := now.Add(cl.interval + cl.grace)
		for _, s := range cl.slots {
			for !now.Before(s.due) {
				cl.missed++
				s.due = s.due.Add(cl.interval)
			}
			if s.due.Before(next) {
				next = s.due
			}
		}
		cl.next = next
	}
}

func (l *ledger) totals(now time.Time) (expected, received, gaps uint64) {
	for _, cl := range l.classes {
		n := uint64(now.Sub(l.start)/cl.interval) + 1
		expected += n * uint64(len(cl.slots))
		received += cl.received
		gaps += cl.missed
	}
	return expected, received, gaps
}

package telemetry

import "time"

// The collector that runs the alarms marks its own life in the state-change
// history, so that a reader of the history (the availability reports) can
// tell time it watched the network from time nobody did: a crash, a
// restart, a collector stopped for maintenance. The markers are state
// changes of kind KindCollector on the collector's name, carried and kept
// like every other change (never dropped, replayed in order after a sink
// outage).
const (
	KindCollector = "collector"
	// MarkStarted: the collector began running the alarms (at start, or
	// on taking the engine lease over): what it knew before is lost.
	MarkStarted = "started"
	// MarkRunning: a heartbeat, every CollectorOptions.MarkEvery.
	MarkRunning = "running"
	// MarkStopped: a clean stop; nothing is watched until the next start.
	MarkStopped = "stopped"
)

// DefaultMarkEvery is how often the collector running the alarms writes a
// MarkRunning marker: a reader that sees none for a few of them counts the
// time since the last one as unknown (a collector that died without a
// word).
const DefaultMarkEvery = time.Minute

// marker appends the collector's life markers to b while it runs the
// alarms: started on the first flush that does (and again after it lost
// and retook the engine), a heartbeat when one is due, stopped on the
// final flush. flushMu held.
func (c *Collector) marker(b *Batch, now time.Time, final bool) {
	runs := c.o.Leases == nil || c.holding
	if !runs || c.o.MarkEvery < 0 {
		c.marked = false
		return
	}
	mark := func(from, to string) {
		m := StateChange{Time: now.UTC(), ObjectKind: KindCollector, Object: c.o.Name, From: from, To: to}
		if to == MarkStarted {
			// First in the run's history: a reader takes what follows it
			// as seen by this run (a first notification may carry an
			// older time).
			b.Changes = append([]StateChange{m}, b.Changes...)
		} else {
			b.Changes = append(b.Changes, m)
		}
		c.lastBeat = now
	}
	switch {
	case !c.marked:
		mark("", MarkStarted)
		c.marked = true
		if final {
			mark(MarkStarted, MarkStopped)
		}
	case final:
		mark(MarkRunning, MarkStopped)
	case now.Sub(c.lastBeat) >= c.o.MarkEvery:
		mark(MarkRunning, MarkRunning)
	}
}

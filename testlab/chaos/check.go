package chaos

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tuyau-net/tuyau/testlab/redislab"
)

// Invariant names, as the report counts them.
const (
	// InvDetect: every fault yields its alarms (or, for the collectors
	// and Redis, its takeover) within SLO.Detect.
	InvDetect = "fault detected (its alarms raised) within SLO"
	// InvRecover: after the restore, back to the healthy alarms (nothing
	// stuck) and the kind's own recovery within SLO.Clear.
	InvRecover       = "recovered (alarms cleared, nothing stuck) within SLO"
	invNoLostAlarm   = "no lost alarm (healthy ones stay)"
	invNoStrayAlarm  = "no alarm the faults do not explain"
	invOneHolder     = "each target exactly one lease holder"
	invHeld          = "each target held by a live collector"
	invGap           = "no telemetry gap beyond budget without a gap alarm"
	invMemory        = "memory bounded (Go heap, redis-server RSS)"
	invRedisReadable = "Redis readable outside Redis faults"
	invHosting       = "hosting prefix reachable from every connected member (within the failover budget)"
	invApplied       = "no device half-applied (on its previous or intended config, read from it)"
)

// gap is a target's telemetry gap as seen in Redis: from its last update
// before the gap to the first after (zero while open).
type gap struct{ start, end time.Time }

// check runs the continuous invariants on one view.
func (r *runner) check(v view) {
	cur := r.cur
	redisDown := cur != nil && cur.redisDown
	r.checkHosting(context.Background())
	if time.Since(r.lastMem) >= 2*time.Second {
		r.lastMem = time.Now()
		r.checkMemory()
	}
	if !redisDown && time.Now().After(r.graceUntil) {
		r.rep.Checks[invRedisReadable]++
	}
	if v.err != nil {
		if !redisDown && time.Now().After(r.graceUntil) {
			r.violate(invRedisReadable, "read failed", v.err.Error())
		}
		return
	}
	if redisDown {
		return
	}
	r.checkAlarms(v, cur)
	r.checkLeases(v, cur)
	r.checkGaps(v, cur)
}

func (r *runner) checkAlarms(v view, cur *outcome) {
	r.rep.Checks[invNoLostAlarm]++
	for k := range r.baseline {
		if _, ok := v.active[k]; !ok {
			r.violate(invNoLostAlarm, k, "active when healthy, no longer listed active in Redis")
		}
	}
	r.rep.Checks[invNoStrayAlarm]++
	for k, a := range v.relevantActive() {
		if _, ok := r.baseline[k]; ok {
			continue
		}
		if cur == nil || !cur.allows(a) {
			r.violate(invNoStrayAlarm, k, fmt.Sprintf("raised %s: %s", a.Raised.Format("15:04:05.000"), a.Message))
		}
	}
}

func (r *runner) checkLeases(v view, cur *outcome) {
	graced := time.Now().Before(r.graceUntil)
	if !graced {
		r.rep.Checks[invOneHolder]++
		by := map[string]string{}
		ids := make([]string, 0, len(v.claims))
		for id := range v.claims {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			for lease, tok := range v.claims[id] {
				if other, dup := by[lease]; dup {
					r.violate(invOneHolder, lease, fmt.Sprintf("claimed by %s and %s at once", other, id))
				}
				by[lease] = id
				if want := id + " " + strconv.FormatUint(tok, 10); v.holders[lease] != want {
					r.violate(invOneHolder, lease, fmt.Sprintf("%s claims it with token %d, Redis says %q", id, tok, v.holders[lease]))
				}
			}
		}
	}
	if graced || cur != nil && cur.leaseGrace {
		clear(r.unheld)
		return
	}
	r.rep.Checks[invHeld]++
	for _, name := range r.s.TargetNames() {
		if _, live := v.claims[holderOf(v.holders[name])]; live {
			delete(r.unheld, name)
			continue
		}
		since, ok := r.unheld[name]
		if !ok {
			r.unheld[name] = v.at
		} else if v.at.Sub(since) > r.o.SLO.Unheld {
			r.violate(invHeld, name, fmt.Sprintf("no live holder for %s (Redis: %q)", v.at.Sub(since).Round(time.Millisecond), v.holders[name]))
		}
	}
}

// checkGaps: a target whose data stops reaching Redis for longer than
// the gap budget must have a telemetry-gap (or target-unreachable)
// alarm, raised at the latest GapAlarm after the gap ends or passes the
// budget; the targets a fault takes down are exempt while it lasts.
func (r *runner) checkGaps(v view, cur *outcome) {
	if time.Now().Before(r.gapGraceUntil) {
		// After a Redis outage the targets' last updates there are stale
		// until the sinks drain: no telemetry gap.
		clear(r.gapOpen)
		return
	}
	r.rep.Checks[invGap]++
	for _, name := range r.s.TargetNames() {
		if cur != nil && cur.exempt[name] {
			delete(r.gapOpen, name)
			continue
		}
		for _, rule := range []string{"telemetry-gap", "target-unreachable"} {
			if _, ok := v.active[key(rule, name)]; ok {
				r.gapAlarm[name] = v.at
			}
		}
		// The data last seen in Redis: a collector taking a target over
		// writes its health before its first update, LastUpdate zero
		// (seen under load right after a collector-kill); the gap runs
		// from the last data any holder wrote.
		last := v.targets[name].LastUpdate
		if last.Before(r.lastData[name]) {
			last = r.lastData[name]
		}
		r.lastData[name] = last
		age := v.at.Sub(last)
		g, open := r.gapOpen[name]
		switch {
		case age > r.o.SLO.Gap && !open:
			r.gapOpen[name] = gap{start: last}
		case age <= r.o.SLO.Gap && open && g.end.IsZero():
			if last.Sub(g.start) <= r.o.SLO.Gap {
				delete(r.gapOpen, name) // it came back within the budget
			} else {
				g.end = last
				r.gapOpen[name] = g
			}
		}
		g, open = r.gapOpen[name]
		if !open {
			continue
		}
		if r.gapAlarm[name].After(g.start) {
			if !g.end.IsZero() {
				delete(r.gapOpen, name)
			}
			continue
		}
		due := g.start.Add(r.o.SLO.Gap + r.o.SLO.GapAlarm)
		if !g.end.IsZero() {
			due = g.end.Add(r.o.SLO.GapAlarm)
		}
		if v.at.After(due) {
			length := "open"
			if !g.end.IsZero() {
				length = g.end.Sub(g.start).Round(time.Millisecond).String()
			}
			r.violate(invGap, name, fmt.Sprintf("no data from %s (gap %s, budget %s), no telemetry-gap or target-unreachable alarm", g.start.Format("15:04:05.000"), length, r.o.SLO.Gap))
			delete(r.gapOpen, name)
		}
	}
}

func (r *runner) checkMemory() {
	r.rep.Checks[invMemory]++
	h := heapInUse()
	r.rep.Memory.HeapPeak = max(r.rep.Memory.HeapPeak, h)
	if r.rep.Memory.HeapFirst == 0 {
		r.rep.Memory.HeapFirst = h
	}
	r.rep.Memory.HeapLast = h
	if h > r.o.SLO.HeapBytes {
		r.violate(invMemory, "go heap", fmt.Sprintf("%d MiB in use, bound %d MiB", h>>20, r.o.SLO.HeapBytes>>20))
	}
	for _, srv := range r.s.Redis.Servers {
		if srv.Running() {
			r.checkRSS(srv)
		}
	}
}

func (r *runner) checkRSS(srv *redislab.Server) {
	info, err := srv.Do("INFO", "memory")
	if err != nil {
		return
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory_rss:"); ok {
			rss, _ := strconv.ParseUint(v, 10, 64)
			r.rep.Memory.RedisRSSPeak = max(r.rep.Memory.RedisRSSPeak, rss)
			if rss > r.o.SLO.RedisRSS {
				r.violate(invMemory, "redis-server "+srv.Addr(), fmt.Sprintf("RSS %d MiB, bound %d MiB", rss>>20, r.o.SLO.RedisRSS>>20))
			}
		}
	}
}

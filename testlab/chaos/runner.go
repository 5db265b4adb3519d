package chaos

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab/redislab"
)

// Options of a run.
type Options struct {
	Seed     uint64
	Duration time.Duration // faults are started until it has passed [1m]
	Kinds    []Kind        // [all]
	// Faults, when set, are run in this order instead of the seed's
	// schedule, once each (the focused tests' way to hit every variant).
	Faults []Fault
	// HoldMin and HoldMax bound how long a detected fault is held [3 s, 8 s].
	HoldMin, HoldMax time.Duration
	// Poll is how often the invariants are checked [500 ms].
	Poll time.Duration
	SLO  SLO
	// Known are violations already understood and filed: reported as
	// known in the table, they do not fail a run.
	Known []Known
	// Logf receives a line per event as it happens (nil: none).
	Logf func(format string, args ...any)
}

// SLO are the deadlines the invariants hold the system to. The defaults
// are generous (a 2-core machine shared with other work, load 10+): the
// run measures MTTD and MTTR, the SLOs only catch what is lost or stuck.
type SLO struct {
	Detect time.Duration // a fault's alarms all raised [30 s]
	Clear  time.Duration // back to the healthy alarms after a restore [45 s]
	// Gap is the longest a streaming target may go without data in Redis
	// [20 s]; GapAlarm how long after that its gap (or target) alarm may
	// take [30 s].
	Gap, GapAlarm time.Duration
	// Unheld is the longest a target may have no live lease holder
	// outside a collector or Redis fault [10 s].
	Unheld time.Duration
	// HeapBytes bounds the Go heap in use (the collectors, engines and
	// lab in this process) [1 GiB]; RedisRSS redis-server's RSS [512 MiB].
	HeapBytes, RedisRSS uint64
	// Hosting is the failover budget: the longest a member router still
	// connected to a core site may hold no path to the hosting prefix
	// [5 s] (docs/testlab.md "Chaos runs" says why).
	Hosting time.Duration
}

func (o *Options) defaults() {
	if o.Duration <= 0 {
		o.Duration = time.Minute
	}
	if len(o.Kinds) == 0 {
		o.Kinds = slices.Clone(Kinds)
	}
	if o.HoldMin <= 0 {
		o.HoldMin = 3 * time.Second
	}
	if o.HoldMax < o.HoldMin {
		o.HoldMax = max(o.HoldMin, 8*time.Second)
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	s := &o.SLO
	for _, d := range []struct {
		p *time.Duration
		v time.Duration
	}{{&s.Detect, 30 * time.Second}, {&s.Clear, 45 * time.Second}, {&s.Gap, 20 * time.Second}, {&s.GapAlarm, 30 * time.Second}, {&s.Unheld, 10 * time.Second}, {&s.Hosting, 5 * time.Second}} {
		if *d.p <= 0 {
			*d.p = d.v
		}
	}
	if s.HeapBytes == 0 {
		s.HeapBytes = 1 << 30
	}
	if s.RedisRSS == 0 {
		s.RedisRSS = 512 << 20
	}
}

// Known names a violation already understood: of Kind (any if ""), of
// Invariant, whose detail contains Match.
type Known struct {
	Kind      Kind
	Invariant string
	Match     string
	Why       string // what is wrong, where it is tracked
}

func (k Known) matches(v Violation) bool {
	return (k.Kind == "" || k.Kind == v.Kind) && k.Invariant == v.Invariant && strings.Contains(v.Detail, k.Match)
}

// runner is one run's state: the clock, the healthy alarms, the fault in
// force, the checks' bookkeeping, the report being written.
type runner struct {
	s     *System
	o     Options
	start time.Time
	rep   *Report

	baseline   map[string]telemetry.Alarm // relevant alarms of the healthy network
	cur        *outcome                   // the fault in force (until recovered)
	curFault   Fault
	restoredAt time.Time
	killed     *redislab.Server // the redis-server a redis-restart killed

	flagged       map[string]bool      // violations already reported (one per cause and fault)
	unheld        map[string]time.Time // target -> since when no live holder
	gapOpen       map[string]gap       // target -> its open or unalarmed gap
	gapAlarm      map[string]time.Time // target -> last seen with a gap/unreachable alarm
	lastData      map[string]time.Time // target -> its latest LastUpdate seen in Redis
	lastMem       time.Time
	graceUntil    time.Time // lease checks resume (after an infrastructure fault)
	gapGraceUntil time.Time // gap checks resume (after a Redis outage)

	hostingBase map[string][]string  // router -> core sites it holds the hosting from when healthy ([] for a member with a path)
	noPath      map[string]time.Time // member router -> since when it holds no path to the hosting
}

func (r *runner) since() int64 { return time.Since(r.start).Milliseconds() }

func (r *runner) event(f *Fault, what, detail string) {
	e := Event{AtMS: r.since(), What: what, Detail: detail}
	if f != nil {
		e.Fault, e.Kind = f.Seq, f.Kind
	}
	r.rep.Timeline = append(r.rep.Timeline, e)
	if r.o.Logf != nil {
		r.o.Logf("chaos %7.1fs %-9s %s %s", float64(e.AtMS)/1000, what, faultName(f), detail)
	}
}

func faultName(f *Fault) string {
	if f == nil {
		return "-"
	}
	return f.String()
}

// violate records a broken invariant once per cause (dedup) and fault.
func (r *runner) violate(inv, cause, detail string) {
	k := inv + "\x00" + cause + "\x00" + strconv.Itoa(r.curFault.Seq)
	if r.flagged[k] {
		return
	}
	r.flagged[k] = true
	var f *Fault
	if r.cur != nil {
		f = &r.curFault
	}
	v := Violation{AtMS: r.since(), Invariant: inv, Detail: cause + ": " + detail}
	if f != nil {
		v.Fault, v.Kind = f.Seq, f.Kind
	}
	for _, k := range r.o.Known {
		if k.matches(v) {
			v.Known = k.Why
		}
	}
	r.rep.Violations = append(r.rep.Violations, v)
	what := "VIOLATION"
	if v.Known != "" {
		what = "known"
	}
	r.event(f, what, inv+": "+v.Detail)
}

// Run starts the system's warm-up, then faults from the seed's schedule
// until o.Duration has passed, checking the invariants every o.Poll, and
// returns the report (violations included; Run itself fails only on the
// context).
func Run(ctx context.Context, s *System, o Options) *Report {
	o.defaults()
	r := &runner{s: s, o: o, start: time.Now(), flagged: map[string]bool{}, unheld: map[string]time.Time{},
		gapOpen: map[string]gap{}, gapAlarm: map[string]time.Time{}, lastData: map[string]time.Time{}, noPath: map[string]time.Time{},
		rep: &Report{Seed: o.Seed, DurationMS: o.Duration.Milliseconds(), Kinds: o.Kinds, Checks: map[string]int{}, SLO: o.SLO}}
	r.rep.Replay = fmt.Sprintf("make chaos SEED=%d DURATION=%s FAULTS=%s", o.Seed, o.Duration, kindList(o.Kinds))
	r.event(nil, "start", fmt.Sprintf("seed %d, %s, %d targets, collectors %v", o.Seed, o.Duration, len(s.TargetNames()), s.Collectors()))
	if !r.warmUp(ctx) {
		r.finish()
		return r.rep
	}
	sched := newSchedule(o.Seed, o.Kinds, s.candidates(o.Kinds), o.HoldMin, o.HoldMax)
	begin := time.Now()
	fixed := slices.Clone(o.Faults)
	for (len(o.Faults) > 0 && len(fixed) > 0 || len(o.Faults) == 0 && time.Since(begin) < o.Duration) && ctx.Err() == nil {
		f, ok := sched.next()
		if len(o.Faults) > 0 {
			f, fixed, ok = fixed[0], fixed[1:], true
		}
		if !ok {
			r.event(nil, "stop", "no fault kind has a candidate")
			break
		}
		r.run(ctx, f)
		r.sleepChecking(ctx, time.Second) // a quiet second between faults
	}
	r.finish()
	return r.rep
}

func kindList(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

// warmUp waits until every target streams into Redis, every lease is
// held and the alarms have settled, then takes the healthy alarms.
func (r *runner) warmUp(ctx context.Context) bool {
	deadline := time.Now().Add(120 * time.Second)
	var why string
	for ctx.Err() == nil {
		v := r.s.read(ctx)
		ok, w := r.healthy(v)
		if ok {
			break
		}
		why = w
		if time.Now().After(deadline) {
			r.violate("warm-up", "not healthy after 120s", why)
			return false
		}
		sleep(ctx, r.o.Poll)
	}
	// Let the correlation settle on the links dark from the start, and
	// the Rx baselines fill.
	settle := r.s.Rules.Correlation.Settle.D() + time.Duration(r.s.Rules.Optics.BaselineSamples+2)*r.s.o.Interval
	sleep(ctx, settle)
	if r.s.bgp != nil {
		for ctx.Err() == nil {
			hv := r.s.hostingView(ctx)
			ok, why := hv.complete(r.s.bgp)
			if ok {
				r.hostingBase = map[string][]string{}
				for _, m := range r.s.bgp.members {
					r.hostingBase[m] = []string{}
				}
				for _, dev := range r.s.bgp.routers {
					r.hostingBase[dev] = hv.sitesOf(r.s.bgp, dev)
				}
				r.event(nil, "hosting", fmt.Sprintf("%s held by every member router; core sites' paths held by %v", r.s.bgp.prefix, r.hostingBase))
				break
			}
			if time.Now().After(deadline) {
				r.violate("warm-up", "hosting not in every RIB after 120s", why)
				return false
			}
			sleep(ctx, r.o.Poll)
		}
	}
	v := r.s.read(ctx)
	r.baseline = v.relevantActive()
	var names []string
	for k := range r.baseline {
		names = append(names, k)
	}
	slices.Sort(names)
	r.rep.Baseline = names
	r.event(nil, "healthy", fmt.Sprintf("%d alarms in the healthy network (dark links): %v", len(names), names))
	r.restoredAt = time.Now()
	return true
}

func (r *runner) healthy(v view) (bool, string) {
	if v.err != nil {
		return false, v.err.Error()
	}
	if ok, why := leasesCovered(r, v, ""); !ok {
		return false, why
	}
	for _, name := range r.s.TargetNames() {
		h, ok := v.targets[name]
		if !ok || !h.Connected || h.LastUpdate.IsZero() {
			return false, name + " not streaming"
		}
	}
	return true, ""
}

// newlyDown are the links of ls without a link-down alarm when healthy
// (those the budget calls dark are down from the start).
func (r *runner) newlyDown(ls []string) []string {
	var out []string
	for _, l := range ls {
		if _, was := r.baseline[key("link-down", l)]; !was {
			out = append(out, l)
		}
	}
	return out
}

// run injects one fault, waits for its detection, holds it, restores it
// and waits for the recovery, checking everything meanwhile.
func (r *runner) run(ctx context.Context, f Fault) {
	inj := injectors[f.Kind]
	res := FaultRecord{Fault: f}
	r.curFault = f
	r.event(&f, "inject", "")
	injected := time.Now()
	o, err := inj.inject(ctx, r, f)
	r.cur = &o
	if err != nil {
		r.violate("harness", "inject", err.Error())
	}
	r.event(&f, "expect", fmt.Sprintf("%v", o.want))
	detected, why := r.waitChecking(ctx, r.o.SLO.Detect, func(v view) (bool, string) {
		if o.redisDown == false && v.err != nil {
			return false, v.err.Error()
		}
		var missing []string
		for _, k := range o.want {
			if _, ok := v.active[k]; !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			var now []string
			for k := range v.relevantActive() {
				if _, was := r.baseline[k]; !was {
					now = append(now, k)
				}
			}
			slices.Sort(now)
			return false, fmt.Sprintf("missing %s; new alarms %v", strings.Join(missing, ", "), now)
		}
		if o.detect != nil {
			return o.detect(v)
		}
		return true, ""
	})
	r.rep.Checks[InvDetect]++
	if detected {
		res.Detected = true
		res.MTTDMS = time.Since(injected).Milliseconds()
		r.event(&f, "detect", fmt.Sprintf("after %dms %s", res.MTTDMS, why))
	} else {
		r.violate(InvDetect, "not detected in "+r.o.SLO.Detect.String(), why)
	}
	r.sleepChecking(ctx, f.Hold())
	r.event(&f, "restore", "")
	r.restoredAt = time.Now()
	if err := inj.restore(ctx, r, f); err != nil {
		r.violate("harness", "restore", err.Error())
	}
	recovered, why := r.waitChecking(ctx, r.o.SLO.Clear, func(v view) (bool, string) {
		if v.err != nil {
			return false, v.err.Error()
		}
		if ok, why := r.sameAsHealthy(v); !ok {
			return false, why
		}
		if r.s.bgp != nil {
			if ok, why := r.hostingBack(r.s.hostingView(ctx)); !ok {
				return false, why
			}
		}
		if o.recover != nil {
			return o.recover(v)
		}
		return true, ""
	})
	r.rep.Checks[InvRecover]++
	if recovered {
		res.Recovered = true
		res.MTTRMS = time.Since(r.restoredAt).Milliseconds()
		r.event(&f, "recover", fmt.Sprintf("after %dms %s", res.MTTRMS, why))
	} else {
		r.violate(InvRecover, "not back to healthy in "+r.o.SLO.Clear.String(), why)
	}
	if o.leaseGrace || o.redisDown {
		r.graceUntil = time.Now().Add(r.o.SLO.Unheld)
	}
	if o.redisDown {
		r.gapGraceUntil = time.Now().Add(r.o.SLO.Gap)
	}
	r.cur = nil
	r.rep.Faults = append(r.rep.Faults, res)
}

// sameAsHealthy holds when the relevant active alarms are exactly the
// healthy network's.
func (r *runner) sameAsHealthy(v view) (bool, string) {
	now := v.relevantActive()
	var extra, gone []string
	for k := range now {
		if _, ok := r.baseline[k]; !ok {
			extra = append(extra, k)
		}
	}
	for k := range r.baseline {
		if _, ok := now[k]; !ok {
			gone = append(gone, k)
		}
	}
	if len(extra)+len(gone) == 0 {
		return true, ""
	}
	slices.Sort(extra)
	slices.Sort(gone)
	return false, fmt.Sprintf("still active %v, healthy ones gone %v", extra, gone)
}

// waitChecking polls until cond holds or within passes, checking the
// invariants at every poll.
func (r *runner) waitChecking(ctx context.Context, within time.Duration, cond func(view) (bool, string)) (bool, string) {
	deadline := time.Now().Add(within)
	why := ""
	for ctx.Err() == nil {
		v := r.s.read(ctx)
		r.check(v)
		ok, w := cond(v)
		if ok {
			if why != "" {
				w = strings.TrimSpace(w + " (last waited for: " + why + ")")
			}
			return true, w
		}
		why = w
		if time.Now().After(deadline) {
			return false, why
		}
		sleep(ctx, r.o.Poll)
	}
	return false, "cancelled: " + why
}

func (r *runner) sleepChecking(ctx context.Context, d time.Duration) {
	end := time.Now().Add(d)
	for ctx.Err() == nil && time.Now().Before(end) {
		r.check(r.s.read(ctx))
		sleep(ctx, min(r.o.Poll, time.Until(end)))
	}
}

// finish restores whatever may still be in force and takes the last
// figures; the cleanup invariant is checked by Close's caller.
func (r *runner) finish() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r.s.Lab != nil {
		_, _ = r.s.Lab.Restore(ctx, testlabAll)
	}
	r.rep.ElapsedMS = r.since()
	r.event(nil, "end", fmt.Sprintf("%d faults, %d violations", len(r.rep.Faults), len(r.rep.Violations)))
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// heapInUse is the Go heap of this process (collectors, engines, lab).
func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

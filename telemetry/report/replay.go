package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/topology"
)

// Reach bits of a member site: which core sites it reaches.
const (
	reachA uint8 = 1 << iota
	reachB
)

// linkSet is the links down and unknown at a moment, with the root alarm
// each down link's change named, and what that does to the members.
type linkSet struct {
	down, unknown []string
	cause         map[string]string // down link -> root alarm id ("" none)
	// reach holds the members whose reach differs from their reach with
	// every link up, the unknown links taken up; worst their reach with
	// the unknown links taken down, where that differs.
	reach map[string]uint8
	worst map[string]uint8
}

// seg is a member's segment with the link sets seen during it.
type seg struct {
	Segment
	sets []span
}

// span is a link set and how long it held, in one run of moments.
type span struct {
	set *linkSet
	dur time.Duration
}

// causeResolution is how long a cause must explain an outage to be named
// beside one that explains it longer. The two ends of a cut, or two links
// of one duct, go down on different routers whose notifications are
// stamped a few milliseconds apart: for those milliseconds a link that was
// already down elsewhere may seem to matter (the member still up on its
// own link, the duct's other link down), and naming it would blame a
// standing fault for an outage the duct made.
const causeResolution = time.Second

// replay walks the history once, moment by moment (a moment: the time
// between two changes or two watched-time boundaries), and keeps each
// member's states.
type replay struct {
	t       *topology.Topology
	an      *topology.Analysis
	h       telemetry.ChangeHistory
	covered []Interval
	w       Interval
	members []topology.Site
	base    map[string]uint8
	sets    map[string]*linkSet
	lost    map[string]map[string]uint8 // LinksDown memo: down key -> member -> bits lost
	segs    map[string][]seg
	end     time.Time // the walk's end
}

func newReplay(t *topology.Topology, h telemetry.ChangeHistory, covered []Interval, w Interval) *replay {
	rp := &replay{t: t, an: topology.Analyze(t), h: h, covered: covered, w: w, members: memberSites(t),
		base: map[string]uint8{}, sets: map[string]*linkSet{}, lost: map[string]map[string]uint8{}, segs: map[string][]seg{}}
	for _, m := range rp.members {
		a, b := rp.an.Reaches(m.Slug)
		rp.base[m.Slug] = bits(a, b)
	}
	return rp
}

func bits(a, b bool) uint8 {
	var r uint8
	if a {
		r |= reachA
	}
	if b {
		r |= reachB
	}
	return r
}

// run replays the link changes.
func (rp *replay) run() {
	// The changes come in the order they were written. A link's change
	// is never older than the one written before it: a device's first
	// notification after a reconnect may carry the time its state was
	// set, before changes already recorded, and sorting it back there
	// would undo them (a repair replayed before the cut it repaired).
	// Nor is it older than the start of the collector run that wrote it
	// (the started marker comes first in a run): what the run saw, it
	// saw once started; what happened before is in the unknown time.
	var chs []telemetry.StateChange
	lastOf := map[string]time.Time{}
	var started time.Time
	for _, c := range rp.h.Changes {
		if c.ObjectKind == telemetry.KindCollector && c.To == telemetry.MarkStarted {
			started = c.Time
		}
		if c.ObjectKind != "link" {
			continue
		}
		if last, ok := lastOf[c.Object]; ok && c.Time.Before(last) {
			c.Time = last
		}
		if c.Time.Before(started) {
			c.Time = started
		}
		lastOf[c.Object] = c.Time
		chs = append(chs, c)
	}
	slices.SortStableFunc(chs, func(a, b telemetry.StateChange) int { return a.Time.Compare(b.Time) })
	// Each link's state before its first change is what that change left
	// (its From), else the state the source holds now (a link that never
	// changed), else unknown.
	state := map[string]string{}
	cause := map[string]string{}
	for _, l := range rp.t.Links {
		if l.Up {
			state[l.ID] = linkState(rp.h.Links[l.ID])
		}
	}
	seen := map[string]bool{}
	for _, c := range chs {
		if _, ok := state[c.Object]; ok && !seen[c.Object] {
			seen[c.Object] = true
			state[c.Object] = linkState(c.From)
		}
	}
	start, end := rp.w.Start, rp.w.End
	if len(chs) > 0 && chs[0].Time.Before(start) {
		start = chs[0].Time
	}
	if len(rp.covered) > 0 && rp.covered[0].Start.Before(start) {
		start = rp.covered[0].Start
	}
	if rp.h.Until.After(end) {
		end = rp.h.Until
	}
	rp.end = end
	points := []time.Time{start, end, rp.w.Start, rp.w.End}
	for _, c := range chs {
		points = append(points, c.Time)
	}
	for _, iv := range rp.covered {
		points = append(points, iv.Start, iv.End)
	}
	slices.SortFunc(points, time.Time.Compare)
	points = slices.CompactFunc(points, time.Time.Equal)
	ci, cv := 0, 0
	for i := 0; i+1 < len(points); i++ {
		at, next := points[i], points[i+1]
		if at.Before(start) || !next.After(at) || at.After(end) || at.Equal(end) {
			continue
		}
		for ; ci < len(chs) && !chs[ci].Time.After(at); ci++ {
			c := chs[ci]
			if _, ok := state[c.Object]; !ok {
				continue // a link the inventory no longer holds, or not up by design
			}
			state[c.Object] = linkState(c.To)
			cause[c.Object] = c.Cause
		}
		for cv < len(rp.covered) && !rp.covered[cv].End.After(at) {
			cv++
		}
		iv := Interval{at, next}
		if cv >= len(rp.covered) || rp.covered[cv].Start.After(at) {
			rp.record(iv, nil)
			continue
		}
		rp.record(iv, rp.setOf(state, cause))
	}
}

func linkState(s string) string {
	switch s {
	case "up", "down":
		return s
	}
	return StateUnknown
}

// setOf is the link set of the current states, made once per distinct set.
func (rp *replay) setOf(state, cause map[string]string) *linkSet {
	var down, unk []string
	for id, s := range state {
		switch s {
		case "down":
			down = append(down, id)
		case StateUnknown:
			unk = append(unk, id)
		}
	}
	slices.Sort(down)
	slices.Sort(unk)
	var k strings.Builder
	for _, id := range down {
		k.WriteString(id + "=" + cause[id] + "\x00")
	}
	k.WriteString("\x01")
	for _, id := range unk {
		k.WriteString(id + "\x00")
	}
	key := k.String()
	if s := rp.sets[key]; s != nil {
		return s
	}
	s := &linkSet{down: down, unknown: unk, cause: map[string]string{}, reach: map[string]uint8{}, worst: map[string]uint8{}}
	for _, id := range down {
		s.cause[id] = cause[id]
	}
	// The links not known are taken both ways: a member whose reach
	// depends on them is unknown, not up nor down.
	opt := rp.lostUnder(down)
	pess := opt
	if len(unk) > 0 {
		pess = rp.lostUnder(append(slices.Clone(down), unk...))
	}
	for m, l := range opt {
		s.reach[m] = rp.base[m] &^ l
	}
	for m, l := range pess {
		if opt[m] != l {
			s.worst[m] = rp.base[m] &^ l
		}
	}
	rp.sets[key] = s
	return s
}

// lostUnder is, per member site losing anything, the core sites it loses
// with exactly these links down (topology's cut analysis), memoized.
func (rp *replay) lostUnder(down []string) map[string]uint8 {
	key := strings.Join(down, "\x00")
	if l, ok := rp.lost[key]; ok {
		return l
	}
	f := rp.an.LinksDown(down)
	l := map[string]uint8{}
	for _, m := range f.LoseHosting {
		l[m] = reachA | reachB
	}
	for _, m := range f.LoseCoreA {
		l[m] |= reachA
	}
	for _, m := range f.LoseCoreB {
		l[m] |= reachB
	}
	rp.lost[key] = l
	return l
}

// record gives every member its state over iv under s (nil: not watched).
func (rp *replay) record(iv Interval, s *linkSet) {
	for _, m := range rp.members {
		st, lost := StateUnknown, []string(nil)
		if s != nil {
			r, ok := s.reach[m.Slug]
			if !ok {
				r = rp.base[m.Slug]
			}
			st, lost = rp.stateOf(r)
			if w, ok := s.worst[m.Slug]; ok && w != r {
				// The unknown links decide: the hosting is known up when
				// a core site stays reachable either way.
				st, lost = StateUnknown, nil
				if w != 0 {
					st = StateHostingOnly
				}
			}
		}
		ss := rp.segs[m.Slug]
		if n := len(ss); n > 0 && ss[n-1].State == st && slices.Equal(ss[n-1].Lost, lost) && ss[n-1].End.Equal(iv.Start) {
			last := &ss[n-1]
			last.End = iv.End
			if s != nil {
				if n := len(last.sets); n > 0 && last.sets[n-1].set == s {
					last.sets[n-1].dur += iv.Duration()
				} else {
					last.sets = append(last.sets, span{s, iv.Duration()})
				}
			}
			continue
		}
		sg := seg{Segment: Segment{Interval: iv, State: st, Lost: lost}}
		if s != nil {
			sg.sets = []span{{s, iv.Duration()}}
		}
		rp.segs[m.Slug] = append(ss, sg)
	}
}

func (rp *replay) stateOf(r uint8) (string, []string) {
	var lost []string
	if r&reachA == 0 {
		lost = append(lost, rp.t.CoreA)
	}
	if r&reachB == 0 {
		lost = append(lost, rp.t.CoreB)
	}
	switch len(lost) {
	case 0:
		return StateBoth, nil
	case 1:
		return StateOne, lost
	}
	return StateNone, lost
}

// member builds a member's part of the report.
func (rp *replay) member(m topology.Site, w Interval, alarms map[string]telemetry.Alarm) Member {
	out := Member{Site: m.Slug, Name: m.Name, Outages: []Outage{}, Timeline: []Segment{}}
	switch b := rp.base[m.Slug]; {
	case b == 0:
		out.Note = "reaches no core site even with every link up (see tuyau topology cuts): every known moment counts as down"
	case b != reachA|reachB:
		_, lost := rp.stateOf(b)
		out.Note = "reaches only one core site even with every link up: " + joinComma(lost) + " is never reachable"
	}
	ss := rp.segs[m.Slug]
	var hUp, hDown, bUp, bDown, unk, bUnk time.Duration
	for _, s := range ss {
		c := clip([]Interval{s.Interval}, w)
		if len(c) == 0 {
			continue
		}
		d := c[0].Duration()
		switch s.State {
		case StateBoth:
			hUp += d
			bUp += d
		case StateOne:
			hUp += d
			bDown += d
		case StateNone:
			hDown += d
			bDown += d
		case StateHostingOnly:
			hUp += d
			bUnk += d
		default:
			unk += d
		}
		cs := Segment{Interval: c[0], State: s.State, Lost: s.Lost}
		if n := len(out.Timeline); n > 0 && out.Timeline[n-1].State == cs.State && slices.Equal(out.Timeline[n-1].Lost, cs.Lost) {
			out.Timeline[n-1].End = cs.End
		} else {
			out.Timeline = append(out.Timeline, cs)
		}
	}
	out.Hosting = Share{Up: Secs(hUp), Down: Secs(hDown), Unknown: Secs(unk), Percent: percent(hUp, hDown)}
	out.BothCores = Share{Up: Secs(bUp), Down: Secs(bDown), Unknown: Secs(unk + bUnk), Percent: percent(bUp, bDown)}
	for i := 0; i < len(ss); i++ {
		if ss[i].State != StateOne && ss[i].State != StateNone {
			continue
		}
		j := i
		for j+1 < len(ss) && (ss[j+1].State == StateOne || ss[j+1].State == StateNone) && ss[j+1].Start.Equal(ss[j].End) {
			j++
		}
		o := rp.outage(m.Slug, ss, i, j, w, alarms)
		if o.End.After(w.Start) && o.Start.Before(w.End) {
			out.Outages = append(out.Outages, o)
		}
		i = j
	}
	return out
}

func (rp *replay) outage(slug string, ss []seg, i, j int, w Interval, alarms map[string]telemetry.Alarm) Outage {
	o := Outage{Start: ss[i].Start, End: ss[j].End, Lost: []string{}, Causes: []Cause{}}
	o.Duration = Secs(o.End.Sub(o.Start))
	if c := clip([]Interval{{o.Start, o.End}}, w); len(c) > 0 {
		o.InWindow = Secs(c[0].Duration())
	}
	o.AfterNoData = i == 0 || ss[i-1].State == StateUnknown || ss[i-1].State == StateHostingOnly
	o.BeforeNoData = j+1 < len(ss) && (ss[j+1].State == StateUnknown || ss[j+1].State == StateHostingOnly) || j+1 == len(ss) && !rp.end.Equal(rp.h.Until)
	o.Ongoing = j+1 == len(ss) && rp.end.Equal(rp.h.Until)
	byKey := map[string]int{}
	var explains []time.Duration // by cause, how long it explained the outage
	for k := i; k <= j; k++ {
		s := ss[k]
		if s.State == StateNone {
			o.HostingLost += Secs(s.Duration())
		}
		for _, l := range s.Lost {
			if !slices.Contains(o.Lost, l) {
				o.Lost = append(o.Lost, l)
			}
		}
		for _, sp := range s.sets {
			for _, c := range rp.causes(slug, sp.set, alarms) {
				key := c.Alarm + "\x00" + c.Kind + "\x00" + c.Name
				if n, ok := byKey[key]; ok {
					explains[n] += sp.dur
					for _, l := range c.Links {
						if !slices.Contains(o.Causes[n].Links, l) {
							o.Causes[n].Links = append(o.Causes[n].Links, l)
						}
					}
					slices.Sort(o.Causes[n].Links)
					continue
				}
				byKey[key] = len(o.Causes)
				o.Causes = append(o.Causes, c)
				explains = append(explains, sp.dur)
			}
		}
	}
	o.Causes = resolved(o.Causes, explains)
	slices.Sort(o.Lost)
	return o
}

// resolved keeps the causes that explained the outage for causeResolution,
// or, when none did (a short outage), for as long as the longest did.
func resolved(cs []Cause, explains []time.Duration) []Cause {
	if len(cs) < 2 {
		return cs
	}
	limit := min(causeResolution, slices.Max(explains))
	out := cs[:0]
	for n, c := range cs {
		if explains[n] >= limit {
			out = append(out, c)
		}
	}
	return out
}

// causes are the groups of down links (by the root alarm their change
// named; a link with none on its own) that explain what member slug lost
// under set: those whose repair alone would give it back something; when
// none would alone (two causes each enough), those that alone take
// something; failing that, every group.
func (rp *replay) causes(slug string, set *linkSet, alarms map[string]telemetry.Alarm) []Cause {
	groups := map[string][]string{}
	for _, id := range set.down {
		k := set.cause[id]
		if k == "" {
			k = "link:" + id
		}
		groups[k] = append(groups[k], id)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	have := rp.base[slug] &^ rp.lostUnder(set.down)[slug]
	pick := keys
	if len(keys) > 1 {
		var fix, take []string
		for _, k := range keys {
			var rest []string
			for _, id := range set.down {
				if !slices.Contains(groups[k], id) {
					rest = append(rest, id)
				}
			}
			if r := rp.base[slug] &^ rp.lostUnder(rest)[slug]; r&^have != 0 {
				fix = append(fix, k)
			}
			if rp.lostUnder(groups[k])[slug] != 0 {
				take = append(take, k)
			}
		}
		switch {
		case len(fix) > 0:
			pick = fix
		case len(take) > 0:
			pick = take
		}
	}
	out := make([]Cause, 0, len(pick))
	for _, k := range pick {
		out = append(out, causeOf(k, groups[k], alarms))
	}
	slices.SortFunc(out, func(a, b Cause) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name)) })
	return out
}

func causeOf(key string, links []string, alarms map[string]telemetry.Alarm) Cause {
	links = slices.Clone(links)
	slices.Sort(links)
	if id, ok := strings.CutPrefix(key, "link:"); ok {
		c := Cause{Kind: "link", Name: id, Links: links}
		if a, ok := alarms[telemetry.AlarmID("telemetry", "link-down", "link", id)]; ok {
			c.Alarm, c.Message = a.ID, a.Message
		}
		return c
	}
	a, ok := alarms[key]
	if !ok {
		return Cause{Alarm: key, Kind: "alarm", Name: key, Links: links}
	}
	kind := a.ObjectKind
	if kind == "" {
		kind = a.Rule
	}
	return Cause{Alarm: key, Kind: kind, Name: a.Object, Links: links, Message: a.Message}
}

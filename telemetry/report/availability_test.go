package report

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/topology"
)

// fixture is a generated 12-site network and the failures the tests
// replay, as topology's cut analysis names them: a duct that cuts three
// members off the hosting, and each core site lost (every member keeps
// the other).
type fixture struct {
	topo             *topology.Topology
	duct             topology.Failure // cuts member off the hosting
	single           topology.Failure // a cable under one link, cutting a member off
	siteA, siteB     topology.Failure // core site A, B
	member, bystand  string           // a member the duct cuts off, one it does not
	ductID, aID, bID string           // root alarm ids
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	snap, err := synth.Generate(synth.Options{Sites: 12, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	an := topology.Analyze(topo)
	f := fixture{topo: topo}
	for _, fl := range an.Cuts(topology.CutOptions{}) {
		switch {
		case fl.Kind == topology.FailSRLG && len(fl.LoseHosting) > 1 && f.duct.Name == "":
			f.duct = fl
		case fl.Kind == topology.FailCable && len(fl.LinksDown) == 1 && len(fl.LoseHosting) == 1 && f.single.Name == "":
			f.single = fl
		case fl.Kind == topology.FailSite && fl.Name == topo.CoreA:
			f.siteA = fl
		case fl.Kind == topology.FailSite && fl.Name == topo.CoreB:
			f.siteB = fl
		}
	}
	if f.duct.Name == "" || f.single.Name == "" || len(f.siteA.LoseCoreA) == 0 || len(f.siteB.LoseCoreB) == 0 {
		t.Fatalf("fixture network lacks the failures the tests need: duct %+v, site A %+v, site B %+v", f.duct, f.siteA, f.siteB)
	}
	f.member = f.duct.LoseHosting[0]
	for _, m := range f.siteA.LoseCoreA {
		if !slices.Contains(f.duct.LoseHosting, m) && slices.Contains(f.siteB.LoseCoreB, m) {
			f.bystand = m
			break
		}
	}
	if f.bystand == "" || !slices.Contains(f.siteA.LoseCoreA, f.member) || !slices.Contains(f.siteB.LoseCoreB, f.member) {
		t.Fatalf("fixture: no member outside the duct losing each core with its site")
	}
	f.ductID = telemetry.AlarmID("telemetry", "duct", "duct", f.duct.Name)
	f.aID = telemetry.AlarmID("telemetry", "site-loss", "site", f.siteA.Name)
	f.bID = telemetry.AlarmID("telemetry", "site-loss", "site", f.siteB.Name)
	return f
}

func (f fixture) alarms() []telemetry.Alarm {
	return []telemetry.Alarm{
		{ID: f.ductID, Rule: "duct", ObjectKind: "duct", Object: f.duct.Name},
		{ID: f.aID, Rule: "site-loss", ObjectKind: "site", Object: f.siteA.Name},
		{ID: f.bID, Rule: "site-loss", ObjectKind: "site", Object: f.siteB.Name},
	}
}

var t0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// history builds a history the way the collector writes it: markers, a
// heartbeat every minute while running, link changes.
type history struct {
	f  fixture
	h  telemetry.ChangeHistory
	up map[string]bool
}

func newHistory(f fixture, start time.Duration) *history {
	hs := &history{f: f, up: map[string]bool{}}
	hs.mark(start, telemetry.MarkStarted)
	for _, l := range f.topo.Links {
		if l.Up {
			hs.h.Changes = append(hs.h.Changes, telemetry.StateChange{Time: at(start + time.Second), ObjectKind: "link", Object: l.ID, From: "unknown", To: "up"})
		}
	}
	return hs
}

func (hs *history) mark(d time.Duration, m string) *history {
	hs.h.Changes = append(hs.h.Changes, telemetry.StateChange{Time: at(d), ObjectKind: telemetry.KindCollector, Object: "col-1", To: m})
	return hs
}

// beats writes a heartbeat every minute in (from, to].
func (hs *history) beats(from, to time.Duration) *history {
	for d := from + time.Minute; d <= to; d += time.Minute {
		hs.mark(d, telemetry.MarkRunning)
	}
	return hs
}

func (hs *history) links(d time.Duration, ids []string, from, to, cause string) *history {
	for _, id := range ids {
		hs.h.Changes = append(hs.h.Changes, telemetry.StateChange{Time: at(d), ObjectKind: "link", Object: id, From: from, To: to, Cause: cause})
	}
	return hs
}

func (hs *history) down(d time.Duration, ids []string, cause string) *history {
	return hs.links(d, ids, "up", "down", cause)
}
func (hs *history) restore(d time.Duration, ids []string) *history {
	return hs.links(d, ids, "down", "up", "")
}

func (hs *history) until(d time.Duration) telemetry.ChangeHistory {
	hs.h.Until = at(d)
	slices.SortStableFunc(hs.h.Changes, func(a, b telemetry.StateChange) int { return a.Time.Compare(b.Time) })
	return hs.h
}

// asWritten is the history in the order the calls wrote it, unsorted.
func (hs *history) asWritten(d time.Duration) telemetry.ChangeHistory {
	hs.h.Until = at(d)
	return hs.h
}

type wantOutage struct {
	start, end, hostingLost   time.Duration
	causes                    string // CauseText
	afterNoData, beforeNoData bool
	ongoing                   bool
}

type wantMember struct {
	site                           string
	hostingDown, bothDown, unknown time.Duration
	// bothUnknown, when set, is the unknown time of both cores, when it
	// is not the hosting's.
	bothUnknown time.Duration
	outages     []wantOutage
}

func TestAvailability(t *testing.T) {
	f := newFixture(t)
	const h = time.Hour
	const m = time.Minute
	ductLinks, aLinks, bLinks := f.duct.LinksDown, f.siteA.LinksDown, f.siteB.LinksDown
	ductCause := "duct " + f.duct.Name + " (" + strconv.Itoa(len(ductLinks)) + " links down)"
	aCause := "site " + f.siteA.Name + " (" + strconv.Itoa(len(aLinks)) + " links down)"
	bCause := "site " + f.siteB.Name + " (" + strconv.Itoa(len(bLinks)) + " links down)"
	window := 10 * h
	tests := []struct {
		name    string
		hist    telemetry.ChangeHistory
		noData  []Interval
		members []wantMember
	}{
		{
			name: "duct cut inside the window",
			hist: newHistory(f, -24*h).beats(-24*h, 11*h).down(h, ductLinks, f.ductID).restore(h+30*m, ductLinks).until(11 * h),
			members: []wantMember{
				{site: f.member, hostingDown: 30 * m, bothDown: 30 * m, outages: []wantOutage{{start: h, end: h + 30*m, hostingLost: 30 * m, causes: ductCause}}},
				{site: f.bystand},
			},
		},
		{
			name: "outage spanning both edges of the window",
			hist: newHistory(f, -24*h).beats(-24*h, 12*h).down(-h, ductLinks, f.ductID).restore(11*h, ductLinks).until(12 * h),
			members: []wantMember{
				{site: f.member, hostingDown: window, bothDown: window, outages: []wantOutage{{start: -h, end: 11 * h, hostingLost: 12 * h, causes: ductCause}}},
				{site: f.bystand},
			},
		},
		{
			name: "an outage still going on at the end of the history",
			hist: newHistory(f, -24*h).beats(-24*h, 11*h).down(9*h, ductLinks, f.ductID).until(11 * h),
			members: []wantMember{
				{site: f.member, hostingDown: h, bothDown: h, outages: []wantOutage{{start: 9 * h, end: 11 * h, hostingLost: 2 * h, causes: ductCause, ongoing: true}}},
			},
		},
		{
			name: "state at the start from the last change before it",
			hist: newHistory(f, -48*h).beats(-48*h, 11*h).down(-30*h, ductLinks, f.ductID).restore(2*h, ductLinks).until(11 * h),
			members: []wantMember{
				{site: f.member, hostingDown: 2 * h, bothDown: 2 * h, outages: []wantOutage{{start: -30 * h, end: 2 * h, hostingLost: 32 * h, causes: ductCause}}},
			},
		},
		{
			name: "overlapping outages on the two core paths",
			hist: newHistory(f, -24*h).beats(-24*h, 11*h).
				down(h, aLinks, f.aID).down(2*h, bLinks, f.bID).restore(3*h, onlyIn(aLinks, bLinks)).restore(4*h, bLinks).until(11 * h),
			members: []wantMember{
				{site: f.bystand, hostingDown: h, bothDown: 3 * h, outages: []wantOutage{{start: h, end: 4 * h, hostingLost: h, causes: aCause + "; " + bCause}}},
				{site: f.member, hostingDown: h, bothDown: 3 * h, outages: []wantOutage{{start: h, end: 4 * h, hostingLost: h, causes: aCause + "; " + bCause}}},
			},
		},
		{
			name: "collector restarted: stopped to started is unknown",
			hist: newHistory(f, -24*h).beats(-24*h, 2*h).mark(2*h, telemetry.MarkStopped).
				mark(2*h+10*m, telemetry.MarkStarted).beats(2*h+10*m, 11*h).until(11 * h),
			noData:  []Interval{{at(2 * h), at(2*h + 10*m)}},
			members: []wantMember{{site: f.member, unknown: 10 * m}, {site: f.bystand, unknown: 10 * m}},
		},
		{
			name:    "collector crashed: from its last heartbeat to the next start is unknown",
			hist:    newHistory(f, -24*h).beats(-24*h, 5*h).mark(6*h, telemetry.MarkStarted).beats(6*h, 11*h).until(11 * h),
			noData:  []Interval{{at(5 * h), at(6 * h)}},
			members: []wantMember{{site: f.member, unknown: h}},
		},
		{
			name:    "collector stalled: heartbeats missing for longer than the gap allowed",
			hist:    newHistory(f, -24*h).beats(-24*h, 7*h).beats(8*h-m, 11*h).until(11 * h),
			noData:  []Interval{{at(7 * h), at(8 * h)}},
			members: []wantMember{{site: f.member, unknown: h}},
		},
		{
			name: "outage across a crash: split, each part flagged next to the unknown time",
			hist: newHistory(f, -24*h).beats(-24*h, h+10*m).down(h, ductLinks, f.ductID).
				mark(h+40*m, telemetry.MarkStarted).beats(h+40*m, 11*h).restore(2*h, ductLinks).until(11 * h),
			noData: []Interval{{at(h + 10*m), at(h + 40*m)}},
			members: []wantMember{{site: f.member, hostingDown: 30 * m, bothDown: 30 * m, unknown: 30 * m, outages: []wantOutage{
				{start: h, end: h + 10*m, hostingLost: 10 * m, causes: ductCause, beforeNoData: true},
				{start: h + 40*m, end: 2 * h, hostingLost: 20 * m, causes: ductCause, afterNoData: true},
			}}},
		},
		{
			name:   "history begins inside the window: before it is unknown",
			hist:   newHistory(f, 3*h).beats(3*h, 11*h).until(11 * h),
			noData: []Interval{{at(0), at(3 * h)}},
			// and the second the links take to be known after the start
			members: []wantMember{{site: f.member, unknown: 3*h + time.Second}},
		},
		{
			name:    "collector silent at the end: its last minutes are not assumed",
			hist:    newHistory(f, -24*h).beats(-24*h, 8*h).until(11 * h),
			noData:  []Interval{{at(8 * h), at(10 * h)}},
			members: []wantMember{{site: f.member, unknown: 2 * h}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Availability(f.topo, tt.hist, Options{From: at(0), To: at(window), Alarms: f.alarms()})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.NoData, append([]Interval{}, tt.noData...)) {
				t.Errorf("NoData = %v, want %v", r.NoData, tt.noData)
			}
			if len(r.Members) != len(memberSites(f.topo)) {
				t.Errorf("%d members reported, want %d", len(r.Members), len(memberSites(f.topo)))
			}
			for _, wm := range tt.members {
				i := slices.IndexFunc(r.Members, func(m Member) bool { return m.Site == wm.site })
				if i < 0 {
					t.Fatalf("member %s not in the report", wm.site)
				}
				checkMember(t, r.Members[i], wm, window)
			}
		})
	}
}

func checkMember(t *testing.T, got Member, want wantMember, window time.Duration) {
	t.Helper()
	if got.Hosting.Down.D() != want.hostingDown || got.BothCores.Down.D() != want.bothDown || got.Hosting.Unknown.D() != want.unknown {
		t.Errorf("%s: hosting down %v, both cores down %v, unknown %v; want %v, %v, %v", got.Site,
			got.Hosting.Down.D(), got.BothCores.Down.D(), got.Hosting.Unknown.D(), want.hostingDown, want.bothDown, want.unknown)
	}
	if want.bothUnknown != 0 && got.BothCores.Unknown.D() != want.bothUnknown {
		t.Errorf("%s: both cores unknown %v, want %v", got.Site, got.BothCores.Unknown.D(), want.bothUnknown)
	}
	if sum := got.Hosting.Up.D() + got.Hosting.Down.D() + got.Hosting.Unknown.D(); sum != window {
		t.Errorf("%s: up + down + unknown = %v, want the window %v", got.Site, sum, window)
	}
	known := window - want.unknown
	wantPct := 100 * float64(known-want.hostingDown) / float64(known)
	if got.Hosting.Percent == nil || abs(*got.Hosting.Percent-wantPct) > 1e-9 {
		t.Errorf("%s: hosting percent %v, want %v", got.Site, got.Hosting.Percent, wantPct)
	}
	if len(got.Outages) != len(want.outages) {
		t.Fatalf("%s: %d outages %+v, want %d", got.Site, len(got.Outages), got.Outages, len(want.outages))
	}
	for i, wo := range want.outages {
		o := got.Outages[i]
		if !o.Start.Equal(at(wo.start)) || !o.End.Equal(at(wo.end)) || o.Duration.D() != wo.end-wo.start || o.HostingLost.D() != wo.hostingLost {
			t.Errorf("%s outage %d: %s to %s (%v, hosting lost %v), want %s to %s (hosting lost %v)", got.Site, i, o.Start, o.End,
				o.Duration.D(), o.HostingLost.D(), at(wo.start), at(wo.end), wo.hostingLost)
		}
		if c := CauseText(o.Causes); c != wo.causes {
			t.Errorf("%s outage %d: cause %q, want %q", got.Site, i, c, wo.causes)
		}
		if o.Ongoing != wo.ongoing {
			t.Errorf("%s outage %d: ongoing %v, want %v", got.Site, i, o.Ongoing, wo.ongoing)
		}
		if o.AfterNoData != wo.afterNoData || o.BeforeNoData != wo.beforeNoData {
			t.Errorf("%s outage %d: after/before no data %v/%v, want %v/%v", got.Site, i, o.AfterNoData, o.BeforeNoData, wo.afterNoData, wo.beforeNoData)
		}
	}
}

// onlyIn is a less b: a link between the two core sites goes down with
// either and comes back with the last.
func onlyIn(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestCausesBelowResolution: the links of one duct go down on different
// routers a millisecond apart. For that millisecond a link already down
// elsewhere (standing) seems to matter: the member is still up on its own
// link and would reach a core through the standing one. The outage is the
// duct's, not the standing link's; a standing link that does matter for
// longer than the resolution is named beside the duct.
func TestCausesBelowResolution(t *testing.T) {
	f := newFixture(t)
	an := topology.Analyze(f.topo)
	// A duct, a member it cuts off, first the duct's links less one (last)
	// under which the member keeps the hosting alone, and standing with
	// which it does not.
	var duct topology.Failure
	var member, last, standing string
	var first []string
	loses := func(down []string) bool { return slices.Contains(an.LinksDown(down).LoseHosting, member) }
	costs := func(down []string) bool {
		fl := an.LinksDown(down)
		return slices.Contains(fl.LoseHosting, member) || slices.Contains(fl.LoseCoreA, member) || slices.Contains(fl.LoseCoreB, member)
	}
search:
	for _, d := range an.Cuts(topology.CutOptions{Kinds: []topology.FailureKind{topology.FailSRLG}}) {
		for _, mb := range d.LoseHosting {
			duct, member = d, mb
			for i, l := range d.LinksDown {
				rest := append(slices.Clone(d.LinksDown[:i]), d.LinksDown[i+1:]...)
				if len(rest) == 0 || loses(rest) {
					continue
				}
				for _, s := range f.topo.Links {
					if s.Up && !slices.Contains(d.LinksDown, s.ID) && !costs([]string{s.ID}) && loses(append(slices.Clone(rest), s.ID)) {
						first, last, standing = rest, l, s.ID
						break search
					}
				}
			}
		}
	}
	if standing == "" {
		t.Fatal("fixture: no duct with a link whose repair alone gives a member the hosting back with another link down")
	}
	ductID := telemetry.AlarmID("telemetry", "duct", "duct", duct.Name)
	alarms := []telemetry.Alarm{{ID: ductID, Rule: "duct", ObjectKind: "duct", Object: duct.Name}}
	const h, m, ms = time.Hour, time.Minute, time.Millisecond
	ductText := func(n int) string { return "duct " + duct.Name + " (" + strconv.Itoa(n) + " links down)" }
	tests := []struct {
		name       string
		hist       telemetry.ChangeHistory
		start, end time.Duration
		causes     string
	}{
		{
			name: "duct links a millisecond apart, in and out",
			hist: newHistory(f, -24*h).beats(-24*h, 11*h).links(-2*h, []string{standing}, "up", "down", "").
				down(h, first, ductID).down(h+ms, []string{last}, ductID).
				restore(h+30*m, []string{last}).restore(h+30*m+ms, first).until(11 * h),
			start: h, end: h + 30*m + ms, causes: ductText(len(duct.LinksDown)),
		},
		{
			name: "the standing link matters for the whole outage",
			hist: newHistory(f, -24*h).beats(-24*h, 11*h).links(-2*h, []string{standing}, "up", "down", "").
				down(h, first, ductID).restore(h+30*m, first).until(11 * h),
			start: h, end: h + 30*m, causes: ductText(len(first)) + "; link " + standing,
		},
		{
			name: "an outage shorter than the resolution keeps its causes",
			hist: newHistory(f, -24*h).beats(-24*h, 11*h).links(-2*h, []string{standing}, "up", "down", "").
				down(h, first, ductID).restore(h+300*ms, first).until(11 * h),
			start: h, end: h + 300*ms, causes: ductText(len(first)) + "; link " + standing,
		},
	}
	if len(first) == 1 {
		for i := range tests[1:] {
			tests[1+i].causes = strings.Replace(tests[1+i].causes, "(1 links down)", "(1 link down)", 1)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Availability(f.topo, tt.hist, Options{From: at(0), To: at(10 * h), Alarms: alarms})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(r.Members, func(mb Member) bool { return mb.Site == member })
			if i < 0 {
				t.Fatalf("member %s not in the report", member)
			}
			os := r.Members[i].Outages
			if len(os) != 1 {
				t.Fatalf("%s: %d outages %+v, want 1", member, len(os), os)
			}
			if !os[0].Start.Equal(at(tt.start)) || !os[0].End.Equal(at(tt.end)) {
				t.Errorf("%s outage %s to %s, want %s to %s", member, os[0].Start, os[0].End, at(tt.start), at(tt.end))
			}
			if c := CauseText(os[0].Causes); c != tt.causes {
				t.Errorf("%s outage cause %q, want %q", member, c, tt.causes)
			}
		})
	}
}

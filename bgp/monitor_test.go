package bgp

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// tableSource is the speaker's table and sessions as the monitor reads
// them, set by the test.
type tableSource struct {
	mu     sync.Mutex
	routes []Route
	peers  []PeerStatus
}

func (s *tableSource) Lookup(_ context.Context, ps []netip.Prefix) ([]Route, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Route
	for _, r := range s.routes {
		if slices.Contains(ps, r.Prefix) {
			out = append(out, r)
		}
	}
	return out, nil
}

// receive puts rs in the table and hands them to m as the RIB watch does.
func (s *tableSource) receive(m *Monitor, rs ...Route) {
	s.mu.Lock()
	s.routes = append(s.routes, rs...)
	s.mu.Unlock()
	var ps []ReceivedPath
	for _, r := range rs {
		ps = append(ps, ReceivedPath{Prefix: r.Prefix, Peer: r.Peer, ID: r.PathID, ASPath: r.ASPath})
	}
	m.Observe(ps)
}

func (s *tableSource) PeerCounts(context.Context) ([]PeerStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PeerStatus(nil), s.peers...), nil
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var rr1 = netip.MustParseAddr("10.255.0.1")

func newTestMonitor(t *testing.T) (*Monitor, *alarmLog, *tableSource, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)}
	var log alarmLog
	mc := MonitorConfig{Speaker: "dc1", ASN: 65000, Devices: map[netip.Addr]string{rr1: "dc1-r1"}, Limits: map[netip.Addr]int{rr1: 1000},
		Prefixes: []OwnedPrefix{
			{Prefix: netip.MustParsePrefix("172.16.0.0/28"), Kind: KindMemberLAN, Site: "m1", Origins: []uint32{4200000001}, Required: true},
			{Prefix: netip.MustParsePrefix("172.16.0.0/16"), Kind: KindInfrastructure, Origins: []uint32{65000}},
		},
		Baseline: Baseline{Warmup: 3, MinDelta: 10, Settle: time.Second, Rebase: time.Hour}}
	m := NewMonitor(mc, log.add, WithClock(clk.now))
	return m, &log, &tableSource{}, clk
}

// TestMonitorBaseline: the learned baseline raises on a flood and on a
// loss, clears on the return, and takes a lasting new level as the new
// baseline after Rebase; near max_prefixes raises the limit alarm.
func TestMonitorBaseline(t *testing.T) {
	m, log, src, clk := newTestMonitor(t)
	ctx := context.Background()
	sample := func(n uint64) {
		src.mu.Lock()
		src.peers = []PeerStatus{{Address: rr1, State: "established", Uptime: Duration(time.Hour), Received: n}}
		src.mu.Unlock()
		m.checkCounts(ctx, src)
		clk.add(10 * time.Second)
	}
	active := func(rule string) bool {
		for _, a := range m.Active() {
			if a.Rule == rule {
				return true
			}
		}
		return false
	}
	steps := []struct {
		count         uint64
		raised, limit bool
	}{
		{100, false, false}, {102, false, false}, {98, false, false}, // warm-up
		{104, false, false}, // within max(50, 10)
		{400, true, false},  // flood
		{101, false, false}, // back
		{20, true, false},   // loss
		{99, false, false},
		{950, true, true}, // near the limit of 1000
		{100, false, false},
	}
	for i, s := range steps {
		sample(s.count)
		if got := active(RulePrefixCount); got != s.raised {
			t.Fatalf("step %d (%d prefixes): prefix-count active %t, want %t\n%s", i, s.count, got, s.raised, log.String())
		}
		if got := active(RulePrefixLimit); got != s.limit {
			t.Fatalf("step %d (%d prefixes): prefix-limit active %t, want %t", i, s.count, got, s.limit)
		}
	}
	base, _ := m.Baseline(rr1)
	// A lasting new level: raised, then after Rebase taken as the baseline.
	sample(300)
	clk.add(time.Hour)
	sample(300)
	if active(RulePrefixCount) {
		t.Fatalf("after an hour at 300: still raised\n%s", log.String())
	}
	if b, _ := m.Baseline(rr1); b != 300 {
		t.Errorf("baseline after rebase %v (was %v), want 300", b, base)
	}
	last := log.as[len(log.as)-1]
	if last.Rule != RulePrefixCount || last.Active || !strings.Contains(last.Message, "new baseline") {
		t.Errorf("last alarm %+v, want the prefix-count clear naming the new baseline", last)
	}
}

// TestMonitorFlapping: three drops within the window raise flapping; it
// clears once the window holds fewer.
func TestMonitorFlapping(t *testing.T) {
	m, log, _, clk := newTestMonitor(t)
	for range 3 {
		m.Session(Event{Kind: SessionDown, Peer: rr1, Device: "dc1-r1", State: "idle"})
		clk.add(time.Minute)
		m.Session(Event{Kind: SessionUp, Peer: rr1, Device: "dc1-r1"})
	}
	a := log.wait(t, 0, RuleSessionFlapping, "dc1-r1 10.255.0.1", true, time.Second)
	if a.Peer != rr1 || !strings.Contains(a.Message, "3 drops") {
		t.Errorf("flapping alarm %+v", a)
	}
	if n := strings.Count(log.String(), RuleSessionDown+" active=true"); n != 3 {
		t.Errorf("%d session-down raises, want 3:\n%s", n, log.String())
	}
	clk.add(10 * time.Minute)
	m.mu.Lock()
	out := m.flapsLocked(m.clock())
	m.mu.Unlock()
	m.send(out)
	log.wait(t, 0, RuleSessionFlapping, "dc1-r1", false, time.Second)
}

// TestMonitorMissing: a missing member LAN is not reported before the
// grace after the first session, nor while every session is down; a
// more-specific from the member keeps it reachable; a more-specific of
// the infrastructure prefix that is the member's LAN is checked as the
// LAN (the longest of ours), not as a hijack of the /16.
func TestMonitorMissing(t *testing.T) {
	m, log, src, clk := newTestMonitor(t)
	ctx := context.Background()
	check := func() { m.checkPrefixes(ctx, src, true) }
	check()
	if len(log.as) != 0 {
		t.Fatalf("before any session: %s", log.String())
	}
	m.Session(Event{Kind: SessionUp, Peer: rr1})
	check()
	if len(log.as) != 0 {
		t.Fatalf("within the grace: %s", log.String())
	}
	clk.add(2 * time.Minute)
	check()
	log.wait(t, 0, RulePrefixMissing, "172.16.0.0/28", true, time.Second)
	src.receive(m, Route{Prefix: netip.MustParsePrefix("172.16.0.8/29"), Peer: rr1, ASPath: []uint32{4200000001}})
	check()
	a := log.wait(t, 0, RulePrefixMissing, "172.16.0.0/28", false, time.Second)
	if !strings.Contains(a.Message, "restored") || !strings.Contains(a.Message, "172.16.0.8/29") {
		t.Errorf("restoration %q", a.Message)
	}
	for _, a := range m.Active() {
		t.Errorf("still active: %+v", a)
	}
	// All sessions down: the missing LAN is said by session-down only.
	src.routes = nil
	mark := log.len()
	m.Session(Event{Kind: SessionDown, Peer: rr1, State: "idle"})
	check()
	for _, a := range log.as[mark:] {
		if a.Rule != RuleSessionDown {
			t.Errorf("with every session down: %s %s", a.Rule, a.Object)
		}
	}
}

// countingSource is a tableSource that counts its reads.
type countingSource struct {
	tableSource
	lookups, prefixes int
}

func (s *countingSource) Lookup(ctx context.Context, ps []netip.Prefix) ([]Route, error) {
	s.lookups++
	s.prefixes += len(ps)
	return s.tableSource.Lookup(ctx, ps)
}

// TestMonitorHeldPaths: between resyncs the checks decide from the paths
// the watch delivered, without reading the table: a hijacking
// more-specific raised at once and cleared by its withdrawal; a session
// going down takes its paths with it (the member LAN goes missing while
// another session is up). The resync reads the table once, for ours and
// the more-specifics held, and corrects what the watch did not say.
func TestMonitorHeldPaths(t *testing.T) {
	m, log, _, clk := newTestMonitor(t)
	src := &countingSource{}
	ctx := context.Background()
	rr2 := netip.MustParseAddr("10.255.0.2")
	m.Session(Event{Kind: SessionUp, Peer: rr1})
	m.Session(Event{Kind: SessionUp, Peer: rr2})
	clk.add(2 * time.Minute)
	lan := Route{Prefix: netip.MustParsePrefix("172.16.0.0/28"), Peer: rr1, ASPath: []uint32{4200000001}}
	src.receive(m, lan)
	m.checkPrefixes(ctx, src, false)

	bad := netip.MustParsePrefix("172.16.0.0/29")
	reads := src.lookups // the session events' re-read, before
	mark := log.len()
	m.Observe([]ReceivedPath{{Prefix: bad, Peer: rr2, ID: 7, ASPath: []uint32{64666}}})
	log.wait(t, mark, RuleOriginHijack, bad.String()+" AS64666", true, time.Second)
	m.checkPrefixes(ctx, src, false) // confirmed from the held path
	mark = log.len()
	m.Observe([]ReceivedPath{{Prefix: bad, Peer: rr2, ID: 7, Withdraw: true}})
	m.checkPrefixes(ctx, src, false)
	log.wait(t, mark, RuleOriginHijack, bad.String(), false, time.Second)

	if src.lookups != reads {
		t.Errorf("%d table reads between resyncs, want none (no hosting prefix)", src.lookups-reads)
	}

	// rr1 in graceful restart: its path stays in the table, stale, and the
	// re-read after the session event holds it again: not missing.
	m.Session(Event{Kind: SessionDown, Peer: rr1, State: "idle"})
	m.checkPrefixes(ctx, src, false)
	// GoBGP drops rr1's paths (no graceful restart, or its timer ran out).
	mark = log.len()
	src.mu.Lock()
	src.routes = nil
	src.mu.Unlock()
	m.Session(Event{Kind: SessionDown, Peer: rr1, State: "idle"})
	m.checkPrefixes(ctx, src, false)
	log.wait(t, mark, RulePrefixMissing, lan.Prefix.String(), true, time.Second)
	for _, a := range log.as[:mark] {
		if a.Rule == RulePrefixMissing {
			t.Errorf("missing raised while rr1's path was in the table (graceful restart): %+v", a)
		}
	}
	reads = src.lookups
	prefixes := src.prefixes

	// The table has the LAN from rr2 (say the watch's announcement was
	// lost): the resync reads it, in one call, and restores.
	mark = log.len()
	src.mu.Lock()
	src.routes = []Route{{Prefix: lan.Prefix, Peer: rr2, ASPath: []uint32{4200000001}}}
	src.mu.Unlock()
	m.checkPrefixes(ctx, src, true)
	log.wait(t, mark, RulePrefixMissing, lan.Prefix.String(), false, time.Second)
	if src.lookups-reads != 1 || src.prefixes-prefixes != 2 {
		t.Errorf("resync: %d reads of %d prefixes, want 1 of 2 (ours)", src.lookups-reads, src.prefixes-prefixes)
	}
	if st := m.Stats(); st.Held != 1 || st.Lookups != uint64(src.lookups) {
		t.Errorf("stats %+v, want 1 path held, %d lookups", st, src.lookups)
	}
	for _, a := range m.Active() {
		if a.Rule != RuleSessionDown {
			t.Errorf("still active: %s %s", a.Rule, a.Object)
		}
	}
}

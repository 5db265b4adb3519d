package bgp

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// alarmLog keeps what a monitor emitted, for tests to wait on.
type alarmLog struct {
	mu sync.Mutex
	as []Alarm
}

func (l *alarmLog) add(a Alarm) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.as = append(l.as, a)
}

func (l *alarmLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, a := range l.as {
		fmt.Fprintf(&b, "  %s active=%t %s: %s\n", a.Rule, a.Active, a.Object, a.Message)
	}
	return b.String()
}

// wait returns the first alarm of rule on an object containing obj, in
// state active, emitted after the first `from` alarms.
func (l *alarmLog) wait(t *testing.T, from int, rule, obj string, active bool, timeout time.Duration) Alarm {
	t.Helper()
	var got Alarm
	waitFor(t, timeout, fmt.Sprintf("%s %q active=%t", rule, obj, active), func() (bool, string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, a := range l.as[min(from, len(l.as)):] {
			if a.Rule == rule && strings.Contains(a.Object, obj) && a.Active == active {
				got = a
				return true, ""
			}
		}
		return false, "alarms so far:\n" + l.stringLocked()
	})
	return got
}

func (l *alarmLog) stringLocked() string {
	var b strings.Builder
	for _, a := range l.as {
		fmt.Fprintf(&b, "  %s active=%t %s: %s\n", a.Rule, a.Active, a.Object, a.Message)
	}
	return b.String()
}

func (l *alarmLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.as)
}

// TestMonitorGoBGPd: Debian's gobgpd as the core's route reflector plays
// the network's routes to a speaker running the monitor: a member's LAN
// withdrawn (missing, then restored), a more-specific of a hosting prefix
// from a wrong origin AS (hijack naming prefix, expected and seen origin,
// peer, raised within a second of the announcement), a hosting prefix seen
// from one of its two sites, a prefix flood (baseline), and the session
// going down.
func TestMonitorGoBGPd(t *testing.T) {
	speakerPort := freePort(t, "127.0.0.1")
	g := startGoBGPd(t, gobgpdOpts{speakerAddr: netip.MustParseAddr("127.0.0.1"), speakerPort: speakerPort})
	cfg := speakerConfig(t, g.addr, g.port, PeerConfig{HoldTime: 9, Keepalive: 3})
	cfg.Port = speakerPort
	// gobgpd's own routes come with its router id: take it for dc2, so the
	// hosting prefix it announces is "seen from dc2" and ours from dc1.
	cfg.Origins = map[netip.Addr]string{netip.MustParseAddr("10.255.0.1"): "dc2"}
	member := netip.MustParsePrefix("172.16.0.0/28")
	hostingPfx := netip.MustParsePrefix("198.51.100.0/24")
	mc := MonitorConfig{Speaker: "dc1", ASN: 65000, Devices: map[netip.Addr]string{g.addr: "dc1-r1"},
		Prefixes: []OwnedPrefix{
			{Prefix: member, Kind: KindMemberLAN, Site: "barfleur-mairie", Origins: []uint32{4200000001}, Required: true},
			{Prefix: hostingPfx, Kind: KindHosting, Service: "hosting", Origins: []uint32{65000}, Sites: []string{"dc1", "dc2"}},
			{Prefix: netip.MustParsePrefix("10.255.0.0/16"), Kind: KindInfrastructure, Origins: []uint32{65000}},
		},
		MissingGrace: 500 * time.Millisecond, Check: 100 * time.Millisecond, Resync: time.Second,
		Baseline: Baseline{Interval: 300 * time.Millisecond, Settle: time.Nanosecond, Warmup: 3, MinDelta: 20}}
	var log alarmLog
	mon := NewMonitor(mc, log.add)
	sp := serveSpeaker(t, cfg, WithMonitor(mon))
	c := sp.Client()
	ctx := context.Background()
	waitFor(t, 20*time.Second, "session with gobgpd established", established(t, c, g.addr))

	// The member's LAN, as the member router originates it.
	g.must("global", "rib", "add", "-a", "ipv4", member.String(), "aspath", "4200000001")
	waitFor(t, 10*time.Second, "the member LAN at the speaker", func() (bool, string) {
		_, ok := routeFor(t, c, member.String())
		return ok, "missing"
	})
	// The baseline is learned on the steady table (a few prefixes).
	waitFor(t, 20*time.Second, "a learned baseline", func() (bool, string) {
		_, n := mon.Baseline(g.addr)
		return n >= 3, fmt.Sprintf("%d samples", n)
	})

	// Withdrawn: missing, naming the prefix and its expected origin.
	mark := log.len()
	g.must("global", "rib", "del", "-a", "ipv4", member.String())
	a := log.wait(t, mark, RulePrefixMissing, member.String(), true, 15*time.Second)
	if a.Prefix != member || !slices.Equal(a.Expected, []uint32{4200000001}) || a.Site != "barfleur-mairie" || a.Speaker != "dc1" {
		t.Errorf("missing alarm = %+v, want prefix %s, expected origin AS4200000001, site barfleur-mairie", a, member)
	}
	// Back: the restoration clears it and says so.
	mark = log.len()
	g.must("global", "rib", "add", "-a", "ipv4", member.String(), "aspath", "4200000001")
	a = log.wait(t, mark, RulePrefixMissing, member.String(), false, 15*time.Second)
	if !strings.HasPrefix(a.Message, "restored: ") || !strings.Contains(a.Message, "AS4200000001") {
		t.Errorf("restoration = %q, want a restored notice naming the origin", a.Message)
	}

	// The hosting prefix, from dc2 only: fewer sites than configured.
	// Before, nobody announces it: raised, from no site.
	a = log.wait(t, 0, RuleHostingSites, hostingPfx.String(), true, 15*time.Second)
	if len(a.Sites) != 0 || a.Service != "hosting" || a.Severity != "critical" {
		t.Errorf("hosting-sites alarm = %+v, want seen from no site, critical", a)
	}
	g.must("global", "rib", "add", "-a", "ipv4", hostingPfx.String())
	waitFor(t, 10*time.Second, "the hosting alarm seen from dc2 only", func() (bool, string) {
		for _, a := range mon.Active() {
			if a.Rule == RuleHostingSites && slices.Equal(a.Sites, []string{"dc2"}) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", mon.Active())
	})
	mark = log.len()
	if err := sp.Announce(ctx, hostingPfx, Attrs{}); err != nil {
		t.Fatal(err)
	}
	a = log.wait(t, mark, RuleHostingSites, hostingPfx.String(), false, 15*time.Second)
	if !strings.HasPrefix(a.Message, "restored: ") {
		t.Errorf("hosting-sites clear = %q, want a restored notice", a.Message)
	}

	// A more-specific of the hosting prefix from AS64666: hijack, at once.
	hijacked := netip.MustParsePrefix("198.51.100.128/25")
	mark = log.len()
	g.must("global", "rib", "add", "-a", "ipv4", hijacked.String(), "aspath", "64666")
	// From the CLI's return (gobgpd holds the path and sends it): the CLI's
	// own start-up, seconds under load, is not the speaker's.
	sent := time.Now()
	a = log.wait(t, mark, RuleOriginHijack, hijacked.String(), true, 10*time.Second)
	lat := a.Time.Sub(sent)
	t.Logf("hijack alarm %v after gobgpd took the announcement (negative: before the CLI exited)", lat)
	if lat > time.Second {
		t.Errorf("hijack alarm raised %v after gobgpd took the announcement, want within 1 s", lat)
	}
	if a.Prefix != hijacked || a.Covering != hostingPfx || !slices.Equal(a.Expected, []uint32{65000}) || a.Seen != 64666 ||
		a.Peer != g.addr || a.Device != "dc1-r1" || a.Severity != "critical" {
		t.Errorf("hijack alarm = %+v, want prefix %s covering %s, expected AS65000, seen AS64666, peer %s (dc1-r1)", a, hijacked, hostingPfx, g.addr)
	}
	for _, w := range []string{hijacked.String(), "AS64666", "AS65000", g.addr.String()} {
		if !strings.Contains(a.Message, w) {
			t.Errorf("hijack message %q does not name %s", a.Message, w)
		}
	}
	// The hijacker goes away: cleared.
	mark = log.len()
	g.must("global", "rib", "del", "-a", "ipv4", hijacked.String())
	log.wait(t, mark, RuleOriginHijack, hijacked.String(), false, 10*time.Second)

	// Our member's LAN leaked back through AS64510: expected origin, foreign path.
	leaked := netip.MustParsePrefix("172.16.0.0/29")
	mark = log.len()
	g.must("global", "rib", "add", "-a", "ipv4", leaked.String(), "aspath", "64510,4200000001")
	a = log.wait(t, mark, RuleRouteLeak, leaked.String(), true, 10*time.Second)
	if a.Seen != 4200000001 || !slices.Equal(a.ASPath, []uint32{64510, 4200000001}) || a.Peer != g.addr {
		t.Errorf("leak alarm = %+v, want seen origin AS4200000001 via AS64510 from %s", a, g.addr)
	}

	// A flood of 80 prefixes from a peer that sent a handful: baseline.
	// (One CLI call each: "gobgp mrt inject" exits before its stream is
	// read to the end, and gobgpd then loads only part of the file.)
	before := mon.Stats()
	mark = log.len()
	for i := range 80 {
		g.must("global", "rib", "add", "-a", "ipv4", fmt.Sprintf("10.200.%d.0/24", i), "aspath", "64999")
	}
	a = log.wait(t, mark, RulePrefixCount, g.addr.String(), true, 20*time.Second)
	if a.Peer != g.addr || !strings.Contains(a.Message, "above its learned baseline") {
		t.Errorf("prefix-count alarm = %+v, want above the baseline from %s", a, g.addr)
	}
	waitFor(t, 20*time.Second, "the flood observed", func() (bool, string) {
		st := mon.Stats()
		return st.Paths >= before.Paths+80, fmt.Sprintf("%+v, before %+v, peer %+v", st, before, peerOf(t, c, g.addr))
	})
	if st := mon.Stats(); st.Matched != before.Matched {
		t.Errorf("stats %+v, before the flood %+v: the flood's paths are not ours, none should match", st, before)
	}

	// The peer dies: session down, naming it.
	mark = log.len()
	g.proc.stop()
	a = log.wait(t, mark, RuleSessionDown, g.addr.String(), true, 30*time.Second)
	if a.Device != "dc1-r1" || a.Peer != g.addr {
		t.Errorf("session-down alarm = %+v", a)
	}
	if t.Failed() {
		t.Logf("alarms:\n%s", log.String())
	}
}

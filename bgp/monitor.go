package bgp

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Alarm rules the monitor raises and clears; docs/bgp.md "Alarms".
const (
	RuleSessionDown     = "bgp-session-down"     // a session left established
	RuleSessionFlapping = "bgp-session-flapping" // FlapCount drops within FlapWindow
	RulePrefixMissing   = "bgp-prefix-missing"   // a member LAN has no path in the core's view
	RuleOriginHijack    = "bgp-origin-hijack"    // ours, or a more-specific of ours, from an unexpected origin AS
	RuleRouteLeak       = "bgp-route-leak"       // ours, expected origin, through an AS that should not carry it
	RulePrefixCount     = "bgp-prefix-count"     // a peer's prefix count off its learned baseline
	RulePrefixLimit     = "bgp-prefix-limit"     // a peer's prefix count near its max_prefixes
	RuleHostingSites    = "bgp-hosting-sites"    // a hosting prefix seen from fewer core sites than configured
)

// Alarm is one condition the monitor raised (Active) or cleared; cmd hands
// it to telemetry's alarm engine. Rule and Object identify it: the same
// pair is raised once and cleared once.
type Alarm struct {
	Time       time.Time `json:"time"`
	Speaker    string    `json:"speaker"`
	Rule       string    `json:"rule"`
	Severity   string    `json:"severity"` // critical, major, minor, warning, info
	ObjectKind string    `json:"object_kind"`
	Object     string    `json:"object"`
	Active     bool      `json:"active"`
	Message    string    `json:"message"`
	// Prefix is the prefix seen (or missing); Covering the prefix of ours
	// it equals or falls inside.
	Prefix   netip.Prefix `json:"prefix,omitzero"`
	Covering netip.Prefix `json:"covering,omitzero"`
	// Expected are the origin ASes the inventory gives the prefix, Seen the
	// origin of the offending path (0 when none).
	Expected []uint32 `json:"expected_origin,omitempty"`
	Seen     uint32   `json:"seen_origin,omitempty"`
	ASPath   []uint32 `json:"as_path,omitempty"`
	// Peer is the session the path (or the count) came from.
	Peer    netip.Addr `json:"peer,omitzero"`
	Device  string     `json:"device,omitempty"`
	Site    string     `json:"site,omitempty"`
	Service string     `json:"service,omitempty"`
	// Sites are the core sites a hosting prefix is seen from.
	Sites []string `json:"sites,omitempty"`
}

// Key identifies the alarm's condition.
func (a Alarm) Key() string { return a.Rule + "|" + a.Object }

// OwnedPrefix is a prefix of the network the monitor watches.
type OwnedPrefix struct {
	Prefix netip.Prefix `json:"prefix"`
	// Kind is member-lan, hosting or infrastructure.
	Kind    string `json:"kind"`
	Site    string `json:"site,omitempty"`
	Service string `json:"service,omitempty"`
	// Origins are the ASes allowed to originate it (and its
	// more-specifics); a path with another origin is a hijack.
	Origins []uint32 `json:"origins"`
	// Required raises bgp-prefix-missing when the core has no path for it
	// with an expected origin (member LANs).
	Required bool `json:"required,omitempty"`
	// Sites are the core sites it must be reachable from (hosting).
	Sites []string `json:"sites,omitempty"`
}

// MonitorConfig is what a monitor watches and its thresholds; the zero
// durations and counts take the defaults (MonitorConfigFor fills the
// prefixes from the inventory, tuyau.yaml bgp: monitor: the thresholds).
type MonitorConfig struct {
	Speaker string `json:"speaker" yaml:"-"`
	// ASN is the speaker's AS: the origin of a path with an empty AS path
	// (iBGP routes of our own AS).
	ASN      uint32        `json:"asn" yaml:"-"`
	Prefixes []OwnedPrefix `json:"prefixes" yaml:"-"`
	// Devices names the peers in the alarms; Limits are their
	// max_prefixes (0: none).
	Devices map[netip.Addr]string `json:"-" yaml:"-"`
	Limits  map[netip.Addr]int    `json:"-" yaml:"-"`
	// MissingGrace is how long after the first session comes up missing
	// prefixes are not reported: the tables are still loading (60 s).
	MissingGrace time.Duration `json:"missing_grace" yaml:"missing_grace,omitempty"`
	// Check is how often changed prefixes are checked against the table
	// (1 s); Resync how often all of them are (30 s).
	Check  time.Duration `json:"check" yaml:"check,omitempty"`
	Resync time.Duration `json:"resync" yaml:"resync,omitempty"`
	// FlapCount drops within FlapWindow make a session flapping (3 in
	// 10 min); it clears once fewer drops are left in the window.
	FlapCount  int           `json:"flap_count" yaml:"flap_count,omitempty"`
	FlapWindow time.Duration `json:"flap_window" yaml:"flap_window,omitempty"`
	Baseline   Baseline      `json:"baseline" yaml:"baseline,omitempty"`
}

// Baseline is the learned prefix count of each peer: an exponentially
// weighted moving average of its received prefixes, sampled every
// Interval once the session has been up Settle. A sample further than
// max(Ratio x baseline, MinDelta) from it raises bgp-prefix-count; while
// raised the baseline is frozen, and a deviation lasting Rebase becomes the
// new baseline (a planned change) and clears.
type Baseline struct {
	Interval time.Duration `json:"interval" yaml:"interval,omitempty"` // 10 s
	Settle   time.Duration `json:"settle" yaml:"settle,omitempty"`     // 60 s
	Alpha    float64       `json:"alpha" yaml:"alpha,omitempty"`       // 0.1
	Warmup   int           `json:"warmup" yaml:"warmup,omitempty"`     // 6 samples before any alarm
	Ratio    float64       `json:"ratio" yaml:"ratio,omitempty"`       // 0.5
	MinDelta int           `json:"min_delta" yaml:"min_delta,omitempty"`
	Rebase   time.Duration `json:"rebase" yaml:"rebase,omitempty"` // 1 h
	// LimitRatio of max_prefixes raises bgp-prefix-limit (0.9).
	LimitRatio float64 `json:"limit_ratio" yaml:"limit_ratio,omitempty"`
}

// WithThresholds returns c with the thresholds of t (tuyau.yaml), its
// prefixes and peers kept.
func (c MonitorConfig) WithThresholds(t MonitorConfig) MonitorConfig {
	t.Speaker, t.ASN, t.Prefixes, t.Devices, t.Limits = c.Speaker, c.ASN, c.Prefixes, c.Devices, c.Limits
	return t
}

func (c MonitorConfig) withDefaults() MonitorConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.MissingGrace, 60*time.Second)
	def(&c.Check, time.Second)
	def(&c.Resync, 30*time.Second)
	def(&c.FlapWindow, 10*time.Minute)
	if c.FlapCount <= 0 {
		c.FlapCount = 3
	}
	b := &c.Baseline
	def(&b.Interval, 10*time.Second)
	def(&b.Settle, 60*time.Second)
	def(&b.Rebase, time.Hour)
	if b.Alpha <= 0 || b.Alpha > 1 {
		b.Alpha = 0.1
	}
	if b.Warmup <= 0 {
		b.Warmup = 6
	}
	if b.Ratio <= 0 {
		b.Ratio = 0.5
	}
	if b.MinDelta <= 0 {
		b.MinDelta = 50
	}
	if b.LimitRatio <= 0 {
		b.LimitRatio = 0.9
	}
	return c
}

// routeSource is what the monitor reads from the speaker: the paths of
// exactly the prefixes given (one table read per family, each prefix a
// lookup: never a walk of the table), and the sessions' received counts.
type routeSource interface {
	Lookup(ctx context.Context, prefixes []netip.Prefix) ([]Route, error)
	PeerCounts(ctx context.Context) ([]PeerStatus, error)
}

// pathKey is one path the monitor holds under a prefix of ours: its
// prefix, the session it came from (invalid: our own) and its add-path id.
type pathKey struct {
	prefix netip.Prefix
	peer   netip.Addr
	id     uint32
}

// heldPath is what the decision needs of a held path; site is known only
// when the path was read from the table (the watch does not resolve it).
type heldPath struct {
	asPath []uint32
	site   string
}

// Monitor watches the speaker's view of the network's own prefixes and of
// its sessions and raises alarms. Received paths come from the speaker's
// BMP station (the raw UPDATEs GoBGP received, see station; or Observe):
// each costs a read of its bytes and one walk of a trie of our prefixes,
// and only those under ours are decoded further and held, per prefix of
// ours, so a full table loads at the speed of the walk. Alarms are decided
// from the held paths, kept by the announcements and withdrawals and by
// sessions going down (which take their paths with them). The
// table is read only by exact prefix, never by a walk of it (GoBGP builds
// a trie of the whole table for every "longer" lookup): every Resync for
// all of ours and the more-specifics held, correcting what the watch does
// not say (a graceful restart's stale paths dropped, our own
// announcements); every Check for the changed hosting prefixes, whose
// sites only the table resolves.
type Monitor struct {
	cfg   MonitorConfig
	log   *slog.Logger
	emit  func(Alarm)
	clock func() time.Time
	index prefixTrie[int]

	mu      sync.Mutex
	dirty   map[int]bool
	gen     []uint64               // per prefix, bumped by Observe
	held    []map[pathKey]heldPath // per prefix of ours, the paths under it
	reread  bool                   // a session changed: the next check reads as a resync
	active  map[string]Alarm       // by Key
	owner   map[string]int         // prefix alarms: the index of their prefix of ours
	counts  map[netip.Addr]*peerCount
	drops   map[netip.Addr][]time.Time
	up      map[netip.Addr]bool
	firstUp time.Time
	stats   MonitorStats
}

// MonitorStats count what the monitor saw.
type MonitorStats struct {
	Paths   uint64 `json:"paths"`   // received paths observed
	Matched uint64 `json:"matched"` // of them, under a prefix of ours
	Checks  uint64 `json:"checks"`  // decisions of a prefix of ours
	Lookups uint64 `json:"lookups"` // table reads (one per family)
	Held    int    `json:"held"`    // paths held under ours
	Indexed int    `json:"indexed"` // prefixes of ours in the index
}

type peerCount struct {
	base    float64
	samples int
	off     time.Time // when the count left the baseline (zero: within)
}

// MonitorOption configures a Monitor.
type MonitorOption func(*Monitor)

// WithMonitorLogger logs raises and clears (restorations included) to l.
func WithMonitorLogger(l *slog.Logger) MonitorOption { return func(m *Monitor) { m.log = l } }

// WithClock replaces time.Now (tests).
func WithClock(fn func() time.Time) MonitorOption { return func(m *Monitor) { m.clock = fn } }

// NewMonitor returns a monitor of cfg's prefixes that hands every raise and
// clear to emit, outside its lock and in order; emit must not block for
// long (cmd queues them for telemetry).
func NewMonitor(cfg MonitorConfig, emit func(Alarm), opts ...MonitorOption) *Monitor {
	m := &Monitor{cfg: cfg.withDefaults(), log: slog.New(slog.DiscardHandler), emit: emit, clock: time.Now,
		dirty: map[int]bool{}, active: map[string]Alarm{}, owner: map[string]int{},
		counts: map[netip.Addr]*peerCount{}, drops: map[netip.Addr][]time.Time{}, up: map[netip.Addr]bool{}}
	for _, o := range opts {
		o(m)
	}
	if m.emit == nil {
		m.emit = func(Alarm) {}
	}
	for i, p := range m.cfg.Prefixes {
		m.index.insert(p.Prefix, i)
	}
	m.gen = make([]uint64, len(m.cfg.Prefixes))
	m.held = make([]map[pathKey]heldPath, len(m.cfg.Prefixes))
	for i := range m.held {
		m.held[i] = map[pathKey]heldPath{}
	}
	m.stats.Indexed = m.index.len()
	return m
}

// Stats returns the monitor's counters.
func (m *Monitor) Stats() MonitorStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats
	for _, h := range m.held {
		st.Held += len(h)
	}
	return st
}

// Active lists the raised alarms, sorted by key.
func (m *Monitor) Active() []Alarm {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Alarm, 0, len(m.active))
	for _, a := range m.active {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Alarm) int { return strings.Compare(a.Key(), b.Key()) })
	return out
}

// ours says whether p is, or is under, a prefix of ours. The index is
// never written after NewMonitor: no lock.
func (m *Monitor) ours(p netip.Prefix) bool {
	_, _, ok := m.index.longest(p)
	return ok
}

// ReceivedPath is one path received by the speaker.
type ReceivedPath struct {
	Prefix   netip.Prefix
	Peer     netip.Addr
	ID       uint32 // add-path identifier
	ASPath   []uint32
	Withdraw bool
}

// touch marks the prefix of ours p is under for the next check: the
// speaker's own announcements, which the watch of received paths does not
// carry.
func (m *Monitor) touch(p netip.Prefix) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, i, ok := m.index.longest(p); ok {
		m.dirty[i] = true
		m.gen[i]++
	}
}

// Observe takes paths the speaker received. A path under a prefix
// of ours marks it for the next check; an announcement from an unexpected
// origin raises the hijack at once, without waiting for the check (the
// check then confirms or clears it from the table).
func (m *Monitor) Observe(paths []ReceivedPath) { m.observe(paths, 0) }

// observe is Observe of paths and of others, a count of paths the caller
// (the BMP station) found were not under a prefix of ours and dropped.
func (m *Monitor) observe(paths []ReceivedPath, others int) {
	var out []Alarm
	m.mu.Lock()
	m.stats.Paths += uint64(others)
	for _, rp := range paths {
		m.stats.Paths++
		cov, i, ok := m.index.longest(rp.Prefix)
		if !ok {
			continue
		}
		m.stats.Matched++
		m.dirty[i] = true
		m.gen[i]++
		k := pathKey{prefix: rp.Prefix.Masked(), peer: rp.Peer, id: rp.ID}
		if rp.Withdraw {
			delete(m.held[i], k)
			continue
		}
		// A new announcement replaces the session's path (an implicit
		// withdraw); the site the table gave it stays until read again.
		m.held[i][k] = heldPath{asPath: rp.ASPath, site: m.held[i][k].site}
		op := m.cfg.Prefixes[i]
		origin := m.origin(rp.ASPath)
		if !slices.Contains(op.Origins, origin) {
			a := m.hijack(op, cov, rp.Prefix, origin, rp.ASPath, rp.Peer)
			if _, on := m.active[a.Key()]; !on {
				out = append(out, m.raiseLocked(a, i))
			}
		}
	}
	m.mu.Unlock()
	m.send(out)
}

// origin is the AS that originated a path: the last of its AS path, ours
// when the path is empty (an iBGP route of our own AS).
func (m *Monitor) origin(path []uint32) uint32 {
	if len(path) == 0 {
		return m.cfg.ASN
	}
	return path[len(path)-1]
}

func asList(as []uint32) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = "AS" + strconv.FormatUint(uint64(a), 10)
	}
	return strings.Join(s, ",")
}

func (m *Monitor) device(a netip.Addr) string { return m.cfg.Devices[a] }

func (m *Monitor) hijack(op OwnedPrefix, cov, seen netip.Prefix, origin uint32, path []uint32, peer netip.Addr) Alarm {
	what := "a prefix of ours"
	if seen != cov {
		what = "a more-specific of " + cov.String()
	}
	return Alarm{Rule: RuleOriginHijack, Severity: "critical", ObjectKind: "prefix",
		Object: seen.String() + " AS" + strconv.FormatUint(uint64(origin), 10),
		Message: seen.String() + " (" + what + ", " + op.Kind + ") originated by AS" + strconv.FormatUint(uint64(origin), 10) +
			", expected " + asList(op.Origins) + ", from peer " + peer.String(),
		Prefix: seen, Covering: cov, Expected: op.Origins, Seen: origin, ASPath: slices.Clone(path),
		Peer: peer, Device: m.device(peer), Site: op.Site, Service: op.Service}
}

// raiseLocked records a as active and returns it stamped. m.mu held.
func (m *Monitor) raiseLocked(a Alarm, owner int) Alarm {
	a.Active, a.Time, a.Speaker = true, m.clock(), m.cfg.Speaker
	m.active[a.Key()] = a
	if owner >= 0 {
		m.owner[a.Key()] = owner
	}
	return a
}

// clearLocked clears the active alarm key with msg, returning the clear.
// m.mu held.
func (m *Monitor) clearLocked(key, msg string) Alarm {
	a := m.active[key]
	delete(m.active, key)
	delete(m.owner, key)
	a.Active, a.Time, a.Message = false, m.clock(), msg
	return a
}

func (m *Monitor) send(as []Alarm) {
	for _, a := range as {
		if a.Active {
			m.log.Warn("bgp alarm raised", "rule", a.Rule, "object", a.Object, "msg", a.Message)
		} else {
			m.log.Info("bgp alarm cleared", "rule", a.Rule, "object", a.Object, "msg", a.Message)
		}
		m.emit(a)
	}
}

// Session takes a session event: session-down raised and cleared, drops
// counted for flapping, and every prefix checked again; a session going
// down takes its paths with it (no withdrawal says so; the station's BMP
// peer down does it again, in order with the peer's last UPDATEs).
func (m *Monitor) Session(e Event) {
	obj := strings.TrimSpace(e.Device + " " + e.Peer.String())
	var out []Alarm
	m.mu.Lock()
	key := RuleSessionDown + "|" + obj
	switch e.Kind {
	case SessionDown:
		m.up[e.Peer] = false
		m.dropPeerLocked(e.Peer)
		if _, on := m.active[key]; !on {
			msg := "session with " + obj + " went " + e.State
			if e.Reason != "" {
				msg += ": " + e.Reason
			}
			out = append(out, m.raiseLocked(Alarm{Rule: RuleSessionDown, Severity: "major", ObjectKind: "peer", Object: obj,
				Message: msg, Peer: e.Peer, Device: e.Device}, -1))
		}
		now := m.clock()
		m.drops[e.Peer] = append(m.drops[e.Peer], now)
		out = append(out, m.flapsLocked(now)...)
	case SessionUp:
		m.up[e.Peer] = true
		if m.firstUp.IsZero() {
			m.firstUp = m.clock()
		}
		if _, on := m.active[key]; on {
			out = append(out, m.clearLocked(key, "session with "+obj+" established again"))
		}
	}
	for i := range m.cfg.Prefixes {
		m.dirty[i] = true
	}
	// The next check reads the table for all of ours as a resync does: a
	// session in graceful restart leaves its paths in the table, stale,
	// and they are held again from there rather than reported missing.
	m.reread = true
	m.mu.Unlock()
	m.send(out)
}

// dropPeer forgets the paths of peer, whose session went down: the BMP
// station says so in order with the peer's UPDATEs, where the session
// event may come before the last of them. The next check reads the table
// as after a session event (a graceful restart keeps the paths there).
func (m *Monitor) dropPeer(peer netip.Addr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropPeerLocked(peer)
	for i := range m.cfg.Prefixes {
		m.dirty[i] = true
		m.gen[i]++ // a check reading meanwhile decides again
	}
	m.reread = true
}

// dropPeerLocked removes peer's held paths. m.mu held.
func (m *Monitor) dropPeerLocked(peer netip.Addr) {
	for _, h := range m.held {
		for k := range h {
			if k.peer == peer {
				delete(h, k)
			}
		}
	}
}

// flapsLocked raises and clears bgp-session-flapping from the drops left
// in the window. m.mu held.
func (m *Monitor) flapsLocked(now time.Time) []Alarm {
	var out []Alarm
	for peer, ds := range m.drops {
		ds = slices.DeleteFunc(ds, func(t time.Time) bool { return now.Sub(t) > m.cfg.FlapWindow })
		m.drops[peer] = ds
		obj := strings.TrimSpace(m.device(peer) + " " + peer.String())
		key := RuleSessionFlapping + "|" + obj
		_, on := m.active[key]
		switch {
		case len(ds) >= m.cfg.FlapCount && !on:
			out = append(out, m.raiseLocked(Alarm{Rule: RuleSessionFlapping, Severity: "major", ObjectKind: "peer", Object: obj,
				Message: strconv.Itoa(len(ds)) + " drops of the session with " + obj + " within " + m.cfg.FlapWindow.String(),
				Peer:    peer, Device: m.device(peer)}, -1))
		case len(ds) < m.cfg.FlapCount && on:
			out = append(out, m.clearLocked(key, "session with "+obj+" stable: "+strconv.Itoa(len(ds))+" drops within "+m.cfg.FlapWindow.String()))
		}
		if len(ds) == 0 {
			delete(m.drops, peer)
		}
	}
	return out
}

// Run checks the prefixes and the sessions' counts until ctx ends.
func (m *Monitor) Run(ctx context.Context, src routeSource) {
	check := time.NewTicker(m.cfg.Check)
	defer check.Stop()
	count := time.NewTicker(m.cfg.Baseline.Interval)
	defer count.Stop()
	lastAll := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-check.C:
			all := time.Since(lastAll) >= m.cfg.Resync
			if all {
				lastAll = time.Now()
			}
			m.checkPrefixes(ctx, src, all)
			m.mu.Lock()
			out := m.flapsLocked(m.clock())
			m.mu.Unlock()
			m.send(out)
		case <-count.C:
			m.checkCounts(ctx, src)
		}
	}
}

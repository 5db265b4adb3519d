package bgp

import (
	"context"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// checkPrefixes decides the alarms of the prefixes of ours that changed
// (all of them when all, the resync) from the paths held under them. The
// table is read by exact prefix only, in one call per family: at the
// resync for all of ours and every more-specific held, otherwise for the
// changed hosting prefixes (their sites, and our own announcement, are
// only in the table). A read's paths replace those held for the prefixes
// read, unless the watch changed the prefix of ours meanwhile (the read
// may then predate it; the prefix is decided at the next check).
func (m *Monitor) checkPrefixes(ctx context.Context, src routeSource, all bool) {
	m.mu.Lock()
	if m.reread {
		all, m.reread = true, false
	}
	var todo []int
	if all {
		todo = make([]int, len(m.cfg.Prefixes))
		for i := range todo {
			todo[i] = i
		}
	} else {
		for i := range m.dirty {
			todo = append(todo, i)
		}
		slices.Sort(todo)
	}
	gens := make(map[int]uint64, len(todo))
	var read []netip.Prefix
	readOf := map[netip.Prefix]int{}
	reads := map[int]bool{} // the prefixes of ours with a prefix read
	want := func(p netip.Prefix, i int) {
		if _, dup := readOf[p]; !dup {
			readOf[p] = i
			reads[i] = true
			read = append(read, p)
		}
	}
	for _, i := range todo {
		gens[i] = m.gen[i]
		delete(m.dirty, i)
		op := m.cfg.Prefixes[i]
		if all || len(op.Sites) > 0 {
			want(op.Prefix, i)
		}
		if all {
			for k := range m.held[i] {
				want(k.prefix, i)
			}
		}
	}
	m.mu.Unlock()
	var (
		rs  []Route
		err error
	)
	if len(read) > 0 {
		if ctx.Err() != nil {
			return
		}
		rs, err = src.Lookup(ctx, read)
		if err != nil {
			m.log.Warn("bgp monitor: read the table", "prefixes", len(read), "err", err)
		}
	}
	m.mu.Lock()
	if len(read) > 0 {
		m.stats.Lookups++
	}
	if err == nil && len(read) > 0 {
		byPrefix := map[netip.Prefix][]Route{}
		for _, r := range rs {
			byPrefix[r.Prefix] = append(byPrefix[r.Prefix], r)
		}
		for _, p := range read {
			i := readOf[p]
			if m.gen[i] != gens[i] {
				continue
			}
			h := m.held[i]
			for k := range h {
				if k.prefix == p {
					delete(h, k)
				}
			}
			for _, r := range byPrefix[p] {
				h[pathKey{prefix: p, peer: r.Peer, id: r.PathID}] = heldPath{asPath: r.ASPath, site: r.Site}
			}
		}
	}
	var out []Alarm
	for _, i := range todo {
		if reads[i] && (m.gen[i] != gens[i] || err != nil) {
			// Changed while read, or the read failed: what is held may lack
			// what only the table says (a hosting path's site), so decide
			// it at the next check, not on half the news.
			m.dirty[i] = true
			continue
		}
		m.stats.Checks++
		out = append(out, m.decideLocked(i)...)
	}
	m.mu.Unlock()
	m.send(out)
}

// heldRoutes lists the paths held under prefix i of ours in a stable
// order (prefix, peer, add-path id): the messages name the first.
func (m *Monitor) heldRoutes(i int) []Route {
	rs := make([]Route, 0, len(m.held[i]))
	for k, h := range m.held[i] {
		rs = append(rs, Route{Prefix: k.prefix, Peer: k.peer, PathID: k.id, ASPath: h.asPath, Site: h.site})
	}
	slices.SortFunc(rs, func(a, b Route) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		if c := a.Prefix.Bits() - b.Prefix.Bits(); c != 0 {
			return c
		}
		if c := a.Peer.Compare(b.Peer); c != 0 {
			return c
		}
		return int(a.PathID) - int(b.PathID)
	})
	return rs
}

// decideLocked computes the alarms prefix i's held paths call for and
// raises and clears the difference with the active ones. m.mu held.
func (m *Monitor) decideLocked(i int) []Alarm {
	op := m.cfg.Prefixes[i]
	rs := m.heldRoutes(i)
	want := map[string]Alarm{}
	good := 0 // paths with an expected origin, the prefix or a more-specific
	sites := map[string]bool{}
	var goodFrom Route
	for _, r := range rs {
		// Held under i: i is the longest of ours r falls in (a more-specific
		// that is itself one of ours is held, and checked, as that one).
		origin := m.origin(r.ASPath)
		if !slices.Contains(op.Origins, origin) {
			a := m.hijack(op, op.Prefix, r.Prefix, origin, r.ASPath, r.Peer)
			if _, dup := want[a.Key()]; !dup {
				want[a.Key()] = a
			}
			continue
		}
		good++
		goodFrom = r
		if r.Prefix == op.Prefix && r.Site != "" {
			sites[r.Site] = true
		}
		if via := m.foreign(op, r.ASPath); len(via) > 0 {
			a := Alarm{Rule: RuleRouteLeak, Severity: "major", ObjectKind: "prefix",
				Object:  r.Prefix.String() + " via " + asList(r.ASPath),
				Message: r.Prefix.String() + " (" + op.Kind + ") from its expected origin but through " + asList(via) + ", path " + asList(r.ASPath) + ", from peer " + r.Peer.String(),
				Prefix:  r.Prefix, Covering: op.Prefix, Expected: op.Origins, Seen: origin, ASPath: r.ASPath,
				Peer: r.Peer, Device: m.device(r.Peer), Site: op.Site, Service: op.Service}
			if _, dup := want[a.Key()]; !dup {
				want[a.Key()] = a
			}
		}
	}
	now := m.clock()
	anyUp := slices.Contains(mapsValues(m.up), true)
	missingKey := RulePrefixMissing + "|" + op.Prefix.String()
	if op.Required && good == 0 {
		_, on := m.active[missingKey]
		// Not before the tables had time to load, and not while no session
		// is up at all: bgp-session-down says that, once, instead of one
		// alarm per member.
		if on || anyUp && !m.firstUp.IsZero() && now.Sub(m.firstUp) >= m.cfg.MissingGrace {
			seen := uint32(0)
			msg := op.Prefix.String() + " (LAN of " + op.Site + ") is missing from the core's view: no path from " + asList(op.Origins)
			if len(rs) > 0 {
				seen = m.origin(rs[0].ASPath)
				msg += " (only from AS" + strconv.FormatUint(uint64(seen), 10) + ")"
			}
			want[missingKey] = Alarm{Rule: RulePrefixMissing, Severity: "major", ObjectKind: "prefix", Object: op.Prefix.String(),
				Message: msg, Prefix: op.Prefix, Covering: op.Prefix, Expected: op.Origins, Seen: seen, Site: op.Site}
		}
	}
	if len(op.Sites) > 0 {
		_, on := m.active[RuleHostingSites+"|"+op.Prefix.String()]
		var seen []string
		for _, s := range op.Sites {
			if sites[s] {
				seen = append(seen, s)
			}
		}
		if len(seen) < len(op.Sites) && (anyUp || len(seen) > 0 || on) {
			sev := "minor"
			if len(seen) == 0 {
				sev = "critical"
			}
			msg := "hosting prefix " + op.Prefix.String() + " of " + op.Service + " reachable from " + strconv.Itoa(len(seen)) + " of its " +
				strconv.Itoa(len(op.Sites)) + " core sites (" + strings.Join(op.Sites, ", ") + "); seen from: " + strings.Join(seen, ", ")
			if len(seen) == 0 {
				msg += "none"
			}
			want[RuleHostingSites+"|"+op.Prefix.String()] = Alarm{Rule: RuleHostingSites, Severity: sev, ObjectKind: "prefix",
				Object: op.Prefix.String(), Message: msg, Prefix: op.Prefix, Covering: op.Prefix, Expected: op.Origins,
				Service: op.Service, Sites: seen}
		}
	}
	var out []Alarm
	for key, own := range m.owner {
		if own != i {
			continue
		}
		if _, still := want[key]; still {
			continue
		}
		a := m.active[key]
		msg := "cleared: " + a.Object + " no longer in the core's view"
		switch a.Rule {
		case RulePrefixMissing:
			msg = "restored: " + op.Prefix.String() + " (LAN of " + op.Site + ") is back in the core's view"
			if goodFrom.Prefix.IsValid() {
				msg += ", " + goodFrom.Prefix.String() + " from AS" + strconv.FormatUint(uint64(m.origin(goodFrom.ASPath)), 10)
				if goodFrom.Peer.IsValid() {
					msg += " via peer " + goodFrom.Peer.String()
				}
			}
		case RuleHostingSites:
			msg = "restored: hosting prefix " + op.Prefix.String() + " reachable from all its core sites (" + strings.Join(op.Sites, ", ") + ")"
		}
		out = append(out, m.clearLocked(key, msg))
	}
	slices.SortFunc(out, func(a, b Alarm) int { return strings.Compare(a.Key(), b.Key()) })
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		a := want[k]
		if cur, on := m.active[k]; on {
			// Keep the raise; follow what changes in its detail (the sites
			// a hosting prefix is seen from).
			a.Active, a.Time, a.Speaker = true, cur.Time, cur.Speaker
			m.active[k] = a
			continue
		}
		out = append(out, m.raiseLocked(a, i))
	}
	return out
}

// foreign returns the ASes of path other than ours and op's origins: a
// prefix of ours seen through them leaked (a member's LAN coming back
// through a transit, say). Prepending repeats an allowed AS and is fine.
func (m *Monitor) foreign(op OwnedPrefix, path []uint32) []uint32 {
	var out []uint32
	for _, as := range path {
		if as != m.cfg.ASN && !slices.Contains(op.Origins, as) && !slices.Contains(out, as) {
			out = append(out, as)
		}
	}
	return out
}

func mapsValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// checkCounts samples every established session's received prefixes
// against its baseline and its max_prefixes.
func (m *Monitor) checkCounts(ctx context.Context, src routeSource) {
	ps, err := src.PeerCounts(ctx)
	if err != nil {
		m.log.Warn("bgp monitor: read the sessions", "err", err)
		return
	}
	b := m.cfg.Baseline
	var out []Alarm
	m.mu.Lock()
	now := m.clock()
	for _, p := range ps {
		if p.State != "established" || p.Uptime < Duration(b.Settle) {
			continue
		}
		x := float64(p.Received)
		dev := m.device(p.Address)
		if dev == "" {
			dev = p.Device
		}
		obj := strings.TrimSpace(dev + " " + p.Address.String())
		c := m.counts[p.Address]
		if c == nil {
			c = &peerCount{}
			m.counts[p.Address] = c
		}
		key := RulePrefixCount + "|" + obj
		_, on := m.active[key]
		switch {
		case c.samples < b.Warmup:
			if c.samples == 0 {
				c.base = x
			} else {
				c.base += b.Alpha * (x - c.base)
			}
			c.samples++
		case math.Abs(x-c.base) > max(b.Ratio*c.base, float64(b.MinDelta)):
			if c.off.IsZero() {
				c.off = now
			}
			if !on {
				dir := "above"
				if x < c.base {
					dir = "below"
				}
				out = append(out, m.raiseLocked(Alarm{Rule: RulePrefixCount, Severity: "major", ObjectKind: "peer", Object: obj,
					Message: "peer " + obj + " sends " + strconv.FormatUint(p.Received, 10) + " prefixes, " + dir + " its learned baseline of " +
						strconv.Itoa(int(math.Round(c.base))) + " (tolerance " + strconv.Itoa(int(math.Round(max(b.Ratio*c.base, float64(b.MinDelta))))) + ")",
					Peer: p.Address, Device: dev}, -1))
			} else if now.Sub(c.off) >= b.Rebase {
				out = append(out, m.clearLocked(key, "peer "+obj+": "+strconv.FormatUint(p.Received, 10)+
					" prefixes for "+b.Rebase.String()+", taken as its new baseline"))
				c.base, c.off = x, time.Time{}
			}
		default:
			c.base += b.Alpha * (x - c.base)
			c.off = time.Time{}
			if on {
				out = append(out, m.clearLocked(key, "peer "+obj+" back to its baseline: "+strconv.FormatUint(p.Received, 10)+" prefixes"))
			}
		}
		if lim := m.cfg.Limits[p.Address]; lim > 0 {
			lkey := RulePrefixLimit + "|" + obj
			_, lon := m.active[lkey]
			near := x >= b.LimitRatio*float64(lim)
			switch {
			case near && !lon:
				out = append(out, m.raiseLocked(Alarm{Rule: RulePrefixLimit, Severity: "major", ObjectKind: "peer", Object: obj,
					Message: "peer " + obj + " sends " + strconv.FormatUint(p.Received, 10) + " prefixes of its max_prefixes " + strconv.Itoa(lim) +
						": over it the session is torn down", Peer: p.Address, Device: dev}, -1))
			case !near && lon:
				out = append(out, m.clearLocked(lkey, "peer "+obj+" back under "+strconv.Itoa(int(b.LimitRatio*100))+"% of its max_prefixes"))
			}
		}
	}
	m.mu.Unlock()
	m.send(out)
}

// Baseline of a peer, for tests and `tuyau bgp peers` later: its learned
// count and the samples it is made of.
func (m *Monitor) Baseline(peer netip.Addr) (float64, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.counts[peer]; c != nil {
		return c.base, c.samples
	}
	return 0, 0
}

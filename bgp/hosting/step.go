package hosting

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Step runs the machine once: aborts drains past their timeout, picks the
// site that should be active, announces what must be added (make), reads
// the view, and takes away what must go (break) only once the active site is
// seen carrying every prefix with the primary attributes. Then it updates
// the sites' states and publishes the transitions.
func (s *Service) Step(ctx context.Context) {
	s.mu.Lock()
	s.step(ctx)
	q := s.queue
	s.queue = nil
	s.mu.Unlock()
	if s.events != nil {
		for _, t := range q {
			s.events(t)
		}
	}
}

func (s *Service) step(ctx context.Context) {
	now := s.now()
	defer s.updateStates(now)
	for _, x := range s.sites {
		if x.drain && rank(x.role) >= rank(RoleBackup) && now.Sub(x.drainAt) >= s.cfg.DrainTimeout {
			x.drain = false
			x.why = fmt.Sprintf("drain aborted after %s: %s", s.cfg.DrainTimeout, s.notTakenOver(x))
			s.finishDrain(x, fmt.Errorf("drain %s of service %s: %s", x.name, s.name, x.why))
		}
	}
	if s.active == "" && !s.anyAnnouncing() && !s.allKnown() && now.Sub(s.started) < s.cfg.StartupHold {
		s.pending = "waiting for every site's first health result"
		return
	}
	target := s.target()
	if target == nil {
		s.pending = "no site is healthy: nothing announced"
		return
	}
	want := map[*site]Role{}
	for _, x := range s.sites {
		switch {
		case x == target:
			want[x] = RolePrimary
		case x.eligible():
			want[x] = RoleBackup
		case s.cfg.Steering.Demoted != nil:
			want[x] = RoleDemoted
		default:
			want[x] = RoleWithdrawn
		}
	}
	// Make: everything that adds or improves a path, at once.
	for _, x := range s.sites {
		if rank(want[x]) > rank(x.role) || (want[x] == x.role && x.err != "") {
			s.apply(ctx, x, want[x])
		}
	}
	s.readView(ctx)
	s.reannounce(ctx)
	// The active site counts as taken over once it is seen with the
	// primary attributes. A site that failed may go as soon as its
	// replacement is seen at all: that path is already in every RIB, and
	// waiting only keeps traffic on a dead service.
	over := target.seen && target.role == RolePrimary
	if over {
		s.pending = ""
		if s.active != target.name {
			s.queue = append(s.queue, s.transition(now, "", s.active, target.name,
				fmt.Sprintf("%s seen carrying %d prefixes with the primary attributes", target.name, len(s.prefixes)), target.name))
			s.log.Info("active site", "from", s.active, "to", target.name)
			s.active = target.name
		}
	} else {
		s.pending = fmt.Sprintf("moving to %s: waiting for it to be seen with the primary attributes", target.name)
		if target.err != "" {
			s.pending += " (announce failed: " + target.err + ")"
		}
		for _, x := range s.sites {
			if x.drain && rank(x.role) >= rank(RoleBackup) {
				left := s.cfg.DrainTimeout - now.Sub(x.drainAt)
				s.pending += fmt.Sprintf("; drain of %s aborts in %s", x.name, left.Round(time.Second))
			}
		}
	}
	// Break: take away what must go, once its replacement is seen.
	for _, x := range s.sites {
		if rank(want[x]) >= rank(x.role) || x == target {
			continue
		}
		failed := x.hyst.Known() && !x.hyst.Up() && !x.drain
		if !over && !(failed && target.present) {
			continue
		}
		s.apply(ctx, x, want[x])
		if x.drain {
			x.why = fmt.Sprintf("%s after %s was seen carrying the prefixes", x.role, target.name)
		}
	}
}

// notTakenOver says why no other site took over from x.
func (s *Service) notTakenOver(x *site) string {
	for _, y := range s.sites {
		switch {
		case y == x || !y.eligible():
		case y.err != "":
			return fmt.Sprintf("%s could not announce: %s", y.name, y.err)
		case !y.present:
			return fmt.Sprintf("%s is not seen carrying the prefixes: its announcement did not reach the core", y.name)
		default:
			return fmt.Sprintf("%s is seen, but not with the primary attributes", y.name)
		}
	}
	return "no other site is healthy and undrained"
}

// target is the site that should announce the primary attributes: the
// first eligible site in preference order (or, Sticky, the active site while
// it stays eligible); with none eligible, the site announcing now, so that
// the last site still announcing is never withdrawn.
func (s *Service) target() *site {
	cur := s.site(s.active)
	if s.cfg.Sticky && cur != nil && cur.eligible() {
		return cur
	}
	for _, x := range s.sites {
		if x.eligible() {
			return x
		}
	}
	if cur != nil && cur.announcing() {
		return cur
	}
	var best *site
	for _, x := range s.sites {
		if x.announcing() && (best == nil || rank(x.role) > rank(best.role)) {
			best = x
		}
	}
	return best
}

func (s *Service) anyAnnouncing() bool {
	for _, x := range s.sites {
		if x.announcing() {
			return true
		}
	}
	return false
}

func (s *Service) allKnown() bool {
	for _, x := range s.sites {
		if !x.hyst.Known() {
			return false
		}
	}
	return true
}

// apply announces every prefix of the service at x with role's attributes
// (or withdraws them). The role changes only when every call succeeded;
// the calls are idempotent, so a failure is retried whole at the next step.
func (s *Service) apply(ctx context.Context, x *site, role Role) {
	var attrs Attrs
	switch role {
	case RolePrimary:
		attrs = s.cfg.Steering.Primary
	case RoleBackup:
		attrs = s.cfg.Steering.Backup
	case RoleDemoted:
		attrs = *s.cfg.Steering.Demoted
	}
	for _, p := range s.prefixes {
		cctx, cancel := context.WithTimeout(ctx, announceTimeout)
		var err error
		if role == RoleWithdrawn {
			err = x.ann.Withdraw(cctx, p)
		} else {
			err = x.ann.Announce(cctx, p, attrs)
		}
		cancel()
		if err != nil {
			x.err = fmt.Sprintf("%s %s at %s: %v", role, p, x.name, err)
			s.log.Warn("announcement failed", "site", x.name, "prefix", p, "role", role, "err", err)
			return
		}
	}
	s.log.Info("announcement", "site", x.name, "from", x.role, "to", role, "attrs", attrs, "prefixes", len(s.prefixes))
	x.role, x.attrs, x.err = role, attrs, ""
}

// reannounce announces again at a site whose speaker lost what it was
// told to announce (restarted since): only a site announcing, not in the
// view and whose last call succeeded is asked, so a healthy step costs no
// call, and a site merely slow to reach the view is not announced twice.
// A speaker that cannot answer is asked again at the next step.
func (s *Service) reannounce(ctx context.Context) {
	for _, x := range s.sites {
		h, ok := x.ann.(Holder)
		if !ok || !x.announcing() || x.present || x.err != "" {
			continue
		}
		for _, p := range s.prefixes {
			cctx, cancel := context.WithTimeout(ctx, announceTimeout)
			held, err := h.Holds(cctx, p)
			cancel()
			if err != nil || held {
				continue
			}
			s.log.Warn("announcement lost at the site's speaker (restarted?): announcing again", "site", x.name, "prefix", p, "role", x.role)
			s.apply(ctx, x, x.role)
			break
		}
	}
}

// readView marks each site seen when the view shows it carrying every
// prefix (with the attributes it announces, when the view reports them).
func (s *Service) readView(ctx context.Context) {
	count, present := map[string]int{}, map[string]int{}
	for _, p := range s.prefixes {
		paths, err := s.view.Paths(ctx, p)
		if err != nil {
			s.log.Warn("bgp view", "prefix", p, "err", err)
			for _, x := range s.sites {
				x.seen, x.present = false, false
			}
			return
		}
		got, hit := map[string]bool{}, map[string]bool{}
		for _, path := range paths {
			x := s.site(path.Site)
			if x == nil || got[x.name] || !x.announcing() {
				continue
			}
			if !hit[x.name] {
				hit[x.name] = true
				present[x.name]++
			}
			a := path.Attrs
			// Prepend is not compared: a view does not tell our prepends
			// from the path's other ASes.
			if path.HasAttrs && (a.LocalPref != x.attrs.LocalPref || a.MED != x.attrs.MED) {
				continue
			}
			got[x.name] = true
			count[x.name]++
		}
	}
	for _, x := range s.sites {
		x.seen = count[x.name] == len(s.prefixes)
		x.present = present[x.name] == len(s.prefixes)
	}
}

// updateStates derives each site's state and queues the transitions.
func (s *Service) updateStates(now time.Time) {
	for _, x := range s.sites {
		st := StateUnknown
		switch {
		case x.drain && rank(x.role) >= rank(RoleBackup):
			st = StateDraining
		case x.drain:
			st = StateDrained
		case !x.hyst.Known():
		case x.hyst.Up():
			st = StateUp
		default:
			st = StateDown
		}
		if st == StateDrained && len(x.waiters) > 0 {
			s.finishDrain(x, nil)
		}
		if st == x.state {
			continue
		}
		why := x.why
		if why == "" {
			why = string(st)
		}
		if st == StateDown && x.role == RolePrimary {
			why += "; still announced: no other site can carry it yet"
		}
		from := x.state
		x.state, x.since, x.why = st, now, ""
		x.reason = why
		active := s.active
		s.queue = append(s.queue, s.transition(now, x.name, string(from), string(st), why, active))
		s.log.Info("site transition", "site", x.name, "from", from, "to", st, "reason", why, "active", active)
	}
}

func (s *Service) transition(now time.Time, site, from, to, why, active string) Transition {
	return Transition{Time: now, Service: s.name, Site: site, From: from, To: to, Reason: why, Active: active,
		Preferred: s.sites[0].name}
}

// Status returns a snapshot of the service.
func (s *Service) Status() ServiceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := ServiceStatus{Name: s.name, Prefixes: s.prefixes, ActiveSite: s.active, Pending: s.pending}
	for _, x := range s.sites {
		h := "unknown"
		if x.hyst.Known() {
			h = "down"
			if x.hyst.Up() {
				h = "up"
			}
		}
		ss := SiteStatus{Site: x.name, Preference: x.pref, State: x.state, Health: h, HealthReason: x.health,
			LastCheck: x.lastCheck, Pending: x.hyst.Pending(), Drained: x.drain, Role: x.role, Seen: x.seen,
			LastTransition: x.since, Reason: x.reason, Error: x.err}
		if x.announcing() {
			a := x.attrs
			ss.Attrs = &a
		}
		st.Sites = append(st.Sites, ss)
	}
	return st
}

// String is a one-line summary for logs.
func (st ServiceStatus) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s active %q", st.Name, st.ActiveSite)
	for _, x := range st.Sites {
		fmt.Fprintf(&b, " %s=%s/%s", x.Site, x.State, x.Role)
	}
	return b.String()
}

package chaos

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tuyau-net/tuyau/testlab"
	"github.com/tuyau-net/tuyau/topology"
)

// hostingView is what the routers hold for the hosting prefix at one
// poll: each live router's paths, read from the lab's routers themselves
// (Device.Paths, what "tuyau lab routes PREFIX" shows over their CLI).
type hostingView struct {
	at    time.Time
	paths map[string][]testlab.RoutePath // live router -> its paths
}

func (s *System) hostingView(ctx context.Context) hostingView {
	v := hostingView{at: time.Now(), paths: map[string][]testlab.RoutePath{}}
	sp := s.bgp
	for _, name := range append(slices.Clone(sp.members), sp.routers...) {
		d, ok := s.Lab.Device(name)
		if !ok || !d.Alive() {
			continue
		}
		v.paths[name] = d.Paths(ctx, sp.prefix)
	}
	return v
}

// sitesOf are the core sites whose hosting next hop dev holds a path to.
func (v hostingView) sitesOf(sp *speakers, dev string) []string {
	var out []string
	for _, p := range v.paths[dev] {
		if site := sp.sites[p.NextHop]; site != "" && !slices.Contains(out, site) {
			out = append(out, site)
		}
	}
	slices.Sort(out)
	return out
}

// describe is each router's paths, for a failure's message.
func (v hostingView) describe(sp *speakers) string {
	var b strings.Builder
	for _, dev := range append(slices.Clone(sp.routers), sp.members...) {
		fmt.Fprintf(&b, "%s:", dev)
		for _, p := range v.paths[dev] {
			fmt.Fprintf(&b, " %s", p.NextHop)
			if p.Best {
				b.WriteString("*")
			}
		}
		b.WriteString("; ")
	}
	return b.String()
}

// complete holds when every member router holds a path to the hosting and
// every core and aggregation router one to a core site's hosting next hop.
// Not necessarily from both sites: the routers are not add-path receivers
// of the speakers (the lab's GoBGP routers negotiate add-path send only),
// so a speaker whose best path is another site's primary sends nothing,
// and the backup path lives in that speaker until the primary goes.
func (v hostingView) complete(sp *speakers) (bool, string) {
	for _, m := range sp.members {
		if len(v.paths[m]) == 0 {
			return false, m + " has no path"
		}
	}
	for _, r := range sp.routers {
		if len(v.sitesOf(sp, r)) == 0 {
			return false, r + " has no path to a core site's hosting next hop"
		}
	}
	return true, ""
}

// hostingBack holds when every router holds a path from at least the
// core sites it held one from when healthy, and every member a path.
func (r *runner) hostingBack(v hostingView) (bool, string) {
	for _, m := range r.s.bgp.members {
		if _, alive := v.paths[m]; alive && len(v.paths[m]) == 0 && r.hostingBase[m] != nil {
			return false, "hosting: " + m + " has no path"
		}
	}
	for _, dev := range r.s.bgp.routers {
		got := v.sitesOf(r.s.bgp, dev)
		for _, site := range r.hostingBase[dev] {
			if !slices.Contains(got, site) {
				return false, fmt.Sprintf("hosting: %s holds paths from %v, %v when healthy", dev, got, r.hostingBase[dev])
			}
		}
	}
	return true, ""
}

// checkHosting is the invariant "the hosting prefix is never unreachable
// from a member site for longer than the failover budget while one core
// site is healthy": every member router that topology says still reaches
// a core site under the fault in force (its router alive, not cut off
// from both) must hold a path to the hosting prefix, at most SLO.Hosting
// without one. Faults run one at a time, so the other core site is always
// healthy; a fault that isolates a member (a cut, its POP killed) exempts
// it. Each member's longest time without a path is kept per fault kind.
func (r *runner) checkHosting(ctx context.Context) {
	if r.s.bgp == nil || r.hostingBase == nil {
		return
	}
	v := r.s.hostingView(ctx)
	r.rep.Checks[invHosting]++
	var cut map[string]bool
	if r.cur != nil {
		cut = r.cur.isolated
	}
	for _, m := range r.s.bgp.members {
		paths, alive := v.paths[m]
		if !alive || cut[m] || r.hostingBase[m] == nil || len(paths) > 0 {
			if since, ok := r.noPath[m]; ok {
				r.noteHostingGap(m, v.at.Sub(since))
				delete(r.noPath, m)
			}
			continue
		}
		since, ok := r.noPath[m]
		if !ok {
			r.noPath[m] = v.at
			r.event(r.curRef(), "hosting", m+" has no path to "+r.s.bgp.prefix.String())
			continue
		}
		if d := v.at.Sub(since); d > r.o.SLO.Hosting {
			r.violate(invHosting, m, fmt.Sprintf("no path to %s for %s (budget %s) with a core site healthy", r.s.bgp.prefix, d.Round(time.Millisecond), r.o.SLO.Hosting))
		}
	}
}

// noteHostingGap records how long a member went without a path.
func (r *runner) noteHostingGap(m string, d time.Duration) {
	k := Kind("")
	if r.cur != nil {
		k = r.curFault.Kind
	}
	if r.rep.HostingGapMS == nil {
		r.rep.HostingGapMS = map[Kind]int64{}
	}
	r.rep.HostingGapMS[k] = max(r.rep.HostingGapMS[k], d.Milliseconds())
	r.event(r.curRef(), "hosting", fmt.Sprintf("%s has a path again after %s", m, d.Round(time.Millisecond)))
}

func (r *runner) curRef() *Fault {
	if r.cur == nil {
		return nil
	}
	return &r.curFault
}

// isolatedBy are the member routers a failure cuts off from both core
// sites, and those of dead sites. Topology's answer is taken with the
// links dark from the start (down in the inventory, or dark by their
// budget) down too: the analysis counts a dark link as a way around, the
// routers do not (a POP whose link to the other POP is dark is cut off
// with its only core site).
func (s *System) isolatedBy(f topology.Failure, dead map[string]bool) map[string]bool {
	if s.bgp == nil {
		return nil
	}
	var down []string
	for i, l := range s.Topo.Links {
		if !l.Up || s.Budgets[i].Status == topology.BudgetFail {
			down = append(down, l.ID)
		}
	}
	ev := s.Analysis.LinksDown(append(down, f.LinksDown...))
	out := map[string]bool{}
	for _, m := range s.bgp.members {
		if dead[m] || slices.Contains(ev.LoseHosting, s.siteOf(m)) || slices.Contains(f.LoseHosting, s.siteOf(m)) {
			out[m] = true
		}
	}
	return out
}

// bgpCandidates: each speaker, killed (SIGKILL: a crash) or stopped
// (SIGTERM: "tuyau bgp serve" exits without a NOTIFICATION, as for a
// graceful restart). None when the system runs no speakers.
func bgpCandidates(s *System) []candidate {
	if s.bgp == nil {
		return nil
	}
	var out []candidate
	for _, name := range s.bgp.order {
		for _, sig := range []string{"KILL", "TERM"} {
			out = append(out, candidate{Target: name + ":" + sig})
		}
	}
	slices.SortFunc(out, func(a, b candidate) int { return strings.Compare(a.Target, b.Target) })
	return out
}

// injectBGPRestart signals a speaker: detected once its process has
// exited and its site's router no longer holds the speaker's path;
// recovered (after it is started again) once every router holds the
// hosting from the core sites it did when healthy, and every member a
// path. Meanwhile the hosting invariant holds as always: the other site's
// path is in every RIB.
func injectBGPRestart(_ context.Context, r *runner, f Fault) (outcome, error) {
	name, sig, _ := strings.Cut(f.Target, ":")
	sp := r.s.bgp
	p := sp.procs[name]
	if p == nil {
		return outcome{}, fmt.Errorf("speaker %s: not in the system", name)
	}
	site := r.s.Snap.Speaker(name).Site
	siteRouters := r.s.devicesOf(site)
	nh := sp.siteNH[site]
	o := outcome{
		detect: func(view) (bool, string) {
			if sp.running(name) {
				return false, name + " still running"
			}
			v := r.s.hostingView(context.Background())
			for _, dev := range siteRouters {
				for _, p := range v.paths[dev] {
					if p.NextHop == nh && !p.Local {
						return false, fmt.Sprintf("%s still holds %s's path (next hop %s)", dev, name, nh)
					}
				}
			}
			return true, fmt.Sprintf("%s: %s, its path gone from %v", name, sp.exitStatus(p), siteRouters)
		},
		recover: func(view) (bool, string) {
			if !sp.running(name) {
				return false, name + " not running: " + sp.exitStatus(p)
			}
			return r.hostingBack(r.s.hostingView(context.Background()))
		},
	}
	s := syscall.SIGKILL
	if sig == "TERM" {
		s = syscall.SIGTERM
	}
	took, err := sp.signal(p, s, 15*time.Second)
	r.event(&f, "signal", fmt.Sprintf("SIG%s to %s: exited after %s (%s)", sig, name, took.Round(time.Millisecond), sp.exitStatus(p)))
	return o, err
}

func restoreBGPRestart(_ context.Context, r *runner, f Fault) error {
	name, _, _ := strings.Cut(f.Target, ":")
	p := r.s.bgp.procs[name]
	if p == nil {
		return fmt.Errorf("speaker %s: not in the system", name)
	}
	return r.s.bgp.start(p)
}

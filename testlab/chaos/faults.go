package chaos

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab"
	"github.com/tuyau-net/tuyau/topology"
)

// outcome is what a fault, once injected, must lead to: the alarms that
// must rise (its detection), those it may raise besides, and the targets
// and checks it suspends until it is recovered.
type outcome struct {
	want    []string                   // alarm keys that must be active
	allowed func(telemetry.Alarm) bool // other relevant alarms it may raise
	// detect and recover, when set, add to "want active" and "the healthy
	// alarms again" a condition of their own (infrastructure faults).
	detect  func(v view) (bool, string)
	recover func(v view) (bool, string)
	exempt  map[string]bool // targets not expected to stream meanwhile
	// leaseGrace: lease coverage is not checked until recovered (the
	// leases of a crashed collector are free until they expire).
	leaseGrace bool
	// redisDown: Redis is out: the checks reading it are suspended and
	// the collectors may both claim a target (fencing settles it).
	redisDown bool
	// isolated are the member routers the fault cuts off from both core
	// sites (or kills): the hosting invariant does not hold them to it.
	isolated map[string]bool
}

func (o outcome) allows(a telemetry.Alarm) bool {
	return slices.Contains(o.want, alarmKey(a)) || o.allowed != nil && o.allowed(a)
}

// injector is one kind of fault: where it can hit, how it is done and
// undone, what it must lead to.
type injector struct {
	candidates func(s *System) []candidate
	inject     func(ctx context.Context, r *runner, f Fault) (outcome, error)
	restore    func(ctx context.Context, r *runner, f Fault) error
}

var injectors = map[Kind]injector{
	CableCut:      {candidates: cableCandidates, inject: injectCut, restore: restoreCut},
	DuctCut:       {candidates: ductCandidates, inject: injectCut, restore: restoreCut},
	RxDegrade:     {candidates: degradeCandidates, inject: injectDegrade, restore: restoreCut},
	DeviceKill:    {candidates: deviceCandidates, inject: injectKill, restore: restoreKill},
	CoreSiteFail:  {candidates: coreCandidates, inject: injectKill, restore: restoreKill},
	CollectorKill: {candidates: collectorCandidates, inject: injectCollectorKill, restore: restoreCollector},
	RedisRestart:  {candidates: primaryCandidate, inject: injectRedisKill, restore: restoreRedis},
	NetBoxSync:    {candidates: netboxCandidates, inject: injectNetBox, restore: restoreNetBox},
	Failover:      {candidates: primaryCandidate, inject: injectFailover, restore: func(context.Context, *runner, Fault) error { return nil }},
	BGPRestart:    {candidates: bgpCandidates, inject: injectBGPRestart, restore: restoreBGPRestart},
	ApplyKill:     {candidates: applyCandidates, inject: injectApplyKill, restore: restoreApplyKill},
}

// candidates lists, per kind, where a fault can hit: sorted, fixed by the
// network, so a seed picks the same targets on every run.
func (s *System) candidates(kinds []Kind) map[Kind][]candidate {
	out := map[Kind][]candidate{}
	for _, k := range kinds {
		out[k] = injectors[k].candidates(s)
	}
	return out
}

// lit counts the links of ids that carry light when healthy: up in the
// inventory and not dark by their budget (those are down from the start,
// their alarms in the healthy set).
func (s *System) lit(ids []string) int {
	n := 0
	for i, l := range s.Topo.Links {
		if slices.Contains(ids, l.ID) && l.Up && s.Budgets[i].Status != topology.BudgetFail {
			n++
		}
	}
	return n
}

func cableCandidates(s *System) []candidate {
	var out []candidate
	for _, c := range s.Snap.Cables {
		if f, err := s.Analysis.Cut(topology.FailCable, c.Label); err == nil && s.lit(f.LinksDown) > 0 {
			out = append(out, candidate{Target: c.Label})
		}
	}
	slices.SortFunc(out, func(a, b candidate) int { return strings.Compare(a.Target, b.Target) })
	return out
}

func ductCandidates(s *System) []candidate {
	var out []candidate
	for _, g := range s.Topo.SRLGs() {
		if f, err := s.Analysis.Cut(topology.FailSRLG, g.Name); err == nil && s.lit(f.LinksDown) > 1 {
			out = append(out, candidate{Target: g.Name})
		}
	}
	slices.SortFunc(out, func(a, b candidate) int { return strings.Compare(a.Target, b.Target) })
	return out
}

// degradeCandidates are fibers carrying one routed link with between 1
// and 15 dB of budget margin. The loss added is halfway between the
// margin (the worst-case launch power then reaches the receiver below its
// sensitivity: rx-margin) and the headroom at the lab's typical launch,
// mid-range (beyond it the receiver cannot decode and the link goes down,
// as a real one does): the link must raise rx-margin and stay up. Links
// whose optics launch less than 1 dB above their minimum have no such
// room and are left out. The margin plus 3 dB used before was beyond the
// headroom of every fiber of the chaos network (10GBASE-ZR launches 2 dB
// above its minimum, SFP+-10G-L20 2.5 dB, -L10 3 dB), so every rx-degrade
// took its link down and none tested rx-margin.
func degradeCandidates(s *System) []candidate {
	var out []candidate
	for i, l := range s.Topo.Links {
		b := s.Budgets[i]
		if !l.Up || l.External || (b.Status != topology.BudgetOK && b.Status != topology.BudgetLow) || b.MarginDB < 1 || b.MarginDB > 15 {
			continue
		}
		head, ok := typicalHeadroom(s.Topo, l, b.LossDB)
		if !ok || head-b.MarginDB < 1 {
			continue
		}
		for _, c := range l.Cables {
			if sp, _ := s.Topo.Span(c); sp.Km > 0 && len(sp.Links) == 1 {
				out = append(out, candidate{Target: c, DB: math.Round((b.MarginDB+head)/2*10) / 10})
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b candidate) int { return strings.Compare(a.Target, b.Target) })
	return out
}

// typicalHeadroom is how far above its sensitivity the weaker receiver of
// a link gets with the far end launching mid-range, as the lab's optics do
// (testlab/optics.go): the most loss that can be added before the link
// goes down.
func typicalHeadroom(t *topology.Topology, l topology.Link, lossDB float64) (float64, bool) {
	a, okA := t.Optic(l.ATransceiver)
	b, okB := t.Optic(l.BTransceiver)
	if !okA || !okB {
		return 0, false
	}
	mid := func(o topology.Optic) float64 { return (o.TxMinDBm + o.TxMaxDBm) / 2 }
	return min(mid(b)-lossDB-a.RxSensDBm, mid(a)-lossDB-b.RxSensDBm), true
}

// deviceCandidates are the routers outside the core sites (the core
// sites fail as a whole: core-site-fail).
func deviceCandidates(s *System) []candidate {
	var out []candidate
	for _, d := range s.Snap.Devices {
		if site := s.siteOf(d.Name); site != s.Topo.CoreA && site != s.Topo.CoreB && slices.Contains(s.TargetNames(), d.Name) {
			out = append(out, candidate{Target: d.Name})
		}
	}
	slices.SortFunc(out, func(a, b candidate) int { return strings.Compare(a.Target, b.Target) })
	return out
}

func coreCandidates(s *System) []candidate {
	var out []candidate
	for _, site := range []string{s.Topo.CoreA, s.Topo.CoreB} {
		if site != "" && len(s.devicesOf(site)) > 0 {
			out = append(out, candidate{Target: site})
		}
	}
	return out
}

// primaryCandidate: the Redis faults hit whichever server is primary then.
func primaryCandidate(*System) []candidate { return []candidate{{Target: "primary"}} }

func collectorCandidates(s *System) []candidate {
	var out []candidate
	for _, id := range s.Collectors() {
		out = append(out, candidate{Target: id})
	}
	return out
}

func (s *System) siteOf(dev string) string {
	for _, d := range s.Snap.Devices {
		if d.Name == dev {
			return d.Site
		}
	}
	return ""
}

func (s *System) devicesOf(site string) []string {
	var out []string
	for _, d := range s.Snap.Devices {
		if d.Site == site && slices.Contains(s.TargetNames(), d.Name) {
			out = append(out, d.Name)
		}
	}
	slices.Sort(out)
	return out
}

func endDevice(end string) string {
	dev, _, ok := strings.Cut(end, ":")
	if !ok {
		return ""
	}
	return dev
}

// injectCut cuts a cable or a duct: topology's cut analysis predicts the
// links going down; each one not already alarmed before must raise
// link-down, and a cut of two links or more a root alarm (duct, cable or
// site) explaining them.
func injectCut(ctx context.Context, r *runner, f Fault) (outcome, error) {
	kind := topology.FailCable
	if f.Kind == DuctCut {
		kind = topology.FailSRLG
	}
	pred, err := r.s.Analysis.Cut(kind, f.Target)
	if err != nil {
		return outcome{}, fmt.Errorf("topology cut %s %s: %w", kind, f.Target, err)
	}
	links := r.newlyDown(pred.LinksDown)
	o := outcome{isolated: r.s.isolatedBy(pred, nil), allowed: func(a telemetry.Alarm) bool {
		return roots[a.Rule] || (a.Rule == "rx-margin" || a.Rule == "rx-drift") && slices.Contains(pred.LinksDown, a.Object)
	}}
	for _, l := range links {
		o.want = append(o.want, key("link-down", l))
	}
	if len(links) >= max(r.s.Rules.Correlation.MinLinks, 2) {
		o.detect = anyNewRoot(r)
	}
	if f.Kind == DuctCut {
		_, err = r.s.Lab.CutSRLG(ctx, f.Target)
	} else {
		_, err = r.s.Lab.Cut(ctx, f.Target)
	}
	return o, err
}

// anyNewRoot holds once a root alarm the healthy network did not have is
// active.
func anyNewRoot(r *runner) func(v view) (bool, string) {
	return func(v view) (bool, string) {
		for k, a := range v.active {
			if _, was := r.baseline[k]; roots[a.Rule] && !was {
				return true, k
			}
		}
		return false, "no root alarm yet"
	}
}

func restoreCut(ctx context.Context, r *runner, f Fault) error {
	t := testlab.Target{Cable: f.Target}
	if f.Kind == DuctCut {
		t = testlab.Target{SRLG: f.Target}
	}
	_, err := r.s.Lab.Restore(ctx, t)
	return err
}

// injectDegrade adds loss beyond the margin on a one-link fiber
// (degradeCandidates): rx-margin on its link, or link-down should the Rx
// fall below the receiver's sensitivity (the lab says which).
func injectDegrade(ctx context.Context, r *runner, f Fault) (outcome, error) {
	sp, ok := r.s.Topo.Span(f.Target)
	if !ok || len(sp.Links) != 1 {
		return outcome{}, fmt.Errorf("degrade %s: not a fiber of one link", f.Target)
	}
	link := sp.Links[0]
	res, err := r.s.Lab.Degrade(ctx, f.Target, f.DB)
	if err != nil {
		return outcome{}, err
	}
	o := outcome{isolated: r.s.isolatedBy(r.s.Analysis.LinksDown(res.Down), nil),
		allowed: func(a telemetry.Alarm) bool { return a.Object == link || roots[a.Rule] }}
	if slices.Contains(res.Down, link) {
		o.want = []string{key("link-down", link)}
	} else {
		o.want = []string{key("rx-margin", link)}
	}
	return o, nil
}

// injectKill powers off a router (device-kill) or every router of a core
// site (core-site-fail): each raises target-unreachable, every link to a
// live router link-down, and a core site a site-loss root.
func injectKill(ctx context.Context, r *runner, f Fault) (outcome, error) {
	devs := []string{f.Target}
	if f.Kind == CoreSiteFail {
		devs = r.s.devicesOf(f.Target)
	}
	o := killOutcome(r, devs, f.Kind == CoreSiteFail)
	for _, d := range devs {
		if _, err := r.s.Lab.Kill(ctx, d); err != nil {
			return o, err
		}
	}
	return o, nil
}

// killOutcome is what powering devs off must lead to (a whole core site
// when core): target-unreachable for each, link-down on every link to a
// live router, a site-loss root for a core site; the member routers the
// dead sites cut off from both core sites are not held to the hosting.
func killOutcome(r *runner, devs []string, core bool) outcome {
	dead := map[string]bool{}
	for _, d := range devs {
		dead[d] = true
	}
	var touching, reported []string
	for _, l := range r.s.Topo.Links {
		a, b := endDevice(l.A), endDevice(l.B)
		if !dead[a] && !dead[b] {
			continue
		}
		touching = append(touching, l.ID)
		// Only a live end reports its interface down.
		if !l.External && a != "" && b != "" && (!dead[a] || !dead[b]) {
			reported = append(reported, l.ID)
		}
	}
	o := outcome{exempt: dead, allowed: func(a telemetry.Alarm) bool {
		return roots[a.Rule] || slices.Contains(touching, a.Object) || dead[a.Object]
	}}
	for _, l := range r.newlyDown(reported) {
		o.want = append(o.want, key("link-down", l))
	}
	for _, d := range devs {
		o.want = append(o.want, key("target-unreachable", d))
	}
	sites := map[string]bool{}
	for _, d := range devs {
		sites[r.s.siteOf(d)] = true
	}
	o.isolated = map[string]bool{}
	for site := range sites {
		if core {
			o.want = append(o.want, key("site-loss", site))
		}
		// A site whose routers are all dead is lost as a whole.
		if len(r.s.devicesOf(site)) > 0 && !slices.ContainsFunc(r.s.devicesOf(site), func(d string) bool { return !dead[d] }) {
			if pred, err := r.s.Analysis.Cut(topology.FailSite, site); err == nil {
				maps.Copy(o.isolated, r.s.isolatedBy(pred, dead))
			}
		}
	}
	for d := range dead {
		o.isolated[d] = true
	}
	o.recover = targetsFresh(r, devs)
	return o
}

func restoreKill(ctx context.Context, r *runner, f Fault) error {
	devs := []string{f.Target}
	if f.Kind == CoreSiteFail {
		devs = r.s.devicesOf(f.Target)
	}
	var errs []string
	for _, d := range devs {
		if _, err := r.s.Lab.Restore(ctx, testlab.Target{Device: d}); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// targetsFresh holds once the devices are connected again and have sent
// data since they were restored (as Redis shows it).
func targetsFresh(r *runner, devs []string) func(v view) (bool, string) {
	return func(v view) (bool, string) {
		for _, d := range devs {
			h, ok := v.targets[d]
			if !ok || !h.Connected || !h.LastUpdate.After(r.restoredAt) {
				return false, fmt.Sprintf("%s: connected %t, last update %s", d, h.Connected, h.LastUpdate.Format("15:04:05.000"))
			}
		}
		return true, ""
	}
}

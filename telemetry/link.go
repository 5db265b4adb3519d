package telemetry

import (
	"math"
	"slices"
	"time"

	"github.com/tuyau-net/tuyau/topology"
)

// Link rules, by index into link.cond.
const (
	ruleLinkDown = iota
	ruleRxMargin
	ruleRxDrift
	ruleUtilization
	ruleErrors
	ruleDiscards
	nLinkRules
)

var linkRuleNames = [nLinkRules]string{"link-down", "rx-margin", "rx-drift", "utilization", "errors", "discards"}

func (r *Rules) linkRule(i int) Rule {
	switch i {
	case ruleLinkDown:
		return r.LinkDown
	case ruleRxMargin:
		return r.RxMargin
	case ruleRxDrift:
		return r.RxDrift
	case ruleUtilization:
		return r.Utilization
	case ruleErrors:
		return r.Errors
	}
	return r.Discards
}

// engEndPlan is what the optical plan promises the receiver at one end: the
// far transmitter at its worst-case launch power less the planned loss in
// that direction (topology budgets only the worse direction; with the same
// optic at both ends the two are the same).
type engEndPlan struct {
	ok     bool
	expRx  float64 // expected receive power at worst-case launch, dBm
	sens   float64 // this end's receiver sensitivity, dBm
	loss   float64 // planned loss in this direction, dB
	margin float64 // expRx - sens
}

// rxBaseline learns an end's normal receive power: the median of its first
// samples with light. It is not moved afterwards, so that a fiber losing a
// tenth of a dB a week shows as drift rather than as a new normal.
type rxBaseline struct {
	samples []float64
	value   float64
	ok      bool
}

func (b *rxBaseline) add(v float64, n int) {
	if b.ok {
		return
	}
	b.samples = append(b.samples, v)
	if len(b.samples) < n {
		return
	}
	s := slices.Clone(b.samples)
	slices.Sort(s)
	b.value, b.ok, b.samples = medianOf(s), true, nil
}

func medianOf(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// engLinkEnd is one device end of a link as the engine joins it.
type engLinkEnd struct {
	device, name, site string
	dev                *engDevice
	ifc                *engIface
	snap               InterfaceState
	plan               engEndPlan
	base               rxBaseline
	seen               uint64 // rxSamples already looked at
	// rated and rxSamples are copied from the interface under its
	// device's lock at each Tick: Observe writes the interface meanwhile.
	rated     bool
	rxSamples uint64
	oper      string // up, down or ""
}

// engLink is a topology link with its state and the hysteresis of its rules.
type engLink struct {
	t      topology.Link
	ends   [2]engLinkEnd
	n      int // device ends: 1 for a circuit
	st     LinkState
	cond   [nLinkRules]alarmCond
	ids    [nLinkRules]string
	sample bool // an end changed since the last Tick (in Engine.sampled)
	gone   bool // no longer in the inventory
	idx    int  // position in Engine.links: Tick's order
	tickN  uint64
	watchN uint64
}

// endPlans computes the per-end plan of a link from its budget.
func endPlans(t *topology.Topology, l topology.Link, b topology.LinkBudget, prof topology.LossProfile) [2]engEndPlan {
	var out [2]engEndPlan
	switch b.Status {
	case topology.BudgetOK, topology.BudgetLow, topology.BudgetFail, topology.BudgetOverload, topology.BudgetReach:
	default:
		return out
	}
	types := [2]string{l.ATransceiver, l.BTransceiver}
	if l.External {
		types[1] = types[0] // as topology budgets a circuit: the same optic at the far end
	}
	for i := range 2 {
		rx, okR := t.Optic(types[i])
		tx, okT := t.Optic(types[1-i])
		if !okR || !okT {
			continue
		}
		loss := b.SpliceDB + b.ConnectorDB + b.AttenuatorDB // a fixed attenuator is planned loss (synth puts them on short ZR spans)
		for _, c := range l.Cables {
			if s, ok := t.Span(c); ok {
				loss += s.Km * prof.Attenuation(s.Type, tx.Wavelength)
			}
		}
		exp := tx.TxMinDBm - loss
		out[i] = engEndPlan{ok: true, expRx: roundDB(exp), sens: rx.RxSensDBm, loss: roundDB(loss), margin: roundDB(exp - rx.RxSensDBm)}
	}
	return out
}

func roundDB(x float64) float64 { return math.Round(x*100) / 100 }

// engLinkFigures are the values the link rules test, from one evaluation.
type engLinkFigures struct {
	worstMargin    float64 // least worst-case margin over the ends with light and a plan
	hasMargin      bool
	drop           float64 // most dB below baseline over the ends with light and a baseline
	hasDrop        bool
	util           float64
	errs, discards float64
	rated          bool
}

// evaluate joins both ends into the link's published state. now is the
// engine's time; los the no-light level; baseN the baseline's sample count.
func (l *engLink) evaluate(o *OpticsRules) engLinkFigures {
	var fig engLinkFigures
	st := &l.st
	st.ID, st.SpeedMbps, st.External = l.t.ID, int64(l.t.Speed), l.t.External
	st.Cables, st.Ducts = l.t.Cables, l.t.SRLGs
	ends := [2]*LinkEnd{&st.A, &st.B}
	up, down := 0, 0
	for i := 0; i < l.n; i++ {
		e := &l.ends[i]
		*ends[i] = LinkEnd{Device: e.device, Interface: e.name, Site: e.site, InterfaceState: e.snap,
			BaselineDBm: roundDB(e.base.value), HasBaseline: e.base.ok}
		switch e.oper {
		case "up":
			up++
		case "down":
			down++
		}
		if e.snap.Updated.After(st.Updated) {
			st.Updated = e.snap.Updated
		}
	}
	if l.t.External {
		st.B = LinkEnd{Site: l.t.BSite}
	}
	switch {
	case down > 0:
		st.Oper = "down"
	case up == l.n:
		st.Oper = "up"
	default:
		st.Oper = "unknown"
	}
	// Traffic: the worst direction of either end against the link speed.
	speed := float64(l.t.Speed) * 1e6
	for i := 0; i < l.n; i++ {
		e := &l.ends[i]
		if !e.rated {
			continue
		}
		fig.rated = true
		if speed > 0 {
			fig.util = max(fig.util, e.snap.InBps/speed, e.snap.OutBps/speed)
		}
		fig.errs += e.snap.ErrorsPerSec
		fig.discards += e.snap.DiscardsPerSec
	}
	st.Utilization = fig.util
	l.optics(o, &fig)
	return fig
}

// optics holds each end's receive power against its plan and baseline,
// and publishes the end with the least margin left.
func (l *engLink) optics(o *OpticsRules, fig *engLinkFigures) {
	st := &l.st
	best := -1
	var bestMargin, bestRx float64
	type endFig struct {
		loss, excess, wcm float64
		hasLoss           bool
	}
	var figs [2]endFig
	for i := 0; i < l.n; i++ {
		e := &l.ends[i]
		if !e.snap.HasOptics {
			continue
		}
		rx := e.snap.RxDBm
		light := rx > o.LOSDBm
		if e.rxSamples != e.seen {
			e.seen = e.rxSamples
			if light && e.oper != "down" {
				e.base.add(rx, o.BaselineSamples)
			}
		}
		if !light {
			continue
		}
		f := &figs[i]
		if l.n == 2 {
			if far := &l.ends[1-i].snap; far.HasOptics && far.TxDBm > o.LOSDBm {
				f.loss, f.hasLoss = far.TxDBm-rx, true
			}
		}
		if e.plan.ok {
			if f.hasLoss {
				f.excess = f.loss - e.plan.loss
			} else {
				// Without the far end's launch power, the loss beyond plan is
				// what the receiver lost against its baseline or its plan.
				f.excess = max(0, e.plan.expRx-rx)
				if e.base.ok {
					f.excess = max(f.excess, e.base.value-rx)
				}
			}
			f.wcm = e.plan.margin - f.excess
			if !fig.hasMargin || f.wcm < fig.worstMargin {
				fig.worstMargin, fig.hasMargin = f.wcm, true
			}
		}
		if e.base.ok {
			if d := e.base.value - rx; !fig.hasDrop || d > fig.drop {
				fig.drop, fig.hasDrop = d, true
			}
		}
		// The end to publish: least worst-case margin, else least margin
		// to sensitivity, else the lowest power.
		m := rx
		if e.plan.ok {
			m = f.wcm
		}
		if best < 0 || m < bestMargin || m == bestMargin && rx < bestRx {
			best, bestMargin, bestRx = i, m, rx
		}
	}
	st.HasRx, st.HasBudget, st.RxEnd = false, false, ""
	st.ExpectedRxDBm, st.SensitivityDBm, st.MeasuredRxDBm, st.DeviationDB, st.MarginDB = 0, 0, 0, 0, 0
	st.BaselineDBm, st.DriftDB, st.LossDB, st.ExcessLossDB, st.WorstCaseMarginDB, st.BudgetMarginDB = 0, 0, 0, 0, 0, 0
	if best < 0 {
		// No end with light: publish the plan of the worse end at least.
		for i := 0; i < l.n; i++ {
			if p := l.ends[i].plan; p.ok && (!st.HasBudget || p.margin < st.BudgetMarginDB) {
				st.HasBudget, st.ExpectedRxDBm, st.SensitivityDBm, st.BudgetMarginDB = true, p.expRx, p.sens, p.margin
			}
		}
		for i := 0; i < l.n; i++ {
			if s := l.ends[i].snap; s.HasOptics && (!st.HasRx || s.RxDBm < st.MeasuredRxDBm) {
				st.HasRx, st.MeasuredRxDBm, st.RxEnd = true, s.RxDBm, endName(i)
			}
		}
		return
	}
	e, f := &l.ends[best], figs[best]
	rx := e.snap.RxDBm
	st.HasRx, st.MeasuredRxDBm, st.RxEnd = true, rx, endName(best)
	if f.hasLoss {
		st.LossDB = roundDB(f.loss)
	}
	if e.plan.ok {
		p := e.plan
		st.HasBudget, st.ExpectedRxDBm, st.SensitivityDBm, st.BudgetMarginDB = true, p.expRx, p.sens, p.margin
		st.DeviationDB, st.MarginDB = roundDB(rx-p.expRx), roundDB(rx-p.sens)
		st.ExcessLossDB, st.WorstCaseMarginDB = roundDB(f.excess), roundDB(f.wcm)
	}
	if e.base.ok {
		st.BaselineDBm, st.DriftDB = roundDB(e.base.value), roundDB(rx-e.base.value)
	}
}

func endName(i int) string {
	if i == 0 {
		return "a"
	}
	return "b"
}

// observeRules feeds one sample of the link to each enabled rule.
func (l *engLink) observeRules(r *Rules, fig engLinkFigures, now time.Time) {
	sample := func(i int, bad, good bool) {
		if !r.linkRule(i).Disabled {
			l.cond[i].observe(bad, good, now)
		}
	}
	switch {
	case !l.t.Up || l.gone:
		// The inventory does not expect this link up (planned cable,
		// disabled port): nothing to alarm on.
		sample(ruleLinkDown, false, true)
	case l.st.Oper == "down":
		sample(ruleLinkDown, true, false)
	case l.st.Oper == "up":
		sample(ruleLinkDown, false, true)
	}
	if fig.hasMargin {
		sample(ruleRxMargin, fig.worstMargin < r.RxMargin.Threshold, fig.worstMargin >= r.RxMargin.Clear)
	}
	if fig.hasDrop {
		sample(ruleRxDrift, fig.drop > r.RxDrift.Threshold, fig.drop <= r.RxDrift.Clear)
	}
	if fig.rated {
		sample(ruleUtilization, fig.util > r.Utilization.Threshold, fig.util <= r.Utilization.Clear)
		sample(ruleErrors, fig.errs > r.Errors.Threshold, fig.errs <= r.Errors.Clear)
		sample(ruleDiscards, fig.discards > r.Discards.Threshold, fig.discards <= r.Discards.Clear)
	}
}

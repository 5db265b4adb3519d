package prom

import (
	"cmp"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// The link and interface series are most of a scrape: some 30 per link at
// 48 ports a device, 276,182 for 200 devices (BenchmarkScrape). Two costs
// of client_golang's const metrics grew with them, and both go here:
//
//   - every NewConstMetric builds and sorts its own label pairs, although
//     the fourteen families of a link (fifteen of an interface) carry the
//     same labels: a labelSet is built once per link or interface, sorted,
//     and shared by all of its series (read only; nothing in the registry
//     or the encoders writes a label pair);
//   - the registry sorts each family's series by their label values
//     (MetricSorter, 45 % of a scrape's CPU at that size); emitted already
//     in that order, the sort only checks it.

// labelNames is a label-name list with the permutation that sorts it, the
// order client_golang keeps a series' label pairs in.
type labelNames struct {
	names []string
	order []int // order[i]: the index in names of the i-th name in sorted order
}

func newLabelNames(names ...string) labelNames {
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(names[a], names[b]) })
	return labelNames{names: names, order: order}
}

// labelSet is one series' label pairs, sorted by name.
type labelSet []*dto.LabelPair

// set returns the label pairs of values (one per name, in the names'
// order); values must not change afterwards: the pairs point into it.
func (ln labelNames) set(values []string) labelSet {
	pairs := make([]dto.LabelPair, len(ln.order))
	ls := make(labelSet, len(ln.order))
	for i, j := range ln.order {
		pairs[i] = dto.LabelPair{Name: &ln.names[j], Value: &values[j]}
		ls[i] = &pairs[i]
	}
	return ls
}

// compareSets orders label sets as client_golang's MetricSorter orders
// the series of a family: by their values, pair by pair.
func compareSets(a, b labelSet) int {
	for i := range min(len(a), len(b)) {
		if c := cmp.Compare(*a[i].Value, *b[i].Value); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// withLast returns ls with one more pair, name=value, which must sort
// after every name of ls (the state of a state set does).
func (ls labelSet) withLast(name, value *string) labelSet {
	return append(slices.Clip(ls), &dto.LabelPair{Name: name, Value: value})
}

// sample is a gauge or counter series over a shared labelSet.
type sample struct {
	desc   *prometheus.Desc
	typ    prometheus.ValueType
	v      float64
	labels labelSet
}

func (s *sample) Desc() *prometheus.Desc { return s.desc }

func (s *sample) Write(m *dto.Metric) error {
	m.Label = s.labels
	v := s.v
	if s.typ == prometheus.CounterValue {
		m.Counter = &dto.Counter{Value: &v}
	} else {
		m.Gauge = &dto.Gauge{Value: &v}
	}
	return nil
}

// sampleSlab hands out samples from arrays of a few hundred: one
// allocation for many series rather than one each.
type sampleSlab struct{ free []sample }

func (s *sampleSlab) next() *sample {
	if len(s.free) == 0 {
		s.free = make([]sample, 512)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// emitSet sends one series over ls.
func (e *emitter) emitSet(d *prometheus.Desc, t prometheus.ValueType, v float64, ls labelSet) {
	s := e.slab.next()
	*s = sample{desc: d, typ: t, v: v, labels: ls}
	e.ch <- s
}

func (e *emitter) gaugeSet(d *prometheus.Desc, v float64, ls labelSet) {
	e.emitSet(d, prometheus.GaugeValue, v, ls)
}

func (e *emitter) counterSet(d *prometheus.Desc, v float64, ls labelSet) {
	e.emitSet(d, prometheus.CounterValue, v, ls)
}

// stateLabel is the name of a state set's extra label.
var stateLabel = "state"

// stateSetOf publishes one series per state over ls plus the state, 1 for
// the current one, in operStates' (sorted) order.
func (e *emitter) stateSetOf(d *prometheus.Desc, current string, ls labelSet) {
	for i := range operStates {
		v := 0.0
		if operStates[i] == current {
			v = 1
		}
		e.gaugeSet(d, v, ls.withLast(&stateLabel, &operStates[i]))
	}
}

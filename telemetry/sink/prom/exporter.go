package prom

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tuyau-net/tuyau/telemetry"
)

// Source is what the exporter reads at each scrape: the engine
// (*telemetry.Engine).
type Source interface {
	State() telemetry.EngineState
}

// StatsSource is a sink that reports on itself (the Redis sink).
type StatsSource interface {
	Stats() telemetry.SinkStats
}

// LeaseHolder says which leases the collector holds (the Redis sink's
// Leases): the targets it streams, and telemetry.EngineLease when it runs
// the alarms.
type LeaseHolder interface {
	Owned() map[string]uint64
}

// Options configure an Exporter.
type Options struct {
	// Leases, for a collector sharing its targets, limits what it exports
	// to what it collects, as Prometheus expects of scraped instances: the
	// targets it holds and their interfaces, and the links and alarms only
	// while it holds the engine lease. The holder's engine also holds the
	// other collectors' targets and interfaces (read from Redis), which
	// they export themselves: exported twice, a sum over the collectors
	// would count them twice. A collector in standby has no alarms and
	// links of its own devices only: exported, they would read as a
	// second, partial picture. Nil: everything (a lone collector).
	Leases LeaseHolder
	// Sinks report their buffers and drops as tuyau_sink_* series.
	Sinks []StatsSource
	// NoRuntime leaves out the Go runtime and process collectors (tests
	// that count series).
	NoRuntime bool
	// Logger receives scrape errors; discarded when nil.
	Logger *slog.Logger
	// Now is the clock of tuyau_collector_last_flush_timestamp_seconds
	// (time.Now).
	Now func() time.Time
}

// Exporter is a prometheus.Collector over the engine's state, with its own
// registry. It is also a telemetry.Sink, so that the collector's flushes
// are counted: a collector that stops flushing is seen from Prometheus.
type Exporter struct {
	src  Source
	o    Options
	d    *descs
	reg  *prometheus.Registry
	log  *slog.Logger
	mu   sync.Mutex
	nb   uint64
	last time.Time
}

// New returns an exporter over src with a registry of its own holding it
// (and the Go and process collectors unless o.NoRuntime).
func New(src Source, o Options) *Exporter {
	x := &Exporter{src: src, o: o, d: newDescs(), reg: prometheus.NewRegistry(), log: o.Logger}
	if x.log == nil {
		x.log = slog.New(slog.DiscardHandler)
	}
	if x.o.Now == nil {
		x.o.Now = time.Now
	}
	x.reg.MustRegister(x)
	if !o.NoRuntime {
		// The garbage collector's runtime metrics too (go_gc_*): how much
		// of the heap it scans each cycle (go_gc_scan_heap_bytes) and how
		// often it runs are what a collector's tail latency follows.
		x.reg.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsGC)),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return x
}

// Registry is the exporter's registry (to gather in tests, or to add
// collectors to).
func (x *Exporter) Registry() *prometheus.Registry { return x.reg }

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics when asked), with the handler's own request counters.
func (x *Exporter) Handler() http.Handler {
	h := promhttp.HandlerFor(x.reg, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{x.log},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      x.reg,
		Timeout:       10 * time.Second,
	})
	return promhttp.InstrumentMetricHandler(x.reg, h)
}

type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.l.Warn("prometheus scrape", "err", fmt.Sprint(v...)) }

// Write counts the collector's flush; the state itself is read at scrape
// time from the engine, never buffered here.
func (x *Exporter) Write(_ context.Context, _ telemetry.Batch) error {
	x.mu.Lock()
	x.nb++
	x.last = x.o.Now()
	x.mu.Unlock()
	return nil
}

// BorrowsBatch says Write keeps nothing of a batch (telemetry.BatchBorrower).
func (x *Exporter) BorrowsBatch() {}

// Close implements telemetry.Sink.
func (x *Exporter) Close() error { return nil }

// Describe sends every metric's description: the set is fixed.
func (x *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range x.d.all() {
		ch <- d
	}
}

// Collect reads the engine's state once and turns it into series.
func (x *Exporter) Collect(ch chan<- prometheus.Metric) {
	st := x.src.State()
	e := emitter{ch: ch}
	own, engine := func(string) bool { return true }, true
	if x.o.Leases != nil {
		owned := x.o.Leases.Owned()
		own = func(target string) bool { _, ok := owned[target]; return ok }
		engine = own(telemetry.EngineLease)
	}
	down := make(map[string]bool, len(st.Targets))
	targets := st.Targets[:0]
	for _, t := range st.Targets {
		if own(t.Name) {
			down[t.Name] = !t.Connected
			targets = append(targets, t)
		}
	}
	x.links(&e, st, down, own, engine)
	x.targets(&e, targets)
	if engine {
		x.alarms(&e, st.Alarms)
	}
	x.sinks(&e)
	e.counter(x.d.ignored, float64(st.Ignored))
	x.mu.Lock()
	nb, last := x.nb, x.last
	x.mu.Unlock()
	e.counter(x.d.flushes, float64(nb))
	if !last.IsZero() {
		e.gauge(x.d.lastFlush, unixSeconds(last))
	}
}

// emitter sends const metrics, turning a construction error (a bug: the
// labels do not match the description) into an invalid metric that fails
// the scrape loudly rather than a panic.
type emitter struct {
	ch   chan<- prometheus.Metric
	slab sampleSlab
}

func (e *emitter) send(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	e.ch <- m
}

// histogram sends a const histogram from cumulative bucket counts.
func (e *emitter) histogram(d *prometheus.Desc, count uint64, sum float64, bounds []float64, cum []uint64, labels ...string) {
	b := make(map[float64]uint64, len(bounds))
	for i, ub := range bounds {
		b[ub] = cum[i]
	}
	m, err := prometheus.NewConstHistogram(d, count, sum, b, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	e.ch <- m
}

func (e *emitter) gauge(d *prometheus.Desc, v float64, labels ...string) {
	e.send(d, prometheus.GaugeValue, v, labels...)
}

func (e *emitter) counter(d *prometheus.Desc, v float64, labels ...string) {
	e.send(d, prometheus.CounterValue, v, labels...)
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func b01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// links publishes every inventory link (when engine: the link figures are
// the alarm engine's) and the device ends own accepts. An end whose
// target is known to be down publishes its oper state as unknown and no
// counters or power: its last values are stale, and a flat line would
// read as a quiet link. Each family's series go out in the order the
// registry sorts them in (series.go).
func (x *Exporter) links(e *emitter, st telemetry.EngineState, down map[string]bool, own func(string) bool, engine bool) {
	d := x.d
	type linkRef struct {
		l  *telemetry.LinkState
		ls labelSet
	}
	type endRef struct {
		end *telemetry.LinkEnd
		ls  labelSet
	}
	var links []linkRef
	var infos []labelSet
	if engine {
		links = make([]linkRef, len(st.Links))
		infos = make([]labelSet, len(st.Links))
	}
	ends := make([]endRef, 0, 2*len(st.Links))
	seen := make(map[string]bool, 2*len(st.Links))
	for i := range st.Links {
		l := &st.Links[i]
		if engine {
			links[i] = linkRef{l, linkNames.set([]string{l.ID, l.A.Site, l.B.Site})}
			infos[i] = infoNames.set([]string{l.ID, l.A.Device, l.A.Interface, l.A.Site, l.B.Device, l.B.Interface, l.B.Site,
				strings.Join(l.Cables, ","), strings.Join(l.Ducts, ","), strconv.FormatBool(l.External)})
		}
		pair := [2]*telemetry.LinkEnd{&l.A, &l.B}
		for j, end := range pair {
			if end.Device == "" || !own(end.Device) {
				continue // a circuit's far end, or a device another collector streams
			}
			key := end.Device + "\x00" + end.Interface
			if seen[key] {
				continue // one interface, one set of series: its first link's
			}
			seen[key] = true
			far := pair[1-j]
			ends = append(ends, endRef{end, endNames.set([]string{end.Device, end.Interface, end.Site, l.ID, far.Device, far.Interface, far.Site})})
		}
	}
	if engine {
		slices.SortFunc(infos, compareSets)
		for _, ls := range infos {
			e.gaugeSet(d.linkInfo, 1, ls)
		}
		slices.SortFunc(links, func(a, b linkRef) int { return compareSets(a.ls, b.ls) })
		for _, r := range links {
			l, ls := r.l, r.ls
			e.stateSetOf(d.linkOper, l.Oper, ls)
			e.gaugeSet(d.utilization, l.Utilization, ls)
			if l.SpeedMbps > 0 {
				e.gaugeSet(d.speed, float64(l.SpeedMbps)*1e6/8, ls)
			}
			x.optics(e, l, st.LOSDBm, ls)
		}
	}
	slices.SortFunc(ends, func(a, b endRef) int { return compareSets(a.ls, b.ls) })
	for _, r := range ends {
		x.end(e, r.end, r.ls, down[r.end.Device])
	}
}

func (x *Exporter) optics(e *emitter, l *telemetry.LinkState, los float64, ls labelSet) {
	d := x.d
	if l.HasBudget {
		e.gaugeSet(d.expectedRx, l.ExpectedRxDBm, ls)
		e.gaugeSet(d.sensitivity, l.SensitivityDBm, ls)
		e.gaugeSet(d.budgetMargin, l.BudgetMarginDB, ls)
	}
	if !l.HasRx {
		return
	}
	e.gaugeSet(d.linkRx, l.MeasuredRxDBm, ls)
	if l.HasBudget {
		// Measured against the plan even with no light: a dark receiver
		// is that many dB under its sensitivity.
		e.gaugeSet(d.rxMargin, l.MeasuredRxDBm-l.SensitivityDBm, ls)
		e.gaugeSet(d.deviation, l.MeasuredRxDBm-l.ExpectedRxDBm, ls)
	}
	if l.MeasuredRxDBm <= los {
		return // no light: the loss and the worst-case margin are not measured
	}
	if l.HasBudget {
		e.gaugeSet(d.worstMargin, l.WorstCaseMarginDB, ls)
		e.gaugeSet(d.excessLoss, l.ExcessLossDB, ls)
	}
	if l.LossDB != 0 {
		e.gaugeSet(d.loss, l.LossDB, ls)
	}
	rxEnd := &l.A
	if l.RxEnd == "b" {
		rxEnd = &l.B
	}
	if rxEnd.HasBaseline {
		e.gaugeSet(d.drift, l.DriftDB, ls)
	}
}

func (x *Exporter) end(e *emitter, end *telemetry.LinkEnd, ls labelSet, targetDown bool) {
	d := x.d
	oper := telemetry.OperOf(end.Oper)
	if oper == "" || targetDown {
		oper = "unknown"
	}
	e.stateSetOf(d.ifOper, oper, ls)
	e.counterSet(d.counterResets, float64(end.Resets), ls)
	if targetDown {
		return
	}
	if end.HasCounters {
		e.counterSet(d.rxBytes, float64(end.InOctets), ls)
		e.counterSet(d.txBytes, float64(end.OutOctets), ls)
		e.counterSet(d.rxPkts, float64(end.InPkts), ls)
		e.counterSet(d.txPkts, float64(end.OutPkts), ls)
		e.counterSet(d.rxErrors, float64(end.InErrors), ls)
		e.counterSet(d.txErrors, float64(end.OutErrors), ls)
		e.counterSet(d.rxDiscards, float64(end.InDiscard), ls)
		e.counterSet(d.txDiscard, float64(end.OutDiscard), ls)
	}
	if end.HasOptics {
		e.gaugeSet(d.rxPower, end.RxDBm, ls)
		e.gaugeSet(d.txPower, end.TxDBm, ls)
	}
	if !end.Updated.IsZero() {
		e.gaugeSet(d.ifUpdated, unixSeconds(end.Updated), ls)
	}
}

func (x *Exporter) targets(e *emitter, ts []telemetry.TargetHealth) {
	d := x.d
	bounds := telemetry.DelayBounds()
	for i := range ts {
		t := &ts[i]
		e.gauge(d.targetUp, b01(t.Connected), t.Name)
		e.gauge(d.targetInfo, 1, t.Name, t.Address, t.Collector)
		e.counter(d.updates, float64(t.Updates), t.Name)
		e.counter(d.reconnects, float64(t.Reconnects), t.Name)
		e.counter(d.expected, float64(t.Expected), t.Name)
		e.counter(d.received, float64(t.Received), t.Name)
		e.counter(d.missed, float64(t.Gaps), t.Name)
		if !t.LastUpdate.IsZero() {
			e.gauge(d.lastUpdate, unixSeconds(t.LastUpdate), t.Name)
		}
		if !t.Since.IsZero() {
			e.gauge(d.lastMove, unixSeconds(t.Since), t.Name)
		}
		if dl := &t.Delay; dl.Count > 0 {
			e.histogram(d.delay, dl.Count, dl.SumSeconds, bounds[:], dl.Buckets[:], t.Name)
		}
	}
}

func (x *Exporter) alarms(e *emitter, as []telemetry.Alarm) {
	d := x.d
	active := map[string]int{}
	unacked := map[string]int{}
	type ruleSev struct{ rule, sev string }
	byRule := map[ruleSev]int{}
	var order []ruleSev
	for i := range as {
		a := &as[i]
		if a.State != telemetry.AlarmActive {
			continue
		}
		sev := string(a.Severity)
		active[sev]++
		if !a.Acked {
			unacked[sev]++
		}
		k := ruleSev{a.Rule, sev}
		if byRule[k] == 0 {
			order = append(order, k)
		}
		byRule[k]++
	}
	for _, s := range severities {
		e.gauge(d.alarmsActive, float64(active[s]), s)
		e.gauge(d.alarmsUnacked, float64(unacked[s]), s)
		delete(active, s)
	}
	// A severity outside the five (an event source's own) still counts.
	for s, n := range active {
		e.gauge(d.alarmsActive, float64(n), s)
		e.gauge(d.alarmsUnacked, float64(unacked[s]), s)
	}
	for _, k := range order {
		e.gauge(d.alarmsByRule, float64(byRule[k]), k.rule, k.sev)
	}
}

func (x *Exporter) sinks(e *emitter) {
	d := x.d
	for _, s := range x.o.Sinks {
		st := s.Stats()
		n := st.Sink
		e.gauge(d.sinkUp, b01(st.Connected), n)
		e.gauge(d.sinkBuffer, float64(st.BufferBytes), n)
		e.gauge(d.sinkBudget, float64(st.BufferBudget), n)
		e.gauge(d.sinkEvents, float64(st.EventBytes), n)
		e.gauge(d.sinkQueued, float64(st.QueuedEvents), n)
		e.counter(d.sinkDropped, float64(st.DroppedSamples), n)
		e.counter(d.sinkErrors, float64(st.WriteErrors), n)
		e.counter(d.sinkFence, float64(st.FenceRefusals), n)
		e.counter(d.sinkWritten, float64(st.Written), n)
		e.counter(d.sinkFlushes, float64(st.Flushes), n)
	}
}

package redis

import (
	"math"
	"strconv"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
)

// The interface and link states are most of what the sink writes (one
// of each per monitored interface per sample: 500 x 48 every 10 s), and
// encoding/json's reflection was a tenth of the collector's CPU. These
// appenders write the same bytes as json.Marshal (TestStateJSON compares
// them on random values, so a field added to the types without being added
// here fails it); anything unusual (a NaN, a string to escape) goes back
// to encoding/json.

// jsonBuf collects one object; bad says a value needs encoding/json.
type jsonBuf struct {
	b   []byte
	bad bool
}

func (j *jsonBuf) key(k string) {
	if len(j.b) > 0 && j.b[len(j.b)-1] != '{' {
		j.b = append(j.b, ',')
	}
	j.b = append(j.b, '"')
	j.b = append(j.b, k...)
	j.b = append(j.b, '"', ':')
}

func (j *jsonBuf) str(k, v string) {
	j.key(k)
	j.strVal(v)
}

func (j *jsonBuf) strVal(v string) {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j.bad = true
			return
		}
	}
	j.b = append(j.b, '"')
	j.b = append(j.b, v...)
	j.b = append(j.b, '"')
}

func (j *jsonBuf) uint(k string, v uint64) {
	j.key(k)
	j.b = strconv.AppendUint(j.b, v, 10)
}

func (j *jsonBuf) int(k string, v int64) {
	j.key(k)
	j.b = strconv.AppendInt(j.b, v, 10)
}

func (j *jsonBuf) bool(k string, v bool) {
	j.key(k)
	j.b = strconv.AppendBool(j.b, v)
}

// float formats as encoding/json does: shortest 'f' form, 'e' below 1e-6
// or from 1e21 on with a one-digit negative exponent (e-7, not e-07).
func (j *jsonBuf) float(k string, f float64) {
	j.key(k)
	j.floatVal(f)
}

func (j *jsonBuf) floatVal(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		j.bad = true
		return
	}
	// Integral values (zero rates, most of them) are the decimal integer
	// 'f' writes, without its shortest-digits search.
	if f == math.Trunc(f) && math.Abs(f) < 1e15 && (f != 0 || !math.Signbit(f)) {
		j.b = strconv.AppendInt(j.b, int64(f), 10)
		return
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	j.b = strconv.AppendFloat(j.b, f, format, -1, 64)
	if format == 'e' {
		if n := len(j.b); n >= 4 && j.b[n-4] == 'e' && j.b[n-3] == '-' && j.b[n-2] == '0' {
			j.b[n-2] = j.b[n-1]
			j.b = j.b[:n-1]
		}
	}
}

func (j *jsonBuf) time(k string, t time.Time) {
	j.key(k)
	if y := t.Year(); y < 0 || y > 9999 {
		j.bad = true
		return
	}
	j.b = append(j.b, '"')
	j.b = t.AppendFormat(j.b, time.RFC3339Nano)
	j.b = append(j.b, '"')
}

func (j *jsonBuf) strs(k string, v []string) {
	j.key(k)
	if v == nil {
		j.b = append(j.b, "null"...)
		return
	}
	j.b = append(j.b, '[')
	for i, s := range v {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		j.strVal(s)
	}
	j.b = append(j.b, ']')
}

// ifaceFields writes the fields of an InterfaceState but its device and
// interface, which its callers write first (interfaceJSONEntry) or leave
// to the key that holds the document.
func (j *jsonBuf) ifaceFields(s *telemetry.InterfaceState) {
	if s.Oper != "" {
		j.str("oper", s.Oper)
	}
	j.uint("in_octets", s.InOctets)
	j.uint("out_octets", s.OutOctets)
	j.uint("in_errors", s.InErrors)
	j.uint("out_errors", s.OutErrors)
	j.uint("in_discards", s.InDiscard)
	j.uint("out_discards", s.OutDiscard)
	j.uint("in_pkts", s.InPkts)
	j.uint("out_pkts", s.OutPkts)
	if s.HasCounters {
		j.bool("has_counters", true)
	}
	j.float("in_bps", s.InBps)
	j.float("out_bps", s.OutBps)
	j.float("errors_per_sec", s.ErrorsPerSec)
	j.float("discards_per_sec", s.DiscardsPerSec)
	if s.RxDBm != 0 {
		j.float("rx_dbm", s.RxDBm)
	}
	if s.TxDBm != 0 {
		j.float("tx_dbm", s.TxDBm)
	}
	j.bool("has_optics", s.HasOptics)
	j.uint("counter_resets", s.Resets)
	j.time("updated", s.Updated)
	j.uint("counter_wraps", s.Wraps)
	j.uint("counter_dropped", s.Dropped)
	if s.Rated {
		j.bool("rated", true)
	}
	if s.RxSamples != 0 {
		j.uint("rx_samples", s.RxSamples)
	}
}

// entryFields writes ifaceFields(s), from e when s is the state
// last written for its interface.
func (j *jsonBuf) entryFields(e *fieldEntry, s *telemetry.InterfaceState) {
	if e.ok && sameState(&e.st, s) {
		j.b = append(j.b, e.js...)
		return
	}
	n, bad := len(j.b), j.bad
	j.ifaceFields(s)
	e.ok = !j.bad && !bad
	e.st, e.js = *s, append(e.js[:0], j.b[n:]...)
}

// sameState is s == t, floats compared by their bits (0 and -0 write
// differently; a NaN, which encoding/json refuses, is never the same).
func sameState(s, t *telemetry.InterfaceState) bool {
	return *s == *t && math.Float64bits(s.InBps) == math.Float64bits(t.InBps) &&
		math.Float64bits(s.OutBps) == math.Float64bits(t.OutBps) &&
		math.Float64bits(s.ErrorsPerSec) == math.Float64bits(t.ErrorsPerSec) &&
		math.Float64bits(s.DiscardsPerSec) == math.Float64bits(t.DiscardsPerSec) &&
		math.Float64bits(s.RxDBm) == math.Float64bits(t.RxDBm) &&
		math.Float64bits(s.TxDBm) == math.Float64bits(t.TxDBm)
}

// fieldCache holds the interface fields last written per interface.
// Bounded like keyCache; guarded by Sink.encMu.
type fieldCache struct {
	m     map[[2]string]*fieldEntry
	links map[string]*linkEntry
}

type fieldEntry struct {
	ok bool
	st telemetry.InterfaceState
	js []byte
	// in and out are the rates as the histories write them ('g'): the
	// interface's, then its link's (a_in_bps, a_out_bps).
	in, out fmemo
	histKey string // its history stream ("": not yet known)
}

func (c *fieldCache) entry(dev, ifc string) *fieldEntry {
	k := [2]string{dev, ifc}
	if e := c.m[k]; e != nil {
		return e
	}
	if c.m == nil || len(c.m) >= maxCachedKeys {
		c.m = map[[2]string]*fieldEntry{}
	}
	e := &fieldEntry{}
	c.m[k] = e
	return e
}

// endDoc writes a link end as its link's document holds it (endDoc).
func (j *jsonBuf) endDoc(e *telemetry.LinkEnd) {
	j.b = append(j.b, '{')
	j.str("device", e.Device)
	j.str("interface", e.Interface)
	j.str("site", e.Site)
	if e.BaselineDBm != 0 {
		j.float("baseline_dbm", e.BaselineDBm)
	}
	if e.HasBaseline {
		j.bool("has_baseline", true)
	}
	j.b = append(j.b, '}')
}

// interfaceJSON is json.Marshal(s); c (nil: none) caches its fields.
func interfaceJSON(buf []byte, c *fieldCache, s *telemetry.InterfaceState) []byte {
	if c == nil {
		return interfaceJSONEntry(buf, nil, s)
	}
	return interfaceJSONEntry(buf, c.entry(s.Device, s.Interface), s)
}

// interfaceJSONEntry is interfaceJSON with the interface's entry (nil:
// none) found.
func interfaceJSONEntry(buf []byte, e *fieldEntry, s *telemetry.InterfaceState) []byte {
	j := jsonBuf{b: append(buf[:0], '{')}
	j.str("device", s.Device)
	j.str("interface", s.Interface)
	if e == nil {
		j.ifaceFields(s)
	} else {
		j.entryFields(e, s)
	}
	if j.bad {
		return append(buf[:0], mustJSON(s)...)
	}
	return append(j.b, '}')
}

// endDoc and linkDoc are a link's document in its Redis hash: its
// LinkState with the ends reduced to their names and Rx baselines. Each
// end's interface state is in its device's ifaces hash, written in the
// same hand-over, and the Reader joins it back: a link's document holding
// both ends' states again had been a third of the bytes the collector
// sent Redis (an interface written twice per sample, and a circuit's
// empty far end), and a fifth of the sink's CPU. The outer A and B hide
// LinkState's to encoding/json.
type endDoc struct {
	Device      string  `json:"device"`
	Interface   string  `json:"interface"`
	Site        string  `json:"site"`
	BaselineDBm float64 `json:"baseline_dbm,omitempty"`
	HasBaseline bool    `json:"has_baseline,omitempty"`
}

type linkDoc struct {
	telemetry.LinkState
	A endDoc `json:"a"`
	B endDoc `json:"b"`
}

func docOf(l *telemetry.LinkState) linkDoc {
	end := func(e *telemetry.LinkEnd) endDoc {
		return endDoc{Device: e.Device, Interface: e.Interface, Site: e.Site, BaselineDBm: e.BaselineDBm, HasBaseline: e.HasBaseline}
	}
	return linkDoc{LinkState: *l, A: end(&l.A), B: end(&l.B)}
}

// state is the document's LinkState with the ends' names and baselines,
// their interface states not yet joined.
func (d *linkDoc) state() telemetry.LinkState {
	l := d.LinkState
	end := func(e endDoc) telemetry.LinkEnd {
		return telemetry.LinkEnd{Device: e.Device, Interface: e.Interface, Site: e.Site, BaselineDBm: e.BaselineDBm, HasBaseline: e.HasBaseline}
	}
	l.A, l.B = end(d.A), end(d.B)
	return l
}

// linkJSON is json.Marshal(docOf(l)); c (nil: none) caches its floats'
// formatting.
func linkJSON(buf []byte, c *fieldCache, l *telemetry.LinkState) []byte {
	if c == nil {
		return linkJSONEntry(buf, nil, l)
	}
	return linkJSONEntry(buf, c.link(l.ID), l)
}

// linkJSONEntry is linkJSON with the link's entry found (nil: no cache).
// The fields come in encoding/json's order for linkDoc: LinkState's, then
// the ends.
func linkJSONEntry(buf []byte, le *linkEntry, l *telemetry.LinkState) []byte {
	var m *[12]fmemo
	if le != nil {
		m = &le.json
	}
	f := func(i int) *fmemo {
		if m == nil {
			return nil
		}
		return &m[i]
	}
	j := jsonBuf{b: append(buf[:0], '{')}
	j.str("id", l.ID)
	j.str("oper", l.Oper)
	j.int("speed_mbps", l.SpeedMbps)
	j.floatMemo("utilization", l.Utilization, f(0))
	j.floatMemo("expected_rx_dbm", l.ExpectedRxDBm, f(1))
	j.floatMemo("sensitivity_dbm", l.SensitivityDBm, f(2))
	j.floatMemo("measured_rx_dbm", l.MeasuredRxDBm, f(3))
	j.bool("has_rx", l.HasRx)
	j.floatMemo("deviation_db", l.DeviationDB, f(4))
	j.floatMemo("margin_db", l.MarginDB, f(5))
	j.floatMemo("baseline_dbm", l.BaselineDBm, f(6))
	j.floatMemo("drift_db", l.DriftDB, f(7))
	j.strs("cables", l.Cables)
	j.strs("ducts", l.Ducts)
	if l.External {
		j.bool("external", true)
	}
	j.time("updated", l.Updated)
	if l.RxEnd != "" {
		j.str("rx_end", l.RxEnd)
	}
	j.floatMemo("budget_margin_db", l.BudgetMarginDB, f(8))
	if l.LossDB != 0 {
		j.floatMemo("loss_db", l.LossDB, f(9))
	}
	j.floatMemo("excess_loss_db", l.ExcessLossDB, f(10))
	j.floatMemo("worst_case_margin_db", l.WorstCaseMarginDB, f(11))
	j.bool("has_budget", l.HasBudget)
	j.key("a")
	j.endDoc(&l.A)
	j.key("b")
	j.endDoc(&l.B)
	if j.bad {
		return append(buf[:0], mustJSON(docOf(l))...)
	}
	return append(j.b, '}')
}

package redis

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
)

// EngineLease is the lease whose holder runs the alarm engine for the whole
// network. In a fenced batch (Tokens not nil), links, alarms and link state
// changes are fenced by Tokens[EngineLease]; interface states, updates and
// the state changes of a device (its target, interfaces, BGP sessions:
// telemetry.ChangeDevice) by the device's token.
const EngineLease = telemetry.EngineLease

// encoded is a batch as ops, and the parts refused before sending: a
// fenced batch without the token they need.
type encoded struct {
	ops     []*op
	missing []Refusal
}

// encode turns a batch into fenced ops: one per device (its interfaces),
// per target, per link, and one per fence for the batch's events.
func (s *Sink) encode(b telemetry.Batch) encoded {
	s.encMu.Lock()
	defer s.encMu.Unlock()
	var e encoded
	fenced := b.Tokens != nil
	writer := b.Collector
	if writer == "" {
		writer = s.opts.Collector
	}
	tok := func(target string) (uint64, bool) {
		if !fenced {
			return 0, true
		}
		t, ok := b.Tokens[target]
		return t, ok
	}
	newOp := func(target string, event bool, n int) *op {
		t, ok := tok(target)
		if !ok {
			e.missing = append(e.missing, Refusal{Target: target, Writer: writer, Objects: n, Event: event, Reason: "no lease held"})
			return nil
		}
		o := s.ops.get()
		o.target, o.fence, o.token, o.fenced, o.event, o.n = target, s.kc.fence(target), t, fenced, event, n
		if fenced {
			o.tok = utoa(t)
		}
		e.ops = append(e.ops, o)
		return o
	}
	now := s.opts.Now()

	maxLen := itoa(s.opts.HistoryLen)

	// Interfaces grouped by device, in first-seen order.
	devs, byDev := groupBy(b.Interfaces, func(ifc *telemetry.InterfaceState) string { return ifc.Device })
	ifaceHist := s.opts.HistoryLen > 0 && !s.opts.NoInterfaceHistory
	for k, dev := range devs {
		list := byDev[k]
		o := newOp(dev, false, len(list))
		if o == nil {
			continue
		}
		o.reserve(2+len(list), 4+2*len(list)+14+9*len(list), s.est.iface*len(list)+64, s.est.ifacePack*len(list)+64)
		at := o.hset(s.kc.ifaces(dev), s.keys.DeviceIndex(), dev, len(list))
		b0, p0 := len(o.buf), len(o.pack)
		ents := s.entScratch[:0]
		for i := range list {
			fe := s.fc.entry(dev, list[i].Interface)
			ents = append(ents, fe)
			o.packStr(list[i].Interface)
			o.packDone(interfaceJSONEntry(o.packIn(), fe, &list[i]))
		}
		o.packEnd(at)
		if ifaceHist {
			at := o.xaddTemplate(maxLen, len(list), "ts", "oper", "in_bps", "out_bps",
				"errors_per_sec", "discards_per_sec", "rx_dbm", "tx_dbm")
			for i := range list {
				ifc := &list[i]
				n := 6
				if ifc.HasOptics {
					n = 8
				}
				fe := ents[i]
				if fe.histKey == "" {
					fe.histKey = s.keys.IfaceHistory(dev, ifc.Interface)
				}
				o.xaddEntry(fe.histKey, n)
				o.packStr(o.itoa(ifc.Updated.UnixMilli()), ifc.Oper, o.ftoaMemo(ifc.InBps, &fe.in), o.ftoaMemo(ifc.OutBps, &fe.out),
					o.ftoa(ifc.ErrorsPerSec), o.ftoa(ifc.DiscardsPerSec))
				if ifc.HasOptics {
					o.packStr(o.ftoa(ifc.RxDBm), o.ftoa(ifc.TxDBm))
				}
			}
			o.packEnd(at)
		}
		clear(ents)
		s.entScratch = ents[:0]
		s.est.iface = (len(o.buf)-b0)/len(list) + 16
		s.est.ifacePack = (len(o.pack)-p0)/len(list) + 16
		o.finish()
	}

	for _, th := range b.Targets {
		if !s.targetDue(&th, now) {
			continue
		}
		o := newOp(th.Name, false, 1)
		if o == nil {
			continue
		}
		s.targetWritten(&th, now)
		at := o.hset(s.keys.Target(th.Name), s.keys.TargetIndex(), th.Name, 5)
		o.packStr("json", mustJSON(th), "connected", boolStr(th.Connected),
			"updated", now.UTC().Format(time.RFC3339Nano), "writer", writer, "token", utoa(o.token))
		o.packEnd(at)
		o.finish()
	}

	if s.opts.UpdatesLen > 0 {
		targets, byT := groupBy(b.Updates, func(u *telemetry.Update) string { return u.Target })
		for k, t := range targets {
			list := byT[k]
			o := newOp(t, false, len(list))
			if o == nil {
				continue
			}
			for _, u := range list {
				o.cmd("XADD", []string{s.keys.Updates(t)}, "MAXLEN", "~", itoa(s.opts.UpdatesLen), "*", "u", mustJSON(u))
			}
			o.finish()
		}
	}

	// Links, a chunk of them per script call.
	for i := 0; i < len(b.Links); i += linkChunk {
		chunk := b.Links[i:min(i+linkChunk, len(b.Links))]
		o := newOp(EngineLease, false, len(chunk))
		if o == nil {
			continue
		}
		s.encodeLinks(o, chunk, writer, maxLen)
		o.finish()
	}

	// Events: one op per fence, in the batch's order within it.
	minID := itoa(now.Add(-s.opts.EventRetention).UnixMilli())
	type evGroup struct {
		o    *op
		miss int // index in e.missing when the lease is not held
	}
	evOps := map[string]evGroup{}
	evOp := func(fence string) *op {
		if g, ok := evOps[fence]; ok {
			if g.o == nil {
				e.missing[g.miss].Objects++
			}
			return g.o
		}
		o := newOp(fence, true, 0)
		g := evGroup{o: o, miss: len(e.missing) - 1}
		if o == nil {
			e.missing[g.miss].Objects = 1
		}
		evOps[fence] = g
		return o
	}
	for _, c := range b.Changes {
		fence := EngineLease
		if dev := telemetry.ChangeDevice(c); dev != "" {
			fence = dev
		}
		if !fenced {
			fence = ""
		}
		o := evOp(fence)
		if o == nil {
			continue
		}
		o.n++
		js := mustJSON(c)
		o.cmd("XADD", []string{s.keys.Changes()}, "MINID", "~", minID, "*",
			"kind", c.ObjectKind, "object", c.Object, "from", c.From, "to", c.To, "json", js)
		o.cmd("PUBLISH", []string{s.keys.Events()}, `{"type":"change","change":`+js+`}`)
	}
	for _, a := range b.Alarms {
		fence := EngineLease
		if !fenced {
			fence = ""
		}
		o := evOp(fence)
		if o == nil {
			continue
		}
		o.n++
		js := mustJSON(a)
		o.cmd("HSET", []string{s.keys.Alarm(a.ID)}, "json", js, "state", string(a.State),
			"severity", string(a.Severity), "updated", a.Updated.UTC().Format(time.RFC3339Nano), "writer", writer)
		o.cmd("ZADD", []string{s.keys.AlarmIndex()}, itoa(a.Updated.UnixMilli()), a.ID)
		if a.State == telemetry.AlarmActive {
			o.cmd("SADD", []string{s.keys.ActiveAlarms()}, a.ID)
			o.cmd("PERSIST", []string{s.keys.Alarm(a.ID)})
		} else {
			o.cmd("SREM", []string{s.keys.ActiveAlarms()}, a.ID)
			if s.opts.ClearedRetention > 0 {
				o.cmd("EXPIRE", []string{s.keys.Alarm(a.ID)}, itoa(int64(s.opts.ClearedRetention/time.Second)))
			}
		}
		o.cmd("XADD", []string{s.keys.AlarmLog()}, "MINID", "~", minID, "*",
			"id", a.ID, "state", string(a.State), "severity", string(a.Severity), "json", js)
		o.cmd("PUBLISH", []string{s.keys.Events()}, `{"type":"alarm","alarm":`+js+`}`)
	}
	for _, o := range e.ops {
		if o.event {
			o.finish()
		}
	}
	return e
}

// targetDue says whether a target's health is to be written: at once
// when what a NOC reads as its state moved (connected, since,
// reconnects, last error, gaps, holder, first data), otherwise at most
// every TargetEvery. The collector hands every target's health over at
// every flush (a second): written each time, they were most of the
// sink's script calls at 10 s sampling (200 targets, 20 device samples a
// second), for counters and a rate that a second does not change much.
func (s *Sink) targetDue(th *telemetry.TargetHealth, now time.Time) bool {
	if s.opts.TargetEvery < 0 {
		return true
	}
	w, ok := s.targets[th.Name]
	return !ok || w.state != targetState(th) || now.Sub(w.at) >= s.opts.TargetEvery || now.Before(w.at)
}

func (s *Sink) targetWritten(th *telemetry.TargetHealth, now time.Time) {
	if s.opts.TargetEvery < 0 {
		return
	}
	if s.targets == nil || len(s.targets) >= maxCachedKeys {
		s.targets = map[string]targetWrite{}
	}
	s.targets[th.Name] = targetWrite{state: targetState(th), at: now}
}

// targetWrite is what the sink last wrote of a target, and when.
type targetWrite struct {
	state targetFields
	at    time.Time
}

// targetFields are the parts of a TargetHealth written as soon as they
// change.
type targetFields struct {
	address, lastError, collector string
	connected, hasData            bool
	since                         int64
	reconnects, gaps              uint64
}

func targetState(th *telemetry.TargetHealth) targetFields {
	return targetFields{address: th.Address, lastError: th.LastError, collector: th.Collector,
		connected: th.Connected, hasData: !th.LastUpdate.IsZero(), since: th.Since.UnixNano(),
		reconnects: th.Reconnects, gaps: th.Gaps}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only NaN/Inf floats can fail here; they are a collector bug.
		return fmt.Sprintf(`{"error":%q}`, strings.ReplaceAll(err.Error(), `"`, `'`))
	}
	return string(b)
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// linkChunk links go in one script call: big enough for few round trips,
// small enough that one call does not hold Redis for long.
const linkChunk = 64

// linkFields are the fields of a link's hash that vary from link to link.
var linkFields = []string{"json", "oper", "utilization", "margin_db", "updated"}

// encodeLinks adds the writes of a chunk of links to o: their hashes,
// then their history entries.
func (s *Sink) encodeLinks(o *op, chunk []telemetry.LinkState, writer, maxLen string) {
	hist := s.opts.HistoryLen > 0
	tok := utoa(o.token)
	o.reserve(1+2*len(chunk), 14+6*len(chunk)+14+10*len(chunk), s.est.link*len(chunk)+64, s.est.linkPack*len(chunk)+64)
	b0, p0 := len(o.buf), len(o.pack)
	util, les := s.utilScratch[:0], s.linkScratch[:0]
	// The writer and its token are the chunk's, the same in every hash.
	at := o.hsetTemplate(s.keys.LinkIndex(), len(chunk), linkFields, "writer", writer, "token", tok)
	for i := range chunk {
		l := &chunk[i]
		le := s.fc.link(l.ID)
		les = append(les, le)
		if le.key == "" {
			le.key, le.histKey = s.keys.Link(l.ID), s.keys.LinkHistory(l.ID)
		}
		o.hsetEntry(le.key, len(linkFields))
		u := o.ftoa(l.Utilization)
		util = append(util, u)
		n := len(o.buf)
		o.buf = l.Updated.UTC().AppendFormat(o.buf, time.RFC3339Nano)
		updated := o.view(n)
		o.packStr(l.ID)
		o.packDone(linkJSONEntry(o.packIn(), le, l))
		o.packStr(l.Oper, u, o.ftoaMemo(l.MarginDB, &le.margin), updated)
	}
	o.packEnd(at)
	if hist {
		at := o.xaddTemplate(maxLen, len(chunk), "ts", "oper", "utilization", "a_in_bps", "a_out_bps",
			"rx_dbm", "margin_db", "drift_db")
		for i := range chunk {
			l := &chunk[i]
			n := 5
			if l.HasRx {
				n = 8
			}
			le := les[i]
			o.xaddEntry(le.histKey, n)
			// The A end's rates are its interface's, just formatted for
			// its own history when its device sent them.
			fe := le.aEntry(&s.fc, &l.A)
			o.packStr(o.itoa(l.Updated.UnixMilli()), l.Oper, util[i], o.ftoaMemo(l.A.InBps, &fe.in), o.ftoaMemo(l.A.OutBps, &fe.out))
			if l.HasRx {
				o.packStr(o.ftoaMemo(l.MeasuredRxDBm, &le.measured), o.ftoaMemo(l.MarginDB, &le.margin), o.ftoaMemo(l.DriftDB, &le.drift))
			}
		}
		o.packEnd(at)
	}
	clear(util)
	clear(les)
	s.utilScratch, s.linkScratch = util[:0], les[:0]
	s.est.link = (len(o.buf)-b0)/len(chunk) + 16
	s.est.linkPack = (len(o.pack)-p0)/len(chunk) + 16
}

// groupBy groups items by key, with the keys in first-seen order so that
// writes keep the batch's order. The engine hands a batch's interfaces
// over device by device: each run of one key is then a sub-slice of
// items, nothing copied; a key seen again after its run makes copies.
func groupBy[T any](items []T, key func(*T) string) ([]string, [][]T) {
	var keys []string
	var runs [][]T
	start := 0
	for i := range items {
		if i > 0 && key(&items[i]) == key(&items[i-1]) {
			continue
		}
		if i > 0 {
			runs = append(runs, items[start:i:i])
		}
		keys = append(keys, key(&items[i]))
		start = i
	}
	if len(items) > 0 {
		runs = append(runs, items[start:len(items):len(items)])
	}
	if len(keys) <= 1 {
		return keys, runs
	}
	idx := make(map[string]int, len(keys))
	merged := false
	for i, k := range keys {
		if j, ok := idx[k]; ok {
			runs[j] = append(runs[j], runs[i]...) // capped: copies
			runs[i] = nil
			merged = true
			continue
		}
		idx[k] = i
	}
	if !merged {
		return keys, runs
	}
	var ks []string
	var rs [][]T
	for i, r := range runs {
		if r != nil {
			ks, rs = append(ks, keys[i]), append(rs, r)
		}
	}
	return ks, rs
}

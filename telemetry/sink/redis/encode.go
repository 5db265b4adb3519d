package redis

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unsafe"

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
	var e encoded
	var js []byte // reused by the state appenders
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
		o := &op{target: target, token: t, fenced: fenced, event: event, n: n}
		e.ops = append(e.ops, o)
		return o
	}
	now := s.opts.Now()

	maxLen := itoa(s.opts.HistoryLen)

	// Interfaces grouped by device, in first-seen order.
	devs, byDev := groupBy(b.Interfaces, func(ifc telemetry.InterfaceState) string { return ifc.Device })
	for _, dev := range devs {
		list := byDev[dev]
		o := newOp(dev, false, len(list))
		if o == nil {
			continue
		}
		o.reserve(len(list)+3, 26*len(list)+8)
		o.nums = make([]byte, 0, 96*len(list))
		hset := make([]string, 0, 2*len(list))
		for _, ifc := range list {
			js = interfaceJSON(js, &ifc)
			hset = append(hset, ifc.Interface, string(js))
		}
		o.cmd("HSET", []string{s.keys.Interfaces(dev)}, hset...)
		o.cmd("SADD", []string{s.keys.DeviceIndex()}, dev)
		if s.opts.HistoryLen > 0 && !s.opts.NoInterfaceHistory {
			for _, ifc := range list {
				f := [...]string{"MAXLEN", "~", maxLen, "*",
					"ts", o.itoa(ifc.Updated.UnixMilli()), "oper", ifc.Oper,
					"in_bps", o.ftoa(ifc.InBps), "out_bps", o.ftoa(ifc.OutBps),
					"errors_per_sec", o.ftoa(ifc.ErrorsPerSec), "discards_per_sec", o.ftoa(ifc.DiscardsPerSec),
					"rx_dbm", "", "tx_dbm", ""}
				n := len(f) - 4
				if ifc.HasOptics {
					f[n+1], f[n+3] = o.ftoa(ifc.RxDBm), o.ftoa(ifc.TxDBm)
					n = len(f)
				}
				o.cmd("XADD", []string{s.keys.IfaceHistory(dev, ifc.Interface)}, f[:n]...)
			}
		}
		o.finish()
	}

	for _, th := range b.Targets {
		o := newOp(th.Name, false, 1)
		if o == nil {
			continue
		}
		o.cmd("HSET", []string{s.keys.Target(th.Name)}, "json", mustJSON(th),
			"connected", boolStr(th.Connected), "updated", now.UTC().Format(time.RFC3339Nano),
			"writer", writer, "token", utoa(o.token))
		o.cmd("SADD", []string{s.keys.TargetIndex()}, th.Name)
		o.finish()
	}

	if s.opts.UpdatesLen > 0 {
		targets, byT := groupBy(b.Updates, func(u telemetry.Update) string { return u.Target })
		for _, t := range targets {
			list := byT[t]
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
		o.reserve(3*len(chunk), 48*len(chunk))
		o.nums = make([]byte, 0, 160*len(chunk))
		for i := range chunk {
			js = s.encodeLink(o, &chunk[i], writer, maxLen, js)
		}
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

// encodeLink adds a link's writes to o; js is the JSON buffer to reuse
// (returned grown).
func (s *Sink) encodeLink(o *op, l *telemetry.LinkState, writer, maxLen string, js []byte) []byte {
	js = linkJSON(js, l)
	n := len(o.nums)
	o.nums = l.Updated.UTC().AppendFormat(o.nums, time.RFC3339Nano)
	updated := unsafe.String(&o.nums[n], len(o.nums)-n)
	util := o.ftoa(l.Utilization)
	o.cmd("HSET", []string{s.keys.Link(l.ID)}, "json", string(js), "oper", l.Oper,
		"utilization", util, "margin_db", o.ftoa(l.MarginDB),
		"updated", updated, "writer", writer, "token", utoa(o.token))
	o.cmd("SADD", []string{s.keys.LinkIndex()}, l.ID)
	if s.opts.HistoryLen > 0 {
		f := [...]string{"MAXLEN", "~", maxLen, "*",
			"ts", o.itoa(l.Updated.UnixMilli()), "oper", l.Oper, "utilization", util,
			"a_in_bps", o.ftoa(l.A.InBps), "a_out_bps", o.ftoa(l.A.OutBps),
			"rx_dbm", "", "margin_db", "", "drift_db", ""}
		k := len(f) - 6
		if l.HasRx {
			f[k+1], f[k+3], f[k+5] = o.ftoa(l.MeasuredRxDBm), o.ftoa(l.MarginDB), o.ftoa(l.DriftDB)
			k = len(f)
		}
		o.cmd("XADD", []string{s.keys.LinkHistory(l.ID)}, f[:k]...)
	}
	return js
}

// groupBy groups items by key, with the keys in first-seen order so that
// writes keep the batch's order.
func groupBy[T any](items []T, key func(T) string) ([]string, map[string][]T) {
	var keys []string
	by := map[string][]T{}
	for _, it := range items {
		k := key(it)
		if _, ok := by[k]; !ok {
			keys = append(keys, k)
		}
		by[k] = append(by[k], it)
	}
	return keys, by
}

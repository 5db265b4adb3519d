package telemetry

import (
	"strconv"
	"strings"
	"time"

	"github.com/openconfig/gnmi/proto/gnmi"
)

// Leaf names an Update carries (the YANG leaf below the object's state
// container, or below state/counters), so the engine and the sinks match
// constants rather than strings read from the wire.
const (
	LeafInOctets     = "in-octets"
	LeafOutOctets    = "out-octets"
	LeafInErrors     = "in-errors"
	LeafOutErrors    = "out-errors"
	LeafInDiscards   = "in-discards"
	LeafOutDiscards  = "out-discards"
	LeafOperStatus   = "oper-status"
	LeafInputPower   = "input-power/instant"
	LeafOutputPower  = "output-power/instant"
	LeafSessionState = "session-state"
)

// Decoder turns one target's notifications into Updates. It is cheap on
// the hot path: paths are matched element by element where they lie in
// the message (prefix, then update path), values read without reflection,
// and strings the engine keys on are the constants above. A Decoder
// belongs to one stream; it is not safe for concurrent use.
type Decoder struct {
	target string
	// comp maps a transceiver component to the interface it serves, as the
	// device says at interfaces/interface/state/transceiver; a component
	// named as a monitored interface serves it (the lab names them so).
	comp   map[string]string
	optics map[string]bool
	// Skipped counts leaves that matched no monitored path or whose value
	// could not be read: the target sent something the plan did not ask.
	Skipped uint64

	w     wireState // Wire's scratch
	views bool      // decoding with Wire: strings are views (keep)
}

// NewDecoder returns the decoder of target t's stream.
func NewDecoder(t Target) *Decoder {
	d := &Decoder{target: t.Name, comp: map[string]string{}, optics: map[string]bool{}}
	for _, i := range t.Optics {
		d.optics[i] = true
	}
	return d
}

// Response decodes one SubscribeResponse, appending its updates to out;
// sync reports a sync_response (the initial snapshot is complete).
func (d *Decoder) Response(r *gnmi.SubscribeResponse, received time.Time, out []Update) (_ []Update, sync bool) {
	switch x := r.GetResponse().(type) {
	case *gnmi.SubscribeResponse_Update:
		return d.Notification(x.Update, received, out), false
	case *gnmi.SubscribeResponse_SyncResponse:
		return out, x.SyncResponse
	}
	return out, false
}

// Notification decodes one notification's updates and deletes. Aliases
// are ignored (the collector never asks for them).
func (d *Decoder) Notification(n *gnmi.Notification, received time.Time, out []Update) []Update {
	if n == nil {
		return out
	}
	ts := received
	if n.GetTimestamp() > 0 {
		ts = time.Unix(0, n.GetTimestamp())
	}
	prefix := elems(n.GetPrefix())
	for _, u := range n.GetUpdate() {
		p := pathView{a: prefix, b: elems(u.GetPath())}
		tv := u.GetVal()
		if tv == nil {
			d.Skipped++
			continue
		}
		if j := jsonBytes(tv); j != nil && isObject(j) {
			out = d.tree(p, j, ts, received, out)
			continue
		}
		out = d.leaf(p, scalarOf(tv), ts, received, out)
	}
	for _, del := range n.GetDelete() {
		out = d.deleted(pathView{a: prefix, b: elems(del)}, ts, received, out)
	}
	return out
}

// elems returns a path's elements, reading the deprecated string form
// when the structured one is empty.
func elems(p *gnmi.Path) []*gnmi.PathElem {
	if p == nil {
		return nil
	}
	if len(p.Elem) == 0 && len(p.Element) > 0 {
		return elemsOf(p.Element)
	}
	return p.Elem
}

// pathView is a prefix and a path seen as one path, without copying: a
// message's PathElems, or (wire) the elements Wire read.
type pathView struct {
	a, b   []*gnmi.PathElem
	wire   bool
	wa, wb []wireElem
}

func (v pathView) len() int { return len(v.a) + len(v.b) + len(v.wa) + len(v.wb) }

func (v pathView) wat(i int) *wireElem {
	if i < len(v.wa) {
		return &v.wa[i]
	}
	return &v.wb[i-len(v.wa)]
}

func (v pathView) at(i int) *gnmi.PathElem {
	if i < len(v.a) {
		return v.a[i]
	}
	return v.b[i-len(v.a)]
}

func (v pathView) name(i int) string {
	if v.wire {
		return local(v.wat(i).name)
	}
	return local(v.at(i).GetName())
}

func (v pathView) key(i int, k string) string {
	if v.wire {
		val := ""
		for _, kv := range v.wat(i).kvs {
			if kv.k == k {
				val = kv.v // a map entry given twice: the last wins
			}
		}
		return val
	}
	return v.at(i).GetKey()[k]
}

// local drops a module qualifier: openconfig-interfaces:interfaces.
func local(s string) string {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// ref is what a path names.
type ref struct {
	class   PathClass
	key     string // interface, component or neighbor
	channel int
	leaf    string
	mapping bool // interface state/transceiver: which component serves it
	object  bool // the object itself (a list entry), for deletes
}

// classify matches the monitored paths.
func classify(p pathView) (ref, bool) {
	n := p.len()
	if n < 2 {
		return ref{}, false
	}
	switch p.name(0) {
	case "interfaces":
		if p.name(1) != "interface" {
			return ref{}, false
		}
		r := ref{key: p.key(1, "name")}
		if r.key == "" {
			return ref{}, false
		}
		switch {
		case n == 2:
			r.class, r.leaf, r.object = ClassOper, LeafOperStatus, true
			return r, true
		case n < 4 || p.name(2) != "state":
			return ref{}, false
		case n == 4 && p.name(3) == "oper-status":
			r.class, r.leaf = ClassOper, LeafOperStatus
			return r, true
		case n == 4 && p.name(3) == "transceiver":
			r.class, r.mapping = ClassOptics, true
			return r, true
		case n == 5 && p.name(3) == "counters":
			r.class, r.leaf = ClassCounters, counterLeaf(p.name(4))
			return r, true
		}
	case "components":
		if p.name(1) != "component" {
			return ref{}, false
		}
		r := ref{class: ClassOptics, key: p.key(1, "name")}
		if r.key == "" {
			return ref{}, false
		}
		if n == 2 {
			r.object = true
			return r, true
		}
		if n != 8 || p.name(2) != "transceiver" || p.name(3) != "physical-channels" || p.name(4) != "channel" ||
			p.name(5) != "state" || p.name(7) != "instant" {
			return ref{}, false
		}
		ch, err := strconv.Atoi(p.key(4, "index"))
		if err != nil {
			return ref{}, false
		}
		r.channel = ch
		switch p.name(6) {
		case "input-power":
			r.leaf = LeafInputPower
		case "output-power":
			r.leaf = LeafOutputPower
		default:
			return ref{}, false
		}
		return r, true
	case "network-instances":
		if n < 7 || p.name(1) != "network-instance" || p.name(2) != "protocols" || p.name(3) != "protocol" ||
			p.name(4) != "bgp" || p.name(5) != "neighbors" || p.name(6) != "neighbor" {
			return ref{}, false
		}
		r := ref{class: ClassBGP, key: p.key(6, "neighbor-address"), leaf: LeafSessionState}
		if r.key == "" {
			return ref{}, false
		}
		switch {
		case n == 7:
			r.object = true
			return r, true
		case n == 9 && p.name(7) == "state" && p.name(8) == "session-state":
			return r, true
		}
	}
	return ref{}, false
}

// counterLeaf returns the constant for the counters the engine reads, so
// that Updates share one string rather than one per message.
func counterLeaf(s string) string {
	switch s {
	case LeafInOctets:
		return LeafInOctets
	case LeafOutOctets:
		return LeafOutOctets
	case LeafInErrors:
		return LeafInErrors
	case LeafOutErrors:
		return LeafOutErrors
	case LeafInDiscards:
		return LeafInDiscards
	case LeafOutDiscards:
		return LeafOutDiscards
	}
	return s
}

// leaf decodes one leaf update.
func (d *Decoder) leaf(p pathView, v scalar, ts, received time.Time, out []Update) []Update {
	r, ok := classify(p)
	return d.leafRef(r, ok, false, v, ts, received, out)
}

// leafRef is leaf once the path is classified; kept says r's strings are
// already the decoder's own (Wire's path table).
func (d *Decoder) leafRef(r ref, ok, kept bool, v scalar, ts, received time.Time, out []Update) []Update {
	if !ok || r.object || v.kind == kindNone {
		d.Skipped++
		return out
	}
	u := Update{Target: d.target, Class: r.class, Key: r.key, Leaf: r.leaf, Timestamp: ts, Received: received}
	switch {
	case r.mapping:
		if v.kind != kindString || v.s == "" {
			d.Skipped++
			return out
		}
		d.comp[d.keep(v.s)] = d.keep(r.key)
		return out
	case r.class == ClassCounters:
		n, ok := v.uint()
		if !ok {
			d.Skipped++
			return out
		}
		u.Uint = n
	case r.class == ClassOptics:
		f, ok := v.float()
		if !ok {
			d.Skipped++
			return out
		}
		iface, ok := d.iface(r.key)
		if !ok {
			d.Skipped++
			return out
		}
		u.Key, u.Component, u.Channel, u.Float = iface, r.key, r.channel, f
	default: // oper-status, session-state: enumerations
		if v.kind != kindString {
			d.Skipped++
			return out
		}
		u.Str = local(v.s)
	}
	if kept {
		u.Str = d.keep(u.Str) // the rest is the table's or d.comp's
	} else {
		d.keepUpdate(&u)
	}
	return append(out, u)
}

// keepUpdate makes the strings of u its own (Wire's are views).
func (d *Decoder) keepUpdate(u *Update) {
	if d.views {
		u.Key, u.Component, u.Leaf, u.Str = d.keep(u.Key), d.keep(u.Component), d.keep(u.Leaf), d.keep(u.Str)
	}
}

// iface resolves a transceiver component to the monitored interface.
func (d *Decoder) iface(comp string) (string, bool) {
	if i, ok := d.comp[comp]; ok {
		return i, d.optics[i]
	}
	return comp, d.optics[comp]
}

// deleted turns a delete into Updates marked Deleted: the leaf's (or the
// whole object's) state is unknown from now on.
func (d *Decoder) deleted(p pathView, ts, received time.Time, out []Update) []Update {
	r, ok := classify(p)
	if !ok {
		d.Skipped++
		return out
	}
	u := Update{Target: d.target, Class: r.class, Key: r.key, Leaf: r.leaf, Timestamp: ts, Received: received, Deleted: true}
	switch {
	case r.mapping:
		for c, i := range d.comp {
			if i == r.key {
				delete(d.comp, c)
			}
		}
		return out
	case r.class == ClassOptics:
		iface, ok := d.iface(r.key)
		if !ok {
			return out
		}
		u.Key, u.Component, u.Channel = iface, r.key, r.channel
		if r.object {
			u.Leaf = ""
		}
	case r.class == ClassCounters:
		// A counter deleted alone says nothing the next sample will not.
		return out
	}
	d.keepUpdate(&u)
	return append(out, u)
}

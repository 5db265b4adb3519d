package telemetry

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
)

// The wire decoder reads a SubscribeResponse straight from its protobuf
// bytes, without building the gnmi message: proto.Unmarshal of a
// 48-interface sample builds a map and a dozen objects per leaf, which was
// more than half of the collector's CPU per update (BenchmarkPipeline).
// It covers what targets send on the hot path (structured paths, scalar
// values, deletes); anything else (the deprecated string path elements,
// JSON subtrees, leaf-lists, errors, extensions, a malformed or
// non-UTF-8 message) it declines, and the caller decodes the message with
// proto.Unmarshal and Response as before: the results are the same
// (TestWireMatchesProto, FuzzWire).
//
// Strings read from the message are views into its bytes, valid until the
// next message: the ones an Update keeps are interned (keep).

// wireElem is a path element as read from the message.
type wireElem struct {
	name string
	kvs  []wireKV
}

type wireKV struct{ k, v string }

// wireState is the decoder's reusable scratch for one message.
type wireState struct {
	prefix, path []wireElem
	pkv, ukv     []wireKV
	strs         map[string]string // interned strings that Updates keep
	// refs is what each path names (classify), by the bytes of the
	// notification's prefix, then of the update's path: a target sends
	// the same few hundred paths at every sample, and reading them again
	// (elements, keys, UTF-8 checks, classify, interning) was half of
	// the decoder's time. cur is the current prefix's table, pos the
	// current update's place in its notification.
	refs  map[string]*refTable
	cur   *refTable
	pos   int
	nrefs int
	// first is the current notification's first entry (its order), slots
	// the places of every order.
	first *refEntry
	slots int
}

// cachedRef is a path's classify result, its strings the decoder's own.
type cachedRef struct {
	r  ref
	ok bool
}

// refTable is what the paths under one prefix name. A target sends its
// paths in the same order at every sample, one notification per
// subscription (counters, optics, oper-status under the same prefix):
// each notification's first path keeps the order of the last
// notification it began, and an update whose path is the one at its place
// there is found by comparing its bytes, without hashing them for the map
// (the look-up was a third of BenchmarkPipeline/wire). One order per
// prefix, as it was, was overwritten by each subscription's notification
// in turn and missed at every update of the next.
type refTable struct {
	m map[string]*refEntry
	// firsts are the latest notifications' first entries, newest first:
	// the look-up of a notification's first path.
	firsts [maxFirsts]*refEntry
}

// maxFirsts is how many notification orders a table tries before its
// map: a device's subscriptions.
const maxFirsts = 4

type refEntry struct {
	path string
	c    cachedRef
	// ord is the order of the last notification this entry began (ord[0]
	// is the entry): never longer than its table, and all the decoder's
	// orders together within maxOrderSlots.
	ord []*refEntry
}

// maxCachedRefs bounds the paths (and prefixes) remembered: past it,
// the tables start again (a target naming new objects forever).
const maxCachedRefs = 1 << 14

// maxOrderSlots bounds the places of all a decoder's orders: a target
// beginning its notifications with ever new paths cannot grow them
// without bound.
const maxOrderSlots = 4 * maxCachedRefs

// refTable is the path table for a notification's prefix bytes.
func (d *Decoder) refTable(prefix []byte) *refTable {
	if t, ok := d.w.refs[string(prefix)]; ok {
		return t
	}
	if d.w.refs == nil || d.w.nrefs >= maxCachedRefs {
		d.w.refs, d.w.nrefs, d.w.slots = map[string]*refTable{}, 0, 0
	}
	t := &refTable{m: map[string]*refEntry{}}
	d.w.refs[string(prefix)] = t
	d.w.nrefs++
	return t
}

// lookRef finds the path's entry in the current table: the first of a
// notification among the latest firsts, the others at their place in the
// order the first began; nil when the path is new.
func (d *Decoder) lookRef(path []byte) *refEntry {
	t, i := d.w.cur, d.w.pos
	if i == 0 {
		for _, f := range t.firsts {
			if f != nil && f.path == string(path) {
				d.begin(f)
				return f
			}
		}
		e := t.m[string(path)]
		if e != nil {
			d.begin(e)
		} else {
			d.w.first = nil // rememberRef begins the new one
		}
		return e
	}
	if f := d.w.first; f != nil && i < len(f.ord) && f.ord[i] != nil && f.ord[i].path == string(path) {
		return f.ord[i]
	}
	e := t.m[string(path)]
	if e != nil {
		d.place(i, e)
	}
	return e
}

// begin makes e the current notification's first entry and the newest of
// its table's firsts.
func (d *Decoder) begin(e *refEntry) {
	d.w.first = e
	t := &d.w.cur.firsts
	if t[0] == e {
		return
	}
	j := len(t) - 1
	for k, f := range t {
		if f == e {
			j = k
			break
		}
	}
	copy(t[1:j+1], t[:j])
	t[0] = e
	if len(e.ord) == 0 && d.w.slots < maxOrderSlots {
		e.ord = append(e.ord, e)
		d.w.slots++
	}
}

// place records e as the path at place i of the current notification's
// order. An order is never longer than its table (a notification naming
// a path twice leaves its tail to the map).
func (d *Decoder) place(i int, e *refEntry) {
	f := d.w.first
	switch {
	case f == nil:
	case i < len(f.ord):
		f.ord[i] = e
	case i == len(f.ord) && i < len(d.w.cur.m) && d.w.slots < maxOrderSlots:
		f.ord = append(f.ord, e)
		d.w.slots++
	}
}

// rememberRef adds a path's ref to the current prefix's table.
func (d *Decoder) rememberRef(path []byte, c cachedRef) {
	if d.w.nrefs >= maxCachedRefs {
		for _, t := range d.w.refs {
			clear(t.m)
			clear(t.firsts[:])
		}
		d.w.nrefs, d.w.slots, d.w.first = len(d.w.refs), 0, nil
	}
	e := &refEntry{path: string(path), c: c}
	d.w.cur.m[e.path] = e
	if d.w.pos == 0 {
		d.begin(e)
	} else {
		d.place(d.w.pos, e)
	}
	d.w.nrefs++
}

// maxInterned bounds the interned strings: a target naming new objects
// forever starts a new table rather than growing memory.
const maxInterned = 1 << 16

// keep returns s safe to keep beyond the current message. Outside the
// wire decoder strings are the message's own and kept as they are.
func (d *Decoder) keep(s string) string {
	if !d.views || s == "" {
		return s // "": most updates have no component or string value
	}
	if v, ok := d.w.strs[s]; ok {
		return v
	}
	if d.w.strs == nil || len(d.w.strs) >= maxInterned {
		d.w.strs = make(map[string]string, 256)
	}
	c := strings.Clone(s)
	d.w.strs[c] = c
	return c
}

// Wire decodes one SubscribeResponse from its protobuf encoding,
// appending its updates to out. ok false: the message is not one the wire
// decoder reads; out and the decoder are then as before the call, and
// the caller decodes the message with proto.Unmarshal and Response.
func (d *Decoder) Wire(b []byte, received time.Time, out []Update) (_ []Update, sync, ok bool) {
	n0, skipped := len(out), d.Skipped
	d.views = true
	out, sync, ok = d.wire(b, received, out)
	d.views = false
	if !ok {
		clear(out[n0:])
		out, d.Skipped = out[:n0], skipped
		return out, false, false
	}
	return out, sync, true
}

func (d *Decoder) wire(b []byte, received time.Time, out []Update) (_ []Update, sync, ok bool) {
	var notif []byte
	seen := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return out, false, false
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType: // update
			v, n := protowire.ConsumeBytes(b)
			if n < 0 || notif != nil {
				return out, false, false // a repeated message field merges: not ours to read
			}
			notif, b = v, b[n:]
			seen++
			sync = false
		case num == 3 && typ == protowire.VarintType: // sync_response
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return out, false, false
			}
			b = b[n:]
			sync, notif = v != 0, nil
			seen++
		case num == 1 || num == 3 || num == 4 || num == 5:
			// error (deprecated), extension, or a known field with an
			// unexpected wire type.
			return out, false, false
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return out, false, false
			}
			b = b[n:]
		}
	}
	if seen > 1 {
		return out, false, false // oneof set twice: last wins, with merge rules
	}
	if notif == nil {
		return out, sync, true
	}
	out, ok = d.wireNotification(notif, received, out)
	return out, false, ok
}

func (d *Decoder) wireNotification(b []byte, received time.Time, out []Update) (_ []Update, ok bool) {
	// First pass: the timestamp and the prefix, wherever they are.
	ts := received
	var prefix []byte
	hasPrefix, deletes := false, false
	for r := b; len(r) > 0; {
		num, typ, n := protowire.ConsumeTag(r)
		if n < 0 {
			return out, false
		}
		r = r[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(r)
			if n < 0 {
				return out, false
			}
			r = r[n:]
			if int64(v) > 0 {
				ts = time.Unix(0, int64(v))
			} else {
				ts = received
			}
		case num == 2 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(r)
			if n < 0 || hasPrefix {
				return out, false
			}
			prefix, hasPrefix, r = v, true, r[n:]
		case num == 3 && typ == protowire.BytesType: // alias
			v, n := protowire.ConsumeBytes(r)
			if n < 0 || !utf8.Valid(v) {
				return out, false
			}
			r = r[n:]
		case num == 4 && typ == protowire.BytesType, num == 5 && typ == protowire.BytesType:
			n := protowire.ConsumeFieldValue(num, typ, r)
			if n < 0 {
				return out, false
			}
			deletes = deletes || num == 5
			r = r[n:]
		case num == 6 && typ == protowire.VarintType: // atomic
			_, n := protowire.ConsumeVarint(r)
			if n < 0 {
				return out, false
			}
			r = r[n:]
		case num >= 1 && num <= 6:
			return out, false
		default:
			n := protowire.ConsumeFieldValue(num, typ, r)
			if n < 0 {
				return out, false
			}
			r = r[n:]
		}
	}
	var okp bool
	d.w.prefix, d.w.pkv, okp = wirePath(prefix, d.w.prefix[:0], d.w.pkv[:0])
	if !okp {
		return out, false
	}
	d.w.cur, d.w.pos = d.refTable(prefix), 0
	// The updates, then the deletes, in their order (as Notification).
	for pass := 4; pass <= 5; pass++ {
		if pass == 5 && !deletes {
			break
		}
		for r := b; len(r) > 0; {
			num, typ, n := protowire.ConsumeTag(r)
			r = r[n:]
			n = protowire.ConsumeFieldValue(num, typ, r)
			v := r[:n]
			r = r[n:]
			if num != protowire.Number(pass) {
				continue
			}
			v, _ = protowire.ConsumeBytes(v)
			if pass == 5 {
				var okd bool
				d.w.path, d.w.ukv, okd = wirePath(v, d.w.path[:0], d.w.ukv[:0])
				if !okd {
					return out, false
				}
				out = d.deleted(pathView{wire: true, wa: d.w.prefix, wb: d.w.path}, ts, received, out)
				continue
			}
			if out, ok = d.wireUpdate(v, ts, received, out); !ok {
				return out, false
			}
		}
	}
	return out, true
}

func (d *Decoder) wireUpdate(b []byte, ts, received time.Time, out []Update) (_ []Update, ok bool) {
	var path, val []byte
	hasPath, hasVal := false, false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return out, false
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 || hasPath {
				return out, false
			}
			path, hasPath, b = v, true, b[n:]
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 || hasVal {
				return out, false
			}
			val, hasVal, b = v, true, b[n:]
		case num == 2 && typ == protowire.BytesType: // value (deprecated): not read
			_, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return out, false
			}
			b = b[n:]
		case num == 4 && typ == protowire.VarintType: // duplicates
			_, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return out, false
			}
			b = b[n:]
		case num >= 1 && num <= 4:
			return out, false
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return out, false
			}
			b = b[n:]
		}
	}
	var c *cachedRef
	if e := d.lookRef(path); e != nil {
		c = &e.c
	} else {
		var okp bool
		d.w.path, d.w.ukv, okp = wirePath(path, d.w.path[:0], d.w.ukv[:0])
		if !okp {
			return out, false
		}
		var nc cachedRef
		nc.r, nc.ok = classify(pathView{wire: true, wa: d.w.prefix, wb: d.w.path})
		// The ref's strings view the message: the table keeps copies.
		nc.r.key, nc.r.leaf = d.keep(nc.r.key), d.keep(nc.r.leaf)
		d.rememberRef(path, nc)
		c = &nc
	}
	d.w.pos++
	if !hasVal {
		d.Skipped++
		return out, true
	}
	v, okv := wireValue(val)
	if !okv {
		return out, false
	}
	return d.leafRef(c.r, c.ok, true, v, ts, received, out), true
}

// wirePath reads a Path's structured elements into elems (their keys
// into kvs). The deprecated string elements are declined.
func wirePath(b []byte, elems []wireElem, kvs []wireKV) (_ []wireElem, _ []wireKV, ok bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return elems, kvs, false
		}
		b = b[n:]
		switch {
		case (num == 2 || num == 4) && typ == protowire.BytesType: // origin, target
			v, n := protowire.ConsumeBytes(b)
			if n < 0 || !utf8.Valid(v) {
				return elems, kvs, false
			}
			b = b[n:]
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return elems, kvs, false
			}
			b = b[n:]
			e := wireElem{}
			start := len(kvs)
			for len(v) > 0 {
				num, typ, n := protowire.ConsumeTag(v)
				if n < 0 {
					return elems, kvs, false
				}
				v = v[n:]
				switch {
				case num == 1 && typ == protowire.BytesType:
					s, n := protowire.ConsumeBytes(v)
					if n < 0 || !utf8.Valid(s) {
						return elems, kvs, false
					}
					e.name, v = view(s), v[n:]
				case num == 2 && typ == protowire.BytesType:
					ent, n := protowire.ConsumeBytes(v)
					if n < 0 {
						return elems, kvs, false
					}
					v = v[n:]
					kv, ok := wireEntry(ent)
					if !ok {
						return elems, kvs, false
					}
					kvs = append(kvs, kv)
				case num == 1 || num == 2:
					return elems, kvs, false
				default:
					n := protowire.ConsumeFieldValue(num, typ, v)
					if n < 0 {
						return elems, kvs, false
					}
					v = v[n:]
				}
			}
			e.kvs = kvs[start:len(kvs):len(kvs)] // re-pointed below if kvs moves
			elems = append(elems, e)
		case num >= 1 && num <= 4: // element (deprecated strings), or a wire type mismatch
			return elems, kvs, false
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return elems, kvs, false
			}
			b = b[n:]
		}
	}
	// kvs may have moved as it grew: the elements point into the final one.
	off := 0
	for i := range elems {
		n := len(elems[i].kvs)
		elems[i].kvs = kvs[off : off+n : off+n]
		off += n
	}
	return elems, kvs, true
}

// wireEntry reads a map<string,string> entry (a path key).
func wireEntry(b []byte) (wireKV, bool) {
	var kv wireKV
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return kv, false
		}
		b = b[n:]
		switch {
		case (num == 1 || num == 2) && typ == protowire.BytesType:
			s, n := protowire.ConsumeBytes(b)
			if n < 0 || !utf8.Valid(s) {
				return kv, false
			}
			b = b[n:]
			if num == 1 {
				kv.k = view(s)
			} else {
				kv.v = view(s)
			}
		case num == 1 || num == 2:
			return kv, false
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return kv, false
			}
			b = b[n:]
		}
	}
	return kv, true
}

// wireValue reads a TypedValue holding one leaf, as scalarOf does.
func wireValue(b []byte) (scalar, bool) {
	var v scalar
	decSeen := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return v, false
		}
		b = b[n:]
		switch {
		case (num == 1 || num == 12) && typ == protowire.BytesType: // string_val, ascii_val
			s, n := protowire.ConsumeBytes(b)
			if n < 0 || !utf8.Valid(s) {
				return v, false
			}
			v, b = scalar{kind: kindString, s: view(s)}, b[n:]
		case (num == 2 || num == 3 || num == 4) && typ == protowire.VarintType:
			x, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return v, false
			}
			b = b[n:]
			switch num {
			case 2:
				v = scalar{kind: kindInt, i: int64(x)}
			case 3:
				v = scalar{kind: kindUint, u: x}
			default:
				v = scalar{kind: kindBool}
			}
		case (num == 5 || num == 13) && typ == protowire.BytesType: // bytes_val, proto_bytes
			_, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return v, false
			}
			v, b = scalar{}, b[n:]
		case num == 6 && typ == protowire.Fixed32Type: // float_val
			x, n := protowire.ConsumeFixed32(b)
			if n < 0 {
				return v, false
			}
			v, b = scalar{kind: kindFloat, f: float64(math.Float32frombits(x))}, b[n:]
		case num == 14 && typ == protowire.Fixed64Type: // double_val
			x, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return v, false
			}
			v, b = scalar{kind: kindFloat, f: math.Float64frombits(x)}, b[n:]
		case num == 7 && typ == protowire.BytesType: // decimal_val
			m, n := protowire.ConsumeBytes(b)
			if n < 0 || decSeen {
				return v, false // a second decimal would merge into the first
			}
			decSeen = true
			b = b[n:]
			digits, prec, ok := wireDecimal(m)
			if !ok {
				return v, false
			}
			v = scalar{kind: kindFloat, f: decimal(digits, prec)}
		case (num == 10 || num == 11) && typ == protowire.BytesType: // json_val, json_ietf_val
			j, n := protowire.ConsumeBytes(b)
			if n < 0 || isObject(j) {
				return v, false // a subtree: Response's tree walk reads it
			}
			v, b = jsonScalarOf(j, true), b[n:]
		case num >= 1 && num <= 14:
			// leaflist_val, any_val, or a wire type mismatch
			return v, false
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return v, false
			}
			b = b[n:]
		}
	}
	return v, true
}

func wireDecimal(b []byte) (digits int64, prec uint32, ok bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, 0, false
		}
		b = b[n:]
		switch {
		case (num == 1 || num == 2) && typ == protowire.VarintType:
			x, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return 0, 0, false
			}
			b = b[n:]
			if num == 1 {
				digits = int64(x)
			} else {
				prec = uint32(x)
			}
		case num == 1 || num == 2:
			return 0, 0, false
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return 0, 0, false
			}
			b = b[n:]
		}
	}
	return digits, prec, true
}

// view is b as a string without copying: valid while b is, and only
// until the next message (keep copies what outlives it).
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

package telemetry

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// wireTarget is the target the differential checks decode for.
var wireTarget = Target{Name: "r1", Optics: []string{"eth1", "eth2", "xcvr"}}

// wireAgrees feeds msgs in order to two decoders, one reading the bytes
// (Wire, falling back to proto as the session does) and one the decoded
// messages (Response), and fails unless both give the same updates, sync
// flags, skipped counts and transceiver mappings. It returns how many
// messages Wire read itself.
func wireAgrees(t testing.TB, msgs [][]byte) (read int) {
	t.Helper()
	dw, dp := NewDecoder(wireTarget), NewDecoder(wireTarget)
	recv := time.Unix(1, 0)
	var got []Update
	// Twice: the second time, the paths come from the wire decoder's
	// path table.
	all := append(append([][]byte(nil), msgs...), msgs...)
	for i, b := range all {
		var r gnmi.SubscribeResponse
		perr := proto.Unmarshal(b, &r)
		before := dw.Skipped
		var gsync, ok bool
		got, gsync, ok = dw.Wire(b, recv, got[:0])
		if !ok {
			if len(got) != 0 || dw.Skipped != before {
				t.Fatalf("message %d: declined, but left %d updates and %d skipped", i, len(got), dw.Skipped-before)
			}
			if perr != nil {
				continue // the session ends the stream, as before
			}
			got, gsync = dw.Response(&r, recv, got[:0])
		} else {
			if i < len(msgs) {
				read++
			}
			if perr != nil {
				t.Fatalf("message %d: Wire read what proto refuses (%v): %x", i, perr, b)
			}
			if r.GetError() != nil { //nolint:staticcheck // deprecated, still sent
				t.Fatalf("message %d: Wire read an error response", i)
			}
		}
		if perr != nil {
			continue
		}
		want, wsync := dp.Response(&r, recv, nil)
		if gsync != wsync {
			t.Fatalf("message %d: sync %t, proto %t", i, gsync, wsync)
		}
		if len(got) != len(want) {
			t.Fatalf("message %d: %d updates %+v, proto %d %+v", i, len(got), got, len(want), want)
		}
		for j := range got {
			if !got[j].Timestamp.Equal(want[j].Timestamp) || fmt.Sprint(got[j]) != fmt.Sprint(want[j]) {
				t.Fatalf("message %d update %d: %+v, proto %+v", i, j, got[j], want[j])
			}
		}
		if dw.Skipped != dp.Skipped {
			t.Fatalf("message %d: skipped %d, proto %d", i, dw.Skipped, dp.Skipped)
		}
		if !maps.Equal(dw.comp, dp.comp) {
			t.Fatalf("message %d: mappings %v, proto %v", i, dw.comp, dp.comp)
		}
	}
	// What the updates keep must not be views of the messages' bytes.
	for _, b := range msgs {
		for i := range b {
			b[i] = 'X'
		}
	}
	if len(got) > 0 {
		want := make([]Update, len(got))
		copy(want, got)
		for j := range got {
			if strings.Contains(got[j].Key+got[j].Component+got[j].Leaf+got[j].Str, "XXX") {
				t.Fatalf("update %d kept the message's bytes: %+v", j, got[j])
			}
		}
	}
	return read
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWireMatchesProto: the decoder's table, the benchmark's samples and
// hand-built encodings proto accepts in other shapes (fields out of order,
// repeated scalars, unknown fields, a map key given twice) decode the
// same through Wire as through proto.Unmarshal and Response, and the hot
// shapes are read by Wire itself rather than declined.
func TestWireMatchesProto(t *testing.T) {
	for _, c := range decodeCases(t) {
		t.Run(c.name, func(t *testing.T) {
			var msgs [][]byte
			for _, r := range c.resp {
				msgs = append(msgs, marshal(t, r))
			}
			read := wireAgrees(t, msgs)
			if !strings.Contains(c.name, "json subtree") && !strings.Contains(c.name, "deprecated") && read != len(msgs) {
				t.Errorf("Wire read %d of %d messages, want all", read, len(msgs))
			}
		})
	}
	t.Run("samples", func(t *testing.T) {
		for _, enc := range []gnmi.Encoding{gnmi.Encoding_PROTO, gnmi.Encoding_JSON_IETF} {
			b, _ := sampleWire(t, 48, enc)
			if read := wireAgrees(t, [][]byte{b}); read != 1 {
				t.Errorf("%s sample declined", enc)
			}
		}
	})
	// Hand-built encodings.
	tag := func(b []byte, n protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(b, n, typ) }
	bytesF := func(b []byte, n protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(tag(b, n, protowire.BytesType), v)
	}
	varintF := func(b []byte, n protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(tag(b, n, protowire.VarintType), v)
	}
	elem := func(name string, kv ...string) []byte {
		var e []byte
		e = bytesF(e, 1, []byte(name))
		for i := 0; i+1 < len(kv); i += 2 {
			var ent []byte
			ent = bytesF(ent, 1, []byte(kv[i]))
			ent = bytesF(ent, 2, []byte(kv[i+1]))
			e = bytesF(e, 2, ent)
		}
		return e
	}
	path := func(es ...[]byte) []byte {
		var p []byte
		for _, e := range es {
			p = bytesF(p, 3, e)
		}
		return p
	}
	ifPath := func(name, leaf string, kv ...string) []byte {
		return path(elem("interfaces"), elem("interface", append([]string{"name", name}, kv...)...), elem("state"), elem("counters"), elem(leaf))
	}
	update := func(p, val []byte) []byte { return bytesF(bytesF(nil, 1, p), 3, val) }
	uintVal := func(n uint64) []byte { return varintF(nil, 3, n) }
	resp := func(n []byte) []byte { return bytesF(nil, 1, n) }
	cases := map[string][]byte{
		"updates before the prefix and timestamp": resp(varintF(bytesF(bytesF(nil, 4,
			update(path(elem("state"), elem("counters"), elem("in-octets")), uintVal(9))), 2,
			path(elem("interfaces"), elem("interface", "name", "eth1"))), 1, 1700000000000000000)),
		"timestamp twice, the last wins": resp(varintF(varintF(bytesF(nil, 4, update(ifPath("eth1", "in-octets"), uintVal(1))), 1, 5), 1, 1700000000000000001)),
		"map key twice, the last wins":   resp(bytesF(nil, 4, update(ifPath("eth1", "in-octets", "name", "eth2"), uintVal(3)))),
		"unknown fields everywhere": resp(varintF(bytesF(nil, 4,
			varintF(update(append(ifPath("eth1", "out-octets"), varintF(nil, 99, 7)...), append(uintVal(4), varintF(nil, 77, 1)...)), 55, 1)), 44, 2)),
		"value given twice, the last wins": resp(bytesF(nil, 4, update(ifPath("eth1", "in-errors"), append(varintF(nil, 3, 10), varintF(nil, 2, 11)...)))),
		"float and double":                 resp(bytesF(bytesF(nil, 4, update(path(elem("components"), elem("component", "name", "eth1"), elem("transceiver"), elem("physical-channels"), elem("channel", "index", "0"), elem("state"), elem("input-power"), elem("instant")), protowire.AppendFixed32(tag(nil, 6, protowire.Fixed32Type), 0xc0f00000))), 4, update(path(elem("components"), elem("component", "name", "eth1"), elem("transceiver"), elem("physical-channels"), elem("channel", "index", "1"), elem("state"), elem("output-power"), elem("instant")), protowire.AppendFixed64(tag(nil, 14, protowire.Fixed64Type), 0xc01e000000000000)))),
		"empty value":                      resp(bytesF(nil, 4, update(ifPath("eth1", "in-octets"), nil))),
		"no value":                         resp(bytesF(nil, 4, bytesF(nil, 1, ifPath("eth1", "in-octets")))),
		"not utf-8":                        resp(bytesF(nil, 4, update(ifPath("eth\xff", "in-octets"), uintVal(1)))),
		"truncated":                        resp(bytesF(nil, 4, update(ifPath("eth1", "in-octets"), uintVal(1))))[:20],
		"wrong wire type":                  resp(varintF(nil, 4, 3)),
		"error":                            bytesF(nil, 4, varintF(nil, 1, 3)),
		"update and sync":                  varintF(resp(bytesF(nil, 4, update(ifPath("eth1", "in-octets"), uintVal(1)))), 3, 1),
		"sync false":                       varintF(nil, 3, 0),
		"empty":                            {},
		"deletes before updates": resp(bytesF(bytesF(nil, 5, path(elem("interfaces"), elem("interface", "name", "eth1"))), 4,
			update(ifPath("eth1", "in-octets"), uintVal(2)))),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) { wireAgrees(t, [][]byte{b}) })
	}
}

// FuzzWire: whatever the bytes, Wire agrees with proto.Unmarshal and
// Response, or declines them. Seeds: FuzzDecode's corpus and the samples.
func FuzzWire(f *testing.F) {
	f.Add([]byte{})
	for _, enc := range []gnmi.Encoding{gnmi.Encoding_PROTO, gnmi.Encoding_JSON_IETF} {
		b, _ := sampleWire(f, 4, enc)
		f.Add(b)
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecode", "*"))
	for _, s := range seeds {
		raw, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		lines := strings.SplitN(string(raw), "\n", 3)
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
			continue
		}
		q, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(q))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		wireAgrees(t, [][]byte{append([]byte(nil), data...)})
	})
}

// TestWirePathTableBounded: a target sending more distinct paths than
// the path table holds is decoded as proto decodes it, the table starting
// again rather than growing.
func TestWirePathTableBounded(t *testing.T) {
	msg, n := sampleWire(t, 3000, gnmi.Encoding_PROTO)
	if n <= maxCachedRefs {
		t.Fatalf("%d paths: want more than the table's %d", n, maxCachedRefs)
	}
	if read := wireAgrees(t, [][]byte{slices.Clone(msg)}); read != 1 { // it overwrites what it reads
		t.Fatal("sample declined")
	}
	d := NewDecoder(wireTarget)
	for i := range 2 {
		ups, _, ok := d.Wire(msg, time.Unix(1, 0), nil)
		if !ok || len(ups) != n {
			t.Fatalf("Wire %d: ok %t, %d updates (%d skipped), want %d", i, ok, len(ups), d.Skipped, n)
		}
		if d.w.nrefs > maxCachedRefs {
			t.Fatalf("path table holds %d entries, bound %d", d.w.nrefs, maxCachedRefs)
		}
	}
}

// interleavedWire is a device's notifications as the lab and most routers
// send them: one per subscription under the same prefix (the target),
// counters, optics and oper-status in turn; reversed makes the counters'
// order backwards, dup names its first path twice.
func interleavedWire(t testing.TB, ifaces int, ts int64, reversed, dup bool) [][]byte {
	t.Helper()
	prefix := &gnmi.Path{Target: "r1"}
	note := func(paths []string, val func(int) *gnmi.TypedValue) []byte {
		n := &gnmi.Notification{Timestamp: ts, Prefix: prefix}
		for i, p := range paths {
			n.Update = append(n.Update, upd(t, p, val(i)))
		}
		return marshal(t, &gnmi.SubscribeResponse{Response: &gnmi.SubscribeResponse_Update{Update: n}})
	}
	var counters, optics, oper []string
	for i := range ifaces {
		for _, l := range []string{LeafInOctets, LeafOutOctets, LeafInErrors} {
			counters = append(counters, fmt.Sprintf("/interfaces/interface[name=eth%d]/state/counters/%s", i, l))
		}
		optics = append(optics, fmt.Sprintf("/components/component[name=eth%d]/transceiver/physical-channels/channel[index=0]/state/input-power/instant", i))
		oper = append(oper, fmt.Sprintf("/interfaces/interface[name=eth%d]/state/oper-status", i))
	}
	if reversed {
		slices.Reverse(counters)
	}
	if dup {
		counters = append([]string{counters[0]}, counters...)
		oper = append(oper, counters[1]) // a path that begins another notification
	}
	return [][]byte{
		note(counters, func(i int) *gnmi.TypedValue { return uintV(uint64(ts/1e9) + uint64(i)) }),
		note(optics, func(i int) *gnmi.TypedValue {
			return &gnmi.TypedValue{Value: &gnmi.TypedValue_DoubleVal{DoubleVal: -3 - float64(i)/10}}
		}),
		note(oper, func(int) *gnmi.TypedValue {
			return &gnmi.TypedValue{Value: &gnmi.TypedValue_StringVal{StringVal: "UP"}}
		}),
	}
}

// TestWireInterleavedOrders: notifications of several subscriptions under
// one prefix, in turn, their orders changing, a path named twice or
// beginning one notification and closing another, decode as proto decodes
// them; the orders stay within their bound.
func TestWireInterleavedOrders(t *testing.T) {
	var msgs [][]byte
	for k := range 6 {
		msgs = append(msgs, interleavedWire(t, 8, int64(k+1)*1e9, k%3 == 1, k == 4)...)
	}
	if read := wireAgrees(t, msgs); read != len(msgs) {
		t.Errorf("Wire read %d of %d messages, want all", read, len(msgs))
	}
	d := NewDecoder(wireTarget)
	for k := range 3 {
		for _, m := range interleavedWire(t, 48, int64(k+1)*1e9, false, false) {
			if _, _, ok := d.Wire(m, time.Unix(1, 0), nil); !ok {
				t.Fatal("declined")
			}
		}
	}
	// One order per notification kind, each as long as its notification.
	if want := 48*3 + 48 + 48; d.w.slots != want {
		t.Errorf("%d order places, want %d (three notifications' paths)", d.w.slots, want)
	}
	// A target beginning every notification with a new path of a long
	// list: the orders stop growing at their bound.
	msg, n := sampleWire(t, 1000, gnmi.Encoding_PROTO)
	var r gnmi.SubscribeResponse
	if err := proto.Unmarshal(msg, &r); err != nil {
		t.Fatal(err)
	}
	d = NewDecoder(wireTarget)
	ups := r.GetUpdate().GetUpdate()
	for k := range 40 {
		r.GetUpdate().Update = append(ups[k:], ups[:k]...)
		if _, _, ok := d.Wire(marshal(t, &r), time.Unix(1, 0), nil); !ok {
			t.Fatal("declined")
		}
		if d.w.slots > maxOrderSlots {
			t.Fatalf("%d order places after %d rotations of %d paths, bound %d", d.w.slots, k+1, n, maxOrderSlots)
		}
	}
}

// BenchmarkWireInterleaved is the wire decoder on a 48-port device's
// counters, optics and oper-status notifications in turn, one prefix.
func BenchmarkWireInterleaved(b *testing.B) {
	var msgs [][]byte
	for k := range 2 {
		msgs = append(msgs, interleavedWire(b, 48, int64(k+1)*1e9, false, false)...)
	}
	per := 0
	d := NewDecoder(wireTarget)
	var ups []Update
	for _, m := range msgs {
		ups, _, _ = d.Wire(m, time.Unix(1, 0), ups[:0])
		per += len(ups)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			ups, _, _ = d.Wire(m, time.Unix(1, 0), ups[:0])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*per), "ns/update")
}

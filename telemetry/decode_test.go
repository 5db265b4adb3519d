package telemetry

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzDecode from the decoder's table")

func mustPath(t testing.TB, s string) *gnmi.Path {
	t.Helper()
	p, err := ParsePath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func upd(t testing.TB, path string, v *gnmi.TypedValue) *gnmi.Update {
	return &gnmi.Update{Path: mustPath(t, path), Val: v}
}

func notif(ts int64, prefix *gnmi.Path, us ...*gnmi.Update) *gnmi.SubscribeResponse {
	return &gnmi.SubscribeResponse{Response: &gnmi.SubscribeResponse_Update{Update: &gnmi.Notification{Timestamp: ts, Prefix: prefix, Update: us}}}
}

func uintV(n uint64) *gnmi.TypedValue {
	return &gnmi.TypedValue{Value: &gnmi.TypedValue_UintVal{UintVal: n}}
}
func strV(s string) *gnmi.TypedValue {
	return &gnmi.TypedValue{Value: &gnmi.TypedValue_StringVal{StringVal: s}}
}
func ietfV(j string) *gnmi.TypedValue {
	return &gnmi.TypedValue{Value: &gnmi.TypedValue_JsonIetfVal{JsonIetfVal: []byte(j)}}
}

const nb = "/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=10.255.0.2]/state/session-state"

type decodeCase struct {
	name string
	resp []*gnmi.SubscribeResponse // fed in order; the last one's updates are checked
	want []Update
	sync bool
}

func decodeCases(t testing.TB) []decodeCase {
	const ts = 1700000000000000000
	at := time.Unix(0, ts)
	u := func(c PathClass, key, leaf string) Update {
		return Update{Target: "r1", Class: c, Key: key, Leaf: leaf, Timestamp: at}
	}
	withUint := func(x Update, n uint64) Update { x.Uint = n; return x }
	withStr := func(x Update, s string) Update { x.Str = s; return x }
	withOptic := func(x Update, comp string, ch int, f float64) Update {
		x.Component, x.Channel, x.Float = comp, ch, f
		return x
	}
	deleted := func(x Update) Update { x.Deleted = true; return x }
	return []decodeCase{
		{name: "proto uint counter", resp: []*gnmi.SubscribeResponse{notif(ts, nil,
			upd(t, "/interfaces/interface[name=eth1]/state/counters/in-octets", uintV(1234)))},
			want: []Update{withUint(u(ClassCounters, "eth1", LeafInOctets), 1234)}},
		{name: "json_ietf counter as string under a prefix", resp: []*gnmi.SubscribeResponse{notif(ts, mustPath(t, "/interfaces/interface[name=eth2]"),
			upd(t, "/state/counters/out-octets", ietfV(`"18446744073709551615"`)),
			upd(t, "/state/counters/in-errors", ietfV(`7`)))},
			want: []Update{withUint(u(ClassCounters, "eth2", LeafOutOctets), 18446744073709551615), withUint(u(ClassCounters, "eth2", LeafInErrors), 7)}},
		{name: "module-qualified names and identityref value", resp: []*gnmi.SubscribeResponse{notif(ts, nil,
			upd(t, "/openconfig-interfaces:interfaces/interface[name=eth1]/state/oper-status", ietfV(`"openconfig-if-types:UP"`)),
			upd(t, nb, ietfV(`"openconfig-bgp-types:ESTABLISHED"`)))},
			want: []Update{withStr(u(ClassOper, "eth1", LeafOperStatus), "UP"), withStr(u(ClassBGP, "10.255.0.2", LeafSessionState), "ESTABLISHED")}},
		{name: "optics through the interface's transceiver", resp: []*gnmi.SubscribeResponse{
			notif(ts, nil, upd(t, "/interfaces/interface[name=eth1]/state/openconfig-platform-transceiver:transceiver", ietfV(`"xcvr-1"`))),
			notif(ts, nil,
				upd(t, "/components/component[name=xcvr-1]/transceiver/physical-channels/channel[index=0]/state/input-power/instant",
					&gnmi.TypedValue{Value: &gnmi.TypedValue_DecimalVal{DecimalVal: &gnmi.Decimal64{Digits: -1234, Precision: 2}}}),
				upd(t, "/components/component[name=xcvr-1]/transceiver/physical-channels/channel[index=1]/state/output-power/instant", ietfV(`"-2.5"`)),
				upd(t, "/components/component[name=other]/transceiver/physical-channels/channel[index=0]/state/input-power/instant", ietfV(`"-3"`)))},
			want: []Update{withOptic(u(ClassOptics, "eth1", LeafInputPower), "xcvr-1", 0, -12.34), withOptic(u(ClassOptics, "eth1", LeafOutputPower), "xcvr-1", 1, -2.5)}},
		{name: "optics on a component named as its interface", resp: []*gnmi.SubscribeResponse{notif(ts, nil,
			upd(t, "/components/component[name=eth2]/transceiver/physical-channels/channel[index=0]/state/input-power/instant",
				&gnmi.TypedValue{Value: &gnmi.TypedValue_DoubleVal{DoubleVal: -7.25}}))},
			want: []Update{withOptic(u(ClassOptics, "eth2", LeafInputPower), "eth2", 0, -7.25)}},
		{name: "json subtree at the counters container", resp: []*gnmi.SubscribeResponse{notif(ts, nil,
			upd(t, "/interfaces/interface[name=eth1]/state/counters", ietfV(`{"openconfig-interfaces:in-octets":"10"}`)))},
			want: []Update{withUint(u(ClassCounters, "eth1", LeafInOctets), 10)}},
		{name: "json subtree of a list", resp: []*gnmi.SubscribeResponse{notif(ts, nil,
			upd(t, "/interfaces", ietfV(`{"interface":[{"name":"eth3","state":{"oper-status":"DOWN"}}]}`)))},
			want: []Update{withStr(u(ClassOper, "eth3", LeafOperStatus), "DOWN")}},
		{name: "deprecated string elements (gNMI 0.3)", resp: []*gnmi.SubscribeResponse{notif(ts, nil,
			&gnmi.Update{Path: &gnmi.Path{Element: []string{"interfaces", "interface[name=eth1]", "state", "counters", "in-octets"}}, Val: uintV(5)})},
			want: []Update{withUint(u(ClassCounters, "eth1", LeafInOctets), 5)}},
		{name: "deletes", resp: []*gnmi.SubscribeResponse{{Response: &gnmi.SubscribeResponse_Update{Update: &gnmi.Notification{Timestamp: ts,
			Delete: []*gnmi.Path{mustPath(t, "/interfaces/interface[name=eth1]"), mustPath(t, "/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=10.255.0.2]")}}}}},
			want: []Update{deleted(u(ClassOper, "eth1", LeafOperStatus)), deleted(u(ClassBGP, "10.255.0.2", LeafSessionState))}},
		{name: "unmonitored and unreadable leaves", resp: []*gnmi.SubscribeResponse{notif(ts, nil,
			upd(t, "/system/state/hostname", strV("r1")),
			upd(t, "/interfaces/interface[name=eth1]/state/counters/in-octets", strV("many")),
			upd(t, "/interfaces/interface[name=eth1]/state/oper-status", uintV(1)),
			&gnmi.Update{Path: mustPath(t, "/interfaces/interface[name=eth1]/state/oper-status")})},
			want: nil},
		{name: "sync response", resp: []*gnmi.SubscribeResponse{{Response: &gnmi.SubscribeResponse_SyncResponse{SyncResponse: true}}}, sync: true},
	}
}

func TestDecode(t *testing.T) {
	for _, c := range decodeCases(t) {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder(Target{Name: "r1", Optics: []string{"eth1", "eth2"}})
			var got []Update
			var sync bool
			for _, r := range c.resp {
				got, sync = d.Response(r, time.Unix(1, 0), got[:0])
			}
			if sync != c.sync {
				t.Errorf("sync = %t, want %t", sync, c.sync)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d updates %+v, want %d %+v", len(got), got, len(c.want), c.want)
			}
			for i := range got {
				got[i].Received = time.Time{}
				if !got[i].Timestamp.Equal(c.want[i].Timestamp) {
					t.Errorf("update %d timestamp %v, want %v", i, got[i].Timestamp, c.want[i].Timestamp)
				}
				got[i].Timestamp = c.want[i].Timestamp
				if fmt.Sprint(got[i]) != fmt.Sprint(c.want[i]) {
					t.Errorf("update %d = %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
	if *updateSeeds {
		dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, c := range decodeCases(t) {
			for j, r := range c.resp {
				b, err := proto.Marshal(r)
				if err != nil {
					t.Fatal(err)
				}
				name := filepath.Join(dir, fmt.Sprintf("case-%02d-%d", i, j))
				if err := os.WriteFile(name, fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// FuzzDecode feeds the decoder what a target could send: it must never
// panic, and every update it returns names a class and an object.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var r gnmi.SubscribeResponse
		if proto.Unmarshal(data, &r) != nil {
			return
		}
		d := NewDecoder(Target{Name: "r1", Optics: []string{"eth1", "xcvr"}})
		ups, _ := d.Response(&r, time.Unix(1, 0), nil)
		for _, u := range ups {
			if u.Class == "" || u.Key == "" || u.Target != "r1" {
				t.Fatalf("update without class or object: %+v", u)
			}
		}
	})
}

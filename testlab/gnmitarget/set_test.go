package gnmitarget

import (
	"context"
	"reflect"
	"strings"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func parsedState(t *testing.T, leaves []Leaf) []parsedLeaf {
	t.Helper()
	out := make([]parsedLeaf, len(leaves))
	for i, l := range leaves {
		p, err := ParsePath(l.Path)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = parsedLeaf{path: p, key: p.String(), value: l.Value}
	}
	return out
}

func gp(s string) *gpb.Path { return MustParsePath(s).proto() }

func ietf(s string) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte(s)}}
}

func upd(path, json string) *gpb.Update { return &gpb.Update{Path: gp(path), Val: ietf(json)} }

const (
	eth1 = "/interfaces/interface[name=eth1]"
	nbrs = bgpPrefix + "/neighbors"
)

func TestPlan(t *testing.T) {
	state := parsedState(t, loadLeaves(t, "device-r1.json"))
	tests := []struct {
		name string
		req  *gpb.SetRequest
		want []string   // Change.String() of each change, in order
		code codes.Code // when the Set must fail
		msg  string     // part of the error message
	}{
		{
			name: "description leaf",
			req:  &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/config/description", `"to r2 via C-0009"`)}},
			want: []string{"set " + eth1 + "/config/description = to r2 via C-0009"},
		},
		{
			name: "config container with module prefixes",
			req:  &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/config", `{"openconfig-interfaces:mtu": 1500, "enabled": false, "name": "eth1"}`)}},
			want: []string{"set " + eth1 + "/config/enabled = false", "set " + eth1 + "/config/mtu = 1500"},
		},
		{
			name: "replace config container drops what it does not name",
			req:  &gpb.SetRequest{Replace: []*gpb.Update{upd(eth1+"/config", `{"mtu": 1500}`)}},
			want: []string{"delete " + eth1 + "/config/description", "delete " + eth1 + "/config/enabled", "set " + eth1 + "/config/mtu = 1500"},
		},
		{
			name: "prefix and relative path",
			req:  &gpb.SetRequest{Prefix: gp(eth1), Update: []*gpb.Update{upd("config/mtu", `9216`)}},
			want: []string{"set " + eth1 + "/config/mtu = 9216"},
		},
		{
			name: "same value is no change",
			req:  &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/config/mtu", `9000`)}},
			want: nil,
		},
		{
			name: "typed uint for peer-as",
			req: &gpb.SetRequest{Update: []*gpb.Update{{Path: gp(nbrs + "/neighbor[neighbor-address=10.0.0.3]/config/peer-as"),
				Val: &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: 65033}}}}},
			want: []string{"set " + nbrs + "/neighbor[neighbor-address=10.0.0.3]/config/peer-as = 65033"},
		},
		{
			name: "new neighbor from a JSON list",
			req: &gpb.SetRequest{Update: []*gpb.Update{upd(nbrs,
				`{"neighbor": [{"neighbor-address": "10.0.0.5", "config": {"neighbor-address": "10.0.0.5", "peer-as": 65005, "description": "r5"}}]}`)}},
			want: []string{
				"set " + nbrs + "/neighbor[neighbor-address=10.0.0.5]/config/peer-as = 65005", // creates the neighbor: first
				"set " + nbrs + "/neighbor[neighbor-address=10.0.0.5]/config/description = r5",
			},
		},
		{
			name: "delete neighbor is one change",
			req:  &gpb.SetRequest{Delete: []*gpb.Path{gp(nbrs + "/neighbor[neighbor-address=10.0.0.3]")}},
			want: []string{"delete " + nbrs + "/neighbor[neighbor-address=10.0.0.3]"},
		},
		{
			name: "delete what is not there",
			req:  &gpb.SetRequest{Delete: []*gpb.Path{gp(nbrs + "/neighbor[neighbor-address=10.9.9.9]")}},
			want: nil,
		},
		{
			name: "replace neighbor keeps the entry",
			req: &gpb.SetRequest{Replace: []*gpb.Update{upd(nbrs+"/neighbor[neighbor-address=10.0.0.1]",
				`{"neighbor-address": "10.0.0.1", "config": {"peer-as": 65002}}`)}},
			want: []string{
				"delete " + nbrs + "/neighbor[neighbor-address=10.0.0.1]/config/description",
				"delete " + nbrs + "/neighbor[neighbor-address=10.0.0.1]/config/enabled",
			},
		},
		{
			name: "add address",
			req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=192.0.2.1]",
				`{"ip": "192.0.2.1", "config": {"ip": "192.0.2.1", "prefix-length": 24}}`)}},
			want: []string{"set " + eth1 + "/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=192.0.2.1]/config/prefix-length = 24"},
		},
		{
			name: "replace addresses swaps them",
			req: &gpb.SetRequest{Replace: []*gpb.Update{upd(eth1+"/subinterfaces/subinterface[index=0]/ipv4/addresses",
				`{"address": [{"ip": "10.1.0.0", "config": {"prefix-length": 31}}]}`)}},
			want: []string{
				"delete " + eth1 + "/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.0]",
				"set " + eth1 + "/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.1.0.0]/config/prefix-length = 31",
			},
		},
		{
			name: "delete then update in one request",
			req: &gpb.SetRequest{
				Delete: []*gpb.Path{gp(eth1 + "/config/description")},
				Update: []*gpb.Update{upd(eth1+"/config/enabled", `false`)},
			},
			want: []string{"delete " + eth1 + "/config/description", "set " + eth1 + "/config/enabled = false"},
		},
		{
			name: "ipv6 address with a colon-full key and a colon-full description",
			req: &gpb.SetRequest{Update: []*gpb.Update{
				upd(eth1+"/subinterfaces/subinterface[index=0]/openconfig-if-ip:ipv6/addresses/address[ip=2001:db8::1]/config", `{"ip": "2001:db8::1", "prefix-length": 64}`),
				upd(eth1+"/config/description", `"to r2: eth1 [2001:db8::2]"`),
			}},
			want: []string{
				// Leaves that create their entry go first.
				"set " + eth1 + "/subinterfaces/subinterface[index=0]/ipv6/addresses/address[ip=2001:db8::1]/config/prefix-length = 64",
				"set " + eth1 + "/config/description = to r2: eth1 [2001:db8::2]",
			},
		},
		{
			name: "ipv6 neighbor",
			req:  &gpb.SetRequest{Update: []*gpb.Update{upd(nbrs+"/neighbor[neighbor-address=2001:db8:ffff::2]/config", `{"neighbor-address": "2001:db8:ffff::2", "peer-as": 64496, "description": "transit: AS64496"}`)}},
			want: []string{
				"set " + nbrs + "/neighbor[neighbor-address=2001:db8:ffff::2]/config/peer-as = 64496",
				"set " + nbrs + "/neighbor[neighbor-address=2001:db8:ffff::2]/config/description = transit: AS64496",
			},
		},
		{name: "ipv6 prefix-length over 128", req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/subinterfaces/subinterface[index=0]/ipv6/addresses/address[ip=2001:db8::1]/config/prefix-length", `129`)}}, code: codes.InvalidArgument, msg: "out of range"},
		{name: "ipv6 key not canonical", req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/subinterfaces/subinterface[index=0]/ipv6/addresses/address[ip=2001:DB8:0::1]/config/prefix-length", `64`)}}, code: codes.InvalidArgument, msg: "RFC 5952"},
		{name: "ipv4 address under ipv6", req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/subinterfaces/subinterface[index=0]/ipv6/addresses/address[ip=10.0.0.1]/config/prefix-length", `31`)}}, code: codes.InvalidArgument, msg: "not an IPv6"},
		{name: "mtu out of range", req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/config/mtu", `70000`)}}, code: codes.InvalidArgument, msg: "out of range"},
		{name: "mtu negative", req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/config/mtu", `-1`)}}, code: codes.InvalidArgument, msg: "unsigned"},
		{name: "enabled as string", req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/config/enabled", `"true"`)}}, code: codes.InvalidArgument, msg: "boolean"},
		{name: "prefix-length over 32", req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.0]/config/prefix-length", `33`)}}, code: codes.InvalidArgument, msg: "out of range"},
		{name: "unknown interface", req: &gpb.SetRequest{Update: []*gpb.Update{upd("/interfaces/interface[name=eth9]/config/mtu", `1500`)}}, code: codes.NotFound, msg: "eth9"},
		{name: "state is read-only", req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/state/oper-status", `"DOWN"`)}}, code: codes.InvalidArgument, msg: "not a writable leaf"},
		{name: "delete state", req: &gpb.SetRequest{Delete: []*gpb.Path{gp(eth1 + "/state/counters")}}, code: codes.InvalidArgument, msg: "not a writable path"},
		{name: "neighbor without peer-as", req: &gpb.SetRequest{Update: []*gpb.Update{upd(nbrs+"/neighbor[neighbor-address=10.0.0.7]/config/description", `"r7"`)}}, code: codes.InvalidArgument, msg: "peer-as is mandatory"},
		{name: "neighbor address not an IP", req: &gpb.SetRequest{Update: []*gpb.Update{upd(nbrs+"/neighbor[neighbor-address=r7]/config/peer-as", `65007`)}}, code: codes.InvalidArgument, msg: "not an IP address"},
		{name: "key echo differs", req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/config", `{"name": "eth2"}`)}}, code: codes.InvalidArgument, msg: "differs from the key"},
		{name: "delete a mandatory leaf", req: &gpb.SetRequest{Delete: []*gpb.Path{gp(nbrs + "/neighbor[neighbor-address=10.0.0.1]/config/peer-as")}}, code: codes.InvalidArgument, msg: "peer-as is mandatory"},
		{name: "wildcard", req: &gpb.SetRequest{Update: []*gpb.Update{upd("/interfaces/interface[name=*]/config/mtu", `1500`)}}, code: codes.InvalidArgument, msg: "wildcards"},
		{name: "missing key", req: &gpb.SetRequest{Update: []*gpb.Update{upd("/interfaces/interface/config/mtu", `1500`)}}, code: codes.InvalidArgument, msg: "needs key"},
		{name: "other network instance", req: &gpb.SetRequest{Update: []*gpb.Update{upd("/network-instances/network-instance[name=mgmt]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=10.0.0.9]/config/peer-as", `1`)}}, code: codes.NotFound, msg: "no such entry"},
		{name: "unknown leaf", req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/config/speed-of-light", `1`)}}, code: codes.NotFound, msg: "no such path"},
		{name: "unknown tree", req: &gpb.SetRequest{Replace: []*gpb.Update{upd("/qos/classifiers", `{"classifier": []}`)}}, code: codes.NotFound, msg: "no such path"},
		{name: "unknown member in a JSON value", req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/config", `{"mtu": 1500, "colour": "red"}`)}}, code: codes.NotFound, msg: "config/colour"},
		{name: "delete an unknown path", req: &gpb.SetRequest{Delete: []*gpb.Path{gp("/system/ntp")}}, code: codes.NotFound, msg: "no such path"},
		{name: "bad JSON", req: &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/config", `{"mtu": 1500`)}}, code: codes.InvalidArgument, msg: "unexpected EOF"},
		{
			name: "one bad op rejects all",
			req: &gpb.SetRequest{Update: []*gpb.Update{
				upd(eth1+"/config/description", `"fine"`),
				upd(eth1+"/config/mtu", `"lots"`),
			}},
			code: codes.InvalidArgument, msg: "config/mtu",
		},
	}
	sc := newSchema()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes, _, err := sc.plan(state, tt.req)
			if tt.code != codes.OK {
				if status.Code(err) != tt.code || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("plan error = %v, want code %v containing %q", err, tt.code, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			var got []string
			for _, c := range changes {
				got = append(got, c.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("changes:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

// TestSetAppliesAtomically runs Sets through the server against a
// MemBackend: a refused or invalid Set leaves the device as it was, a good
// one lands, and its state mirrors the config.
func TestSetAppliesAtomically(t *testing.T) {
	ctx := context.Background()
	dev := newDevice(t)
	s := New(dev)
	before, _ := dev.State(ctx)

	bad := &gpb.SetRequest{
		Delete: []*gpb.Path{gp(nbrs + "/neighbor[neighbor-address=10.0.0.1]")},
		Update: []*gpb.Update{upd(eth1+"/config/mtu", `1000000`)},
	}
	if _, err := s.Set(ctx, bad); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("Set(bad) = %v, want InvalidArgument", err)
	}
	dev.Refuse = func([]Change) error { return errDeviceSaysNo }
	good := &gpb.SetRequest{Update: []*gpb.Update{upd(eth1+"/config/mtu", `1500`)}}
	if _, err := s.Set(ctx, good); status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), "device says no") {
		t.Fatalf("Set refused by device = %v, want Aborted naming the reason", err)
	}
	after, _ := dev.State(ctx)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("failed Sets changed the device")
	}
	dev.Refuse = nil
	if _, err := s.Set(ctx, good); err != nil {
		t.Fatalf("Set: %v", err)
	}
	for _, p := range []string{eth1 + "/config/mtu", eth1 + "/state/mtu"} {
		if v, _ := dev.Value(p); v != uint16(1500) {
			t.Errorf("%s = %v (%T), want uint16 1500", p, v, v)
		}
	}
	if n := len(dev.Applied()); n != 1 {
		t.Errorf("device applied %d change sets, want 1", n)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

const errDeviceSaysNo = errString("device says no: commit failed")

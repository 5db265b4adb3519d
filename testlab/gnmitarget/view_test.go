package gnmitarget

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
)

func TestDecodeChange(t *testing.T) {
	addr := eth1 + "/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.0]"
	tests := []struct {
		c    Change
		want Edit
	}{
		{Change{OpSet, eth1 + "/config/description", "to r2"}, Edit{Kind: EditInterfaceDescription, Interface: "eth1", String: "to r2"}},
		{Change{OpDelete, eth1 + "/config/description", nil}, Edit{Kind: EditInterfaceDescription, Interface: "eth1", Delete: true}},
		{Change{OpSet, eth1 + "/config/mtu", uint16(9216)}, Edit{Kind: EditInterfaceMTU, Interface: "eth1", Uint: 9216}},
		{Change{OpSet, eth1 + "/config/enabled", false}, Edit{Kind: EditInterfaceEnabled, Interface: "eth1"}},
		{Change{OpSet, addr + "/config/prefix-length", uint8(31)}, Edit{Kind: EditAddress, Interface: "eth1", Address: netip.MustParsePrefix("10.0.0.0/31"), Uint: 31}},
		{Change{OpDelete, addr, nil}, Edit{Kind: EditAddress, Interface: "eth1", Address: netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), 0), Delete: true}},
		{Change{OpDelete, eth1 + "/subinterfaces/subinterface[index=3]", nil}, Edit{Kind: EditSubinterface, Interface: "eth1", Subinterface: 3, Delete: true}},
		{Change{OpSet, NeighborPath("2001:db8::2", "config/peer-as"), uint32(4200000001)}, Edit{Kind: EditNeighborPeerAS, Neighbor: "2001:db8::2", Uint: 4200000001}},
		{Change{OpSet, NeighborPath("10.0.0.1", "config/enabled"), true}, Edit{Kind: EditNeighborEnabled, Neighbor: "10.0.0.1", Bool: true}},
		{Change{OpDelete, NeighborPath("10.0.0.1", "config/description"), nil}, Edit{Kind: EditNeighborDescription, Neighbor: "10.0.0.1", Delete: true}},
		{Change{OpDelete, bgpPrefix + "/neighbors/neighbor[neighbor-address=10.0.0.1]", nil}, Edit{Kind: EditNeighbor, Neighbor: "10.0.0.1", Delete: true}},
	}
	for _, tt := range tests {
		t.Run(tt.c.String(), func(t *testing.T) {
			got, err := DecodeChange(tt.c)
			if err != nil {
				t.Fatalf("DecodeChange(%v): %v", tt.c, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeChange(%v) =\n %+v, want\n %+v", tt.c, got, tt.want)
			}
		})
	}
	for _, c := range []Change{
		{OpSet, eth1 + "/state/mtu", uint16(1)},
		{OpSet, bgpPrefix + "/neighbors/neighbor[neighbor-address=10.0.0.1]", nil},
		{OpSet, eth1 + "/config/mtu", "big"},
	} {
		if e, err := DecodeChange(c); err == nil {
			t.Errorf("DecodeChange(%v) = %+v, want an error", c, e)
		}
	}
}

func TestDeviceViewLeaves(t *testing.T) {
	v := DeviceView{
		Interfaces: []InterfaceView{
			{Name: "eth1", Enabled: true, OperUp: false, MTU: 9000, LastChange: time.Unix(1700000000, 0),
				Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/31")}, Counters: Counters{InOctets: 1 << 40},
				Transceiver: &TransceiverView{FormFactor: "SFP_PLUS", InputDBm: -35.2, OutputDBm: -1.1}},
			{Name: "lo", Enabled: true, OperUp: true, Loopback: true},
		},
		BGP: &BGPView{AS: 65001, Neighbors: []NeighborView{{Address: "10.0.0.1", PeerAS: 65002, Enabled: true, SessionState: "Established"}}},
	}
	leaves := v.Leaves()
	seen := map[string]bool{}
	for _, l := range leaves {
		if seen[l.Path] {
			t.Errorf("leaf %s reported twice", l.Path)
		}
		seen[l.Path] = true
	}
	got := map[string]any{}
	for _, l := range leaves {
		if _, err := ParsePath(l.Path); err != nil {
			t.Errorf("leaf path %q: %v", l.Path, err)
		}
		got[l.Path] = l.Value
	}
	for path, want := range map[string]any{
		InterfacePath("eth1", "state/oper-status"):                     "DOWN",
		InterfacePath("eth1", "state/admin-status"):                    "UP",
		InterfacePath("eth1", "state/counters/in-octets"):              uint64(1 << 40),
		InterfacePath("eth1", "state/last-change"):                     uint64(1700000000e9),
		InterfacePath("eth1", "state/transceiver"):                     "eth1",
		InterfacePath("lo", "state/type"):                              "iana-if-type:softwareLoopback",
		AddressPath("eth1", 0, "10.0.0.0", "config/prefix-length"):     uint8(31),
		TransceiverChannelPath("eth1", 0, "state/input-power/instant"): -35.2,
		TransceiverPath("eth1", "state/output-power/instant"):          -1.1,
		NeighborPath("10.0.0.1", "state/session-state"):                "ESTABLISHED",
		NeighborPath("10.0.0.1", "config/peer-as"):                     uint32(65002),
	} {
		if got[path] != want {
			t.Errorf("%s = %v (%T), want %v (%T)", path, got[path], got[path], want, want)
		}
	}
	// The server can plan a Set on the view: config leaves are where the
	// schema expects them, with the types it decodes.
	m, err := NewMemBackend(leaves...)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := m.State(t.Context())
	view := newSchema().view(parsedState(t, st))
	for _, p := range []string{InterfacePath("eth1", "config/mtu"), NeighborPath("10.0.0.1", "config/peer-as"), AddressPath("eth1", 0, "10.0.0.0", "config/prefix-length")} {
		if _, ok := view.leaves[MustParsePath(p).String()]; !ok {
			t.Errorf("writable leaf %s missing from the view", p)
		}
	}
}

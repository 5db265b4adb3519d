package inventory

import (
	"net/netip"
	"testing"
)

func TestSessionOn(t *testing.T) {
	pfx := netip.MustParsePrefix
	addr := netip.MustParseAddr
	d := Device{Name: "dc1-r1", BGPSessions: []BGPSession{
		{PeerAddress: addr("10.255.0.2"), PeerASN: 65000, Role: BGPiBGP},
		{PeerAddress: addr("192.0.2.0"), PeerASN: 64496, Role: BGPTransit},
	}}
	tests := []struct {
		name  string
		ifc   Interface
		role  BGPRole
		peer  string // "" when none
		local string
	}{
		{"transit peer on the port's /31", Interface{Name: "eth6", Addresses: []netip.Prefix{pfx("192.0.2.1/31")}}, BGPTransit, "192.0.2.0", "192.0.2.1/31"},
		{"second address of the port", Interface{Name: "eth6", Addresses: []netip.Prefix{pfx("198.51.100.1/30"), pfx("192.0.2.1/31")}}, BGPTransit, "192.0.2.0", "192.0.2.1/31"},
		{"peer elsewhere", Interface{Name: "eth1", Addresses: []netip.Prefix{pfx("10.128.0.0/31")}}, BGPTransit, "", ""},
		{"other role", Interface{Name: "eth6", Addresses: []netip.Prefix{pfx("192.0.2.1/31")}}, BGPMember, "", ""},
		{"the port holds the peer's own address", Interface{Name: "eth6", Addresses: []netip.Prefix{pfx("192.0.2.0/31")}}, BGPTransit, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, local, ok := d.SessionOn(&tt.ifc, tt.role)
			if ok != (tt.peer != "") {
				t.Fatalf("found = %v, want %v", ok, tt.peer != "")
			}
			if ok && (s.PeerAddress.String() != tt.peer || local.String() != tt.local) {
				t.Errorf("got peer %s local %s, want %s %s", s.PeerAddress, local, tt.peer, tt.local)
			}
		})
	}
}

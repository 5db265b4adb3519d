package inventory

import (
	"net/netip"
	"strings"
	"testing"
)

// TestValidateBGPOwnAddress: a session whose peer_address is the device's
// own address (loopback or interface) is refused by FRR half-way through a
// push; validate must name it first.
func TestValidateBGPOwnAddress(t *testing.T) {
	tests := []struct {
		name, peer string
		want       bool
	}{
		{"interface address", "10.0.0.0", true},
		{"loopback", "10.255.0.1", true},
		{"far end", "10.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := patched()
			s.Devices[0].ASN, s.Devices[1].ASN = 65000, 65000
			s.Devices[0].Loopback = netip.MustParseAddr("10.255.0.1")
			s.Devices[0].BGPSessions = []BGPSession{{PeerAddress: netip.MustParseAddr(tt.peer), PeerASN: 65001, Role: BGPTransit}}
			got := false
			for _, p := range Validate(s) {
				if strings.Contains(p.Msg, "own address") {
					got = true
					if !strings.Contains(p.Object, "r1") || !strings.Contains(p.Msg, tt.peer) {
						t.Errorf("problem %q does not name device r1 and %s", p, tt.peer)
					}
				}
			}
			if got != tt.want {
				t.Errorf("Validate(peer_address %s) reports own address = %v, want %v", tt.peer, got, tt.want)
			}
		})
	}
}

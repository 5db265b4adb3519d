package bgp

import (
	"slices"
	"testing"

	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

func TestNoAddPathReceive(t *testing.T) {
	mp := func(f bgp.RouteFamily) bgp.ParameterCapabilityInterface { return bgp.NewCapMultiProtocol(f) }
	ap := func(m bgp.BGPAddPathMode, fs ...bgp.RouteFamily) bgp.ParameterCapabilityInterface {
		var ts []*bgp.CapAddPathTuple
		for _, f := range fs {
			ts = append(ts, bgp.NewCapAddPathTuple(f, m))
		}
		return bgp.NewCapAddPath(ts)
	}
	for _, tc := range []struct {
		name string
		caps []bgp.ParameterCapabilityInterface
		want []string
	}{
		{"FRR: receive on both", []bgp.ParameterCapabilityInterface{mp(bgp.RF_IPv4_UC), mp(bgp.RF_IPv6_UC),
			ap(bgp.BGP_ADD_PATH_BOTH, bgp.RF_IPv4_UC, bgp.RF_IPv6_UC)}, nil},
		// The virtual lab's routers before 2026-12-06: addpath-tx only.
		{"send only", []bgp.ParameterCapabilityInterface{mp(bgp.RF_IPv4_UC), mp(bgp.RF_IPv6_UC),
			ap(bgp.BGP_ADD_PATH_SEND, bgp.RF_IPv4_UC, bgp.RF_IPv6_UC)}, []string{"ipv4-unicast", "ipv6-unicast"}},
		{"no add-path, IPv4 only", []bgp.ParameterCapabilityInterface{mp(bgp.RF_IPv4_UC)}, []string{"ipv4-unicast"}},
		{"receive on IPv4 only", []bgp.ParameterCapabilityInterface{mp(bgp.RF_IPv4_UC), mp(bgp.RF_IPv6_UC),
			ap(bgp.BGP_ADD_PATH_RECEIVE, bgp.RF_IPv4_UC)}, []string{"ipv6-unicast"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			caps, err := apiutil.MarshalCapabilities(tc.caps)
			if err != nil {
				t.Fatal(err)
			}
			if got := noAddPathReceive(caps); !slices.Equal(got, tc.want) {
				t.Errorf("noAddPathReceive = %v, want %v", got, tc.want)
			}
		})
	}
}

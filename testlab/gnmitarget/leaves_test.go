package gnmitarget

import (
	"net/netip"
	"reflect"
	"testing"
)

// TestViewCacheSameLeaves checks a cached AppendLeaves gives exactly the
// leaves of an uncached one while the view changes shape under it:
// interfaces and addresses come and go, optional leaves appear.
func TestViewCacheSameLeaves(t *testing.T) {
	base := DeviceView{
		Interfaces: []InterfaceView{
			{Name: "eth1", Enabled: true, OperUp: true, MTU: 1500, Transceiver: &TransceiverView{InputDBm: -5}},
			{Name: "lo", Loopback: true, Addresses: []netip.Prefix{netip.MustParsePrefix("10.255.0.1/32")}},
		},
		BGP: &BGPView{AS: 65000, Neighbors: []NeighborView{{Address: "10.0.0.1", PeerAS: 1}}},
	}
	steps := []func(v *DeviceView){
		func(v *DeviceView) {},
		func(v *DeviceView) { v.Interfaces[0].Description = "to r2" },
		func(v *DeviceView) {
			v.Interfaces = append(v.Interfaces, InterfaceView{Name: "eth2", Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/31")}})
		},
		func(v *DeviceView) { v.Interfaces[0].Transceiver = nil; v.BGP.Neighbors[0].Description = "r2" },
		func(v *DeviceView) { v.Interfaces = v.Interfaces[1:]; v.BGP = nil },
		func(v *DeviceView) { v.Interfaces[0].Addresses = nil },
	}
	var c ViewCache
	v := base
	v.Interfaces = append([]InterfaceView(nil), base.Interfaces...)
	for i, step := range steps {
		step(&v)
		for range 2 { // a miss, then a hit
			got, want := v.AppendLeaves(nil, &c), v.Leaves()
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("step %d: cached leaves differ:\n%v\nwant\n%v", i, got, want)
			}
		}
	}
}

// Package labtest holds what tests outside testlab need to lay out a
// virtual lab: a plan on its own random /16 of 127/8 with kernel-chosen
// ports, so parallel test binaries never collide.
package labtest

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/testlab"
)

// Plan lays snap out as lab name in a random /16 of 127/8, with SSH, gNMI
// and BGP ports the kernel picked free on the lab's first address (released
// before the lab binds them).
func Plan(t testing.TB, name string, snap *inventory.Snapshot) *testlab.Plan {
	t.Helper()
	block := netip.PrefixFrom(netip.AddrFrom4([4]byte{127, byte(64 + rand.IntN(128)), 0, 0}), 16)
	var lns []net.Listener
	var ports []int
	for range 3 {
		ln, err := net.Listen("tcp", block.Addr().Next().String()+":0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	plan, err := testlab.NewPlan(name, snap, block, testlab.Ports{SSH: ports[0], GNMI: ports[1], BGP: ports[2]})
	if err != nil {
		t.Fatalf("lab plan %s: %v", name, err)
	}
	return plan
}

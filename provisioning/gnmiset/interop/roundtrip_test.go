package interop

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/openconfig/ygot/exampleoc"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
	"github.com/tuyau-net/tuyau/provisioning/gnmiset"
	"github.com/tuyau-net/tuyau/testlab/gnmitarget"
)

// tricky are descriptions that hand parsing of OpenConfig got wrong or
// could: colons (the old code pushed "to r2: eth1" as " eth1"), IPv6 text,
// quotes, backslashes, unicode, HTML characters, digits with a leading
// zero, a module-looking prefix that is no module, brackets and the empty
// string (rendered as no description at all).
var tricky = []string{
	"to r2: eth1",
	"2001:db8::1",
	`say "hi" \o/`,
	"Liaison Cherbourg ↔ Valognes (fibre n°3) 光",
	"<a&b>",
	"0012",
	"note:ALL",
	"openconfig-policy-types:BGP is the protocol",
	"[C-0009] a=b",
	"",
}

// corpus is one device whose interfaces carry the tricky descriptions, an
// IPv4 and an IPv6 address each, and IPv6 BGP sessions described alike.
func corpus() (*inventory.Snapshot, []string) {
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	d := inventory.Device{Name: "r1", Role: inventory.RoleMember, Platform: "frr", ASN: 4200000001,
		Loopback: a("10.255.0.13"), Transports: []string{"gnmi"},
		Interfaces: []inventory.Interface{{Name: "lo", Description: "loopback", Addresses: []netip.Prefix{p("10.255.0.13/32"), p("2001:db8:ff::13/128")}}}}
	var names []string
	for i, desc := range tricky {
		name := fmt.Sprintf("eth%d", i+1)
		names = append(names, name)
		d.Interfaces = append(d.Interfaces, inventory.Interface{Name: name, Description: desc, MTU: 9216,
			Addresses: []netip.Prefix{p(fmt.Sprintf("10.128.%d.0/31", i)), p(fmt.Sprintf("2001:db8:%x::1/64", i+1))}})
		d.BGPSessions = append(d.BGPSessions, inventory.BGPSession{PeerAddress: a(fmt.Sprintf("2001:db8:%x::2", i+1)),
			PeerASN: uint32(64500 + i), Role: inventory.BGPMember, Description: desc, Families: []string{"ipv6-unicast"}})
	}
	return &inventory.Snapshot{Devices: []inventory.Device{d}}, names
}

// cut is what the old code left of a value: everything after its first
// colon. Devices start with those, so the plan must repair them.
func cut(s string) string {
	if _, after, ok := strings.Cut(s, ":"); ok {
		return after
	}
	return s + " (stale)"
}

// roundTrip plans, applies and plans again, and returns the commands of the
// first plan.
func roundTrip(t *testing.T, reg *provisioning.Registry, dial provisioning.Dialer, snap *inventory.Snapshot) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	x := inventory.NewIndex(snap)
	plan, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{Transport: "gnmi"})
	if err != nil || plan.Err() != nil {
		t.Fatalf("plan: %v %v", err, plan.Err())
	}
	cmds := plan.Devices[0].Commands
	if len(cmds) == 0 {
		t.Fatal("first plan is empty, the device was set up stale")
	}
	devs := map[string]inventory.Device{"r1": *x.Device("r1")}
	res := provisioning.Apply(ctx, plan, reg, devs, dial, provisioning.ApplyOptions{})
	if res[0].Outcome != provisioning.Applied {
		t.Fatalf("apply: %s %s %s\ncommands:\n%s", res[0].Outcome, res[0].Error, res[0].RollbackError, strings.Join(cmds, "\n"))
	}
	again, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{Transport: "gnmi"})
	if err != nil || again.Err() != nil || again.Changes() != 0 {
		t.Fatalf("second plan: %v %v, %d changes:\n%s", err, again.Err(), again.Changes(), strings.Join(again.Devices[0].Commands, "\n"))
	}
	return cmds
}

func TestRoundTripLabTarget(t *testing.T) {
	snap, names := corpus()
	leaves := []gnmitarget.Leaf{{Path: gnmitarget.InterfacePath("lo", "config/enabled"), Value: true},
		// A stale IPv6 session the plan must delete.
		{Path: gnmitarget.NeighborPath("2001:db8:ffff::99", "config/peer-as"), Value: uint32(64999)},
		{Path: gnmitarget.NeighborPath("2001:db8:ffff::99", "config/description"), Value: "old: gone"}}
	for i, n := range names {
		leaves = append(leaves,
			gnmitarget.Leaf{Path: gnmitarget.InterfacePath(n, "config/enabled"), Value: true},
			gnmitarget.Leaf{Path: gnmitarget.InterfacePath(n, "config/mtu"), Value: uint16(9216)},
			gnmitarget.Leaf{Path: gnmitarget.InterfacePath(n, "config/description"), Value: cut(tricky[i])},
			gnmitarget.Leaf{Path: gnmitarget.NeighborPath(fmt.Sprintf("2001:db8:%x::2", i+1), "config/peer-as"), Value: uint32(64500 + i)},
			gnmitarget.Leaf{Path: gnmitarget.NeighborPath(fmt.Sprintf("2001:db8:%x::2", i+1), "config/description"), Value: cut(tricky[i])})
	}
	dev, err := gnmitarget.NewMemBackend(leaves...)
	if err != nil {
		t.Fatal(err)
	}
	srv := gnmitarget.New(dev, gnmitarget.WithInsecure())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, lis); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	reg := provisioning.Builtin()
	reg.Register(provisioning.OpenConfig{Only: gnmitarget.SetPaths()})
	dial := &gnmiset.Dialer{Targets: map[string]string{"r1": lis.Addr().String()}, Insecure: true,
		Roots: []string{"/interfaces", "/network-instances"}, Timeout: 10 * time.Second}
	roundTrip(t, reg, dial, snap)

	for i, n := range names {
		nbr := fmt.Sprintf("2001:db8:%x::2", i+1)
		for _, p := range []string{gnmitarget.InterfacePath(n, "config/description"), gnmitarget.NeighborPath(nbr, "config/description")} {
			got, ok := dev.Value(p)
			switch {
			case tricky[i] == "" && ok:
				t.Errorf("%s = %q, want no description", p, got)
			case tricky[i] != "" && got != tricky[i]:
				t.Errorf("%s = %#v, want %q", p, got, tricky[i])
			}
		}
		ip6 := fmt.Sprintf("2001:db8:%x::1", i+1)
		if got, _ := dev.Value(gnmitarget.AddressPath(n, 0, ip6, "config/prefix-length")); got != uint8(64) {
			t.Errorf("%s %s/64: prefix-length %v", n, ip6, got)
		}
	}
	if _, ok := dev.Value(gnmitarget.NeighborPath("2001:db8:ffff::99", "config/peer-as")); ok {
		t.Error("stale IPv6 neighbor 2001:db8:ffff::99 is still there")
	}
}

func TestRoundTripYgotTarget(t *testing.T) {
	snap, names := corpus()
	y := newYgotTarget(t)
	var ifs []string
	for i, n := range names {
		ifs = append(ifs, fmt.Sprintf(`{"name":%q,"config":{"name":%q,"description":%q,"mtu":9216}}`, n, n, cut(tricky[i])))
	}
	y.load(t, `{"openconfig-interfaces:interfaces":{"interface":[`+strings.Join(ifs, ",")+`]}}`)
	addr := y.serve(t)

	reg := provisioning.Builtin()
	reg.Register(provisioning.OpenConfig{})
	dial := &gnmiset.Dialer{Targets: map[string]string{"r1": addr}, Insecure: true, Timeout: 10 * time.Second}
	cmds := roundTrip(t, reg, dial, snap)
	t.Logf("first plan: %d commands, all accepted and validated by ygot", len(cmds))

	d := y.device(t)
	bgp := d.GetNetworkInstance("default").GetProtocol(exampleoc.PolicyTypes_INSTALL_PROTOCOL_TYPE_BGP, "BGP").GetBgp()
	for i, n := range names {
		nbr := bgp.GetNeighbor(fmt.Sprintf("2001:db8:%x::2", i+1))
		for what, got := range map[string]*string{n: d.GetInterface(n).Description, "neighbor of " + n: nbr.Description} {
			switch {
			case tricky[i] == "" && got != nil:
				t.Errorf("%s description = %q, want none", what, *got)
			case tricky[i] != "" && (got == nil || *got != tricky[i]):
				t.Errorf("%s description = %v, want %q", what, got, tricky[i])
			}
		}
		if nbr.GetPeerAs() != uint32(64500+i) {
			t.Errorf("neighbor of %s: peer-as %d", n, nbr.GetPeerAs())
		}
		ip6 := fmt.Sprintf("2001:db8:%x::1", i+1)
		if a := d.GetInterface(n).GetSubinterface(0).GetIpv6().GetAddress(ip6); a.GetPrefixLength() != 64 {
			t.Errorf("%s %s: prefix-length %d, want 64", n, ip6, a.GetPrefixLength())
		}
	}
}

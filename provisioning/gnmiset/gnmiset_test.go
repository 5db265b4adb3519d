package gnmiset

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
	"github.com/tuyau-net/tuyau/testlab/gnmitarget"
)

// labOnly is the part of OpenConfig the testlab gNMI target implements.
var labOnly = []string{
	"/interfaces/interface[name=*]/config/description",
	"/interfaces/interface[name=*]/config/mtu",
	"/interfaces/interface[name=*]/config/enabled",
	"/interfaces/interface[name=*]/subinterfaces/subinterface[index=*]/ipv4/addresses/address[ip=*]/config/prefix-length",
	"/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=*]/config",
}

func snapshot() *inventory.Snapshot {
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	return &inventory.Snapshot{Devices: []inventory.Device{{
		Name: "r1", Role: inventory.RoleMember, Platform: "frr", ASN: 4200000001, Loopback: a("10.255.0.13"), Transports: []string{"gnmi"},
		Interfaces: []inventory.Interface{
			{Name: "lo", Description: "loopback", Addresses: []netip.Prefix{p("10.255.0.13/32")}},
			{Name: "eth1", Description: "to pop-r1 eth3", MTU: 9216, Addresses: []netip.Prefix{p("10.128.0.31/31")}},
		},
		BGPSessions: []inventory.BGPSession{{PeerAddress: a("10.128.0.30"), PeerASN: 65000, Role: inventory.BGPMember, PeerDevice: "pop-r1"}},
	}}}
}

// startTarget runs the testlab gNMI target with TLS on 127.0.0.1:0 over
// a device that has stale config and a neighbor the inventory lacks.
func startTarget(t *testing.T) (*gnmitarget.MemBackend, string, string) {
	t.Helper()
	return startTargetWith(t,
		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("lo", "config/enabled"), Value: true},
		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("lo", "state/oper-status"), Value: "UP"},
		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("eth1", "config/description"), Value: "old"},
		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("eth1", "config/mtu"), Value: uint16(1500)},
		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("eth1", "config/enabled"), Value: true},
		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("eth1", "state/oper-status"), Value: "UP"},
		gnmitarget.Leaf{Path: gnmitarget.NeighborPath("192.0.2.9", "config/peer-as"), Value: uint32(64999)},
		gnmitarget.Leaf{Path: gnmitarget.NeighborPath("10.128.0.30", "state/session-state"), Value: "ESTABLISHED"},
	)
}

// startTargetWith runs the testlab gNMI target with TLS on 127.0.0.1:0
// over a device holding leaves.
func startTargetWith(t *testing.T, leaves ...gnmitarget.Leaf) (*gnmitarget.MemBackend, string, string) {
	t.Helper()
	dev, err := gnmitarget.NewMemBackend(leaves...)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := gnmitarget.NewLabCA("test", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("r1", []net.IP{net.ParseIP("127.0.0.1")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := gnmitarget.New(dev, gnmitarget.WithTLS(cert), gnmitarget.WithCredentials("noc", "pw"))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, lis); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return dev, lis.Addr().String(), caFile
}

func TestGNMIPlanApply(t *testing.T) {
	_, addr, caFile := startTarget(t)
	ctx := context.Background()
	x := inventory.NewIndex(snapshot())
	reg := provisioning.Builtin()
	reg.Register(provisioning.OpenConfig{Only: labOnly})
	dial := &Dialer{Targets: map[string]string{"r1": addr}, CAFile: caFile, Username: "noc", Password: "pw",
		Roots: []string{"/interfaces", "/network-instances"}, Timeout: 5 * time.Second}

	plan, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{})
	if err != nil || plan.Err() != nil {
		t.Fatalf("plan: %v %v", err, plan.Err())
	}
	dp := plan.Devices[0]
	want := []string{
		"delete /network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=192.0.2.9]",
		`replace /interfaces/interface[name=eth1]/config/description "to pop-r1 eth3"`,
		"replace /interfaces/interface[name=eth1]/config/mtu 9216",
		"replace /interfaces/interface[name=eth1]/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.128.0.31]/config/prefix-length 32",
	}
	for _, w := range want {
		found := false
		for _, c := range dp.Commands {
			found = found || c == w || strings.HasPrefix(c, strings.TrimSuffix(w, " 32"))
		}
		if !found {
			t.Errorf("plan lacks %q; commands:\n%s", w, strings.Join(dp.Commands, "\n"))
		}
	}
	devs := map[string]inventory.Device{"r1": *x.Device("r1")}
	res := provisioning.Apply(ctx, plan, reg, devs, dial, provisioning.ApplyOptions{Confirm: 5 * time.Second, PostChecks: true, PollEvery: 50 * time.Millisecond})
	if res[0].Outcome != provisioning.Applied {
		t.Fatalf("apply: %s %s %s", res[0].Outcome, res[0].Error, res[0].RollbackError)
	}
	again, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{})
	if err != nil || again.Err() != nil || again.Changes() != 0 {
		t.Fatalf("second plan: %v %v, %d changes: %q", err, again.Err(), again.Changes(), again.Devices[0].Commands)
	}
}

// TestGNMIPlanWithoutBGP: a device bootstrapped without BGP has no
// /network-instances at all, and the target answers NotFound for it. The
// plan must read that as an empty subtree and create the sessions.
func TestGNMIPlanWithoutBGP(t *testing.T) {
	_, addr, caFile := startTargetWith(t,
		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("lo", "config/enabled"), Value: true},
		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("eth1", "config/description"), Value: "to pop-r1 eth3"},
		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("eth1", "config/mtu"), Value: uint16(9216)},
		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("eth1", "config/enabled"), Value: true},
		gnmitarget.Leaf{Path: gnmitarget.InterfacePath("eth1", "state/oper-status"), Value: "UP"},
	)
	ctx := context.Background()
	x := inventory.NewIndex(snapshot())
	reg := provisioning.Builtin()
	reg.Register(provisioning.OpenConfig{Only: labOnly})
	dial := &Dialer{Targets: map[string]string{"r1": addr}, CAFile: caFile, Username: "noc", Password: "pw",
		Roots: []string{"/interfaces", "/network-instances"}, Timeout: 5 * time.Second}
	plan, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{})
	if err != nil || plan.Err() != nil {
		t.Fatalf("plan of a device without BGP: %v %v", err, plan.Err())
	}
	want := "replace /network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=10.128.0.30]/config/peer-as 65000"
	if !slices.Contains(plan.Devices[0].Commands, want) {
		t.Fatalf("plan lacks %q; commands:\n%s", want, strings.Join(plan.Devices[0].Commands, "\n"))
	}
	// The post-check reads BGP state the same way: no neighbors, no error.
	c, err := dial.Dial(ctx, *x.Device("r1"), "gnmi")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.(*Conn).Status(ctx)
	if err != nil || len(st.BGP) != 0 {
		t.Fatalf("Status of a device without BGP = %v, %v; want no sessions and no error", st.BGP, err)
	}
}

func TestGNMIRefusesBadTLS(t *testing.T) {
	_, addr, caFile := startTarget(t)
	ctx := context.Background()
	dev := *inventory.NewIndex(snapshot()).Device("r1")
	for name, d := range map[string]*Dialer{
		"unknown CA":        {Targets: map[string]string{"r1": addr}, Username: "noc", Password: "pw", Timeout: 3 * time.Second},
		"plaintext to TLS":  {Targets: map[string]string{"r1": addr}, Insecure: true, Username: "noc", Password: "pw", Timeout: 3 * time.Second},
		"wrong credentials": {Targets: map[string]string{"r1": addr}, CAFile: caFile, Username: "noc", Password: "nope", Timeout: 3 * time.Second},
	} {
		if _, err := d.Dial(ctx, dev, "gnmi"); err == nil || !strings.Contains(err.Error(), "r1") {
			t.Errorf("%s: Dial = %v, want an error naming r1", name, err)
		}
	}
}

func TestParsePath(t *testing.T) {
	in := "/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp"
	p, err := parsePath(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := pathString(nil, p); got != in {
		t.Errorf("pathString(parsePath(%q)) = %q", in, got)
	}
	if _, err := parsePath("/a[b]/c"); err == nil {
		t.Error("parsePath accepted a key without =")
	}
}

// FuzzParsePath: paths come from plan files, which people edit.
func FuzzParsePath(f *testing.F) {
	f.Add("/interfaces/interface[name=eth1]/config/mtu")
	f.Add("/a[k=v][k2=v2]/b")
	f.Add("/a[[]]/")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePath(s)
		if err != nil {
			return
		}
		_ = pathString(nil, p)
	})
}

func TestKeyOf(t *testing.T) {
	tests := []struct{ path, elem, key, want string }{
		{"/interfaces/interface[name=xe-0/0/1]/state/oper-status", "interface", "name", "xe-0/0/1"},
		{"/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=2001:db8::2]/state/session-state", "neighbor", "neighbor-address", "2001:db8::2"},
		{`/interfaces/interface[name=a\]b]/state/oper-status`, "interface", "name", "a]b"},
		{"/interfaces/interface[name=eth1]/state/oper-status", "neighbor", "neighbor-address", ""},
	}
	for _, tt := range tests {
		if got := keyOf(tt.path, tt.elem, tt.key); got != tt.want {
			t.Errorf("keyOf(%q, %q, %q) = %q, want %q", tt.path, tt.elem, tt.key, got, tt.want)
		}
	}
}

package testlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

func manche(t testing.TB) *inventory.Snapshot {
	t.Helper()
	snap, err := yamlstore.Open("../examples/manche").Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// renameCircuit gives a circuit another id everywhere it is named.
func renameCircuit(snap *inventory.Snapshot, from, to string) {
	for i := range snap.Circuits {
		if snap.Circuits[i].ID == from {
			snap.Circuits[i].ID = to
		}
	}
	for i := range snap.Cables {
		for _, e := range []*inventory.Termination{&snap.Cables[i].A, &snap.Cables[i].B} {
			if e.Circuit == from {
				e.Circuit = to
			}
		}
	}
}

// TestTransitPeersInPlan checks the plan of the example network stands a
// transit router at the far end of each transit circuit, in the
// provider's AS and on the provider's address, and only where a transit
// session needs one.
func TestTransitPeersInPlan(t *testing.T) {
	type peer struct {
		name     string
		asn      uint32
		address  netip.Prefix
		neighbor netip.Addr
		nbrASN   uint32
		nearEnd  string
	}
	alpha := peer{"transit-1-peer", 64496, netip.MustParsePrefix("192.0.2.0/31"), netip.MustParseAddr("192.0.2.1"), 65000, "saint-lo-dc-r1:eth6"}
	beta := peer{"transit-2-peer", 64497, netip.MustParsePrefix("192.0.2.2/31"), netip.MustParseAddr("192.0.2.3"), 65000, "cherbourg-en-cotentin-dc-r1:eth4"}
	tests := []struct {
		name string
		edit func(*inventory.Snapshot)
		// want maps each circuit to its peer; a circuit mapped to the
		// zero peer keeps a far end the lab does not run.
		want map[string]peer
	}{
		{"example", nil, map[string]peer{"TRANSIT-1": alpha, "TRANSIT-2": beta}},
		{"circuit without a transit session", func(s *inventory.Snapshot) {
			for i := range s.Devices {
				s.Devices[i].BGPSessions = slices.DeleteFunc(s.Devices[i].BGPSessions, func(b inventory.BGPSession) bool {
					return b.Description == "Transit Alpha"
				})
			}
		}, map[string]peer{"TRANSIT-1": {}, "TRANSIT-2": beta}},
		{"circuit id unfit for a file name", func(s *inventory.Snapshot) {
			renameCircuit(s, "TRANSIT-1", "TRANSIT/1 ALPHA")
		}, map[string]peer{"TRANSIT/1 ALPHA": {name: "?", asn: alpha.asn, address: alpha.address, neighbor: alpha.neighbor, nbrASN: alpha.nbrASN, nearEnd: alpha.nearEnd},
			"TRANSIT-2": beta}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := manche(t)
			if tc.edit != nil {
				tc.edit(snap)
			}
			p, err := NewPlan("transit", snap, netip.MustParsePrefix("127.42.0.0/16"), Ports{SSH: 22, GNMI: 57400, BGP: 179})
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			labAddrs := map[netip.Addr]string{}
			for _, d := range p.Devices {
				if names[d.Name] {
					t.Errorf("device name %s twice", d.Name)
				}
				names[d.Name] = true
				if other, dup := labAddrs[d.Addr]; dup {
					t.Errorf("lab address %s for %s and %s", d.Addr, other, d.Name)
				}
				labAddrs[d.Addr] = d.Name
			}
			for _, m := range p.Mapping {
				if other, dup := labAddrs[m.Lab]; dup && other != m.Device {
					t.Errorf("lab address %s for %s and %s", m.Lab, other, m.Device)
				}
				labAddrs[m.Lab] = m.Device
			}
			transit := 0
			for _, d := range p.Devices {
				if d.Role == RoleTransit {
					transit++
				}
			}
			wantTransit := 0
			for circuit, w := range tc.want {
				var l Link
				for _, x := range p.Links {
					if x.B.Circuit == circuit {
						l = x
					}
				}
				if l.ID == "" {
					t.Fatalf("no link ends on circuit %s", circuit)
				}
				if w == (peer{}) {
					if l.B.Device != "" {
						t.Errorf("circuit %s ends on %s, want no transit peer", circuit, l.B.Device)
					}
					continue
				}
				wantTransit++
				if got := l.A.String(); got != w.nearEnd {
					t.Errorf("circuit %s: near end %s, want %s", circuit, got, w.nearEnd)
				}
				if w.name != "?" && l.B.Device != w.name {
					t.Errorf("circuit %s ends on %q, want %s", circuit, l.B.Device, w.name)
				}
				if l.B.Interface != "eth0" || l.ID != w.nearEnd+"--circuit "+circuit {
					t.Errorf("circuit %s: far end %s:%s, id %q", circuit, l.B.Device, l.B.Interface, l.ID)
				}
				d, ok := p.Device(l.B.Device)
				if !ok {
					t.Fatalf("circuit %s ends on %q, which is not a lab device", circuit, l.B.Device)
				}
				if !transitName.MatchString(d.Name) || snapHas(snap, d.Name) {
					t.Errorf("transit peer name %q: want a file-safe name no inventory device has", d.Name)
				}
				got := peer{name: w.name, asn: d.ASN, nearEnd: w.nearEnd}
				if d.Transit != nil {
					got.address, got.neighbor, got.nbrASN = d.Transit.Address, d.Transit.Neighbor, d.Transit.NeighborASN
				}
				if d.Role != RoleTransit || d.Transit == nil || d.Transit.Circuit != circuit || got != w {
					t.Errorf("circuit %s: device %+v transit %+v, want %+v", circuit, d, d.Transit, w)
				}
				m, ok := p.Translate(w.address.Addr())
				if !ok || m.Device != d.Name || m.Interface != "eth0" || m.Prefix != w.address.Bits() || !p.Block.Contains(m.Lab) {
					t.Errorf("circuit %s: mapping of %s = %+v, %v", circuit, w.address.Addr(), m, ok)
				}
				if r, ok := p.Reverse(m.Lab); !ok || r.Inventory != w.address.Addr() {
					t.Errorf("circuit %s: reverse of %s = %+v, %v", circuit, m.Lab, r, ok)
				}
			}
			if transit != wantTransit || len(p.Devices) != len(snap.Devices)+wantTransit {
				t.Errorf("%d devices, %d transit; want %d inventory devices and %d transit", len(p.Devices), transit, len(snap.Devices), wantTransit)
			}
		})
	}
}

func snapHas(snap *inventory.Snapshot, name string) bool {
	return slices.ContainsFunc(snap.Devices, func(d inventory.Device) bool { return d.Name == name })
}

// sshRun runs one command on a device over SSH, as an engineer would.
func (l *testLab) sshRun(t *testing.T, device, cmd string) string {
	t.Helper()
	d, ok := l.Device(device)
	if !ok {
		t.Fatalf("no device %s", device)
	}
	c, err := ssh.Dial("tcp", hostPort(d.Addr(), l.plan.Ports.SSH), l.sshConfig(t, ssh.Password(l.password)))
	if err != nil {
		t.Fatalf("%s: ssh: %v", device, err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatalf("%s: ssh session: %v", device, err)
	}
	out, err := s.CombinedOutput(cmd)
	if err != nil {
		t.Fatalf("%s: %s: %v\n%s", device, cmd, err, out)
	}
	return string(out)
}

// TestTransitSessionsEstablish starts the example network fully
// configured and reads, on each router with a transit session, over SSH,
// that the session is Established and brings the provider's default route.
func TestTransitSessionsEstablish(t *testing.T) {
	snap := manche(t)
	l := startTestLab(t, snap, BootstrapFull)
	n := 0
	for _, d := range snap.Devices {
		for _, s := range d.BGPSessions {
			if s.Role != inventory.BGPTransit {
				continue
			}
			n++
			t.Run(d.Name, func(t *testing.T) {
				peer := s.PeerAddress.String()
				var sum struct {
					IPv4 struct {
						Peers map[string]struct {
							RemoteAs uint32 `json:"remoteAs"`
							State    string `json:"state"`
							PfxRcd   uint64 `json:"pfxRcd"`
						} `json:"peers"`
					} `json:"ipv4Unicast"`
				}
				waitFor(t, 30*time.Second, "transit session Established with a route", func() (bool, string) {
					out := l.sshRun(t, d.Name, "show bgp summary json")
					if err := json.Unmarshal([]byte(out), &sum); err != nil {
						return false, fmt.Sprintf("%v: %s", err, out)
					}
					p := sum.IPv4.Peers[peer]
					return p.State == "Established" && p.RemoteAs == s.PeerASN && p.PfxRcd > 0, out
				})
				out := l.sshRun(t, d.Name, "show ip bgp 0.0.0.0/0")
				if !strings.Contains(out, fmt.Sprintf("  %d\n", s.PeerASN)) || !strings.Contains(out, peer+" from "+peer) {
					t.Errorf("no default route from %s (AS%d):\n%s", peer, s.PeerASN, out)
				}
			})
		}
	}
	if n == 0 {
		t.Fatal("the example network has no transit session")
	}
}

// TestOldPlanWithoutTransitPeers loads a plan saved before labs had
// transit peers: circuits end nowhere and count as up, as they did.
func TestOldPlanWithoutTransitPeers(t *testing.T) {
	snap := manche(t)
	p := testPlan(t, snap)
	p.Devices = slices.DeleteFunc(p.Devices, func(d DevicePlan) bool { return d.Role == RoleTransit })
	p.Mapping = slices.DeleteFunc(p.Mapping, func(m AddressMap) bool { _, ok := p.Device(m.Device); return !ok })
	for i := range p.Links {
		if p.Links[i].B.Circuit != "" {
			p.Links[i].B.Device, p.Links[i].B.Interface = "", ""
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"transit":`) {
		t.Fatalf("an old plan names no transit peer: %s", b)
	}
	var loaded Plan
	if err := json.Unmarshal(b, &loaded); err != nil {
		t.Fatal(err)
	}
	loaded.reindex()
	dir := t.TempDir()
	if _, err := WriteKnownHosts(dir, &loaded); err != nil {
		t.Fatal(err)
	}
	l, err := Start(context.Background(), &loaded, snap, Options{Dir: dir, User: "admin", Password: "pw", Bootstrap: BootstrapBase})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if len(l.order) != len(snap.Devices) {
		t.Errorf("%d devices, want the %d of the inventory", len(l.order), len(snap.Devices))
	}
	for _, lk := range l.plan.Links {
		if lk.B.Circuit == "" {
			continue
		}
		if ls, ok := l.linkOf(lk.A.Device, lk.A.Interface); !ok || !ls.up {
			t.Errorf("link %s: up %v (%s), want up", lk.ID, ls.up, ls.why)
		}
	}
}

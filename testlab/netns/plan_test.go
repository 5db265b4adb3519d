package netns

import (
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
)

var update = flag.Bool("update", false, "rewrite golden files")

var linuxIfname = regexp.MustCompile(`^[A-Za-z0-9._-]{1,15}$`)

func TestPlanLinks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noPanels bool
		cables   int // cables per routed link
	}{
		{"through-patch-panels", false, 3},
		{"direct-cables", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := synth.Generate(synth.Options{Sites: 8, Seed: 1, NoPanels: tc.noPanels})
			if err != nil {
				t.Fatal(err)
			}
			s, err := plan(snap, "t")
			if err != nil {
				t.Fatal(err)
			}
			x := inventory.NewIndex(snap)
			// Every trunk (FO-) cable carries exactly one routed link, and
			// every transit circuit one link to the lab's transit router.
			trunks := 0
			for _, c := range snap.Cables {
				if strings.HasPrefix(c.Label, "FO-") {
					trunks++
				}
			}
			if len(s.Links) != trunks+len(snap.Circuits) {
				t.Errorf("plan found %d links, the inventory has %d trunk cables and %d transit circuits", len(s.Links), trunks, len(snap.Circuits))
			}
			for _, l := range s.Links {
				if s.device(l.B.Device).Role == RoleTransit {
					if len(l.Cables) != 1 || s.device(l.B.Device).Transit == nil {
						t.Errorf("transit link %v rides %v, want its patch cord", l, l.Cables)
					}
					continue
				}
				if len(l.Cables) != tc.cables {
					t.Errorf("link %v rides %v, want %d cables", l, l.Cables, tc.cables)
				}
				p, _ := x.Trace(l.A.Device, l.A.Interface)
				if p.To.Device != l.B.Device || p.To.Interface != l.B.Interface {
					t.Errorf("link %v, but the trace from its A end reaches %v", l, p.To)
				}
				for _, c := range l.Cables {
					if !slices.Equal(s.Cables[c], x.Cable(c).SRLGs) {
						t.Errorf("cable %s: SRLGs %v, inventory has %v", c, s.Cables[c], x.Cable(c).SRLGs)
					}
				}
			}
			for _, d := range s.Devices {
				if len(d.Netns) > 60 || d.Netns != "tuyau-t-"+d.Name {
					t.Errorf("device %s: namespace %q", d.Name, d.Netns)
				}
				if len(d.HostVeth) > 15 {
					t.Errorf("device %s: host veth %q is longer than Linux allows", d.Name, d.HostVeth)
				}
				for _, ifc := range d.Interfaces {
					if !linuxIfname.MatchString(ifc.Ifname) {
						t.Errorf("device %s: interface %s maps to invalid Linux name %q", d.Name, ifc.Name, ifc.Ifname)
					}
				}
			}
			// Each transit port faces a transit router in the provider's AS.
			for _, c := range snap.Circuits {
				peer := s.device(strings.ToLower(c.ID) + "-peer")
				if peer == nil || peer.Transit == nil || peer.Transit.Circuit != c.ID {
					t.Errorf("circuit %s: no transit router %s-peer", c.ID, strings.ToLower(c.ID))
					continue
				}
				dev := snap.Devices[slices.IndexFunc(snap.Devices, func(d inventory.Device) bool { return d.Name == c.A.Device })]
				i := slices.IndexFunc(dev.BGPSessions, func(n inventory.BGPSession) bool { return n.Role == inventory.BGPTransit })
				if want := dev.BGPSessions[i]; peer.Transit.Address.Addr() != want.PeerAddress || peer.Transit.ASN != want.PeerASN {
					t.Errorf("circuit %s: transit router %s AS %d, inventory session to %s AS %d", c.ID, peer.Transit.Address, peer.Transit.ASN, want.PeerAddress, want.PeerASN)
				}
			}
		})
	}
}

func TestPlanSkipsCablesOutOfService(t *testing.T) {
	snap, err := synth.Generate(synth.Options{Sites: 8, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := plan(snap, "t")
	trunk := before.Links[0].Cables[1]
	for i := range snap.Cables {
		if snap.Cables[i].Label == trunk {
			snap.Cables[i].Status = inventory.CablePlanned
		}
	}
	after, err := plan(snap, "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Links) != len(before.Links)-1 {
		t.Fatalf("with %s planned: %d links, want %d", trunk, len(after.Links), len(before.Links)-1)
	}
	a := before.Links[0].A
	for _, ifc := range after.device(a.Device).Interfaces {
		if ifc.Name == a.Interface && ifc.Kind != "unlinked" {
			t.Errorf("%s:%s on a planned cable is %s, want unlinked", a.Device, a.Interface, ifc.Kind)
		}
	}
}

func TestLinuxNames(t *testing.T) {
	lo := netip.MustParsePrefix("10.0.0.1/32")
	d := inventory.Device{Name: "r1", Loopback: netip.MustParseAddr("10.0.0.9"), Interfaces: []inventory.Interface{
		{Name: "Loopback0", Addresses: []netip.Prefix{lo}},
		{Name: "system0", Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.9/32")}},
		{Name: "svc0", Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.8/32")}},
		{Name: "eth1"},
		{Name: "xe-0/0/0"},
		{Name: "xe-0/0/1"},
		{Name: "TenGigabitEthernet1/0/1"},
		{Name: "mgmt0"},
		{Name: "Lo-uplink", Addresses: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/31")}},
	}}
	got := linuxNames(d)
	for _, tc := range []struct{ in, want string }{
		{"Loopback0", "lo"},
		{"system0", "lo"},
		{"svc0", "svc0"},
		{"eth1", "eth1"},
		{"Lo-uplink", "Lo-uplink"},
	} {
		if got[tc.in] != tc.want {
			t.Errorf("linuxNames: %q -> %q, want %q", tc.in, got[tc.in], tc.want)
		}
	}
	seen := map[string]string{}
	for in, out := range got {
		if !linuxIfname.MatchString(out) {
			t.Errorf("linuxNames: %q -> %q, not a valid Linux name", in, out)
		}
		if out == mgmtIfname {
			t.Errorf("linuxNames: %q -> %q, the management interface's name", in, out)
		}
		if prev, dup := seen[out]; dup && out != "lo" {
			t.Errorf("linuxNames: %q and %q both -> %q", prev, in, out)
		}
		seen[out] = in
	}
}

func TestPickMgmt(t *testing.T) {
	rng := netip.MustParsePrefix("198.18.0.0/15")
	p := netip.MustParsePrefix
	for _, tc := range []struct {
		name    string
		devices int
		used    []netip.Prefix
		want    string
	}{
		{"empty machine", 8, nil, "198.18.0.0/24"},
		{"another lab", 50, []netip.Prefix{p("198.18.0.0/24")}, "198.18.1.0/24"},
		{"host network inside", 8, []netip.Prefix{p("198.18.0.0/23"), p("10.0.0.0/8")}, "198.18.2.0/24"},
		{"large lab", 500, []netip.Prefix{p("198.18.1.0/24")}, "198.18.2.0/23"},
		{"whole range used", 8, []netip.Prefix{p("198.16.0.0/12")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pickMgmt(rng, tc.devices, tc.used)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("pickMgmt = %v, want an error", got)
				}
				return
			}
			if err != nil || got.String() != tc.want {
				t.Fatalf("pickMgmt(%d devices, used %v) = %v, %v; want %s", tc.devices, tc.used, got, err, tc.want)
			}
		})
	}
}

// TestRenderConfig compares the initial configs of the generated network
// at each level with golden files (go test -update rewrites them).
func TestRenderConfig(t *testing.T) {
	snap, err := synth.Generate(synth.Options{Sites: 8, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := plan(snap, "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range ConfigLevels {
		t.Run(string(level), func(t *testing.T) {
			cfgs, err := RenderConfigs(snap, s, level)
			if err != nil {
				t.Fatal(err)
			}
			var b, ours strings.Builder
			for _, d := range s.Devices {
				b.WriteString("!! " + d.Name + "\n" + cfgs[d.Name])
				if d.Transit == nil {
					ours.WriteString(cfgs[d.Name])
				}
			}
			golden := filepath.Join("testdata", "config", string(level)+".conf")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("configs at level %s differ from %s (go test -update to accept):\n%s", level, golden, b.String())
			}
			has := func(s string) bool { return strings.Contains(ours.String(), s) }
			if level == ConfigBootstrap && (has("router bgp") || has("router ospf")) {
				t.Error("the bootstrap config routes: provisioning must push that")
			}
			if level == ConfigBGP && !has("route-reflector-client") {
				t.Error("the BGP config has no route-reflector clients")
			}
		})
	}
}

func TestRenderConfigUnknownDevice(t *testing.T) {
	snap, _ := synth.Generate(synth.Options{Sites: 4, Seed: 1})
	s, _ := plan(snap, "t")
	if _, err := RenderConfig(snap, s, "nope", ConfigBGP); err == nil {
		t.Error("RenderConfig of an unknown device: no error")
	}
}

func TestParseBGPSummary(t *testing.T) {
	for _, tc := range []struct {
		file                     string
		peers, established, pfx4 int
	}{
		// dc1 peers with dc2 and both POPs (two families each) and with
		// a transit provider that is not in the lab.
		{"route-reflector-transit-active.json", 7, 6, 0},
		{"pop-all-established.json", 8, 8, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "bgp-summary", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			peers, err := parseBGPSummary(data)
			if err != nil {
				t.Fatal(err)
			}
			est := 0
			for _, p := range peers {
				if p.State == "Established" {
					est++
				}
				if p.RemoteAS == 0 || p.Family == "" || p.Peer == "" {
					t.Errorf("peer parsed incompletely: %+v", p)
				}
			}
			if len(peers) != tc.peers || est != tc.established {
				t.Errorf("parseBGPSummary(%s): %d peers, %d established; want %d, %d", tc.file, len(peers), est, tc.peers, tc.established)
			}
		})
	}
	if _, err := parseBGPSummary([]byte("% Unknown command")); err == nil {
		t.Error("parseBGPSummary of vtysh's error text: no error")
	}
}

// FuzzParseBGPSummary feeds vtysh output (outside input) to the parser:
// it may reject it, never panic.
func FuzzParseBGPSummary(f *testing.F) {
	for _, name := range []string{"route-reflector-transit-active.json", "pop-all-established.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "bgp-summary", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"ipv4Unicast":{"peers":{"x":{"remoteAs":"bad"}}}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseBGPSummary(data)
	})
}

func TestUserFiles(t *testing.T) {
	if _, err := os.Stat("/etc/shadow"); err != nil {
		t.Skip("no /etc/shadow here")
	}
	f, err := makeUserFiles("labuser", "$6$salt$hash")
	if err != nil {
		if os.IsPermission(err) {
			t.Skip("cannot read /etc/shadow")
		}
		t.Fatal(err)
	}
	if !strings.Contains(f.passwd, "\nlabuser:x:") || !strings.Contains(f.shadow, "\nlabuser:$6$salt$hash:") {
		t.Errorf("lab user missing from passwd or shadow")
	}
	for _, line := range strings.Split(f.group, "\n") {
		fs := strings.Split(line, ":")
		if len(fs) == 4 && (fs[0] == "frr" || fs[0] == "frrvty") && !slices.Contains(strings.Split(fs[3], ","), "labuser") {
			t.Errorf("group %s lacks the lab user: %q", fs[0], line)
		}
	}
}

func TestPreflightMessages(t *testing.T) {
	err := preflight(1000, frrBinaries)
	if !errors.Is(err, ErrNotRoot) || !strings.Contains(err.Error(), "root") {
		t.Errorf("preflight as a user = %v, want ErrNotRoot saying root is needed", err)
	}
	err = preflight(0, []string{"/nonexistent/frr/zebra"})
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "/nonexistent/frr/zebra") || !strings.Contains(err.Error(), "apt-get install frr") {
		t.Errorf("preflight without zebra = %v, want ErrMissing naming the file and the package", err)
	}
}

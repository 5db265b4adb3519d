package testlab

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/transport"
	"github.com/scrapli/scrapligo/util"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning/platforms"
)

// cli opens a scrapligo session to a lab device with the project's FRR
// vtysh platform definition, verifying the host key against the lab's
// known_hosts.
func (l *testLab) cli(t testing.TB, device string, auth ...util.Option) *network.Driver {
	t.Helper()
	d, ok := l.Device(device)
	if !ok {
		t.Fatalf("no device %s", device)
	}
	opts := []util.Option{
		options.WithTransportType(transport.StandardTransport),
		options.WithPort(l.plan.Ports.SSH),
		options.WithAuthUsername("admin"),
		options.WithSSHKnownHostsFile(filepath.Join(l.dir, KnownHostsFile)),
		options.WithTimeoutOps(20 * time.Second),
	}
	if len(auth) == 0 {
		auth = []util.Option{options.WithAuthPassword(l.password)}
	}
	opts = append(opts, auth...)
	p, err := platform.NewPlatform(platforms.FRRVtysh(), d.Addr().String(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	drv, err := p.GetNetworkDriver()
	if err != nil {
		t.Fatal(err)
	}
	if err := drv.Open(); err != nil {
		t.Fatalf("scrapligo open %s: %v", device, err)
	}
	t.Cleanup(func() { drv.Close() })
	return drv
}

// ebgpPair finds a member router and the POP it peers with over a link
// that has light, with both ends' inventory addresses.
func ebgpPair(t testing.TB, l *testLab, snap *inventory.Snapshot) (member, pop *inventory.Device, memberAddr, popAddr string) {
	t.Helper()
	x := inventory.NewIndex(snap)
	for i := range snap.Devices {
		m := &snap.Devices[i]
		if m.Role != inventory.RoleMember {
			continue
		}
		for _, s := range m.BGPSessions {
			p := x.Device(s.PeerDevice)
			if p == nil {
				continue
			}
			am, ok := l.plan.Translate(s.PeerAddress)
			if !ok {
				continue
			}
			if ls, ok := l.linkOf(p.Name, am.Interface); !ok || !ls.up {
				continue
			}
			for _, back := range p.BGPSessions {
				if back.PeerDevice == m.Name {
					return m, p, back.PeerAddress.String(), s.PeerAddress.String()
				}
			}
		}
	}
	t.Fatal("no member/POP pair over a lit link")
	return
}

type summaryJSON map[string]struct {
	Peers map[string]struct {
		State  string `json:"state"`
		PfxRcd int    `json:"pfxRcd"`
	} `json:"peers"`
}

func bgpState(t testing.TB, d *network.Driver, peer string) (string, int) {
	t.Helper()
	r, err := d.SendCommand("show bgp summary json")
	if err != nil {
		t.Fatal(err)
	}
	var s summaryJSON
	if err := json.Unmarshal([]byte(r.Result), &s); err != nil {
		t.Fatalf("show bgp summary json: %v\n%s", err, r.Result)
	}
	p, ok := s["ipv4Unicast"].Peers[peer]
	if !ok {
		return "absent", 0
	}
	return p.State, p.PfxRcd
}

// TestProvisionBGPWithScrapli pushes BGP to two devices of a lab that
// booted without it, through scrapligo and the FRR vtysh platform: a
// correct config brings the session up and carries routes both ways; a
// wrong remote AS takes it down and keeps it down.
func TestProvisionBGPWithScrapli(t *testing.T) {
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapBase)
	member, pop, memberAddr, popAddr := ebgpPair(t, l, snap)
	key := filepath.Join(l.dir, ClientKeyFile)
	mc := l.cli(t, member.Name, options.WithAuthPrivateKey(key, ""))
	pc := l.cli(t, pop.Name)

	mAS, pAS := strconv.Itoa(int(member.ASN)), strconv.Itoa(int(pop.ASN))
	push := func(d *network.Driver, lines ...string) {
		t.Helper()
		r, err := d.SendConfigs(lines)
		if err != nil {
			t.Fatal(err)
		}
		if r.Failed != nil {
			t.Fatalf("push failed: %v", r.Failed)
		}
	}
	push(pc, "router bgp "+pAS, "no bgp ebgp-requires-policy", "neighbor "+memberAddr+" remote-as "+mAS,
		"address-family ipv4 unicast", "network 10.99.1.0/24", "exit-address-family")
	push(mc, "router bgp "+mAS, "no bgp ebgp-requires-policy", "neighbor "+popAddr+" remote-as "+pAS,
		"neighbor "+popAddr+" description uplink", "address-family ipv4 unicast", "network 10.99.2.0/24")

	waitFor(t, 20*time.Second, "session up with routes", func() (bool, string) {
		st, n := bgpState(t, mc, popAddr)
		return st == "Established" && n >= 1, fmt.Sprintf("%s state %s, %d prefixes", member.Name, st, n)
	})
	r, err := mc.SendCommand("show bgp ipv4 unicast")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Result, "10.99.1.0/24") || !strings.Contains(r.Result, popAddr) {
		t.Errorf("%s: show bgp ipv4 unicast lacks 10.99.1.0/24 via %s:\n%s", member.Name, popAddr, r.Result)
	}
	r, err = mc.SendCommand("show ip bgp 10.99.1.0/24")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BGP routing table entry for 10.99.1.0/24", pAS, popAddr + " from " + popAddr, "external, best"} {
		if !strings.Contains(r.Result, want) {
			t.Errorf("show ip bgp 10.99.1.0/24 lacks %q:\n%s", want, r.Result)
		}
	}
	if r, _ := mc.SendCommand("show ip bgp 10.98.0.0/24"); !strings.Contains(r.Result, "% Network not in table") {
		t.Errorf("show ip bgp of an absent prefix:\n%s", r.Result)
	}
	run, _ := pc.SendCommand("show running-config")
	for _, want := range []string{"neighbor " + memberAddr + " remote-as " + mAS, "  network 10.99.1.0/24"} {
		if !strings.Contains(run.Result, want) {
			t.Errorf("%s running-config lacks %q:\n%s", pop.Name, want, run.Result)
		}
	}

	// A typo fails the push, as on FRR.
	bad, err := mc.SendConfigs([]string{"router bgp " + mAS, "neighbour " + popAddr + " remote-as 1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bad push: %v", bad.Failed)
	if bad.Failed == nil {
		t.Error("pushing \"neighbour\": want a failed response (% Unknown command)")
	}

	// The wrong remote AS: the session drops and stays down.
	push(mc, "router bgp "+mAS, "no neighbor "+popAddr, "neighbor "+popAddr+" remote-as 64999")
	waitFor(t, 10*time.Second, "session down", func() (bool, string) {
		st, _ := bgpState(t, pc, memberAddr)
		return st != "Established", pop.Name + " still " + st
	})
	time.Sleep(3 * time.Second)
	if st, _ := bgpState(t, pc, memberAddr); st == "Established" {
		t.Errorf("with remote-as 64999 on %s, %s sees the session %s", member.Name, pop.Name, st)
	}
}

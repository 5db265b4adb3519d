package netns

import (
	"context"
	"net"
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

// TestProvisionBGPWithScrapli is the virtual lab's test of the same name
// (testlab/scrapli_test.go) against real FRR: BGP pushed through scrapligo
// and the project's FRR vtysh platform to two routers that booted without
// it brings the session up with routes both ways; a typo fails the push; a
// wrong remote AS takes the session down and keeps it down.
func TestProvisionBGPWithScrapli(t *testing.T) {
	requireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	snap := smallNetwork(t)
	const password = "lab-secret"
	lab, err := Up(ctx, snap, Options{Name: "tscrapli", StateDir: t.TempDir(), Config: ConfigBootstrap, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Down(context.Background()); err != nil {
			t.Errorf("down: %v", err)
		}
	})
	member, pop, memberAddr, popAddr := memberPOP(t, snap)
	mc, pc := scrapliCLI(t, lab, member.Name, password), scrapliCLI(t, lab, pop.Name, password)

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
	push(pc, "ip route 10.99.1.0/24 blackhole", "router bgp "+pAS, "no bgp ebgp-requires-policy", "neighbor "+memberAddr+" remote-as "+mAS,
		"address-family ipv4 unicast", "neighbor "+memberAddr+" activate", "network 10.99.1.0/24", "exit-address-family")
	push(mc, "ip route 10.99.2.0/24 blackhole", "router bgp "+mAS, "no bgp ebgp-requires-policy", "neighbor "+popAddr+" remote-as "+pAS,
		"neighbor "+popAddr+" description uplink", "address-family ipv4 unicast", "neighbor "+popAddr+" activate", "network 10.99.2.0/24")

	waitUntil(t, 60*time.Second, "session up with routes", func() (bool, string) {
		st, n := scrapliBGPState(t, mc, popAddr)
		return st == "Established" && n >= 1, member.Name + " state " + st + ", " + strconv.Itoa(n) + " prefixes"
	})
	r, err := mc.SendCommand("show bgp ipv4 unicast")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Result, "10.99.1.0/24") || !strings.Contains(r.Result, popAddr) {
		t.Errorf("%s: show bgp ipv4 unicast lacks 10.99.1.0/24 via %s:\n%s", member.Name, popAddr, r.Result)
	}
	run, err := pc.SendCommand("show running-config")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"neighbor " + memberAddr + " remote-as " + mAS, "  network 10.99.1.0/24"} {
		if !strings.Contains(run.Result, want) {
			t.Errorf("%s running-config lacks %q:\n%s", pop.Name, want, run.Result)
		}
	}

	// A typo fails the push: FRR answers "% Unknown command".
	bad, err := mc.SendConfigs([]string{"router bgp " + mAS, "neighbour " + popAddr + " remote-as 1"})
	if err != nil {
		t.Fatal(err)
	}
	if bad.Failed == nil {
		t.Error(`pushing "neighbour": want a failed response (% Unknown command)`)
	}

	// The wrong remote AS: the session drops and stays down.
	push(mc, "router bgp "+mAS, "no neighbor "+popAddr, "neighbor "+popAddr+" remote-as 64999")
	waitUntil(t, 20*time.Second, "session down", func() (bool, string) {
		st, _ := scrapliBGPState(t, pc, memberAddr)
		return st != "Established", pop.Name + " still " + st
	})
	time.Sleep(3 * time.Second)
	if st, _ := scrapliBGPState(t, pc, memberAddr); st == "Established" {
		t.Errorf("with remote-as 64999 on %s, %s sees the session %s", member.Name, pop.Name, st)
	}
}

// memberPOP finds a member and a POP it has an eBGP session with, and
// their addresses on the link.
func memberPOP(t *testing.T, snap *inventory.Snapshot) (member, pop *inventory.Device, memberAddr, popAddr string) {
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
			for _, back := range p.BGPSessions {
				if back.PeerDevice == m.Name {
					return m, p, back.PeerAddress.String(), s.PeerAddress.String()
				}
			}
		}
	}
	t.Fatal("no member with a POP session")
	return
}

// scrapliCLI opens a scrapligo session to a lab router with the project's
// FRR vtysh platform, checking the host key against the lab's known_hosts.
func scrapliCLI(t *testing.T, lab *Lab, device, password string) *network.Driver {
	t.Helper()
	host, port, err := net.SplitHostPort(lab.Targets()[device])
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	opts := []util.Option{
		options.WithTransportType(transport.StandardTransport),
		options.WithPort(p),
		options.WithAuthUsername(lab.User()),
		options.WithAuthPassword(password),
		options.WithSSHKnownHostsFile(lab.KnownHosts()),
		options.WithTimeoutOps(20 * time.Second),
	}
	pl, err := platform.NewPlatform(platforms.FRRVtysh(), host, opts...)
	if err != nil {
		t.Fatal(err)
	}
	d, err := pl.GetNetworkDriver()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Open(); err != nil {
		t.Fatalf("scrapligo open %s: %v", device, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func scrapliBGPState(t *testing.T, d *network.Driver, peer string) (string, int) {
	t.Helper()
	r, err := d.SendCommand("show bgp summary json")
	if err != nil {
		t.Fatal(err)
	}
	peers, err := parseBGPSummary([]byte(r.Result))
	if err != nil {
		// Before "router bgp" vtysh prints a note, not JSON.
		return "absent", 0
	}
	for _, p := range peers {
		if p.Peer == peer && p.Family == "ipv4Unicast" {
			return p.State, p.PfxRcd
		}
	}
	return "absent", 0
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v: %s", what, d, msg)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

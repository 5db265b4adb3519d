package sshcli

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/bgp"
	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
)

// TestFRRSafeBGP pushes the rendered safe-BGP defaults to two real FRR
// routers (bfdd running) and checks on the routers themselves that the
// member session is up with each safeguard in effect: TCP MD5 from the
// secrets file, GTSM, BFD up, maximum-prefix with its warning threshold,
// graceful restart; and that a second plan is empty (FRR shows every
// rendered line back as rendered).
func TestFRRSafeBGP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FRR and sshd")
	}
	lab, _, devs, dial, _ := startTwoRouters(t, 20*time.Second)
	snap := twoRouterInventory()
	for i := range snap.Devices {
		snap.Devices[i].BGPSessions[0].PasswordSecret = "bgp-mairie"
	}
	x := inventory.NewIndex(snap)
	secrets := filepath.Join(t.TempDir(), "secrets.yaml")
	if err := os.WriteFile(secrets, []byte("bgp:\n  passwords:\n    bgp-mairie: \"md5-s3cret!x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pw, err := bgp.LoadPasswords(secrets)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	reg := provisioning.Builtin()
	popts := provisioning.PlanOptions{Render: provisioning.Options{BGPPassword: pw.Lookup}}
	plan, err := provisioning.MakePlan(ctx, x, reg, dial, popts)
	if err != nil || plan.Err() != nil {
		t.Fatalf("plan: %v %v", err, plan.Err())
	}
	res := provisioning.Apply(ctx, plan, reg, devs, dial, provisioning.ApplyOptions{PostChecks: true, PollEvery: time.Second})
	for _, r := range res {
		if r.Outcome != provisioning.Applied {
			t.Fatalf("%s: %s: %s %s", r.Device, r.Outcome, r.Error, r.RollbackError)
		}
	}

	peers := map[string]string{"pop-r1": "10.128.0.1", "mairie-r1": "10.128.0.0"}
	for name, peer := range peers {
		r := lab[name]
		// BFD comes up a moment after BGP: poll, generously under load.
		var bfd string
		deadline := time.Now().Add(60 * time.Second)
		for {
			bfd = r.vtyshShow(t, "show bfd peers")
			if strings.Contains(bfd, "peer "+peer) && strings.Contains(bfd, "Status: up") || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if !strings.Contains(bfd, "peer "+peer) || !strings.Contains(bfd, "Status: up") {
			t.Errorf("%s: BFD with %s not up:\n%s", name, peer, bfd)
		}
		var nb map[string]struct {
			State          string `json:"bgpState"`
			PeerBFD        any    `json:"peerBfdInfo"`
			GR             any    `json:"gracefulRestartInfo"`
			AddressFamilys map[string]struct {
				Max  int `json:"prefixAllowedMax"`
				Warn int `json:"prefixAllowedWarningThresh"`
			} `json:"addressFamilyInfo"`
		}
		out := r.vtyshShow(t, "show bgp neighbors "+peer+" json")
		if err := json.Unmarshal([]byte(out), &nb); err != nil {
			t.Fatalf("%s: show bgp neighbors json: %v\n%s", name, err, out)
		}
		n, ok := nb[peer]
		if !ok {
			t.Fatalf("%s: no neighbor %s in\n%s", name, peer, out)
		}
		if n.State != "Established" {
			t.Errorf("%s: session with %s %s, want Established with MD5, GTSM and BFD on both ends", name, peer, n.State)
		}
		if n.PeerBFD == nil {
			t.Errorf("%s: neighbor %s has no BFD", name, peer)
		}
		if n.GR == nil {
			t.Errorf("%s: neighbor %s has no graceful-restart info", name, peer)
		}
		af, ok := n.AddressFamilys["ipv4Unicast"]
		if !ok || af.Max != 10 || af.Warn != 90 {
			t.Errorf("%s: ipv4 maximum-prefix of %s = %+v, want 10 with a warning at 90%%:\n%s", name, peer, af, out)
		}
		// GTSM and MD5 show in the text form only.
		text := r.vtyshShow(t, "show bgp neighbors "+peer)
		for _, want := range []string{"Peer Authentication Enabled", "External BGP neighbor may be up to 1 hops away"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: show bgp neighbors %s lacks %q:\n%s", name, peer, want, text)
			}
		}
	}
	again, err := provisioning.MakePlan(ctx, x, reg, dial, popts)
	if err != nil || again.Err() != nil {
		t.Fatalf("second plan: %v %v", err, again.Err())
	}
	for _, dp := range again.Devices {
		if dp.Changed() {
			t.Errorf("second plan changes %s:\n%s\n%q", dp.Device, dp.Diff, dp.Commands)
		}
	}
}

// TestFRRCoreLinkBFD: two core routers joined by one link get OSPF with
// BFD on it (bfdd running) and iBGP over their loopbacks; on the routers,
// the link's BFD session is up, OSPF is Full, iBGP Established, and a
// second plan is empty.
func TestFRRCoreLinkBFD(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FRR and sshd")
	}
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	core := func(name, lo, link, peerLo string) inventory.Device {
		return inventory.Device{Name: name, Site: "dc-" + name, Role: inventory.RoleCore, Platform: "frr", ASN: 65000, Loopback: a(lo),
			Transports: []string{"ssh"},
			Interfaces: []inventory.Interface{
				{Name: "lo", Addresses: []netip.Prefix{netip.PrefixFrom(a(lo), 32)}},
				{Name: "eth1", Description: "core link", Addresses: []netip.Prefix{p(link)}}},
			BGPSessions: []inventory.BGPSession{{PeerAddress: a(peerLo), PeerASN: 65000, Role: inventory.BGPiBGP}}}
	}
	snap := &inventory.Snapshot{
		Network: inventory.Network{Name: "lab", ASN: 65000},
		Sites:   []inventory.Site{{Slug: "dc-c1", Role: inventory.SiteCore}, {Slug: "dc-c2", Role: inventory.SiteCore}},
		Devices: []inventory.Device{core("c1", "10.255.0.1", "10.128.0.0/31", "10.255.0.2"), core("c2", "10.255.0.2", "10.128.0.1/31", "10.255.0.1")},
	}
	lab, kh, key := startFRRLab(t, []string{"c1", "c2"}, [][2]string{{"c1:eth1", "c2:eth1"}})
	x := inventory.NewIndex(snap)
	targets := map[string]string{}
	devs := map[string]inventory.Device{}
	for n, r := range lab {
		targets[n] = r.addr
		devs[n] = *x.Device(n)
	}
	dial := &Dialer{KnownHosts: kh, Credentials: Credentials{Username: "root", PrivateKey: key}, Targets: targets, Timeout: 20 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	reg := provisioning.Builtin()
	plan, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{})
	if err != nil || plan.Err() != nil {
		t.Fatalf("plan: %v %v", err, plan.Err())
	}
	for _, r := range provisioning.Apply(ctx, plan, reg, devs, dial, provisioning.ApplyOptions{}) {
		if r.Outcome != provisioning.Applied {
			t.Fatalf("%s: %s: %s %s", r.Device, r.Outcome, r.Error, r.RollbackError)
		}
	}
	peers := map[string]string{"c1": "10.128.0.1", "c2": "10.128.0.0"}
	loops := map[string]string{"c1": "10.255.0.2", "c2": "10.255.0.1"}
	for name, peer := range peers {
		r := lab[name]
		var bfd, ospf, bgpSum string
		deadline := time.Now().Add(90 * time.Second)
		for {
			bfd = r.vtyshShow(t, "show bfd peers")
			ospf = r.vtyshShow(t, "show ip ospf neighbor")
			bgpSum = r.vtyshShow(t, "show bgp neighbors "+loops[name])
			up := strings.Contains(bfd, "peer "+peer) && strings.Contains(bfd, "Status: up") &&
				strings.Contains(ospf, "Full") && strings.Contains(bgpSum, "BGP state = Established")
			if up || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Second)
		}
		if !strings.Contains(bfd, "peer "+peer) || !strings.Contains(bfd, "Status: up") {
			t.Errorf("%s: BFD with %s on the core link not up:\n%s", name, peer, bfd)
		}
		if !strings.Contains(ospf, "Full") {
			t.Errorf("%s: OSPF not Full:\n%s", name, ospf)
		}
		if !strings.Contains(bgpSum, "BGP state = Established") {
			t.Errorf("%s: iBGP with %s not Established:\n%s", name, loops[name], bgpSum)
		}
	}
	again, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{})
	if err != nil || again.Err() != nil {
		t.Fatalf("second plan: %v %v", err, again.Err())
	}
	for _, dp := range again.Devices {
		if dp.Changed() {
			t.Errorf("second plan changes %s:\n%s\n%q", dp.Device, dp.Diff, dp.Commands)
		}
	}
}

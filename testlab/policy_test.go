package testlab

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRouteMapsAndEBGPPolicy checks FRR's policy behaviour end to end: an
// eBGP session without route-maps comes up but exchanges nothing (the
// default "bgp ebgp-requires-policy"), route-maps let routes through, and
// "set as-path prepend" shows in the peer's table.
func TestRouteMapsAndEBGPPolicy(t *testing.T) {
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapBase)
	ctx := context.Background()
	member, pop, memberAddr, popAddr := ebgpPair(t, l, snap)
	m, _ := l.Device(member.Name)
	p, _ := l.Device(pop.Name)
	mAS, pAS := strconv.Itoa(int(member.ASN)), strconv.Itoa(int(pop.ASN))
	vtyshPush(t, p, "router bgp "+pAS, "neighbor "+memberAddr+" remote-as "+mAS,
		"address-family ipv4 unicast", "network 10.99.1.0/24")
	vtyshPush(t, m, "router bgp "+mAS, "neighbor "+popAddr+" remote-as "+pAS,
		"address-family ipv4 unicast", "network 10.99.2.0/24")
	waitFor(t, 20*time.Second, "session up", func() (bool, string) {
		_, _, ns := m.Neighbors(ctx, "ipv4 unicast")
		return len(ns) == 1 && ns[0].State == "Established", m.BGPSummary(ctx, "ipv4 unicast", false)
	})
	time.Sleep(time.Second)
	if out := m.BGPRoutes(ctx, "ipv4 unicast"); strings.Contains(out, "10.99.1.0/24") {
		t.Errorf("without route-maps, eBGP carried a route:\n%s", out)
	}
	if sum := m.BGPSummary(ctx, "ipv4 unicast", false); !strings.Contains(sum, "(Policy)") {
		t.Errorf("show bgp summary does not say (Policy):\n%s", sum)
	}

	vtyshPush(t, p, "ip prefix-list OURS seq 5 permit 10.99.0.0/16 le 24",
		"route-map OUT permit 10", "match ip address prefix-list OURS", "set as-path prepend "+pAS+" "+pAS, "exit",
		"route-map IN permit 10", "exit",
		"router bgp "+pAS, "address-family ipv4 unicast",
		"neighbor "+memberAddr+" route-map IN in", "neighbor "+memberAddr+" route-map OUT out")
	vtyshPush(t, m, "route-map ANY permit 10", "exit", "router bgp "+mAS, "address-family ipv4 unicast",
		"neighbor "+popAddr+" route-map ANY in", "neighbor "+popAddr+" route-map ANY out")
	want := pAS + " " + pAS + " " + pAS + " i"
	waitFor(t, 20*time.Second, "prepended route at the member", func() (bool, string) {
		out := m.BGPRoutes(ctx, "ipv4 unicast")
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "10.99.1.0/24") && strings.HasSuffix(strings.TrimSpace(line), want) {
				return true, ""
			}
		}
		return false, out
	})
	waitFor(t, 20*time.Second, "member route at the POP", func() (bool, string) {
		out := p.BGPRoutes(ctx, "ipv4 unicast")
		return strings.Contains(out, "10.99.2.0/24"), out
	})
}

package testlab

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/testlab/vtysh"
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

// TestRouteMapRulesAddressFamilies checks which routes of each family a
// route-map entry matches when it names prefix-lists of either family: FRR
// matches an entry only against prefixes of its own family, and every match
// line of an entry has to match.
func TestRouteMapRulesAddressFamilies(t *testing.T) {
	const lists = `ip prefix-list V4 seq 5 permit 198.51.100.0/24
ipv6 prefix-list V6 seq 5 permit 2001:db8:100::/48
ipv6 prefix-list V6 seq 10 permit 2001:db8:200::/40 ge 44 le 48
ipv6 prefix-list ANY6 seq 5 permit any
`
	type want struct {
		matchNone bool
		prefixes  []pfxRange
	}
	tests := []struct {
		name    string
		matches []string
		v4, v6  want
	}{
		{"no match line", nil, want{false, nil}, want{false, nil}},
		{"ip prefix-list", []string{"match ip address prefix-list V4"},
			want{false, []pfxRange{{"198.51.100.0/24", 24, 24}}}, want{true, nil}},
		{"ipv6 prefix-list", []string{"match ipv6 address prefix-list V6"},
			want{true, nil}, want{false, []pfxRange{{"2001:db8:100::/48", 48, 48}, {"2001:db8:200::/40", 44, 48}}}},
		{"ipv6 any", []string{"match ipv6 address prefix-list ANY6"}, want{true, nil}, want{false, []pfxRange{{"::/0", 0, 128}}}},
		{"ipv6 then ip", []string{"match ipv6 address prefix-list V6", "match ip address prefix-list V4"}, want{true, nil}, want{true, nil}},
		{"ip then ipv6", []string{"match ip address prefix-list V4", "match ipv6 address prefix-list V6"}, want{true, nil}, want{true, nil}},
		{"missing ip prefix-list", []string{"match ip address prefix-list NONE"}, want{true, nil}, want{true, nil}},
		{"missing ipv6 prefix-list", []string{"match ipv6 address prefix-list NONE"}, want{true, nil}, want{true, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := lists + "route-map RM permit 10\n"
			for _, m := range tc.matches {
				text += " " + m + "\n"
			}
			cfg, err := vtysh.Parse(text + "exit\n")
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct {
				v6   bool
				want want
			}{{false, tc.v4}, {true, tc.v6}} {
				rules := routeMapRules(cfg, "RM", f.v6)
				if len(rules) != 1 {
					t.Fatalf("v6=%v: %d rules, want 1", f.v6, len(rules))
				}
				r := rules[0]
				if !r.Permit || r.MatchNone != f.want.matchNone || !slices.Equal(r.Prefixes, f.want.prefixes) {
					t.Errorf("v6=%v: rule %+v, want permit, match none %v, prefixes %v", f.v6, r, f.want.matchNone, f.want.prefixes)
				}
			}
		})
	}
}

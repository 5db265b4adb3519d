package provisioning

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

// sessionOf returns the intent's neighbor at addr.
func sessionOf(t *testing.T, in Intent, addr netip.Addr) Neighbor {
	t.Helper()
	for _, n := range in.BGP.Neighbors {
		if n.Address == addr {
			return n
		}
	}
	t.Fatalf("%s: no neighbor %s", in.Hostname, addr)
	return Neighbor{}
}

// TestSafeBGPDefaults: each safeguard is on by default on the sessions it
// belongs to, and each disable entry turns exactly that one off on that
// session.
func TestSafeBGPDefaults(t *testing.T) {
	base := loadManche(t).Snapshot()
	// The example's aggregation router with members, and a core router with transit.
	agg, core := "valognes-pop-r1", "saint-lo-dc-r1"
	find := func(s *inventory.Snapshot, dev string, role inventory.BGPRole) (int, int) {
		for i, d := range s.Devices {
			if d.Name != dev {
				continue
			}
			for j, b := range d.BGPSessions {
				if b.Role == role {
					return i, j
				}
			}
		}
		t.Fatalf("%s has no %s session", dev, role)
		return 0, 0
	}
	tests := []struct {
		name  string
		dev   string
		role  inventory.BGPRole
		edit  func(*inventory.BGPSession)
		check func(t *testing.T, in Intent, n Neighbor)
	}{
		{"member defaults", agg, inventory.BGPMember, nil, func(t *testing.T, in Intent, n Neighbor) {
			if n.TTLSecurity != 1 || !n.BFD || n.MaxPrefix4 < memberMaxFloor || n.MaxPrefixWarn != 90 || n.NoGracefulRestart {
				t.Errorf("member session %+v, want GTSM 1, BFD, max-prefix >= %d warn 90, graceful restart", n, memberMaxFloor)
			}
			if !in.BGP.GracefulRestart || !in.BGP.LogNeighborChanges {
				t.Errorf("BGP process without graceful restart or neighbor logging")
			}
		}},
		{"member no gtsm", agg, inventory.BGPMember, func(s *inventory.BGPSession) { s.Disable = []string{"gtsm"} }, func(t *testing.T, _ Intent, n Neighbor) {
			if n.TTLSecurity != 0 || !n.BFD || n.MaxPrefix4 == 0 {
				t.Errorf("gtsm off: %+v, want only GTSM off", n)
			}
		}},
		{"member no bfd", agg, inventory.BGPMember, func(s *inventory.BGPSession) { s.Disable = []string{"bfd"} }, func(t *testing.T, _ Intent, n Neighbor) {
			if n.BFD || n.TTLSecurity != 1 {
				t.Errorf("bfd off: %+v, want only BFD off", n)
			}
		}},
		{"member no max-prefix", agg, inventory.BGPMember, func(s *inventory.BGPSession) { s.Disable = []string{"max-prefix"} }, func(t *testing.T, _ Intent, n Neighbor) {
			if n.MaxPrefix4 != 0 || n.MaxPrefix6 != 0 || n.MaxPrefixWarn != 0 {
				t.Errorf("max-prefix off: %+v", n)
			}
		}},
		{"member no graceful-restart", agg, inventory.BGPMember, func(s *inventory.BGPSession) { s.Disable = []string{"graceful-restart"} }, func(t *testing.T, in Intent, n Neighbor) {
			if !n.NoGracefulRestart || !in.BGP.GracefulRestart {
				t.Errorf("graceful-restart off: neighbor %v process %v, want off on the session only", n.NoGracefulRestart, in.BGP.GracefulRestart)
			}
		}},
		{"transit defaults", core, inventory.BGPTransit, nil, func(t *testing.T, in Intent, n Neighbor) {
			if n.MaxPrefix4 != transitMax4 || n.MaxPrefix6 != transitMax6 || n.TTLSecurity != 1 || n.BFD || n.RouteMapIn != rmTransitIn {
				t.Errorf("transit session %+v, want max %d/%d, GTSM, no BFD (the provider's end is not ours), RM-TRANSIT-IN", n, transitMax4, transitMax6)
			}
		}},
		{"transit max_prefix", core, inventory.BGPTransit, func(s *inventory.BGPSession) { s.MaxPrefix = 5000 }, func(t *testing.T, _ Intent, n Neighbor) {
			if n.MaxPrefix4 != 5000 || n.MaxPrefix6 != 5000 {
				t.Errorf("max_prefix 5000: %d/%d", n.MaxPrefix4, n.MaxPrefix6)
			}
		}},
		{"transit no bogons", core, inventory.BGPTransit, func(s *inventory.BGPSession) { s.Disable = []string{"bogons"} }, func(t *testing.T, in Intent, n Neighbor) {
			if n.RouteMapIn != rmTransitAny || !slices.ContainsFunc(in.RouteMaps, func(r RouteMap) bool { return r.Name == rmTransitAny }) {
				t.Errorf("bogons off: route-map in %s, want %s defined", n.RouteMapIn, rmTransitAny)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := *base
			snap.Devices = slices.Clone(base.Devices)
			i, j := find(&snap, tt.dev, tt.role)
			snap.Devices[i].BGPSessions = slices.Clone(snap.Devices[i].BGPSessions)
			if tt.edit != nil {
				tt.edit(&snap.Devices[i].BGPSessions[j])
			}
			for _, p := range inventory.Validate(&snap) {
				if !p.IsWarning() && strings.Contains(p.Object, tt.dev) {
					t.Fatalf("edited inventory invalid: %v", p)
				}
			}
			in, err := BuildIntent(inventory.NewIndex(&snap), tt.dev, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, in, sessionOf(t, in, snap.Devices[i].BGPSessions[j].PeerAddress))
		})
	}
}

// TestTransitInRefusesBogons evaluates the transit import list as FRR
// does (first matching entry wins) on routes a transit may send.
func TestTransitInRefusesBogons(t *testing.T) {
	snap := loadManche(t).Snapshot()
	// Our own public space, outside every bogon block.
	snap.Prefixes = append(slices.Clone(snap.Prefixes), inventory.Prefix{Prefix: netip.MustParsePrefix("185.10.0.0/22"), Role: "infrastructure"})
	lists := transitInLists(snap)
	eval := func(p netip.Prefix) string {
		for _, pl := range lists {
			if pl.IPv6 != p.Addr().Is6() {
				continue
			}
			for _, e := range pl.Entries {
				le := e.Le
				if le == 0 {
					le = e.Prefix.Bits()
				}
				if e.Prefix.Contains(p.Addr()) && p.Bits() >= e.Prefix.Bits() && p.Bits() <= le {
					return e.Action
				}
			}
		}
		return "deny"
	}
	tests := []struct {
		prefix, want string
	}{
		{"0.0.0.0/0", "permit"}, {"8.8.8.0/24", "permit"}, {"8.8.8.0/25", "deny"},
		{"10.1.0.0/16", "deny"}, {"192.168.1.0/24", "deny"}, {"100.64.0.0/10", "deny"}, {"240.0.0.0/8", "deny"},
		{"185.10.0.0/22", "deny"}, {"185.10.1.0/24", "deny"}, {"185.11.0.0/24", "permit"},
		{"2a00:1450::/32", "permit"}, {"2a00:1450::/49", "deny"}, {"2001:db8:1::/48", "deny"}, {"fd00::/8", "deny"},
		{"2002::/16", "deny"}, {"fe80::/64", "deny"},
	}
	for _, tt := range tests {
		if got := eval(netip.MustParsePrefix(tt.prefix)); got != tt.want {
			t.Errorf("transit in %s = %s, want %s", tt.prefix, got, tt.want)
		}
	}
}

// TestRenderPasswordRefused: a password no router CLI takes as one word
// fails the render naming the key and not the password.
func TestRenderPasswordRefused(t *testing.T) {
	snap := loadManche(t).Snapshot()
	i := slices.IndexFunc(snap.Devices, func(d inventory.Device) bool { return d.Name == "valognes-pop-r1" })
	snap.Devices[i].BGPSessions = slices.Clone(snap.Devices[i].BGPSessions)
	snap.Devices[i].BGPSessions[0].PasswordSecret = "bgp-k"
	x := inventory.NewIndex(snap)
	for _, pw := range []string{"two words", `quo"te`, "é-accent", strings.Repeat("x", 81)} {
		_, err := RenderDevice(x, Builtin(), "valognes-pop-r1", "frr", Options{BGPPassword: func(string) (string, error) { return pw, nil }})
		if err == nil || !strings.Contains(err.Error(), `"bgp-k"`) || strings.Contains(err.Error(), pw) {
			t.Errorf("password %q: render error %v, want one naming the key only", pw, err)
		}
	}
	r, err := RenderDevice(x, Builtin(), "valognes-pop-r1", "frr", Options{BGPPassword: func(string) (string, error) { return "ok-Pw_1!", nil }})
	if err != nil || !strings.Contains(string(r.Config), " password ok-Pw_1!") {
		t.Errorf("a one-word password: %v", err)
	}
}

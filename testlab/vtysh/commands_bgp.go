package vtysh

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

const errNoNeighbor = "% Specify remote-as or peer-group commands first\n"

// bgpEdit edits the BGP instance the session is in.
func bgpEdit(fn func(s *Session, b *BGP, a []string) string) handler {
	return change(func(s *Session, c *Config, a []string) string {
		if c.BGP == nil {
			return "% BGP instance not found\n"
		}
		return fn(s, c.BGP, a)
	})
}

// neighborEdit edits an existing neighbor; args[1] is its address.
func neighborEdit(addrArg int, fn func(n *Neighbor, a []string) string) handler {
	return bgpEdit(func(_ *Session, b *BGP, a []string) string {
		n := b.Neighbor(a[addrArg])
		if n == nil {
			return errNoNeighbor
		}
		return fn(n, a)
	})
}

// afNeighborEdit edits an existing neighbor inside the session's family.
func afNeighborEdit(addrArg int, fn func(n *AFNeighbor, a []string) string) handler {
	return bgpEdit(func(s *Session, b *BGP, a []string) string {
		if b.Neighbor(a[addrArg]) == nil {
			return errNoNeighbor
		}
		return fn(b.ensureFamily(s.family).ensureNeighbor(a[addrArg]), a)
	})
}

func enterBGP(_ context.Context, s *Session, a []string) string {
	out := s.run.update(func(c *Config) (string, bool) {
		if len(a) < 3 {
			if c.BGP == nil {
				return "% Command incomplete: router bgp\n", false
			}
			return "", false
		}
		asn, _ := strconv.ParseUint(a[2], 10, 32)
		if c.BGP != nil {
			if c.BGP.ASN != uint32(asn) {
				return "BGP is already running; AS is " + strconv.FormatUint(uint64(c.BGP.ASN), 10) + "\n", false
			}
			return "", false
		}
		c.BGP = &BGP{ASN: uint32(asn)}
		return "", true
	})
	if out == "" {
		s.node = NodeBGP
	}
	return out
}

func (g *Grammar) defineBGP() {
	c, r, af := NodeConfig, NodeBGP, NodeBGPAF
	g.def(c, "router bgp (1-4294967295)", enterBGP)
	g.def(c, "router bgp", enterBGP)
	g.def(c, "no router bgp", change(func(_ *Session, c *Config, _ []string) string {
		c.BGP = nil
		return ""
	}))
	g.def(c, "no router bgp (1-4294967295)", change(func(_ *Session, c *Config, a []string) string {
		if c.BGP == nil || strconv.FormatUint(uint64(c.BGP.ASN), 10) != a[3] {
			return "% BGP instance not found\n"
		}
		c.BGP = nil
		return ""
	}))
	for _, cmd := range []string{"exit", "quit"} {
		g.def(r, cmd, func(_ context.Context, s *Session, _ []string) string {
			s.node = NodeConfig
			return ""
		})
	}
	g.def(r, "bgp router-id A.B.C.D", bgpEdit(func(_ *Session, b *BGP, a []string) string {
		b.RouterID = netip.MustParseAddr(a[2])
		return ""
	}))
	g.def(r, "no bgp router-id", bgpEdit(func(_ *Session, b *BGP, _ []string) string {
		b.RouterID = netip.Addr{}
		return ""
	}))
	g.def(r, "no bgp router-id A.B.C.D", bgpEdit(func(_ *Session, b *BGP, _ []string) string {
		b.RouterID = netip.Addr{}
		return ""
	}))
	g.def(r, "bgp cluster-id A.B.C.D", bgpEdit(func(_ *Session, b *BGP, a []string) string {
		b.ClusterID = netip.MustParseAddr(a[2])
		return ""
	}))
	g.def(r, "no bgp cluster-id", bgpEdit(func(_ *Session, b *BGP, _ []string) string {
		b.ClusterID = netip.Addr{}
		return ""
	}))
	flag := func(pattern string, set func(b *BGP)) {
		g.def(r, pattern, bgpEdit(func(_ *Session, b *BGP, _ []string) string {
			set(b)
			return ""
		}))
	}
	flag("bgp ebgp-requires-policy", func(b *BGP) { b.NoEBGPRequiresPolicy = false })
	flag("no bgp ebgp-requires-policy", func(b *BGP) { b.NoEBGPRequiresPolicy = true })
	flag("bgp default ipv4-unicast", func(b *BGP) { b.NoDefaultIPv4 = false })
	flag("no bgp default ipv4-unicast", func(b *BGP) { b.NoDefaultIPv4 = true })
	flag("bgp log-neighbor-changes", func(b *BGP) { b.LogNeighborChanges = true })
	flag("no bgp log-neighbor-changes", func(b *BGP) { b.LogNeighborChanges = false })
	flag("bgp graceful-restart", func(b *BGP) { b.GracefulRestart = true })
	flag("no bgp graceful-restart", func(b *BGP) { b.GracefulRestart = false })
	g.def(r, "timers bgp (0-65535) (0-65535)", bgpEdit(func(_ *Session, b *BGP, a []string) string {
		b.Keepalive, _ = strconv.Atoi(a[2])
		b.Hold, _ = strconv.Atoi(a[3])
		return ""
	}))
	g.def(r, "no timers bgp", bgpEdit(func(_ *Session, b *BGP, _ []string) string {
		b.Keepalive, b.Hold = 0, 0
		return ""
	}))

	for _, peer := range []string{"A.B.C.D", "X:X::X:X"} {
		g.defineNeighbor(r, peer)
		g.defineAFNeighbor(af, peer)
	}

	for _, fam := range []struct{ pattern, name string }{
		{"address-family ipv4", "ipv4 unicast"}, {"address-family ipv4 unicast", "ipv4 unicast"},
		{"address-family ipv6", "ipv6 unicast"}, {"address-family ipv6 unicast", "ipv6 unicast"},
	} {
		g.def(r, fam.pattern, func(_ context.Context, s *Session, _ []string) string {
			out := s.run.update(func(c *Config) (string, bool) {
				if c.BGP == nil {
					return "% BGP instance not found\n", false
				}
				c.BGP.ensureFamily(fam.name)
				return "", true
			})
			if out == "" {
				s.node, s.family = NodeBGPAF, fam.name
			}
			return out
		})
	}
	for _, cmd := range []string{"exit-address-family", "exit", "quit"} {
		g.def(af, cmd, func(_ context.Context, s *Session, _ []string) string {
			s.node = NodeBGP
			return ""
		})
	}
	familyEdit := func(fn func(f *AddressFamily, a []string) string) handler {
		return bgpEdit(func(s *Session, b *BGP, a []string) string {
			return fn(b.ensureFamily(s.family), a)
		})
	}
	for _, pfx := range []string{"A.B.C.D/M", "X:X::X:X/M"} {
		g.def(af, "network "+pfx, familyEdit(func(f *AddressFamily, a []string) string {
			p := netip.MustParsePrefix(a[1])
			if p != p.Masked() {
				return "% Inconsistent address and mask\n"
			}
			if !slices.Contains(f.Networks, p) {
				f.Networks = append(f.Networks, p)
			}
			return ""
		}))
		g.def(af, "no network "+pfx, familyEdit(func(f *AddressFamily, a []string) string {
			p := netip.MustParsePrefix(a[2])
			if !slices.Contains(f.Networks, p) {
				return "% Can't find static route specified\n"
			}
			f.Networks = slices.DeleteFunc(f.Networks, func(x netip.Prefix) bool { return x == p })
			return ""
		}))
	}
	for _, src := range []string{"connected", "static", "kernel", "ospf", "isis"} {
		g.def(af, "redistribute "+src, familyEdit(func(f *AddressFamily, a []string) string {
			if !slices.Contains(f.Redistribute, a[1]) {
				f.Redistribute = append(f.Redistribute, a[1])
			}
			return ""
		}))
		g.def(af, "no redistribute "+src, familyEdit(func(f *AddressFamily, a []string) string {
			f.Redistribute = slices.DeleteFunc(f.Redistribute, func(x string) bool { return x == a[2] })
			return ""
		}))
	}
	g.def(af, "maximum-paths (1-64)", familyEdit(func(f *AddressFamily, a []string) string {
		f.MaxPaths, _ = strconv.Atoi(a[1])
		return ""
	}))
	g.def(af, "no maximum-paths", familyEdit(func(f *AddressFamily, _ []string) string {
		f.MaxPaths = 0
		return ""
	}))
}

func (g *Grammar) defineNeighbor(r Node, peer string) {
	nb := "neighbor " + peer
	for _, as := range []string{"(1-4294967295)", "internal", "external"} {
		g.def(r, nb+" remote-as "+as, bgpEdit(func(_ *Session, b *BGP, a []string) string {
			if n := b.Neighbor(a[1]); n != nil {
				n.RemoteAS = a[3]
				return ""
			}
			b.Neighbors = append(b.Neighbors, &Neighbor{Addr: a[1], RemoteAS: a[3]})
			return ""
		}))
	}
	g.def(r, "no "+nb, bgpEdit(func(_ *Session, b *BGP, a []string) string {
		if b.Neighbor(a[2]) == nil {
			return errNoNeighbor
		}
		b.deleteNeighbor(a[2])
		return ""
	}))
	g.def(r, "no "+nb+" remote-as LINE", bgpEdit(func(_ *Session, b *BGP, a []string) string {
		if b.Neighbor(a[2]) == nil {
			return errNoNeighbor
		}
		b.deleteNeighbor(a[2])
		return ""
	}))
	set := func(pattern string, fn func(n *Neighbor, a []string)) {
		g.def(r, nb+" "+pattern, neighborEdit(1, func(n *Neighbor, a []string) string {
			fn(n, a)
			return ""
		}))
	}
	unset := func(pattern string, fn func(n *Neighbor)) {
		g.def(r, "no "+nb+" "+pattern, neighborEdit(2, func(n *Neighbor, _ []string) string {
			fn(n)
			return ""
		}))
	}
	set("description LINE", func(n *Neighbor, a []string) { n.Description = a[3] })
	unset("description", func(n *Neighbor) { n.Description = "" })
	unset("description LINE", func(n *Neighbor) { n.Description = "" })
	set("update-source WORD", func(n *Neighbor, a []string) { n.UpdateSource = a[3] })
	unset("update-source", func(n *Neighbor) { n.UpdateSource = "" })
	unset("update-source WORD", func(n *Neighbor) { n.UpdateSource = "" })
	set("shutdown", func(n *Neighbor, _ []string) { n.Shutdown = true })
	unset("shutdown", func(n *Neighbor) { n.Shutdown = false })
	set("password LINE", func(n *Neighbor, a []string) { n.Password = a[3] })
	unset("password", func(n *Neighbor) { n.Password = "" })
	unset("password LINE", func(n *Neighbor) { n.Password = "" })
	set("ebgp-multihop", func(n *Neighbor, _ []string) { n.EBGPMultihop = 255 })
	set("ebgp-multihop (1-255)", func(n *Neighbor, a []string) { n.EBGPMultihop, _ = strconv.Atoi(a[3]) })
	unset("ebgp-multihop", func(n *Neighbor) { n.EBGPMultihop = 0 })
	unset("ebgp-multihop (1-255)", func(n *Neighbor) { n.EBGPMultihop = 0 })
	set("ttl-security hops (1-254)", func(n *Neighbor, a []string) { n.TTLSecurity, _ = strconv.Atoi(a[4]) })
	unset("ttl-security", func(n *Neighbor) { n.TTLSecurity = 0 })
	unset("ttl-security hops (1-254)", func(n *Neighbor) { n.TTLSecurity = 0 })
	set("port (0-65535)", func(n *Neighbor, a []string) { n.Port, _ = strconv.Atoi(a[3]) })
	unset("port", func(n *Neighbor) { n.Port = 0 })
	unset("port (0-65535)", func(n *Neighbor) { n.Port = 0 })
	set("timers (0-65535) (0-65535)", func(n *Neighbor, a []string) {
		n.Keepalive, _ = strconv.Atoi(a[3])
		n.Hold, _ = strconv.Atoi(a[4])
	})
	unset("timers", func(n *Neighbor) { n.Keepalive, n.Hold = 0, 0 })
	set("bfd", func(n *Neighbor, _ []string) { n.BFD = true })
	unset("bfd", func(n *Neighbor) { n.BFD = false })
	set("graceful-restart-disable", func(n *Neighbor, _ []string) { n.NoGracefulRestart = true })
	unset("graceful-restart-disable", func(n *Neighbor) { n.NoGracefulRestart = false })
}

func (g *Grammar) defineAFNeighbor(af Node, peer string) {
	nb := "neighbor " + peer
	set := func(pattern string, fn func(n *AFNeighbor, a []string)) {
		g.def(af, nb+" "+pattern, afNeighborEdit(1, func(n *AFNeighbor, a []string) string {
			fn(n, a)
			return ""
		}))
	}
	unset := func(pattern string, fn func(n *AFNeighbor, a []string)) {
		g.def(af, "no "+nb+" "+pattern, afNeighborEdit(2, func(n *AFNeighbor, a []string) string {
			fn(n, a)
			return ""
		}))
	}
	set("activate", func(n *AFNeighbor, _ []string) { n.Activate, n.Deactivated = true, false })
	unset("activate", func(n *AFNeighbor, _ []string) { n.Activate, n.Deactivated = false, true })
	set("route-reflector-client", func(n *AFNeighbor, _ []string) { n.RRClient = true })
	unset("route-reflector-client", func(n *AFNeighbor, _ []string) { n.RRClient = false })
	set("addpath-tx-all-paths", func(n *AFNeighbor, _ []string) { n.AddPathAll = true })
	unset("addpath-tx-all-paths", func(n *AFNeighbor, _ []string) { n.AddPathAll = false })
	set("next-hop-self", func(n *AFNeighbor, _ []string) { n.NextHopSelf = true })
	unset("next-hop-self", func(n *AFNeighbor, _ []string) { n.NextHopSelf = false })
	set("maximum-prefix (1-4294967295)", func(n *AFNeighbor, a []string) { n.MaxPrefix, _ = strconv.Atoi(a[3]); n.MaxPrefixWarn = 0 })
	set("maximum-prefix (1-4294967295) (1-100)", func(n *AFNeighbor, a []string) {
		n.MaxPrefix, _ = strconv.Atoi(a[3])
		n.MaxPrefixWarn, _ = strconv.Atoi(a[4])
	})
	unset("maximum-prefix", func(n *AFNeighbor, _ []string) { n.MaxPrefix, n.MaxPrefixWarn = 0, 0 })
	unset("maximum-prefix (1-4294967295)", func(n *AFNeighbor, _ []string) { n.MaxPrefix, n.MaxPrefixWarn = 0, 0 })
	unset("maximum-prefix (1-4294967295) (1-100)", func(n *AFNeighbor, _ []string) { n.MaxPrefix, n.MaxPrefixWarn = 0, 0 })
	set("soft-reconfiguration inbound", func(n *AFNeighbor, _ []string) { n.SoftReconfig = true })
	unset("soft-reconfiguration inbound", func(n *AFNeighbor, _ []string) { n.SoftReconfig = false })
	for _, dir := range []string{"in", "out"} {
		set("route-map WORD "+dir, func(n *AFNeighbor, a []string) {
			if strings.HasSuffix(a[4], "in") {
				n.RouteMapIn = a[3]
			} else {
				n.RouteMapOut = a[3]
			}
		})
		unset("route-map WORD "+dir, func(n *AFNeighbor, a []string) {
			if a[5] == "in" {
				n.RouteMapIn = ""
			} else {
				n.RouteMapOut = ""
			}
		})
	}
}

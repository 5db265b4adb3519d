package synth

import (
	"fmt"
	"net/netip"

	"github.com/tuyau-net/tuyau/inventory"
)

// transits are the two IP transit providers, one per core site.
var transits = []struct {
	id, provider string
	asn          uint32
	ours, theirs netip.Addr
}{
	{"TRANSIT-1", "Transit Alpha", 64496, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.0")},
	{"TRANSIT-2", "Transit Beta", 64497, netip.MustParseAddr("192.0.2.3"), netip.MustParseAddr("192.0.2.2")},
}

// transit lands one transit circuit on each core router.
func (g *gen) transit() {
	for i, t := range transits {
		dev := g.cores[i]
		d := &g.s.Devices[dev]
		name := g.nextIface(dev)
		d.Interfaces = append(d.Interfaces, inventory.Interface{Name: name, Description: t.id + " " + t.provider,
			Speed: 10000, MTU: 1500, Addresses: []netip.Prefix{netip.PrefixFrom(t.ours, 31)}, Transceiver: "10GBASE-LR"})
		g.s.Circuits = append(g.s.Circuits, inventory.Circuit{ID: t.id, Provider: t.provider, Type: "transit",
			Bandwidth: 10000, Status: "active", A: inventory.CircuitEnd{Site: d.Site, Device: d.Name, Interface: name}})
		c := patchCord(inventory.Termination{Device: d.Name, Interface: name}, inventory.Termination{Circuit: t.id, Side: "A"})
		c.Length, _ = inventory.NewLength(15, "m")
		g.cable("PC", c)
		d.BGPSessions = append(d.BGPSessions, inventory.BGPSession{PeerAddress: t.theirs, PeerASN: t.asn,
			Role: inventory.BGPTransit, Families: []string{"ipv4-unicast"}, Description: t.provider})
		g.s.ASNs = append(g.s.ASNs, inventory.ASN{ASN: t.asn, Name: t.provider, Description: "IP transit"})
	}
}

// bgp configures iBGP between the route reflectors at both core sites and
// their clients, and eBGP between POPs and the member sites homed on them.
func (g *gen) bgp() {
	both := []string{"ipv4-unicast", "ipv6-unicast"}
	v4 := []string{"ipv4-unicast"}
	session := func(from, to int, peer netip.Addr, role inventory.BGPRole, fam []string, client bool) {
		d, p := &g.s.Devices[from], &g.s.Devices[to]
		d.BGPSessions = append(d.BGPSessions, inventory.BGPSession{PeerAddress: peer, PeerASN: p.ASN, Role: role,
			PeerDevice: p.Name, Families: fam, RRClient: client})
	}
	rr0, rr1 := g.cores[0], g.cores[1]
	session(rr0, rr1, g.s.Devices[rr1].Loopback, inventory.BGPiBGP, both, false)
	session(rr1, rr0, g.s.Devices[rr0].Loopback, inventory.BGPiBGP, both, false)
	for _, p := range g.pops {
		for _, rr := range g.cores {
			session(rr, p, g.s.Devices[p].Loopback, inventory.BGPiBGP, both, true)
			session(p, rr, g.s.Devices[rr].Loopback, inventory.BGPiBGP, both, false)
		}
	}
	for _, l := range g.links {
		if g.s.Devices[l.b].Role != inventory.RoleMember {
			continue
		}
		session(l.a, l.b, l.bAddr, inventory.BGPMember, v4, false)
		session(l.b, l.a, l.aAddr, inventory.BGPMember, v4, false)
	}
}

// prefixes records the address plan and the hosting services.
func (g *gen) prefixes() {
	add := func(p, role, desc string) {
		g.s.Prefixes = append(g.s.Prefixes, inventory.Prefix{Prefix: netip.MustParsePrefix(p), Role: role, Description: desc})
	}
	add("10.255.0.0/16", "loopbacks", "router loopbacks")
	add("10.250.0.0/16", "management", "out-of-band management")
	add("10.128.0.0/10", "links", "point-to-point /31 links")
	add("2001:db8:ffff::/48", "loopbacks", "router loopbacks (IPv6)")
	add("192.0.2.0/24", "transit", "transit interconnects")
	add("198.51.100.0/24", "hosting", "shared hosting for local authorities")
	add("203.0.113.0/25", "hosting", "backup service")
	add("2001:db8:100::/48", "hosting", "shared hosting for local authorities (IPv6)")
	// Member LANs: one /28 each from 172.16.0.0/12, enough for MaxSites.
	for i, m := range g.members {
		n := i * 16
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(16 + n>>16), byte(n >> 8), byte(n)}), 28)
		g.s.Prefixes = append(g.s.Prefixes, inventory.Prefix{Prefix: p, Role: "member-lan", Site: g.s.Devices[m].Site,
			Description: fmt.Sprintf("LAN of %s", g.site(m).Name)})
	}
	dc0, dc1 := g.site(g.cores[0]).Slug, g.site(g.cores[1]).Slug
	g.s.Services = []inventory.HostingService{
		{Name: "hosting", Prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8:100::/48")}, Sites: []string{dc0, dc1}},
		{Name: "backup", Prefixes: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/25")}, Sites: []string{dc1, dc0}},
	}
	g.s.ASNs = append([]inventory.ASN{{ASN: NetworkASN, Name: g.s.Network.Name, Description: "the network's own AS (core and aggregation)"}}, g.s.ASNs...)
}

// speakers places one tuyau BGP speaker at each core site, peering with
// that site's core router: short timers so a failed site is noticed in
// seconds, GTSM (the speaker sits on the datacenter LAN, one hop away) and
// graceful restart so a restarted speaker does not flap the hosting.
func (g *gen) speakers() {
	g.s.Prefixes = append(g.s.Prefixes, inventory.Prefix{Prefix: netip.MustParsePrefix("10.254.0.0/24"), Role: "speakers",
		Description: "tuyau BGP speakers on the core datacenter LANs"})
	for i, c := range g.cores {
		d := &g.s.Devices[c]
		addr := netip.AddrFrom4([4]byte{10, 254, 0, byte(i + 1)})
		g.s.Speakers = append(g.s.Speakers, inventory.Speaker{
			Name: d.Site, ASN: d.ASN, RouterID: addr, Site: d.Site, Listen: addr,
			// The hosting platform on the datacenter LAN, where the
			// traffic for the site's hosting prefixes goes.
			HostingNextHop:  netip.AddrFrom4([4]byte{10, 254, 0, byte(10 * (i + 1))}),
			HostingNextHop6: netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0xfe, 15: byte(0x10 * (i + 1))}),
			API:             "/run/tuyau/bgp-" + d.Site + ".sock",
			Peers:           []inventory.SpeakerPeer{{Device: d.Name, TTLSecurity: 1, HoldTime: 9, Keepalive: 3, GracefulRestart: 120}},
		})
	}
}

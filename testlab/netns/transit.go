package netns

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
)

// RoleTransit marks the routers the lab adds to stand for transit
// providers: they are not in the inventory, as the provider's router is not.
const RoleTransit inventory.DeviceRole = "transit"

// TransitPeer is the provider's side of a transit circuit: an FRR router
// in the provider's AS that announces a default route and accepts what
// the network announces, so transit sessions establish and the hosting
// prefixes can be watched leaving by the healthy core site.
type TransitPeer struct {
	Circuit string       `json:"circuit"`
	ASN     uint32       `json:"asn"`
	Address netip.Prefix `json:"address"`
	// Neighbor is the network's router on the circuit.
	Neighbor    netip.Addr `json:"neighbor"`
	NeighborASN uint32     `json:"neighbor_asn"`
}

// addTransitPeers adds a transit router at the far end of every port whose
// cables end on a transit circuit, when the device has a transit BGP
// session to an address of that port's subnet.
func addTransitPeers(x *inventory.Index, snap *inventory.Snapshot, s *State, tag string) {
	names := map[string]bool{}
	for _, d := range s.Devices {
		names[d.Name] = true
	}
	for di := range snap.Devices {
		d := &snap.Devices[di]
		for ii, ifc := range d.Interfaces {
			if s.Devices[di].Interfaces[ii].Kind != "unlinked" {
				continue
			}
			p, err := x.Trace(d.Name, ifc.Name)
			if err != nil || !p.Complete || p.To.Kind() != inventory.TermCircuit {
				continue
			}
			sess, local, ok := d.SessionOn(&ifc, inventory.BGPTransit)
			if !ok {
				continue
			}
			name := strings.ToLower(p.To.Circuit) + "-peer"
			for k := 2; names[name] || !safeName.MatchString(name); k++ {
				name = "transit" + strconv.Itoa(len(s.Devices)) + "-peer-" + strconv.Itoa(k)
			}
			names[name] = true
			ns := "tuyau-" + s.Name + "-" + name
			if len(ns) > 60 {
				ns = "tuyau-" + s.Name + "-d" + strconv.Itoa(len(s.Devices))
			}
			s.Devices = append(s.Devices, Device{Name: name, Role: RoleTransit, Netns: ns, Pathspace: ns, Hostname: name,
				HostVeth:   "ty" + tag + "m" + strconv.Itoa(len(s.Devices)),
				Interfaces: []Iface{{Name: "eth0", Ifname: "eth0", Kind: "veth", MTU: ifc.MTU}},
				Transit: &TransitPeer{Circuit: p.To.Circuit, ASN: sess.PeerASN, Address: netip.PrefixFrom(sess.PeerAddress, local.Bits()),
					Neighbor: local.Addr(), NeighborASN: d.ASN}})
			s.Devices[di].Interfaces[ii].Kind = "veth"
			n := strconv.Itoa(len(s.Links))
			l := Link{A: End{Device: d.Name, Interface: ifc.Name, Ifname: s.Devices[di].Interfaces[ii].Ifname},
				B: End{Device: name, Interface: "eth0", Ifname: "eth0"}, WireA: "l" + n + "a", WireB: "l" + n + "b", WireBridge: "l" + n + "br"}
			for _, c := range p.Cables {
				l.Cables = append(l.Cables, c.Label)
				s.Cables[c.Label] = c.SRLGs
			}
			s.Links = append(s.Links, l)
		}
	}
}

// renderTransit is the provider's config: its own, whatever the lab's
// config level, as a provider's router is configured before ours.
func renderTransit(d *Device) string {
	t := d.Transit
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("frr defaults datacenter")
	w("hostname %s", d.Hostname)
	w("ip forwarding")
	w("service integrated-vtysh-config")
	w("!")
	w("ip route 0.0.0.0/0 blackhole")
	w("!")
	w("interface eth0")
	w(" description %s", t.Circuit)
	w(" ip address %s", t.Address)
	w("exit")
	w("!")
	w("router bgp %d", t.ASN)
	w(" bgp router-id %s", t.Address.Addr())
	w(" no bgp ebgp-requires-policy")
	w(" no bgp default ipv4-unicast")
	w(" neighbor %s remote-as %d", t.Neighbor, t.NeighborASN)
	// GTSM, as tuyau renders on every directly connected eBGP session:
	// the provider agrees to it, or our end drops its TTL-1 packets.
	w(" neighbor %s ttl-security hops 1", t.Neighbor)
	w(" !")
	w(" address-family ipv4 unicast")
	w("  network 0.0.0.0/0")
	w("  neighbor %s activate", t.Neighbor)
	w(" exit-address-family")
	w("exit")
	w("!")
	return b.String()
}

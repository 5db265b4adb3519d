package testlab

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/testlab/vtysh"
)

// RoleTransit marks the devices a lab adds to stand for transit providers:
// they are not in the inventory, as the provider's router is not, and
// provisioning never touches them.
const RoleTransit = "transit"

// TransitPeer is the provider's side of a transit circuit: a router in the
// provider's AS that announces a default route and accepts what the network
// announces, so that transit sessions establish in the lab as they do in
// production.
type TransitPeer struct {
	Circuit string `json:"circuit"`
	// Address is the provider's address on the circuit, with the
	// circuit's prefix length.
	Address netip.Prefix `json:"address"`
	// Neighbor is the network's router on the circuit.
	Neighbor    netip.Addr `json:"neighbor"`
	NeighborASN uint32     `json:"neighbor_asn"`
}

// transitName is what a device name must look like: it names files in the
// lab directory (configs/NAME.conf), and circuit IDs are free text.
var transitName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// addTransitPeers adds a transit device at the far end of every link that
// ends on a circuit, when the near device has a transit session to an
// address of that interface's subnet (the rule of the netns lab). The link
// then ends on the device, keeping its circuit for display. nDev and nIf are
// the device and interface addresses handed out so far; it returns the
// interface addresses handed out after it.
func (p *Plan) addTransitPeers(x *inventory.Index, nDev, nIf int) (int, error) {
	names := map[string]bool{}
	for _, d := range p.Devices {
		names[d.Name] = true
	}
	for i := range p.Links {
		l := &p.Links[i]
		if l.B.Circuit == "" || l.B.Device != "" {
			continue
		}
		d := x.Device(l.A.Device)
		ifc := x.Interface(l.A.Device, l.A.Interface)
		if d == nil || ifc == nil {
			continue
		}
		sess, local, ok := d.SessionOn(ifc, inventory.BGPTransit)
		if !ok {
			continue
		}
		if _, taken := p.byInv[sess.PeerAddress]; taken {
			// An inventory device owns the address: it is no provider.
			continue
		}
		name := strings.ToLower(l.B.Circuit) + "-peer"
		for k := 2; names[name] || !transitName.MatchString(name); k++ {
			name = "transit" + strconv.Itoa(len(p.Devices)) + "-peer-" + strconv.Itoa(k)
		}
		names[name] = true
		addr, err := nth(p.Block, deviceBase, nDev)
		if err != nil {
			return nIf, fmt.Errorf("transit peer %s of circuit %s: %w", name, l.B.Circuit, err)
		}
		nDev++
		lab, err := nth(p.Block, ifaceBase, nIf)
		if err != nil {
			return nIf, fmt.Errorf("transit peer %s of circuit %s: %w", name, l.B.Circuit, err)
		}
		nIf++
		peer := netip.PrefixFrom(sess.PeerAddress, local.Bits())
		p.Devices = append(p.Devices, DevicePlan{
			Name: name, Site: d.Site, Role: RoleTransit, Platform: "frr", ASN: sess.PeerASN, Addr: addr,
			Transit: &TransitPeer{Circuit: l.B.Circuit, Address: peer, Neighbor: local.Addr(), NeighborASN: d.ASN},
		})
		p.add(AddressMap{Device: name, Interface: "eth0", Inventory: sess.PeerAddress, Prefix: local.Bits(), Lab: lab})
		l.B.Device, l.B.Interface = name, "eth0"
	}
	return nIf, nil
}

// transitConfig is the provider's configuration: its own whatever the
// lab's bootstrap level, as a provider's router is configured before ours.
// It is the netns lab's transit config, as vtysh would hold it.
func transitConfig(p DevicePlan) *vtysh.Config {
	t := p.Transit
	c := vtysh.NewConfig(p.Name)
	c.Defaults = "datacenter"
	c.Globals = []string{"ip forwarding", "service integrated-vtysh-config"}
	def := netip.MustParsePrefix("0.0.0.0/0")
	c.Static = []vtysh.StaticRoute{{Prefix: def, NextHop: "blackhole"}}
	c.Interfaces = []*vtysh.Interface{{Name: "eth0", Description: t.Circuit, Addresses: []netip.Prefix{t.Address}}}
	nb := t.Neighbor.String()
	c.BGP = &vtysh.BGP{
		ASN: p.ASN, RouterID: t.Address.Addr(), NoEBGPRequiresPolicy: true, NoDefaultIPv4: true,
		Neighbors: []*vtysh.Neighbor{{Addr: nb, RemoteAS: strconv.FormatUint(uint64(t.NeighborASN), 10), TTLSecurity: 1}},
		Families: []*vtysh.AddressFamily{{Name: "ipv4 unicast", Networks: []netip.Prefix{def},
			Neighbors: []*vtysh.AFNeighbor{{Addr: nb, Activate: true}}}},
	}
	return c
}

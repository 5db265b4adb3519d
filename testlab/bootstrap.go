package testlab

import (
	"net/netip"
	"slices"
	"strconv"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
	"github.com/tuyau-net/tuyau/testlab/vtysh"
)

// Bootstrap says what configuration a virtual device boots with.
type Bootstrap string

const (
	// BootstrapBase is the hostname and the interfaces with their
	// addresses: what a router has before provisioning pushes routing.
	BootstrapBase Bootstrap = "base"
	// BootstrapFull adds BGP as the inventory describes it, so the lab
	// comes up converged.
	BootstrapFull Bootstrap = "full"
)

// bootConfig renders the configuration a device starts with.
func bootConfig(x *inventory.Index, d *inventory.Device, mode Bootstrap) *vtysh.Config {
	snap := x.Snapshot()
	c := vtysh.NewConfig(d.Name)
	for _, f := range d.Interfaces {
		ifc := &vtysh.Interface{Name: f.Name, Description: f.Description, Addresses: slices.Clone(f.Addresses), MTU: f.MTU}
		if f.MTU == 1500 {
			ifc.MTU = 0 // the default; FRR does not show it
		}
		ifc.Shutdown = !f.IsEnabled()
		c.Interfaces = append(c.Interfaces, ifc)
	}
	slices.SortFunc(c.Interfaces, func(a, b *vtysh.Interface) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	if mode != BootstrapFull || d.ASN == 0 {
		return c
	}
	// The IGP as provisioning renders it: OSPF area 0 on the loopback
	// (passive) and the links towards core and aggregation routers. The
	// lab runs it: loopback sessions need it, as on FRR.
	if in, err := provisioning.BuildIntent(x, d.Name, provisioning.Options{}); err == nil && in.OSPF != nil {
		c.OSPF = &vtysh.OSPF{Lines: []string{"ospf router-id " + in.OSPF.RouterID.String()}}
		for _, ii := range in.Interfaces {
			if !ii.OSPF {
				continue
			}
			if f := c.Interface(ii.Name); f != nil {
				f.OSPF = []string{"ip ospf area " + in.OSPF.Area}
				if ii.Loopback {
					f.OSPF = append(f.OSPF, "ip ospf passive")
				} else {
					f.OSPF = append(f.OSPF, "ip ospf network point-to-point")
				}
			}
		}
	}
	b := &vtysh.BGP{ASN: d.ASN, RouterID: d.Loopback, NoEBGPRequiresPolicy: true}
	if d.Loopback.IsValid() && !d.Loopback.Is4() {
		b.RouterID = netip.Addr{}
	}
	// Loopbacks are not announced: the IGP carries them (the virtual lab
	// stands in for it with reachability over up links), and announcing
	// them would double the BGP tables of a large lab for nothing.
	v4 := &vtysh.AddressFamily{Name: "ipv4 unicast"}
	v6 := &vtysh.AddressFamily{Name: "ipv6 unicast"}
	for _, p := range snap.Prefixes {
		if p.Role == "member-lan" && p.Site == d.Site && p.Prefix.Addr().Is4() {
			v4.Networks = append(v4.Networks, p.Prefix.Masked())
		}
	}
	for _, s := range snap.Services {
		if !slices.Contains(s.Sites, d.Site) || d.Role != inventory.RoleCore {
			continue
		}
		for _, p := range s.Prefixes {
			if p.Addr().Is4() {
				v4.Networks = append(v4.Networks, p.Masked())
			}
		}
	}
	for _, s := range d.BGPSessions {
		addr := s.PeerAddress.String()
		n := &vtysh.Neighbor{Addr: addr, RemoteAS: strconv.FormatUint(uint64(s.PeerASN), 10), Description: s.Description}
		if n.Description == "" {
			n.Description = s.PeerDevice
		}
		if s.Role == inventory.BGPiBGP && d.Loopback.IsValid() {
			n.UpdateSource = "lo"
		}
		b.Neighbors = append(b.Neighbors, n)
		if s.PeerAddress.Is6() {
			// An IPv6 session carries IPv6 unless told otherwise, as the
			// render does; "bgp default ipv4-unicast" would activate it in
			// IPv4 too.
			if !slices.Contains(s.Families, "ipv4-unicast") {
				v4.Neighbors = append(v4.Neighbors, &vtysh.AFNeighbor{Addr: addr, Deactivated: true})
			}
			if len(s.Families) == 0 || slices.Contains(s.Families, "ipv6-unicast") {
				v6.Neighbors = append(v6.Neighbors, &vtysh.AFNeighbor{Addr: addr, Activate: true, RRClient: s.RRClient})
			}
			continue
		}
		if s.RRClient {
			v4.Neighbors = append(v4.Neighbors, &vtysh.AFNeighbor{Addr: addr, RRClient: true})
		}
		if slices.Contains(s.Families, "ipv6-unicast") {
			v6.Neighbors = append(v6.Neighbors, &vtysh.AFNeighbor{Addr: addr, Activate: true, RRClient: s.RRClient})
		}
	}
	b.Families = append(b.Families, v4)
	if len(v6.Neighbors) > 0 {
		b.Families = append(b.Families, v6)
	}
	c.BGP = b
	return c
}

package netns

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/tuyau-net/tuyau/inventory"
)

// igpRoles are the roles that run OSPF between them: the routed core.
// Members speak eBGP over their uplinks and need no IGP.
var igpRoles = []inventory.DeviceRole{inventory.RoleCore, inventory.RoleAggregation, inventory.RoleEdge}

// RenderConfig renders the initial frr.conf of one device of a lab at the
// given level. Interfaces use the Linux names of the lab (ls).
func RenderConfig(snap *inventory.Snapshot, s *State, dev string, level ConfigLevel) (string, error) {
	x := inventory.NewIndex(snap)
	d := x.Device(dev)
	ls := s.device(dev)
	if ls != nil && ls.Transit != nil {
		return renderTransit(ls), nil
	}
	if d == nil || ls == nil {
		return "", fmt.Errorf("device %s: not in the lab", dev)
	}
	igp := level == ConfigIGP || level == ConfigBGP
	// The far end of each routed interface decides whether OSPF runs on it.
	peerRole := map[string]inventory.DeviceRole{}
	for _, l := range s.Links {
		switch dev {
		case l.A.Device:
			peerRole[l.A.Interface] = s.device(l.B.Device).Role
		case l.B.Device:
			peerRole[l.B.Interface] = s.device(l.A.Device).Role
		}
	}
	runsIGP := igp && slices.Contains(igpRoles, d.Role)

	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("frr defaults datacenter")
	w("hostname %s", ls.Hostname)
	w("ip forwarding")
	w("ipv6 forwarding")
	w("service integrated-vtysh-config")
	w("!")
	for i, ifc := range d.Interfaces {
		li := ls.Interfaces[i]
		w("interface %s", li.Ifname)
		if ifc.Description != "" {
			w(" description %s", oneLine(ifc.Description))
		}
		for _, a := range ifc.Addresses {
			if a.Addr().Is4() {
				w(" ip address %s", a)
			} else {
				w(" ipv6 address %s", a)
			}
		}
		if runsIGP && hasV4(ifc.Addresses) {
			switch {
			case li.Kind == "loopback":
				w(" ip ospf area 0")
				w(" ip ospf passive")
			case li.Kind == "veth" && slices.Contains(igpRoles, peerRole[ifc.Name]):
				w(" ip ospf area 0")
				w(" ip ospf network point-to-point")
				// Sub-second failure detection comes from the link going
				// down; these timers only bound the case where it does not.
				w(" ip ospf hello-interval 1")
				w(" ip ospf dead-interval 4")
			}
		}
		if !ifc.IsEnabled() {
			w(" shutdown")
		}
		w("exit")
		w("!")
	}
	rid := routerID(d)
	if runsIGP {
		w("router ospf")
		if rid.IsValid() {
			w(" ospf router-id %s", rid)
		}
		w("exit")
		w("!")
	}
	if level == ConfigBGP && d.ASN != 0 {
		renderBGP(&b, snap, d, rid)
	}
	return b.String(), nil
}

func renderBGP(b *strings.Builder, snap *inventory.Snapshot, d *inventory.Device, rid netip.Addr) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format+"\n", a...) }
	// Core routers blackhole and announce the hosting prefixes of the
	// services homed on their site, so a failover can be watched in BGP.
	var announce []netip.Prefix
	if d.Role == inventory.RoleCore {
		for _, svc := range snap.Services {
			if slices.Contains(svc.Sites, d.Site) {
				announce = append(announce, svc.Prefixes...)
			}
		}
	}
	for _, p := range announce {
		if p.Addr().Is4() {
			w("ip route %s blackhole", p)
		} else {
			w("ipv6 route %s blackhole", p)
		}
	}
	if len(announce) > 0 {
		w("!")
	}
	w("router bgp %d", d.ASN)
	if rid.IsValid() {
		w(" bgp router-id %s", rid)
	}
	w(" no bgp ebgp-requires-policy")
	w(" no bgp default ipv4-unicast")
	for _, n := range d.BGPSessions {
		w(" neighbor %s remote-as %d", n.PeerAddress, n.PeerASN)
		if desc := sessionDesc(n); desc != "" {
			w(" neighbor %s description %s", n.PeerAddress, desc)
		}
		if n.Role == inventory.BGPiBGP {
			w(" neighbor %s update-source lo", n.PeerAddress)
		}
		if n.Role == inventory.BGPTransit {
			// The lab's transit peers run GTSM, as tuyau renders it on
			// directly connected eBGP: both ends or the session stays down.
			w(" neighbor %s ttl-security hops 1", n.PeerAddress)
		}
	}
	for _, fam := range []string{"ipv4-unicast", "ipv6-unicast"} {
		v4 := fam == "ipv4-unicast"
		var nets []netip.Prefix
		if v4 && d.Loopback.IsValid() {
			nets = append(nets, netip.PrefixFrom(d.Loopback, 32))
		}
		if !v4 && d.Loopback6.IsValid() {
			nets = append(nets, netip.PrefixFrom(d.Loopback6, 128))
		}
		for _, p := range announce {
			if p.Addr().Is4() == v4 {
				nets = append(nets, p)
			}
		}
		var peers []inventory.BGPSession
		for _, n := range d.BGPSessions {
			if carries(n, fam) {
				peers = append(peers, n)
			}
		}
		if len(peers) == 0 {
			continue
		}
		w(" !")
		w(" address-family %s unicast", map[bool]string{true: "ipv4", false: "ipv6"}[v4])
		for _, p := range nets {
			w("  network %s", p)
		}
		for _, n := range peers {
			w("  neighbor %s activate", n.PeerAddress)
			if n.RRClient {
				w("  neighbor %s route-reflector-client", n.PeerAddress)
			}
			if n.Role == inventory.BGPiBGP {
				w("  neighbor %s next-hop-self", n.PeerAddress)
			}
		}
		w(" exit-address-family")
	}
	w("exit")
	w("!")
}

func carries(n inventory.BGPSession, fam string) bool {
	if len(n.Families) == 0 {
		return (fam == "ipv4-unicast") == n.PeerAddress.Is4()
	}
	return slices.Contains(n.Families, fam)
}

func sessionDesc(n inventory.BGPSession) string {
	switch {
	case n.Description != "":
		return oneLine(n.Description)
	case n.PeerDevice != "":
		return n.PeerDevice
	}
	return ""
}

func routerID(d *inventory.Device) netip.Addr {
	if d.Loopback.Is4() {
		return d.Loopback
	}
	for _, ifc := range d.Interfaces {
		for _, a := range ifc.Addresses {
			if a.Addr().Is4() {
				return a.Addr()
			}
		}
	}
	return netip.Addr{}
}

func hasV4(ps []netip.Prefix) bool {
	return slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Addr().Is4() })
}

// oneLine keeps inventory text from breaking the config into new commands.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// vtyshConf names the router for vtysh and lets the lab user in without
// vtysh's own PAM check (sshd already authenticated them).
func vtyshConf(hostname, user string) string {
	return fmt.Sprintf("service integrated-vtysh-config\nhostname %s\nusername %s nopassword\n", hostname, user)
}

// daemonsFile is the pathspace's /etc/frr/NAME/daemons, read by
// frrinit.sh and watchfrr.sh.
func daemonsFile() string {
	return `zebra=yes
bgpd=yes
ospfd=yes
staticd=yes
bfdd=yes
vtysh_enable=yes
frr_profile="datacenter"
zebra_options="-A 127.0.0.1"
bgpd_options="-A 127.0.0.1"
ospfd_options="-A 127.0.0.1"
staticd_options="-A 127.0.0.1"
bfdd_options="-A 127.0.0.1"
`
}

package testlab

import (
	"net/netip"
	"strings"

	"github.com/tuyau-net/tuyau/testlab/vtysh"
)

// ospfView is what a router's OSPF config makes of its interfaces, as
// FRR's ospfd would: the area each interface runs in ("ip ospf area X",
// or a "network P area X" of "router ospf" covering its address), which
// are passive, and the addresses the router advertises. Without "router
// ospf" nothing runs.
type ospfView struct {
	area    map[string]string // interface → area
	passive map[string]bool
	addrs   map[netip.Addr]bool
}

func ospfOf(cfg *vtysh.Config) ospfView {
	v := ospfView{area: map[string]string{}, passive: map[string]bool{}, addrs: map[netip.Addr]bool{}}
	if cfg.OSPF == nil {
		return v
	}
	type network struct {
		p    netip.Prefix
		area string
	}
	var nets []network
	passiveDefault := false
	passive := map[string]bool{}
	for _, l := range cfg.OSPF.Lines {
		f := strings.Fields(l)
		switch {
		case len(f) == 4 && f[0] == "network" && f[2] == "area":
			if p, err := netip.ParsePrefix(f[1]); err == nil {
				nets = append(nets, network{p.Masked(), normArea(f[3])})
			}
		case len(f) == 2 && f[0] == "passive-interface" && f[1] == "default":
			passiveDefault = true
		case len(f) == 2 && f[0] == "passive-interface":
			passive[f[1]] = true
		}
	}
	for _, i := range cfg.Interfaces {
		if i.Shutdown {
			continue
		}
		area, pas := "", passiveDefault || passive[i.Name] || i.Name == "lo"
		for _, l := range i.OSPF {
			f := strings.Fields(l)
			switch {
			case len(f) == 4 && f[0] == "ip" && f[1] == "ospf" && f[2] == "area":
				area = normArea(f[3])
			case l == "ip ospf passive":
				pas = true
			}
		}
		if area == "" {
			for _, a := range i.Addresses {
				for _, n := range nets {
					if n.p.Contains(a.Addr()) {
						area = n.area
					}
				}
			}
		}
		if area == "" {
			continue
		}
		v.area[i.Name], v.passive[i.Name] = area, pas
		for _, a := range i.Addresses {
			if a.Addr().Is4() {
				v.addrs[a.Addr()] = true
			}
		}
	}
	return v
}

// normArea writes an area as FRR compares them: "0" and "0.0.0.0" are one.
func normArea(a string) string {
	if ip, err := netip.ParseAddr(a); err == nil && ip.Is4() {
		b := ip.As4()
		return itoa(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
	}
	return a
}

func itoa(n uint32) string {
	if n == 0 {
		return "0"
	}
	var b [10]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// adjacent reports whether OSPF forms an adjacency over a link: both ends
// run OSPF on it, in the same area, and neither is passive.
func (a ospfView) adjacent(ifA string, b ospfView, ifB string) bool {
	arA, okA := a.area[ifA]
	arB, okB := b.area[ifB]
	return okA && okB && arA == arB && !a.passive[ifA] && !b.passive[ifB]
}

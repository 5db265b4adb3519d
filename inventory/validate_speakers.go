package inventory

import (
	"net/netip"
	"regexp"
	"slices"
	"strconv"
)

// secretKeyRE is what a password_secret may be: a key of the secrets file,
// never a password written in the inventory by mistake (no spaces, short).
var secretKeyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// speakers checks tuyau's BGP speakers: each names a core site, addresses
// the core routers can configure, an API only local users reach, and peers
// that are core routers of its site.
func (v *validator) speakers() {
	names := dupCheck{}
	listens := map[string]Source{}
	for _, sp := range v.s.Speakers {
		if names.seen(v, "speaker", sp.Name, sp.Src) && sp.Name == "" {
			continue
		}
		obj := "speaker " + sp.Name
		v.checkASN(sp.Src, func() string { return obj }, sp.ASN)
		if v.s.Network.ASN != 0 && sp.ASN != 0 && sp.ASN != v.s.Network.ASN {
			v.add(sp.Src, obj, "asn %d is not the network's AS%d: a speaker is an iBGP route-reflector client of the core", sp.ASN, v.s.Network.ASN)
		}
		if !sp.RouterID.IsValid() || !sp.RouterID.Is4() {
			v.add(sp.Src, obj, "router_id must be an IPv4 address (got %q)", addrText(sp.RouterID))
		}
		switch site := v.x.Site(sp.Site); {
		case sp.Site == "":
			v.add(sp.Src, obj, "has no site (the core site it runs at)")
		case site == nil:
			v.add(sp.Src, obj, "site %q is not defined", sp.Site)
		case site.Role != SiteCore:
			v.add(sp.Src, obj, "site %s has role %s; speakers run at core sites", sp.Site, site.Role)
		}
		if !sp.Listen.IsValid() {
			v.add(sp.Src, obj, "has no listen address (the address the core routers peer with)")
		} else {
			key := sp.Listen.String() + ":" + strconv.Itoa(sp.BGPPort())
			if first, ok := listens[key]; ok {
				v.add(sp.Src, obj, "listen %s is also the listen address of the speaker at %s", key, first)
			}
			listens[key] = sp.Src
			for i := range v.s.Devices {
				if deviceHasAddr(&v.s.Devices[i], sp.Listen) {
					v.add(sp.Src, obj, "listen %s is an address of device %s", sp.Listen, v.s.Devices[i].Name)
				}
			}
		}
		if sp.Port < 0 || sp.Port > 65535 {
			v.add(sp.Src, obj, "port %d is not 1..65535", sp.Port)
		}
		if msg := checkAPI(sp.API); msg != "" {
			v.add(sp.Src, obj, "%s", msg)
		}
		if len(sp.Peers) == 0 {
			v.add(sp.Src, obj, "has no peers (the core routers of its site)")
		}
		v.speakerNextHops(&sp)
		seen := dupCheck{}
		for _, p := range sp.Peers {
			v.speakerPeer(&sp, p, seen)
		}
	}
}

func (v *validator) speakerPeer(sp *Speaker, p SpeakerPeer, seen dupCheck) {
	src := p.Src
	if src.Line == 0 {
		src = sp.Src
	}
	if p.Device == "" {
		v.add(src, "speaker "+sp.Name+" peer", "has no device")
		return
	}
	obj := "speaker " + sp.Name + " peer " + p.Device
	if first, ok := seen[p.Device]; ok {
		v.add(src, obj, "device %s is peered twice (first at %s)", p.Device, first)
		return
	}
	seen[p.Device] = src
	d := v.x.Device(p.Device)
	switch {
	case d == nil:
		v.add(src, obj, "device %q is not defined", p.Device)
	case d.Role != RoleCore:
		v.add(src, obj, "device %s has role %s; speakers peer with core routers", d.Name, d.Role)
	case sp.Site != "" && d.Site != sp.Site:
		v.add(src, obj, "device %s is at site %s, not at the speaker's site %s", d.Name, d.Site, sp.Site)
	}
	if d != nil {
		if sp.ASN != 0 && d.ASN != 0 && d.ASN != sp.ASN {
			v.add(src, obj, "device %s is in AS%d, the speaker in AS%d (the session is iBGP)", d.Name, d.ASN, sp.ASN)
		}
		switch a := p.PeerAddress(d); {
		case !a.IsValid():
			v.add(src, obj, "has no address and device %s has no loopback", d.Name)
		case p.Address.IsValid() && !deviceHasAddr(d, a):
			v.add(src, obj, "address %s is not configured on device %s", a, d.Name)
		case sp.Listen.IsValid() && a.Is4() != sp.Listen.Is4():
			v.add(src, obj, "address %s and the speaker's listen %s are not the same family", a, sp.Listen)
		}
	}
	if p.PasswordSecret != "" && !secretKeyRE.MatchString(p.PasswordSecret) {
		// Do not quote it: it may be a password pasted in the wrong place.
		v.add(src, obj, "password_secret must be a key of the secrets file (letters, digits, _ . -, up to 64), not a password")
	}
	if p.TTLSecurity < 0 || p.TTLSecurity > 254 {
		v.add(src, obj, "ttl_security %d is not 0 (off) or 1..254 hops", p.TTLSecurity)
	}
	if p.HoldTime != 0 && (p.HoldTime < 3 || p.HoldTime > 65535) {
		v.add(src, obj, "hold_time %d is not 0 or 3..65535 seconds (RFC 4271)", p.HoldTime)
	}
	if p.Keepalive < 0 || p.Keepalive > 21845 {
		v.add(src, obj, "keepalive %d is not 0..21845 seconds", p.Keepalive)
	}
	if p.HoldTime != 0 && p.Keepalive >= p.HoldTime {
		v.add(src, obj, "keepalive %d must be below hold_time %d (a third of it is usual)", p.Keepalive, p.HoldTime)
	}
	if p.MaxPrefixes < 0 {
		v.add(src, obj, "max_prefixes %d is negative (0 means no limit)", p.MaxPrefixes)
	}
	if p.GracefulRestart < 0 || p.GracefulRestart > 4095 {
		v.add(src, obj, "graceful_restart %d is not 0 (off) or 1..4095 seconds (RFC 4724)", p.GracefulRestart)
	}
}

// speakerNextHops checks the hosting next hops: the right family, no
// router's address, and one for every family of the prefixes hosted at the
// speaker's site.
func (v *validator) speakerNextHops(sp *Speaker) {
	obj := "speaker " + sp.Name
	for _, nh := range []struct {
		key  string
		a    netip.Addr
		want bool // IPv4
	}{{"hosting_next_hop", sp.HostingNextHop, true}, {"hosting_next_hop6", sp.HostingNextHop6, false}} {
		if !nh.a.IsValid() {
			continue
		}
		if nh.a.Is4() != nh.want || nh.a.IsUnspecified() || nh.a.IsMulticast() || nh.a.IsLinkLocalUnicast() {
			fam := "IPv6"
			if nh.want {
				fam = "IPv4"
			}
			v.add(sp.Src, obj, "%s %s is not a global %s unicast address", nh.key, nh.a, fam)
			continue
		}
		for i := range v.s.Devices {
			if deviceHasAddr(&v.s.Devices[i], nh.a) {
				v.add(sp.Src, obj, "%s %s is an address of device %s: a router drops a path whose next hop is its own address", nh.key, nh.a, v.s.Devices[i].Name)
			}
		}
	}
	v4, v6 := sp.NextHops()
	for _, svc := range v.s.Services {
		if !slices.Contains(svc.Sites, sp.Site) {
			continue
		}
		for _, p := range svc.Prefixes {
			if p.Addr().Is4() && !v4.IsValid() {
				v.add(sp.Src, obj, "service %s announces %s at site %s: set hosting_next_hop (the listen address is IPv6)", svc.Name, p, sp.Site)
				break
			}
			if p.Addr().Is6() && !v6.IsValid() {
				v.add(sp.Src, obj, "service %s announces %s at site %s: set hosting_next_hop6 (the listen address is IPv4)", svc.Name, p, sp.Site)
				break
			}
		}
	}
}

func addrText(a interface {
	IsValid() bool
	String() string
}) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

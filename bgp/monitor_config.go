package bgp

import (
	"net/netip"
	"slices"

	"github.com/tuyau-net/tuyau/inventory"
)

// Prefix kinds of OwnedPrefix.
const (
	KindMemberLAN      = "member-lan"
	KindHosting        = "hosting"
	KindInfrastructure = "infrastructure"
)

// MonitorConfigFor lists the network's own prefixes from the inventory
// for the speaker cfg describes, with default thresholds:
//   - a member-lan prefix of a member site: originated by the ASes of that
//     site's member routers (the network's AS when they have none: a
//     statically routed member the core originates), required in the view;
//   - hosting prefixes (services, and prefixes of role hosting): the
//     network's AS, reachable from each of the service's core sites;
//   - every other prefix of the inventory but the transit interconnects
//     (the provider's): infrastructure, the network's AS.
func MonitorConfigFor(snap *inventory.Snapshot, cfg Config) MonitorConfig {
	own := cfg.ASN
	if snap.Network.ASN != 0 {
		own = snap.Network.ASN
	}
	siteASNs := map[string][]uint32{}
	for _, d := range snap.Devices {
		if d.Role == inventory.RoleMember && d.ASN != 0 && !slices.Contains(siteASNs[d.Site], d.ASN) {
			siteASNs[d.Site] = append(siteASNs[d.Site], d.ASN)
		}
	}
	mc := MonitorConfig{Speaker: cfg.Name, ASN: cfg.ASN, Devices: map[netip.Addr]string{}, Limits: map[netip.Addr]int{}}
	for _, p := range cfg.Peers {
		mc.Devices[p.Address] = p.Device
		if p.MaxPrefixes > 0 {
			mc.Limits[p.Address] = p.MaxPrefixes
		}
	}
	seen := map[netip.Prefix]int{}
	add := func(op OwnedPrefix) {
		op.Prefix = op.Prefix.Masked()
		if i, dup := seen[op.Prefix]; dup {
			// A service's prefix also listed under prefixes: keep the
			// service's sites.
			if len(op.Sites) > 0 {
				mc.Prefixes[i].Sites, mc.Prefixes[i].Service = op.Sites, op.Service
			}
			return
		}
		seen[op.Prefix] = len(mc.Prefixes)
		mc.Prefixes = append(mc.Prefixes, op)
	}
	for _, svc := range snap.Services {
		for _, p := range svc.Prefixes {
			add(OwnedPrefix{Prefix: p, Kind: KindHosting, Service: svc.Name, Origins: []uint32{own}, Sites: slices.Clone(svc.Sites)})
		}
	}
	for _, p := range snap.Prefixes {
		if !p.Prefix.IsValid() {
			continue
		}
		switch p.Role {
		case "transit":
		case KindMemberLAN:
			origins := siteASNs[p.Site]
			if len(origins) == 0 {
				origins = []uint32{own}
			}
			add(OwnedPrefix{Prefix: p.Prefix, Kind: KindMemberLAN, Site: p.Site, Origins: origins, Required: p.Site != ""})
		case KindHosting:
			add(OwnedPrefix{Prefix: p.Prefix, Kind: KindHosting, Origins: []uint32{own}})
		default:
			add(OwnedPrefix{Prefix: p.Prefix, Kind: KindInfrastructure, Site: p.Site, Origins: []uint32{own}})
		}
	}
	return mc
}

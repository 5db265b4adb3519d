package inventory

import "sort"

// Summary counts what an inventory holds, for a first look at a network.
type Summary struct {
	Network       string         `json:"network"`
	Regions       int            `json:"regions"`
	Sites         int            `json:"sites"`
	SitesByRole   map[string]int `json:"sites_by_role"`
	Devices       int            `json:"devices"`
	DevicesByRole map[string]int `json:"devices_by_role"`
	Platforms     map[string]int `json:"platforms"`
	Interfaces    int            `json:"interfaces"`
	PatchPanels   int            `json:"patch_panels"`
	Cables        int            `json:"cables"`
	FiberKm       float64        `json:"fiber_km"`
	SRLGs         int            `json:"srlgs"`
	Circuits      int            `json:"circuits"`
	Prefixes      int            `json:"prefixes"`
	BGPSessions   int            `json:"bgp_sessions"`
	Services      int            `json:"services"`
	// MultiHomed counts member sites whose devices have more than one
	// routed link, single-homed the others.
	MultiHomed  int `json:"member_sites_multi_homed"`
	SingleHomed int `json:"member_sites_single_homed"`
}

// Summarize counts the objects of a snapshot.
func Summarize(s *Snapshot) Summary {
	sum := Summary{
		Network: s.Network.Name, Regions: len(s.Regions), Sites: len(s.Sites), Devices: len(s.Devices),
		PatchPanels: len(s.PatchPanels), Cables: len(s.Cables), Circuits: len(s.Circuits),
		Prefixes: len(s.Prefixes), Services: len(s.Services),
		SitesByRole: map[string]int{}, DevicesByRole: map[string]int{}, Platforms: map[string]int{},
	}
	for _, site := range s.Sites {
		sum.SitesByRole[string(site.Role)]++
	}
	uplinks := map[string]int{} // member site -> routed links
	siteRole := map[string]SiteRole{}
	for _, site := range s.Sites {
		siteRole[site.Slug] = site.Role
	}
	for _, d := range s.Devices {
		sum.DevicesByRole[string(d.Role)]++
		sum.Platforms[d.Platform]++
		sum.Interfaces += len(d.Interfaces)
		sum.BGPSessions += len(d.BGPSessions)
		if siteRole[d.Site] != SiteMember {
			continue
		}
		for _, i := range d.Interfaces {
			if i.Name != "lo" && len(i.Addresses) > 0 && i.IsEnabled() {
				uplinks[d.Site]++
			}
		}
	}
	for slug, role := range siteRole {
		if role != SiteMember {
			continue
		}
		if uplinks[slug] > 1 {
			sum.MultiHomed++
		} else {
			sum.SingleHomed++
		}
	}
	srlgs := map[string]bool{}
	var m float64
	for _, c := range s.Cables {
		m += c.Length.Meters
		for _, g := range c.SRLGs {
			srlgs[g] = true
		}
	}
	sum.FiberKm = roundTo(m/1000, 1)
	sum.SRLGs = len(srlgs)
	return sum
}

// SortedKeys returns a map's keys in order, for stable display.
func SortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

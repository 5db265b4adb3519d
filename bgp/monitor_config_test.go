package bgp

import (
	"slices"
	"testing"
)

// TestMonitorConfigForManche: the example network's prefixes as the
// monitor watches them.
func TestMonitorConfigForManche(t *testing.T) {
	snap := manche(t)
	cfg, err := ConfigFor(snap, "saint-lo-dc", nil)
	if err != nil {
		t.Fatal(err)
	}
	mc := MonitorConfigFor(snap, cfg)
	byPrefix := map[string]OwnedPrefix{}
	for _, p := range mc.Prefixes {
		if _, dup := byPrefix[p.Prefix.String()]; dup {
			t.Errorf("%s listed twice", p.Prefix)
		}
		byPrefix[p.Prefix.String()] = p
	}
	var barfleurASN uint32
	for _, d := range snap.Devices {
		if d.Site == "barfleur-mairie" && d.ASN != 0 {
			barfleurASN = d.ASN
		}
	}
	cases := []struct {
		prefix   string
		kind     string
		origins  []uint32
		required bool
		sites    []string
		service  string
	}{
		{"172.16.0.0/28", KindMemberLAN, []uint32{barfleurASN}, true, nil, ""},
		{"198.51.100.0/24", KindHosting, []uint32{65000}, false, []string{"saint-lo-dc", "cherbourg-en-cotentin-dc"}, "hosting"},
		{"2001:db8:100::/48", KindHosting, []uint32{65000}, false, []string{"saint-lo-dc", "cherbourg-en-cotentin-dc"}, "hosting"},
		{"203.0.113.0/25", KindHosting, []uint32{65000}, false, []string{"cherbourg-en-cotentin-dc", "saint-lo-dc"}, "backup"},
		{"10.255.0.0/16", KindInfrastructure, []uint32{65000}, false, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.prefix, func(t *testing.T) {
			p, ok := byPrefix[c.prefix]
			if !ok {
				t.Fatalf("%s not watched", c.prefix)
			}
			if p.Kind != c.kind || !slices.Equal(p.Origins, c.origins) || p.Required != c.required || !slices.Equal(p.Sites, c.sites) || p.Service != c.service {
				t.Errorf("%s = %+v, want kind %s origins %v required %t sites %v service %q", c.prefix, p, c.kind, c.origins, c.required, c.sites, c.service)
			}
		})
	}
	if barfleurASN == 0 {
		t.Error("the example's barfleur-mairie router has no ASN")
	}
	if _, ok := byPrefix["192.0.2.0/24"]; ok {
		t.Error("the transit interconnects (the provider's) are watched as ours")
	}
	if mc.ASN != 65000 || mc.Speaker != "saint-lo-dc" || mc.Devices[cfg.Peers[0].Address] != "saint-lo-dc-r1" {
		t.Errorf("config %s AS%d devices %v", mc.Speaker, mc.ASN, mc.Devices)
	}
}

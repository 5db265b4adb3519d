package inventory

import (
	"net/netip"
	"strings"
	"testing"
)

// TestLinkLocalReuse: fe80::1 on every interface is fine; the same
// link-local address at both ends of one link, or a global address used
// twice, is not.
func TestLinkLocalReuse(t *testing.T) {
	pfx := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, x := range s {
			out = append(out, netip.MustParsePrefix(x))
		}
		return out
	}
	dev := func(name string, ifs ...Interface) Device {
		return Device{Name: name, Site: "a", Role: RoleCore, Platform: "frr", Interfaces: ifs}
	}
	s := &Snapshot{
		Sites: []Site{{Slug: "a", Role: SiteCore}},
		Devices: []Device{
			dev("r1", Interface{Name: "eth1", Addresses: pfx("fe80::1/64", "2001:db8::1/127")},
				Interface{Name: "eth2", Addresses: pfx("fe80::1/64", "2001:db8::2/127")}),
			dev("r2", Interface{Name: "eth1", Addresses: pfx("fe80::2/64", "2001:db8::1/127")}),
			dev("r3", Interface{Name: "eth1", Addresses: pfx("fe80::1/64", "2001:db8::3/127")}),
		},
		Cables: []Cable{
			{Label: "C1", A: Termination{Device: "r1", Interface: "eth1"}, B: Termination{Device: "r2", Interface: "eth1"}},
			{Label: "C2", A: Termination{Device: "r1", Interface: "eth2"}, B: Termination{Device: "r3", Interface: "eth1"}},
		},
	}
	var got []string
	for _, p := range Validate(s) {
		if strings.Contains(p.Msg, "address") {
			got = append(got, p.Object+": "+p.Msg)
		}
	}
	want := []string{
		"interface r2:eth1: address 2001:db8::1 is already used by interface r1:eth1 ()",
		"link r1:eth2 - r3:eth1: both ends use link-local address fe80::1 (): it must be unique on the link",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("address problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

package inventory

import (
	"net/netip"
	"testing"
)

// patched builds r1:eth1 -> odf-a F2 / R2 == trunk == odf-b R1 / F1 -> r2:eth1,
// the way a link crosses two rooms' patch panels.
func patched() *Snapshot {
	km, _ := NewLength(12, "km")
	cord, _ := NewLength(3, "m")
	return &Snapshot{
		Sites: []Site{{Slug: "a", Role: SiteCore}, {Slug: "b", Role: SiteAggregation}},
		Devices: []Device{
			{Name: "r1", Site: "a", Role: RoleCore, Platform: "frr", Interfaces: []Interface{{Name: "eth1", Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/31")}}}},
			{Name: "r2", Site: "b", Role: RoleAggregation, Platform: "frr", Interfaces: []Interface{{Name: "eth1", Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/31")}}, {Name: "eth2"}}},
		},
		PatchPanels: []PatchPanel{
			{Name: "odf-a", Site: "a", RearPorts: []RearPort{{Name: "R1"}, {Name: "R2", Positions: 2}},
				FrontPorts: []FrontPort{{Name: "F1", RearPort: "R1"}, {Name: "F2", RearPort: "R2", RearPosition: 2}}},
			{Name: "odf-b", Site: "b", RearPorts: []RearPort{{Name: "R1", Positions: 2}},
				FrontPorts: []FrontPort{{Name: "F0", RearPort: "R1", RearPosition: 1}, {Name: "F1", RearPort: "R1", RearPosition: 2}}},
		},
		Cables: []Cable{
			{Label: "pc1", A: Termination{Device: "r1", Interface: "eth1"}, B: Termination{Panel: "odf-a", Front: "F2"}, Length: cord},
			{Label: "trunk", A: Termination{Panel: "odf-a", Rear: "R2"}, B: Termination{Panel: "odf-b", Rear: "R1"}, Length: km},
			{Label: "pc2", A: Termination{Panel: "odf-b", Front: "F1"}, B: Termination{Device: "r2", Interface: "eth1"}, Length: cord},
		},
	}
}

func TestTrace(t *testing.T) {
	s := patched()
	x := NewIndex(s)
	tests := []struct {
		from, iface string
		to          string
		cables      int
		complete    bool
		meters      float64
	}{
		{"r1", "eth1", "r2:eth1", 3, true, 12006},
		{"r2", "eth1", "r1:eth1", 3, true, 12006},
		{"r2", "eth2", "r2:eth2", 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.from+":"+tt.iface, func(t *testing.T) {
			p, err := x.Trace(tt.from, tt.iface)
			if err != nil {
				t.Fatal(err)
			}
			if p.To.String() != tt.to || len(p.Cables) != tt.cables || p.Complete != tt.complete || p.Length().Meters != tt.meters {
				t.Errorf("Trace(%s, %s) = to %s, %d cables, complete %v, %v m; want %s, %d, %v, %v m",
					tt.from, tt.iface, p.To, len(p.Cables), p.Complete, p.Length().Meters, tt.to, tt.cables, tt.complete, tt.meters)
			}
		})
	}
	if ps := Validate(s); ps != nil {
		t.Errorf("Validate(patched) = %v, want clean", ps)
	}
}

func TestTracePositionMismatchStops(t *testing.T) {
	s := patched()
	// Move the far patch cord to the front port of the other position: the
	// trace must not jump to the wrong fiber.
	s.Cables[2].A.Front = "F0"
	p, err := NewIndex(s).Trace("r1", "eth1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Complete {
		t.Errorf("trace crossed to %s through the wrong position", p.To)
	}
}

package topology

import (
	"reflect"
	"slices"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

// behindNet is the ring network with members behind members: school m5
// behind town hall m1, m6 behind m5, m7 fed by both m2 and m3, m8 and m9
// linked only to each other, m10 with no link at all.
func behindNet(t testing.TB) *Topology {
	sites := append(slices.Clone(ringSites),
		tsite{"m5", inventory.SiteMember}, tsite{"m6", inventory.SiteMember}, tsite{"m7", inventory.SiteMember},
		tsite{"m8", inventory.SiteMember}, tsite{"m9", inventory.SiteMember}, tsite{"m10", inventory.SiteMember})
	cables := append(slices.Clone(ringCables),
		tcable{"C12", "m5", "m1", 1, []string{"duct-m5"}, ""},
		tcable{"C13", "m6", "m5", 1, nil, ""},
		tcable{"C14", "m7", "m2", 1, nil, ""},
		tcable{"C15", "m7", "m3", 1, nil, ""},
		tcable{"C16", "m8", "m9", 1, nil, ""},
		// two homed members linked to each other: the link carries nothing.
		tcable{"C17", "m2", "m3", 1, nil, ""})
	return mustBuild(t, handNet(t, sites, cables))
}

func TestCutsMembersBehindMembers(t *testing.T) {
	a := Analyze(behindNet(t))
	tests := []struct {
		kind                  FailureKind
		name                  string
		hosting, onlyA, onlyB []string
	}{
		{FailCable, "C12", []string{"m5", "m6"}, nil, nil},
		{FailCable, "C13", []string{"m6"}, nil, nil},
		// the town hall's only uplink takes the schools behind it along.
		{FailCable, "C6", []string{"m1", "m5", "m6"}, nil, nil},
		{FailSite, "m1", []string{"m5", "m6"}, nil, nil},
		{FailSite, "m5", []string{"m6"}, nil, nil},
		{FailSite, "p1", []string{"m1", "m5", "m6"}, nil, nil},
		// m7 has two feeders: losing one changes nothing.
		{FailCable, "C14", nil, nil, nil},
		{FailSite, "m2", nil, nil, nil},
		// a loses both cables: everyone keeps b only, behind members too.
		{FailSRLG, "duct-a-out", nil, []string{"m1", "m2", "m3", "m4", "m5", "m6", "m7"}, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.name, func(t *testing.T) {
			f, err := a.Cut(tt.kind, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			got := norm([3][]string{f.LoseHosting, f.LoseCoreA, f.LoseCoreB})
			if want := norm([3][]string{tt.hosting, tt.onlyA, tt.onlyB}); !reflect.DeepEqual(got, want) {
				t.Errorf("Cut(%s %s) loses hosting/A/B %v, want %v", tt.kind, tt.name, got, want)
			}
		})
	}
	// Nothing isolated before the failure counts as lost by it.
	for _, f := range a.Cuts(CutOptions{Everything: true}) {
		for _, l := range [][]string{f.LoseHosting, f.LoseCoreA, f.LoseCoreB} {
			for _, s := range l {
				if s == "m8" || s == "m9" || s == "m10" {
					t.Errorf("%s %s: %s loses a core it never reached", f.Kind, f.Name, s)
				}
			}
		}
	}
}

func TestRiskMembersBehindMembers(t *testing.T) {
	r := Analyze(behindNet(t)).Risk()
	by := map[string]MemberRisk{}
	for _, m := range r.Members {
		by[m.Site] = m
	}
	m5 := by["m5"]
	if m5.Uplinks != 0 || !slices.Equal(m5.Via, []string{"m1"}) || m5.FiberPathsA != 1 || m5.FiberPathsB != 1 || m5.Isolated {
		t.Errorf("risk of m5 = %+v, want no uplink, via m1, one path to each core", m5)
	}
	for _, spof := range []string{"site m1", "site p1", "cable C12", "cable C6", "srlg duct-m5", "srlg duct-m1"} {
		if !slices.Contains(m5.SPOFs, spof) {
			t.Errorf("m5's single points of failure %v lack %s", m5.SPOFs, spof)
		}
	}
	if m6 := by["m6"]; !slices.Contains(m6.SPOFs, "site m5") || !slices.Equal(m6.Via, []string{"m1"}) {
		t.Errorf("risk of m6 = %+v, want site m5 among its SPOFs, via m1", m6)
	}
	// m7 is fed by two members that are themselves dual-homed.
	if m7 := by["m7"]; len(m7.SPOFs) != 0 || m7.FiberPathsA != 2 || m7.FiberPathsB != 2 || !slices.Equal(m7.Via, []string{"m2", "m3"}) {
		t.Errorf("risk of m7 = %+v, want two paths to each core and no SPOF", m7)
	}
	// A homed member gains nothing from the link to another homed member.
	if m2 := by["m2"]; m2.FiberPathsA != 2 || !slices.Equal(m2.SPOFs, []string{"srlg duct-m2"}) {
		t.Errorf("risk of m2 = %+v, want the ring network's answer", m2)
	}
	var iso []string
	for _, s := range r.Isolated {
		iso = append(iso, s.Site+": "+s.Reason)
		if !by[s.Site].Isolated {
			t.Errorf("%s is in the isolated list but its risk row says otherwise", s.Site)
		}
	}
	want := []string{
		"m10: it has no routed link that is up to another site",
		"m8: it is linked only to member sites without uplinks (m9)",
		"m9: it is linked only to member sites without uplinks (m8)",
	}
	if !slices.Equal(iso, want) {
		t.Errorf("isolated = %q, want %q", iso, want)
	}
}

func TestPathMembersBehindMembers(t *testing.T) {
	a := Analyze(behindNet(t))
	tests := []struct {
		from, to string
		sites    []string
	}{
		{"m5", "b", []string{"m5", "m1", "p1", "p2", "b"}},
		{"a", "m6", []string{"a", "p1", "m1", "m5", "m6"}},
		{"m1", "m6", []string{"m1", "m5", "m6"}},
		// m7 leaves over a feeder, m5 is entered over its own.
		{"m7", "m5", []string{"m7", "m2", "p1", "m1", "m5"}},
		// p1 to p2 never runs through m2 and m3, even with their link.
		{"p1", "b", []string{"p1", "p2", "b"}},
	}
	for _, tt := range tests {
		p, err := a.Path(tt.from, tt.to, PathOptions{})
		if err != nil {
			t.Fatalf("Path(%s, %s): %v", tt.from, tt.to, err)
		}
		sites := []string{p.Routes[0].Hops[0].From}
		for _, h := range p.Routes[0].Hops {
			sites = append(sites, h.To)
		}
		if !slices.Equal(sites, tt.sites) {
			t.Errorf("Path(%s, %s) runs %v, want %v", tt.from, tt.to, sites, tt.sites)
		}
	}
	if _, err := a.Path("m8", "a", PathOptions{}); err == nil {
		t.Error("Path(m8, a) found a route from an isolated member")
	}
}

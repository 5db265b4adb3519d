package topology

import (
	"errors"
	"reflect"
	"slices"
	"testing"
)

func TestRiskHandNetwork(t *testing.T) {
	top := mustBuild(t, handNet(t, ringSites, ringCables))
	r := Analyze(top).Risk()
	want := map[string]MemberRisk{
		"m1": {"m1", 1, 1, 1, 1, 1, []string{"site p1", "srlg duct-m1", "cable C6"}, nil, false},
		// Two uplinks in one duct: two fiber paths, one duct-disjoint.
		"m2": {"m2", 2, 2, 2, 1, 1, []string{"srlg duct-m2"}, nil, false},
		// Both of a's cables are in duct-a-out: one duct-disjoint path to a.
		"m3": {"m3", 2, 2, 2, 1, 2, []string{}, nil, false},
		"m4": {"m4", 1, 1, 1, 1, 1, []string{"site p2", "site p3", "srlg duct-m4", "srlg duct-p2-e", "srlg trench-d7", "cable C11", "cable C5"}, nil, false},
	}
	if len(r.Members) != len(want) {
		t.Fatalf("%d members, want %d", len(r.Members), len(want))
	}
	for _, m := range r.Members {
		if !reflect.DeepEqual(m, want[m.Site]) {
			t.Errorf("risk of %s = %+v, want %+v", m.Site, m, want[m.Site])
		}
	}
	if r.Members[0].Site != "m4" {
		t.Errorf("most exposed member is %s, want m4 (7 single points of failure)", r.Members[0].Site)
	}
	if want := []string{"p2-r1:eth3 -- p3-r1:eth1"}; !slices.Equal(r.Bridges, want) {
		t.Errorf("bridges %v, want %v", r.Bridges, want)
	}
	if want := []string{"p2"}; !slices.Equal(r.Articulations, want) {
		t.Errorf("articulations %v, want %v", r.Articulations, want)
	}
}

func TestPathHandNetwork(t *testing.T) {
	a := Analyze(mustBuild(t, handNet(t, ringSites, ringCables)))
	tests := []struct {
		from, to string
		disjoint bool
		km       []float64
		hops     [][]string // sites along each route
		srlgs    []string
		err      error
	}{
		{"m1", "b", false, []float64{19}, [][]string{{"m1", "p1", "p2", "b"}}, nil, nil},
		// m2 and m3 are members: p1 to b does not cut through them.
		{"p1", "b", false, []float64{17}, [][]string{{"p1", "p2", "b"}}, nil, nil},
		{"a-r1", "p3", false, []float64{24}, [][]string{{"a", "p1", "p2", "p3"}}, nil, nil},
		{"m2", "b", true, []float64{12, 45}, [][]string{{"m2", "p2", "b"}, {"m2", "p1", "a", "b"}}, []string{"duct-m2"}, nil},
		{"a", "b", true, []float64{29, 30}, [][]string{{"a", "p1", "p2", "b"}, {"a", "b"}}, []string{"duct-a-out"}, nil},
		{"m4", "a", true, nil, nil, nil, ErrNoPath},
		{"nowhere", "a", false, nil, nil, nil, ErrUnknownSite},
	}
	for _, tt := range tests {
		t.Run(tt.from+"-"+tt.to, func(t *testing.T) {
			p, err := a.Path(tt.from, tt.to, PathOptions{Disjoint: tt.disjoint})
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Path(%s, %s) error = %v, want %v", tt.from, tt.to, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var km []float64
			var hops [][]string
			for _, r := range p.Routes {
				km = append(km, r.Km)
				sites := []string{r.Hops[0].From}
				for _, h := range r.Hops {
					sites = append(sites, h.To)
				}
				hops = append(hops, sites)
			}
			if !slices.Equal(km, tt.km) || !reflect.DeepEqual(hops, tt.hops) {
				t.Errorf("Path(%s, %s) = %v km via %v, want %v via %v", tt.from, tt.to, km, hops, tt.km, tt.hops)
			}
			if !slices.Equal(p.SharedSRLGs, tt.srlgs) && (len(p.SharedSRLGs) > 0 || len(tt.srlgs) > 0) {
				t.Errorf("Path(%s, %s) shares %v, want %v", tt.from, tt.to, p.SharedSRLGs, tt.srlgs)
			}
		})
	}
}

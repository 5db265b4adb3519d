package topology

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

// TestCutsRandomNetworks compares every failure with the plain search on
// small random networks: parallel links, links inside a site, members
// linked to members, pieces not connected to any core, shared ducts
// spanning the whole network.
func TestCutsRandomNetworks(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	n := 300
	if testing.Short() {
		n = 50
	}
	for i := range n {
		sites := []tsite{{"ca", inventory.SiteCore}, {"cb", inventory.SiteCore}}
		ns := 3 + r.IntN(14)
		for j := range ns {
			role := inventory.SiteAggregation
			if r.IntN(2) == 0 {
				role = inventory.SiteMember
			}
			sites = append(sites, tsite{fmt.Sprintf("s%02d", j), role})
		}
		var cables []tcable
		nc := r.IntN(3 * len(sites))
		for j := range nc {
			a, b := sites[r.IntN(len(sites))].slug, sites[r.IntN(len(sites))].slug
			var srlgs []string
			for range r.IntN(3) {
				srlgs = append(srlgs, fmt.Sprintf("d%d", r.IntN(6)))
			}
			cables = append(cables, tcable{fmt.Sprintf("C%02d", j), a, b, 1 + float64(r.IntN(40)), srlgs, ""})
		}
		top := mustBuild(t, handNet(t, sites, cables))
		a := Analyze(top)
		ref := newSearchRef(top)
		for _, f := range a.Cuts(CutOptions{Everything: true}) {
			got := [3][]string{f.LoseHosting, f.LoseCoreA, f.LoseCoreB}
			if want := ref.cut(f); !reflect.DeepEqual(norm(got), norm(want)) {
				t.Fatalf("network %d (%v, %v): %s %s: got %v, search says %v", i, sites, cables, f.Kind, f.Name, got, want)
			}
		}
		reach := ref.memberReach(nil, "")
		for _, m := range a.Risk().Members {
			deg := a.f.homingDegree(int32(top.siteIdx[m.Site]))
			if m.SRLGPathsA > m.FiberPathsA || m.SRLGPathsB > m.FiberPathsB || m.FiberPathsA > deg || m.FiberPathsB > deg {
				t.Fatalf("network %d: member %s: fiber paths %d/%d, SRLG paths %d/%d, uplinks %d", i, m.Site,
					m.FiberPathsA, m.FiberPathsB, m.SRLGPathsA, m.SRLGPathsB, m.Uplinks)
			}
			if rc := reach[m.Site]; (m.FiberPathsA > 0) != rc[0] || (m.FiberPathsB > 0) != rc[1] || (m.SRLGPathsA > 0) != rc[0] {
				t.Fatalf("network %d: member %s has %d/%d paths but reaches core A %v, B %v", i, m.Site, m.FiberPathsA, m.FiberPathsB, rc[0], rc[1])
			}
		}
		p, err := a.Path("ca", "cb", PathOptions{Disjoint: true})
		if err != nil && !errors.Is(err, ErrNoPath) {
			t.Fatalf("network %d: path: %v", i, err)
		}
		used := map[string]bool{}
		for _, route := range p.Routes {
			at := "ca"
			for k, h := range route.Hops {
				if h.From != at || used[h.Link] || (k > 0 && ref.member[h.From]) {
					t.Fatalf("network %d: route %+v: hop %d from %s (at %s), link reused %v", i, route, k, h.From, at, used[h.Link])
				}
				used[h.Link] = true
				at = h.To
			}
			if at != "cb" {
				t.Fatalf("network %d: route ends at %s", i, at)
			}
		}
	}
}

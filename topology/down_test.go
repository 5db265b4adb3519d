package topology

import (
	"slices"
	"testing"

	"github.com/tuyau-net/tuyau/inventory/synth"
)

// TestLinksDownAgreesWithCuts: the links a cable or a duct takes down,
// given as a set, cut off the same member sites as the cable or the duct.
func TestLinksDownAgreesWithCuts(t *testing.T) {
	nets := map[string]*Topology{
		"hand":      mustBuild(t, handNet(t, ringSites, ringCables)),
		"synth-200": mustBuild(t, synthNet(t, synth.Options{Sites: 200, Seed: 9})),
	}
	for name, top := range nets {
		t.Run(name, func(t *testing.T) {
			a := Analyze(top)
			fs := a.Cuts(CutOptions{Kinds: []FailureKind{FailCable, FailSRLG}, Everything: true})
			if len(fs) == 0 {
				t.Fatal("no failures to compare with")
			}
			for _, f := range fs {
				got := a.LinksDown(append([]string{"no-such-link"}, f.LinksDown...))
				if !slices.Equal(got.LoseHosting, f.LoseHosting) || !slices.Equal(got.LoseCoreA, f.LoseCoreA) ||
					!slices.Equal(got.LoseCoreB, f.LoseCoreB) || !slices.Equal(got.LinksDown, f.LinksDown) {
					t.Errorf("LinksDown(%s %s's links) = hosting %v A %v B %v down %v, want %v %v %v %v", f.Kind, f.Name,
						got.LoseHosting, got.LoseCoreA, got.LoseCoreB, got.LinksDown, f.LoseHosting, f.LoseCoreA, f.LoseCoreB, f.LinksDown)
				}
			}
			if none := a.LinksDown(nil); none.Impact() != 0 || len(none.LinksDown) != 0 {
				t.Errorf("LinksDown(nil) = %+v, want nothing lost", none)
			}
		})
	}
}

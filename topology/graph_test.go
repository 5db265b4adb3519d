package topology

import (
	"slices"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

// TestLinksThroughPatchPanels: every routed link of the example is traced
// through both sites' patch panels to patch cord, trunk, patch cord.
func TestLinksThroughPatchPanels(t *testing.T) {
	snap := loadManche(t)
	top := mustBuild(t, snap)
	if len(top.Problems) != 0 {
		t.Fatalf("problems: %v", top.Problems)
	}
	external := 0
	for _, l := range top.Links {
		if l.External {
			external++
			if !strings.HasPrefix(l.B, "circuit TRANSIT-") {
				t.Errorf("external link %s does not end at a transit circuit", l.ID)
			}
			continue
		}
		if len(l.Cables) != 3 || !strings.HasPrefix(l.Cables[0], "PC-") || !strings.HasPrefix(l.Cables[1], "FO-") || !strings.HasPrefix(l.Cables[2], "PC-") {
			t.Errorf("link %s rides %v, want patch cord, trunk, patch cord", l.ID, l.Cables)
		}
		trunk, _ := top.Span(l.Cables[1])
		if want := round(trunk.Km+0.006, 3); l.Km != want {
			t.Errorf("link %s is %v km, want trunk %v km + two 3 m cords = %v", l.ID, l.Km, trunk.Km, want)
		}
		if l.Connectors != 6 || l.ConnectorPairs != 3 || !l.Up {
			t.Errorf("link %s: %d connectors, up %v; want 6, true", l.ID, l.Connectors, l.Up)
		}
		if l.A > l.B {
			t.Errorf("link %s is not oriented smaller end first", l.ID)
		}
		// Each trunk carries exactly this link.
		if !slices.Equal(trunk.Links, []string{l.ID}) {
			t.Errorf("trunk %s carries %v, want [%s]", trunk.Cable, trunk.Links, l.ID)
		}
	}
	// The transit circuit lands where the inventory says.
	tr := snap.Circuits[0].A
	l, ok := top.LinkOf(tr.Device, tr.Interface)
	if !ok || !l.External || l.B != "circuit TRANSIT-1/A" {
		t.Errorf("LinkOf(%s, %s) = %+v, %v; want the link to TRANSIT-1", tr.Device, tr.Interface, l, ok)
	}
	if l, ok := top.LinkOf("cherbourg-en-cotentin-dc-r1", "eth1"); !ok || l.A != "cherbourg-en-cotentin-dc-r1:eth1" {
		t.Errorf("LinkOf(cherbourg-en-cotentin-dc-r1, eth1) = %s, %v", l.ID, ok)
	}
	if _, ok := top.LinkOf("saint-lo-dc-r1", "lo"); ok {
		t.Error("LinkOf(saint-lo-dc-r1, lo) found a link on the loopback")
	}
	if external != 2 || len(top.Links) != 76 {
		t.Errorf("%d links, %d external; want 76 and 2", len(top.Links), external)
	}
	if top.CoreA != "saint-lo-dc" || top.CoreB != "cherbourg-en-cotentin-dc" {
		t.Errorf("cores %s, %s; want the hosting service's saint-lo-dc, cherbourg-en-cotentin-dc", top.CoreA, top.CoreB)
	}
}

func TestBrokenAndDownLinks(t *testing.T) {
	s := loadManche(t)
	var cut, planned string
	del := -1
	for i := range s.Cables {
		c := &s.Cables[i]
		switch {
		case del < 0 && c.A.Kind() == inventory.TermInterface && c.B.Kind() == inventory.TermFrontPort:
			cut, del = c.A.String(), i
		case planned == "" && strings.HasPrefix(c.Label, "FO-") && i > 10:
			c.Status = inventory.CablePlanned
			planned = c.Label
		}
	}
	s.Cables = slices.Delete(s.Cables, del, del+1) // the first patch cord disappears
	top := mustBuild(t, s)
	if len(top.Problems) != 1 || !strings.Contains(top.Problems[0].Message, "cable trace stops at") {
		t.Fatalf("problems %v, want one stopped trace (from the far end of %s)", top.Problems, cut)
	}
	down := 0
	for _, l := range top.Links {
		if !l.Up {
			down++
			if !strings.Contains(l.Down, planned) {
				t.Errorf("link %s is down because %q, want cable %s planned", l.ID, l.Down, planned)
			}
		}
	}
	if down != 1 || len(top.Links) != 75 {
		t.Errorf("%d links, %d down; want 75 and 1", len(top.Links), down)
	}
	bs, err := Budgets(top, BudgetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if l, _ := top.Link(b.Link); !l.Up && b.Status != BudgetDown {
			t.Errorf("down link %s has budget status %s", b.Link, b.Status)
		}
	}
	if _, err := Build(s, Options{CoreA: "saint-lo-dc", CoreB: "saint-lo-dc"}); err == nil {
		t.Error("Build accepted the same site as both cores")
	}
}

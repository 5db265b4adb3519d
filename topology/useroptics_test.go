package topology

import (
	"math"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

// TestUserOptics: a BiDi pair defined in the inventory is budgeted in each
// direction at its own transmit wavelength; a type nobody defined stays
// unknown-optic.
func TestUserOptics(t *testing.T) {
	s := handNet(t, []tsite{{"a", inventory.SiteCore}, {"b", inventory.SiteCore}, {"m", inventory.SiteMember}},
		[]tcable{{"BIDI", "a", "m", 20, nil, "BX-U"}, {"ODD", "b", "m", 2, nil, "400G-MYSTERY"}})
	// The BiDi cable's far end is the downstream module.
	for i := range s.Devices {
		for j := range s.Devices[i].Interfaces {
			if ifc := &s.Devices[i].Interfaces[j]; s.Devices[i].Name == "m-r1" && ifc.Name == "eth1" {
				ifc.Transceiver = "BX-D"
			}
		}
	}
	s.Optics = []inventory.Optic{
		{Type: "BX-U", Wavelength: 1310, Fiber: inventory.FiberSMF, TxMinDBm: -9, TxMaxDBm: -3, RxSensDBm: -19.5, RxMaxDBm: -3, ReachKm: 20, Source: "ACME BX20-U data sheet"},
		{Type: "BX-D", Wavelength: 1550, Fiber: inventory.FiberSMF, TxMinDBm: -6, TxMaxDBm: 0, RxSensDBm: -19.5, RxMaxDBm: -3, ReachKm: 20, Source: "ACME BX20-D data sheet"},
	}
	top := mustBuild(t, s)
	bs, err := Budgets(top, BudgetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]LinkBudget{}
	for i, b := range bs {
		by[top.Links[i].Cables[0]] = b
	}
	// Upstream at 1310 nm: 20 x 0.4 + 0.5 = 8.5 dB, -9 - 8.5 = -17.5 dBm,
	// 2 dB above -19.5: the worse direction (downstream: 4.5 dB, -10.5 dBm).
	b := by["BIDI"]
	if math.Abs(b.LossDB-8.5) > 1e-9 || math.Abs(b.MarginDB-2) > 1e-9 || b.Status != BudgetLow || b.Optic != "BX-U/BX-D" {
		t.Errorf("BiDi budget %+v, want 8.5 dB loss, 2 dB margin, low-margin", b)
	}
	if o, ok := top.Optic("BX-D"); !ok || o.Wavelength != 1550 || o.Source != "ACME BX20-D data sheet" {
		t.Errorf("Optic(BX-D) = %+v, %v", o, ok)
	}
	if got := by["ODD"].Status; got != BudgetUnknown {
		t.Errorf("undefined type: status %s, want unknown-optic", got)
	}
	if n := len(top.Optics()); n != len(Optics())+2 {
		t.Errorf("%d optics, want the built-in ones and 2", n)
	}
}

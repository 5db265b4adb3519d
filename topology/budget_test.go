package topology

import (
	"math"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

// TestOpticsCoverInventory: every optical transceiver type the inventory
// accepts has a row with a source; electrical ones are not in the table.
func TestOpticsCoverInventory(t *testing.T) {
	for _, typ := range inventory.Transceivers {
		o, ok := LookupOptic(typ)
		if inventory.IsElectrical(typ) {
			if ok {
				t.Errorf("electrical type %s has optical data", typ)
			}
			continue
		}
		if !ok {
			t.Errorf("optical type %s in inventory.Transceivers has no row in Optics()", typ)
			continue
		}
		if o.Source == "" || o.Wavelength == 0 || o.ReachKm <= 0 {
			t.Errorf("%s: source %q, wavelength %d, reach %v: want all set", typ, o.Source, o.Wavelength, o.ReachKm)
		}
		if o.TxMinDBm > o.TxMaxDBm || o.RxSensDBm >= o.RxMaxDBm || o.BudgetDB() <= 0 {
			t.Errorf("%s: Tx %v..%v dBm, Rx %v..%v dBm do not make a budget", typ, o.TxMinDBm, o.TxMaxDBm, o.RxSensDBm, o.RxMaxDBm)
		}
	}
	for _, o := range Optics() {
		found := false
		for _, typ := range inventory.Transceivers {
			found = found || typ == o.Type
		}
		if !found {
			t.Errorf("Optics() has %s, which inventory.Transceivers does not accept", o.Type)
		}
	}
}

func TestBudgetsHandComputed(t *testing.T) {
	sites := []tsite{{"a", inventory.SiteCore}, {"b", inventory.SiteCore}, {"p", inventory.SiteAggregation}}
	cables := []tcable{
		// 12 km at 1310 nm: 12 x 0.4 + 1 pair x 0.5 = 5.3 dB; -8.2 - 5.3 = -13.5 dBm, 0.9 dB above -14.4.
		{"LR12", "a", "b", 12, nil, "10GBASE-LR"},
		// 30 km at 1550 nm: 30 x 0.2 + 0.5 = 6.5 dB; -4.7 - 6.5 = -11.2 dBm, 4.6 dB above -15.8.
		{"ER30", "a", "p", 30, nil, "10GBASE-ER"},
		// 1 km of ZR: +4 - 0.7 = +3.3 dBm into a receiver that saturates at -7.
		{"ZR1", "b", "p", 1, nil, "10GBASE-ZR"},
		// 5 km of LR: 2 + 0.5 = 2.5 dB, 3.7 dB margin, fine.
		{"LR5", "p", "b", 5, nil, "10GBASE-LR"},
		// 60 km of ER: 12.5 dB loss, -17.2 dBm: no light.
		{"ER60", "a", "p", 60, nil, "10GBASE-ER"},
		{"T", "a", "b", 0.01, nil, "10GBASE-T"},
		// 25 km of ER: 5.5 dB planning loss keeps +4 dBm below the -1 dBm
		// overload, but new fiber and clean connectors lose 25 x 0.17 =
		// 4.25 dB: up to -0.25 dBm arrives. Overload is a best-case check.
		{"ER25", "b", "a", 25, nil, "10GBASE-ER"},
		// 4 km of LX on single-mode: -11.0 dBm (the SMF minimum of
		// Table 38-7, not the -11.5 multi-mode one) - 2.1 dB = -13.1 dBm.
		{"LX4", "p", "a", 4, nil, "1000BASE-LX"},
	}
	top := mustBuild(t, handNet(t, sites, cables))
	bs, err := Budgets(top, BudgetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		loss, rx, margin float64
		status           BudgetStatus
	}{
		"LR12": {5.3, -13.5, 0.9, BudgetLow},
		"ER30": {6.5, -11.2, 4.6, BudgetOK},
		"ZR1":  {0.7, -0.7, 23.3, BudgetOverload},
		"LR5":  {2.5, -10.7, 3.7, BudgetOK},
		"ER60": {12.5, -17.2, -1.4, BudgetFail},
		"T":    {0, 0, 0, BudgetElectrical},
		"ER25": {5.5, -10.2, 5.6, BudgetOverload},
		"LX4":  {2.1, -13.1, 5.9, BudgetOK},
	}
	if len(bs) != len(want) {
		t.Fatalf("%d budgets, want %d", len(bs), len(want))
	}
	for _, b := range bs {
		l, _ := top.Link(b.Link)
		w, ok := want[l.Cables[0]]
		if !ok {
			t.Fatalf("unexpected link %s", b.Link)
		}
		if math.Abs(b.LossDB-w.loss) > 1e-9 || math.Abs(b.RxDBm-w.rx) > 1e-9 || math.Abs(b.MarginDB-w.margin) > 1e-9 || b.Status != w.status {
			t.Errorf("%s: loss %v dB, rx %v dBm, margin %v dB, %s; want %v, %v, %v, %s",
				l.Cables[0], b.LossDB, b.RxDBm, b.MarginDB, b.Status, w.loss, w.rx, w.margin, w.status)
		}
		if l.Cables[0] == "ER25" && (b.MinLossDB != 4.25 || !strings.Contains(b.Note, "best-case loss (4.3 dB)")) {
			t.Errorf("ER25: min loss %v dB, note %q; want 4.25 dB named in the note", b.MinLossDB, b.Note)
		}
		if b.Status.Flagged() != (w.status == BudgetLow || w.status == BudgetFail || w.status == BudgetOverload) {
			t.Errorf("%s: %s flagged = %v", l.Cables[0], b.Status, b.Status.Flagged())
		}
	}
}

func TestBudgetOptions(t *testing.T) {
	top := mustBuild(t, handNet(t, []tsite{{"a", "core"}, {"b", "core"}}, []tcable{{"X", "a", "b", 10, nil, "10GBASE-LR"}}))
	for _, tc := range []struct {
		o    BudgetOptions
		loss float64
		ok   bool
	}{
		{BudgetOptions{}, 4.5, true},
		{BudgetOptions{Profile: "conservative"}, 5.5, true},
		{BudgetOptions{Profile: "tia", MarginDB: 1}, 5.75, true},
		{BudgetOptions{Profile: "nope"}, 0, false},
		{BudgetOptions{MarginDB: -1}, 0, false},
	} {
		bs, err := Budgets(top, tc.o)
		if (err == nil) != tc.ok {
			t.Errorf("Budgets(%+v) error = %v, want ok %v", tc.o, err, tc.ok)
			continue
		}
		if err == nil && math.Abs(bs[0].LossDB-tc.loss) > 1e-9 {
			t.Errorf("Budgets(%+v) loss %v dB, want %v", tc.o, bs[0].LossDB, tc.loss)
		}
	}
}

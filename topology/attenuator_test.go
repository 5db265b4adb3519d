package topology

import (
	"math"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

// TestAttenuatorOnZRSpan: a 1 km ZR span overloads its receiver (+4 dBm
// launch into a -7 dBm overload); a cable's attenuator_db is charged in
// the planning loss and the best-case loss alike, so enough of it clears
// the overload at the price of margin, and too much leaves no light.
func TestAttenuatorOnZRSpan(t *testing.T) {
	budgetWith := func(t *testing.T, at float64) LinkBudget {
		t.Helper()
		snap := handNet(t, []tsite{{"a", inventory.SiteCore}, {"b", inventory.SiteCore}},
			[]tcable{{"ZR1", "a", "b", 1, nil, "10GBASE-ZR"}})
		snap.Cables[0].AttenuatorDB = at
		if ps := inventory.Validate(snap); len(ps) > 0 {
			t.Fatalf("attenuator_db %v: %v", at, ps)
		}
		bs, err := Budgets(mustBuild(t, snap), BudgetOptions{})
		if err != nil || len(bs) != 1 {
			t.Fatalf("budgets: %v, %d", err, len(bs))
		}
		return bs[0]
	}
	bare := budgetWith(t, 0)
	if bare.Status != BudgetOverload || !strings.Contains(bare.Note, "attenuator_db") {
		t.Fatalf("1 km of ZR without attenuator: %s %q, want overload naming attenuator_db", bare.Status, bare.Note)
	}
	tests := []struct {
		db   float64
		want BudgetStatus
	}{
		{2, BudgetOverload}, // not enough: still above -7 dBm at best-case loss
		{12, BudgetOK},      // +4 - (best-case fiber and connector + 12) is below -7
		{25, BudgetFail},    // 23.3 dB of margin, 25 dB of attenuator: no light
	}
	for _, tt := range tests {
		b := budgetWith(t, tt.db)
		if b.Status != tt.want {
			t.Errorf("attenuator %v dB: %s (%s), want %s", tt.db, b.Status, b.Note, tt.want)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"attenuator_db", b.AttenuatorDB, tt.db},
			{"loss_db", b.LossDB, bare.LossDB + tt.db},
			{"min_loss_db", b.MinLossDB, bare.MinLossDB + tt.db},
			{"rx_dbm", b.RxDBm, bare.RxDBm - tt.db},
			{"margin_db", b.MarginDB, bare.MarginDB - tt.db},
		} {
			if math.Abs(c.got-c.want) > 0.011 {
				t.Errorf("attenuator %v dB: %s %v, want %v", tt.db, c.name, c.got, c.want)
			}
		}
	}
}

func TestAttenuatorValidated(t *testing.T) {
	tests := []struct {
		name string
		db   float64
		typ  inventory.FiberType
		want string
	}{
		{"negative", -1, inventory.FiberSMF, "attenuator_db -1 is outside 0..30 dB"},
		{"too much", 31, inventory.FiberSMF, "outside 0..30 dB"},
		{"NaN", math.NaN(), inventory.FiberSMF, "outside 0..30 dB"},
		{"copper", 5, inventory.CableCopper, "an optical attenuator goes on fiber"},
		{"fine", 5, inventory.FiberSMF, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := handNet(t, []tsite{{"a", inventory.SiteCore}, {"b", inventory.SiteCore}},
				[]tcable{{"ZR1", "a", "b", 1, nil, "10GBASE-ZR"}})
			snap.Cables[0].AttenuatorDB, snap.Cables[0].Type = tt.db, tt.typ
			ps := inventory.Validate(snap)
			got := ""
			if len(ps) > 0 {
				got = ps.Error()
			}
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("validate: %q, want %q", got, tt.want)
			}
		})
	}
}

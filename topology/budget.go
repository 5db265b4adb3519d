package topology

import (
	"fmt"
	"math"

	"github.com/tuyau-net/tuyau/inventory"
)

// BudgetOptions set the planning values of a budget.
type BudgetOptions struct {
	// Profile names a LossProfile; "" is the default ("typical").
	Profile string
	// MarginDB is the safety margin a link must keep above the receiver
	// sensitivity (ageing, repairs, temperature). 3 dB when zero.
	MarginDB float64
}

// BudgetStatus is the verdict on a link's optical budget.
type BudgetStatus string

const (
	BudgetOK BudgetStatus = "ok"
	// BudgetLow: light arrives above sensitivity but with less than the margin.
	BudgetLow BudgetStatus = "low-margin"
	// BudgetFail: at worst-case launch power light arrives below sensitivity.
	BudgetFail BudgetStatus = "no-light"
	// BudgetOverload: at best-case launch power the receiver saturates; add an attenuator.
	BudgetOverload BudgetStatus = "overload"
	// BudgetReach: the power budget closes but the span is longer than the
	// optic's rated reach (dispersion, not power, limits it).
	BudgetReach      BudgetStatus = "beyond-reach"
	BudgetElectrical BudgetStatus = "electrical"
	BudgetUnknown    BudgetStatus = "unknown-optic"
	BudgetNoOptic    BudgetStatus = "no-optic"
	BudgetDown       BudgetStatus = "down"
)

// Flagged reports whether a status needs an engineer's attention.
func (s BudgetStatus) Flagged() bool {
	switch s {
	case BudgetLow, BudgetFail, BudgetOverload, BudgetReach, BudgetUnknown:
		return true
	}
	return false
}

// LinkBudget is the optical budget of one routed link, in its worse direction.
type LinkBudget struct {
	Link           string  `json:"link"`
	Optic          string  `json:"optic"`
	Km             float64 `json:"km"`
	Splices        int     `json:"splices"`
	ConnectorPairs int     `json:"connector_pairs"`
	// FiberDB, SpliceDB, ConnectorDB and AttenuatorDB add up to LossDB.
	FiberDB     float64 `json:"fiber_db"`
	SpliceDB    float64 `json:"splice_db"`
	ConnectorDB float64 `json:"connector_db"`
	// AttenuatorDB is the cables' inline attenuators, charged at their
	// rating in the planning and the best-case loss alike.
	AttenuatorDB float64 `json:"attenuator_db,omitempty"`
	LossDB       float64 `json:"loss_db"`
	// MinLossDB is the best-case loss (BestCaseLoss) the overload check
	// uses, in the direction that comes closest to overload.
	MinLossDB float64 `json:"min_loss_db"`
	// TxDBm is the worst-case launch power, RxDBm what then arrives,
	// SensitivityDBm what the receiver needs; MarginDB = RxDBm - SensitivityDBm.
	TxDBm          float64      `json:"tx_dbm"`
	RxDBm          float64      `json:"rx_dbm"`
	SensitivityDBm float64      `json:"sensitivity_dbm"`
	MarginDB       float64      `json:"margin_db"`
	RequiredDB     float64      `json:"required_margin_db"`
	Status         BudgetStatus `json:"status"`
	Note           string       `json:"note,omitempty"`
}

// Budgets computes the optical budget of every link, in link order:
// Budgets(t, o)[i] is the budget of t.Links[i].
func Budgets(t *Topology, o BudgetOptions) ([]LinkBudget, error) {
	prof, err := LookupLossProfile(o.Profile)
	if err != nil {
		return nil, err
	}
	if o.MarginDB == 0 {
		o.MarginDB = 3
	}
	if o.MarginDB < 0 || math.IsNaN(o.MarginDB) {
		return nil, fmt.Errorf("budget margin %v dB: must be positive", o.MarginDB)
	}
	out := make([]LinkBudget, 0, len(t.Links))
	for _, l := range t.Links {
		out = append(out, t.budget(l, prof, o.MarginDB))
	}
	return out, nil
}

func (t *Topology) budget(l Link, prof LossProfile, margin float64) LinkBudget {
	best := BestCaseLoss()
	b := LinkBudget{Link: l.ID, Km: l.Km, Splices: l.Splices, ConnectorPairs: l.ConnectorPairs, RequiredDB: margin}
	b.Optic = l.ATransceiver
	if l.BTransceiver != "" && l.BTransceiver != l.ATransceiver {
		b.Optic += "/" + l.BTransceiver
	}
	if !l.Up {
		b.Status, b.Note = BudgetDown, l.Down
		return b
	}
	// A circuit end is handed over by a provider: only our end's optic is known,
	// so we budget our transmitter against the same type at the far end.
	aType, bType := l.ATransceiver, l.BTransceiver
	if l.External {
		bType = aType
	}
	if aType == "" || bType == "" {
		b.Status, b.Note = BudgetNoOptic, "an end has no transceiver in the inventory"
		return b
	}
	if inventory.IsElectrical(aType) || inventory.IsElectrical(bType) {
		b.Status = BudgetElectrical
		return b
	}
	oa, okA := t.Optic(aType)
	ob, okB := t.Optic(bType)
	if !okA || !okB {
		b.Status, b.Note = BudgetUnknown, "no optical data for "+b.Optic
		return b
	}
	// Each direction is launched at its transmitter's wavelength; keep the worse.
	type dir struct{ tx, rx Optic }
	first := true
	var hotDir *float64 // how far above overload the hotter direction gets
	for _, d := range []dir{{oa, ob}, {ob, oa}} {
		fiber := 0.0
		for _, si := range l.spans {
			s := t.Physical.Spans[si]
			fiber += s.Km * prof.Attenuation(s.Type, d.tx.Wavelength)
		}
		sp := float64(l.Splices) * prof.SpliceDB
		co := float64(b.ConnectorPairs) * prof.ConnectorDB
		at := l.AttenuatorDB
		loss := fiber + sp + co + at
		rx := d.tx.TxMinDBm - loss
		m := rx - d.rx.RxSensDBm
		if first || m < b.MarginDB {
			b.FiberDB, b.SpliceDB, b.ConnectorDB, b.AttenuatorDB, b.LossDB = round(fiber, 2), round(sp, 2), round(co, 2), round(at, 2), round(loss, 2)
			b.TxDBm, b.RxDBm, b.SensitivityDBm, b.MarginDB = d.tx.TxMinDBm, round(rx, 2), d.rx.RxSensDBm, round(m, 2)
			first = false
		}
		// Overload: the strongest transmitter over the least loss.
		minLoss := 0.0
		for _, si := range l.spans {
			s := t.Physical.Spans[si]
			minLoss += s.Km * best.Attenuation(s.Type, d.tx.Wavelength)
		}
		minLoss += float64(l.Splices)*best.SpliceDB + float64(b.ConnectorPairs)*best.ConnectorDB + l.AttenuatorDB
		hot := d.tx.TxMaxDBm - minLoss
		if first2 := b.MinLossDB == 0 && hotDir == nil; first2 || hot-d.rx.RxMaxDBm > *hotDir {
			over := hot - d.rx.RxMaxDBm
			hotDir = &over
			b.MinLossDB = round(minLoss, 2)
		}
		if hot > d.rx.RxMaxDBm && b.Note == "" {
			b.Note = fmt.Sprintf("up to %.1f dBm at the %s receiver at best-case loss (%.1f dB), above its %.1f dBm overload: add %.0f dB of attenuation (attenuator_db on a cable of the link)",
				round(hot, 1)+0, d.rx.Type, round(minLoss, 1)+0, d.rx.RxMaxDBm, math.Ceil(hot-d.rx.RxMaxDBm))
		}
	}
	reach := min(oa.ReachKm, ob.ReachKm)
	switch {
	case b.MarginDB < 0:
		b.Status = BudgetFail
	case b.MarginDB < margin:
		b.Status = BudgetLow
	case b.Note != "":
		b.Status = BudgetOverload
	case l.Km > reach:
		b.Status, b.Note = BudgetReach, fmt.Sprintf("%.1f km is beyond the %g km rated reach", l.Km, reach)
	default:
		b.Status = BudgetOK
	}
	return b
}

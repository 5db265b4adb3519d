package testlab

import (
	"math"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/topology"
)

// The lab takes its optics from the topology package: the chain loss of
// each link is topology's budget loss (typical loss profile: fiber
// attenuation at the optic's wavelength, splices, mated connector pairs),
// and each transmitter launches at the middle of its type's Tx range, as a
// healthy optic does. A link is up when both receivers get at least their
// sensitivity, so links that "tuyau topology budget" reports as no-light
// at typical power stay dark in the lab too.

// losFloorDBm is what a receiver reports with no light at all.
const losFloorDBm = -40.0

// opticFigures returns the typical launch power and receiver sensitivity
// of an end's transceiver: the inventory's own figures when the plan
// carries them, else the built-in type's; ok is false for copper and
// unknown types.
func opticFigures(e Endpoint) (txDBm, sensDBm float64, ok bool) {
	if e.Transceiver == "" || inventory.IsElectrical(e.Transceiver) {
		return 0, 0, false
	}
	o, ok := topology.LookupOptic(e.Transceiver)
	if e.Optic != nil && e.Optic.Type == e.Transceiver {
		o, ok = *e.Optic, true
	}
	if !ok {
		return 0, 0, false
	}
	return round2((o.TxMinDBm + o.TxMaxDBm) / 2), o.RxSensDBm, true
}

// budgetLoss fills each link's loss from topology's budgets; links
// topology does not budget (an end without a known optic) keep no loss and
// are not optical.
func budgetLoss(snap *inventory.Snapshot, links []Link) error {
	t, err := topology.Build(snap, topology.Options{})
	if err != nil {
		return err
	}
	budgets, err := topology.Budgets(t, topology.BudgetOptions{})
	if err != nil {
		return err
	}
	loss := make(map[string]float64, len(budgets))
	for i, tl := range t.Links {
		if i < len(budgets) && budgets[i].LossDB > 0 {
			loss[endsKey(tl.A, tl.B)] = budgets[i].LossDB
		}
	}
	for i := range links {
		l := &links[i]
		for _, e := range []*Endpoint{&l.A, &l.B} {
			if _, builtIn := topology.LookupOptic(e.Transceiver); !builtIn && e.Transceiver != "" {
				if o, ok := t.Optic(e.Transceiver); ok {
					e.Optic = &o
				}
			}
		}
		b := l.B.String()
		// Topology budgets a circuit end as the circuit, whether or not the
		// lab runs a transit peer there.
		if l.B.Circuit != "" {
			b = ""
		}
		key := endsKey(l.A.String(), b)
		lossDB, ok := loss[key]
		if !ok && l.B.Circuit != "" {
			lossDB, ok = loss[circuitKey(l.A.String())]
		}
		if ok {
			l.LossDB = lossDB
		}
	}
	return nil
}

// endsKey names a link by its two device ends in either order.
func endsKey(a, b string) string {
	if len(b) >= 8 && b[:8] == "circuit " || b == "" {
		return circuitKey(a)
	}
	if b < a {
		a, b = b, a
	}
	return a + "|" + b
}

func circuitKey(a string) string { return a + "|circuit" }

// rxPower is the power received at one end: the far end's launch power less
// the chain loss and any injected degradation; a cut gives the LOS floor.
func rxPower(far Endpoint, lossDB, degradeDB float64, cut bool) (float64, bool) {
	tx, _, optical := opticFigures(far)
	if !optical {
		return 0, false
	}
	if cut {
		return losFloorDBm, true
	}
	return math.Max(losFloorDBm, round2(tx-lossDB-degradeDB)), true
}

// txPower is the launch power of an end.
func txPower(e Endpoint) (float64, bool) {
	tx, _, optical := opticFigures(e)
	return tx, optical
}

// sensitivity is the lowest power an end's receiver can decode.
func sensitivity(e Endpoint) float64 {
	_, s, _ := opticFigures(e)
	return s
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

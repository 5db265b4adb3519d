package topology

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tuyau-net/tuyau/inventory"
)

// Optic is the optical data of a transceiver type: worst-case launch power,
// receiver sensitivity and overload, and where each figure comes from.
// Powers are average powers in dBm; for multi-lane types they are per lane.
type Optic struct {
	Type       string              `json:"type"`
	Wavelength int                 `json:"wavelength_nm"`
	Fiber      inventory.FiberType `json:"fiber"`
	TxMinDBm   float64             `json:"tx_min_dbm"`
	TxMaxDBm   float64             `json:"tx_max_dbm"`
	RxSensDBm  float64             `json:"rx_sensitivity_dbm"`
	RxMaxDBm   float64             `json:"rx_overload_dbm"`
	ReachKm    float64             `json:"reach_km"`
	Source     string              `json:"source"`
}

// BudgetDB is the power budget: worst launch power less sensitivity.
func (o Optic) BudgetDB() float64 { return round(o.TxMinDBm-o.RxSensDBm, 2) }

// Optics returns the table of standard optics, sorted by type.
//
// Each row was checked against the clause it cites (IEEE Std 802.3-2022
// unless said otherwise). Tx is the average launch power (min, max), Rx
// sensitivity the minimum average receive power and overload the maximum
// average receive power of the receive characteristics table; IEEE's
// normative sensitivity is in OMA, the average-power rows are what module
// data sheets and DOM readings use. Multi-lane types are per lane. Reach
// is the standard's operating range on the fiber named.
func Optics() []Optic {
	return []Optic{
		// cl. 38.4, Tables 38-6 (range), 38-7 (Tx: −11.0 dBm min on 10 µm
		// SMF; −11.5 is the multi-mode figure), 38-8 (Rx); 1270–1355 nm.
		{"1000BASE-LX", 1310, inventory.FiberSMF, -11.0, -3, -19, -3, 5,
			"IEEE 802.3-2022 cl. 38.4, Tables 38-6, 38-7 (10 µm SMF column) and 38-8"},
		// cl. 38.3, Tables 38-2 (range: 550 m on 50 µm 500 MHz·km), 38-3
		// (Tx), 38-4 (Rx); 770–860 nm.
		{"1000BASE-SX", 850, inventory.FiberMMF, -9.5, 0, -17, 0, 0.55,
			"IEEE 802.3-2022 cl. 38.3, Tables 38-2, 38-3 and 38-4 (50 µm fiber, 500 MHz·km)"},
		// Not an IEEE type: Cisco GLC-ZX-SMD, Tx 0..+5 dBm, Rx −23..−3 dBm, 70 km.
		{"1000BASE-ZX", 1550, inventory.FiberSMF, 0, 5, -23, -3, 70,
			"Cisco 1000BASE SFP Transceiver Modules data sheet, GLC-ZX-SMD (not an IEEE type)"},
		// cl. 88.7, Tables 88-9 (Tx: −2.9..+2.9 dBm per lane) and 88-10 (Rx:
		// −20.9..−4.9 dBm per lane); 40 km; LAN-WDM lanes 1295–1310 nm.
		{"100GBASE-ER4", 1310, inventory.FiberSMF, -2.9, 2.9, -20.9, -4.9, 40,
			"IEEE 802.3-2022 cl. 88.7, Tables 88-9 and 88-10 (per lane, LAN-WDM near 1310 nm)"},
		// cl. 88.7, Tables 88-7 (Tx: −4.3..+4.5 dBm per lane) and 88-8 (Rx:
		// −10.6..+4.5 dBm per lane); 10 km.
		{"100GBASE-LR4", 1310, inventory.FiberSMF, -4.3, 4.5, -10.6, 4.5, 10,
			"IEEE 802.3-2022 cl. 88.7, Tables 88-7 and 88-8 (per lane, LAN-WDM near 1310 nm)"},
		// cl. 95.7, Tables 95-6 (Tx: −8.4..+2.4 dBm per lane) and 95-7 (Rx:
		// −10.3..+2.4 dBm per lane); 100 m on OM4 (70 m on OM3); 840–860 nm.
		{"100GBASE-SR4", 850, inventory.FiberMMF, -8.4, 2.4, -10.3, 2.4, 0.1,
			"IEEE 802.3-2022 cl. 95.7, Tables 95-6 and 95-7 (per lane, OM4)"},
		// cl. 52.7 (10GBASE-E): Tx −4.7..+4.0 dBm, Rx −15.8..−1.0 dBm;
		// 30 km, 40 km as an engineered link (the reach used here);
		// 1530–1565 nm.
		{"10GBASE-ER", 1550, inventory.FiberSMF, -4.7, 4.0, -15.8, -1.0, 40,
			"IEEE 802.3-2022 cl. 52.7, Tables 52-16 and 52-17 (40 km is the engineered-link reach; 30 km standard)"},
		// cl. 52.6 (10GBASE-L): Tx −8.2..+0.5 dBm, Rx −14.4..+0.5 dBm; 10 km;
		// 1260–1355 nm.
		{"10GBASE-LR", 1310, inventory.FiberSMF, -8.2, 0.5, -14.4, 0.5, 10,
			"IEEE 802.3-2022 cl. 52.6, Tables 52-12 and 52-13"},
		// cl. 52.5 (10GBASE-S): Tx −7.3..−1.0 dBm, Rx −9.9..−1.0 dBm; 300 m
		// on OM3; 840–860 nm.
		{"10GBASE-SR", 850, inventory.FiberMMF, -7.3, -1.0, -9.9, -1.0, 0.3,
			"IEEE 802.3-2022 cl. 52.5, Tables 52-7 and 52-9 (OM3)"},
		// Not an IEEE type (multi-source agreement): Cisco SFP-10G-ZR-S,
		// Tx 0..+4 dBm, Rx −24..−7 dBm, 80 km.
		{"10GBASE-ZR", 1550, inventory.FiberSMF, 0, 4, -24, -7, 80,
			"vendor SFP-10G-ZR data sheets, e.g. Cisco SFP-10G-ZR-S (not an IEEE type)"},
		// 802.3cc cl. 114.7 (now in 802.3-2022): Tx −7.0..+2.0 dBm, Rx
		// −13.3..+2.0 dBm; 10 km; 1295–1325 nm.
		{"25GBASE-LR", 1310, inventory.FiberSMF, -7.0, 2.0, -13.3, 2.0, 10,
			"IEEE 802.3-2022 cl. 114.7 (802.3cc), Tables 114-6 and 114-7"},
	}
}

// builtinOptics is the built-in table made once, read-only: LookupOptic
// built the whole table at every call, 140 MB of garbage while a
// 500-device collector planned its targets.
var builtinOptics = sync.OnceValue(Optics)

// LookupOptic returns the optic of a transceiver type.
func LookupOptic(typ string) (Optic, bool) {
	os := builtinOptics()
	i, ok := slices.BinarySearchFunc(os, typ, func(o Optic, t string) int { return strings.Compare(o.Type, t) })
	if !ok {
		return Optic{}, false
	}
	return os[i], true
}

// FromInventory makes an optic of a transceiver type the inventory
// defines under optics:, its source saying where it was read.
func FromInventory(o inventory.Optic) Optic {
	src := o.Source
	if at := o.Src.String(); at != "" {
		src += " (inventory " + at + ")"
	}
	return Optic{o.Type, o.Wavelength, o.Fiber, o.TxMinDBm, o.TxMaxDBm, o.RxSensDBm, o.RxMaxDBm, o.ReachKm, src}
}

// Optic returns the optic of a transceiver type: the built-in table first,
// then the inventory's own optics.
func (t *Topology) Optic(typ string) (Optic, bool) {
	if o, ok := LookupOptic(typ); ok {
		return o, true
	}
	o, ok := t.optics[typ]
	return o, ok
}

// Optics returns the built-in optics and then the inventory's own, each
// part sorted by type.
func (t *Topology) Optics() []Optic {
	out := Optics()
	for _, k := range sortedKeys(t.optics) {
		out = append(out, t.optics[k])
	}
	return out
}

// LossProfile holds the planning values for fiber attenuation, splices and
// mated connector pairs.
type LossProfile struct {
	Name string `json:"name"`
	// Attenuation in dB/km for single-mode at 1310 and 1550 nm and
	// multi-mode at 850 and 1300 nm.
	SMF1310 float64 `json:"smf_1310_db_km"`
	SMF1550 float64 `json:"smf_1550_db_km"`
	MMF850  float64 `json:"mmf_850_db_km"`
	MMF1300 float64 `json:"mmf_1300_db_km"`
	// SpliceDB is the loss of one fusion splice, ConnectorDB of one mated pair.
	SpliceDB    float64 `json:"splice_db"`
	ConnectorDB float64 `json:"connector_db"`
	Source      string  `json:"source"`
}

// LossProfiles lists the loss profiles; the first is the default.
func LossProfiles() []LossProfile {
	return []LossProfile{
		{"typical", 0.4, 0.2, 3.0, 1.0, 0.15, 0.5,
			"The Fiber Optic Association, \"Loss Budget\" (typical values)"},
		{"conservative", 0.5, 0.5, 3.5, 1.5, 0.5, 0.5,
			"Juniper MX10003 hardware guide, power budget section; TIA-568 multi-mode maxima"},
		{"tia", 0.5, 0.5, 3.5, 1.5, 0.3, 0.75,
			"TIA-568 maxima for outside plant as commonly quoted (check the standard)"},
	}
}

// BestCaseLoss is the least loss a span can have, used only to check that
// the strongest transmitter does not overload the receiver: new low-loss
// G.652.D fiber (the low end of what fiber data sheets give: 0.30 dB/km at
// 1310 nm, 0.17 at 1550), perfect splices and connectors. Planning losses
// overstate the loss, so checking overload with them misses the short
// spans that saturate a receiver.
func BestCaseLoss() LossProfile {
	return LossProfile{"best-case", 0.30, 0.17, 2.3, 0.6, 0, 0,
		"overload check only: low end of G.652.D and OM3/OM4 data sheet attenuation; splices and connectors at 0 dB"}
}

// LookupLossProfile returns a loss profile by name; "" is the default.
func LookupLossProfile(name string) (LossProfile, error) {
	ps := LossProfiles()
	if name == "" {
		return ps[0], nil
	}
	var names []string
	for _, p := range ps {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return LossProfile{}, fmt.Errorf("loss profile %q: want one of %v", name, names)
}

// Attenuation returns the fiber loss in dB/km of a fiber type at a wavelength.
func (p LossProfile) Attenuation(fiber inventory.FiberType, nm int) float64 {
	if fiber == inventory.FiberMMF {
		if nm < 1000 {
			return p.MMF850
		}
		return p.MMF1300
	}
	if nm < 1400 {
		return p.SMF1310
	}
	return p.SMF1550
}

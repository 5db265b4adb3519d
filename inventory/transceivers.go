package inventory

import "slices"

// Transceivers lists the pluggable types the inventory accepts. Their
// optical figures (launch power, sensitivity) live in topology, which checks
// that it has a budget for every optical type listed here.
var Transceivers = []string{
	"1000BASE-T", "1000BASE-SX", "1000BASE-LX", "1000BASE-ZX",
	"10GBASE-T", "10GBASE-SR", "10GBASE-LR", "10GBASE-ER", "10GBASE-ZR",
	"25GBASE-LR",
	"100GBASE-SR4", "100GBASE-LR4", "100GBASE-ER4",
}

// IsElectrical reports whether a transceiver type runs over copper.
func IsElectrical(t string) bool { return t == "1000BASE-T" || t == "10GBASE-T" }

// Optic is a transceiver type the inventory defines itself, with the
// figures an optical budget needs. Powers are average powers in dBm, per
// lane for multi-lane types; Wavelength is the transmit wavelength (a BiDi
// pair is two types, one per direction).
type Optic struct {
	Type       string    `json:"type" yaml:"type"`
	Wavelength int       `json:"wavelength_nm" yaml:"wavelength_nm"`
	Fiber      FiberType `json:"fiber" yaml:"fiber"`
	TxMinDBm   float64   `json:"tx_min_dbm" yaml:"tx_min_dbm"`
	TxMaxDBm   float64   `json:"tx_max_dbm" yaml:"tx_max_dbm"`
	RxSensDBm  float64   `json:"rx_sensitivity_dbm" yaml:"rx_sensitivity_dbm"`
	RxMaxDBm   float64   `json:"rx_overload_dbm" yaml:"rx_overload_dbm"`
	ReachKm    float64   `json:"reach_km" yaml:"reach_km"`
	// Source says where the figures come from: a data sheet, a standard.
	Source string `json:"source" yaml:"source"`
	Src    Source `json:"-" yaml:"-"`
}

// KnownTransceiver reports whether a type is built in or one of the
// snapshot's own optics.
func (s *Snapshot) KnownTransceiver(t string) bool {
	if slices.Contains(Transceivers, t) {
		return true
	}
	for i := range s.Optics {
		if s.Optics[i].Type == t {
			return true
		}
	}
	return false
}

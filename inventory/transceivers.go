package inventory

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

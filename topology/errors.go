package topology

import (
	"errors"
	"math"
)

// ErrUnknownSite is returned for a site slug the topology does not have.
var ErrUnknownSite = errors.New("no such site")

// ErrNoPath is returned when two sites are not connected by routed links.
var ErrNoPath = errors.New("no path")

func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

package testlab

import (
	"hash/fnv"
	"math"
	"time"
)

// linkState is a link's condition after faults and both ends' configs.
type linkState struct {
	Link
	up bool
	// rx is the power received at each end (A, B) in dBm; optical is false
	// for copper, where there is no power to show.
	rxA, rxB float64
	optical  bool
	// why names the first reason the link is down, for status.
	why string
	// since is when the link last changed state.
	since time.Time
	// octets counted at 'since', per direction (A to B, B to A).
	baseAB, baseBA uint64
	// rate is the modelled traffic in bit/s per direction while up.
	rateAB, rateBA float64
}

// faults is what has been broken in a lab.
type faults struct {
	Cut     map[string]bool    `json:"cut,omitempty"`     // cable label
	Degrade map[string]float64 `json:"degrade,omitempty"` // cable label: extra loss dB
	Killed  map[string]bool    `json:"killed,omitempty"`  // device name
}

func newFaults() faults {
	return faults{Cut: map[string]bool{}, Degrade: map[string]float64{}, Killed: map[string]bool{}}
}

// endView is what the link model needs to know about one end's device.
type endView struct {
	alive   bool
	adminUp bool
}

// evaluate recomputes a link at time now from the faults and the two ends.
// Counters are integrated up to now before the state changes, so octets
// never jump or go back. For a circuit with no transit peer in the lab the
// caller passes a B end that is always up.
func (s *linkState) evaluate(now time.Time, f faults, a, b endView) {
	cut, extra := false, 0.0
	for _, c := range s.Cables {
		if f.Cut[c] {
			cut = true
		}
		extra += f.Degrade[c]
	}
	s.optical = true
	var okA, okB bool
	s.rxA, okA = rxPower(s.B.Transceiver, s.LossDB, extra, cut)
	s.rxB, okB = rxPower(s.A.Transceiver, s.LossDB, extra, cut)
	if !okA || !okB {
		s.optical = false
	}
	why := ""
	switch {
	case cut:
		why = "cable cut"
	case !a.alive || !b.alive:
		why = "device down"
	case !a.adminUp || !b.adminUp:
		why = "admin down"
		// A shut interface turns its laser off: the far end sees no light.
		if !a.adminUp {
			s.rxB = losFloorDBm
		}
		if !b.adminUp {
			s.rxA = losFloorDBm
		}
	case s.optical && (s.rxA < sensitivity(s.A.Transceiver) || s.rxB < sensitivity(s.B.Transceiver)):
		why = "rx power below sensitivity"
	}
	if !a.alive {
		s.rxB = losFloorDBm
	}
	if !b.alive {
		s.rxA = losFloorDBm
	}
	up := why == ""
	if s.since.IsZero() {
		s.since = now
		s.rateAB, s.rateBA = modelledRate(s.ID, s.A.Device)
	}
	if up != s.up {
		s.baseAB, s.baseBA = s.octets(now)
		s.since = now
	}
	s.up, s.why = up, why
}

// octets returns the octets sent A to B and B to A up to now: modelled
// traffic flows only while the link is up.
func (s *linkState) octets(now time.Time) (ab, ba uint64) {
	if !s.up {
		return s.baseAB, s.baseBA
	}
	secs := now.Sub(s.since).Seconds()
	return s.baseAB + uint64(s.rateAB*secs/8), s.baseBA + uint64(s.rateBA*secs/8)
}

// modelledRate gives each link a steady load between 1 and 30 % of 10
// Gbit/s per direction, the same on every run so tests can rely on it.
func modelledRate(id, salt string) (float64, float64) {
	h := fnv.New64a()
	h.Write([]byte(id))
	h.Write([]byte(salt))
	v := h.Sum64()
	frac := func(x uint64) float64 { return 0.01 + 0.29*float64(x%10000)/10000 }
	return math.Round(10e9 * frac(v)), math.Round(10e9 * frac(v>>20))
}

// avgPacket is the mean packet size used to turn octets into packets.
const avgPacket = 800

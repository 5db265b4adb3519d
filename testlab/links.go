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
	// base holds the counters at mark, per direction (A to B, B to A);
	// they advance from there at rate while the link is up. mark moves on
	// every change of state or rate, so counters never jump or go back.
	base [2]dirCounters
	mark time.Time
	rate [2]dirRates
}

// dirCounters count one direction of a link since the lab started: what
// the sender sent and dropped, what the receiver took in error.
type dirCounters struct {
	octets     uint64
	errors     uint64 // receiver's in-errors (CRC, symbol errors)
	rxDiscards uint64 // receiver's in-discards
	txDiscards uint64 // sender's out-discards (offered load beyond line rate)
}

// dirRates are the per-second rates of one direction while the link is up.
type dirRates struct {
	bps                            float64 // bits carried
	errors, rxDiscards, txDiscards float64 // packets
}

// faults is what has been broken in a lab.
type faults struct {
	Cut     map[string]bool    `json:"cut,omitempty"`     // cable label
	Degrade map[string]float64 `json:"degrade,omitempty"` // cable label: extra loss dB
	Killed  map[string]bool    `json:"killed,omitempty"`  // device name
	// Errors and Load are per link ID.
	Errors map[string]ErrorRate `json:"errors,omitempty"`
	Load   map[string]float64   `json:"load,omitempty"` // offered load, % of the link's speed
}

// ErrorRate is an injected error fault on a link: packets per second
// received in error, and discarded on input, at each end.
type ErrorRate struct {
	Errors   float64 `json:"errors"`
	Discards float64 `json:"discards,omitempty"`
}

func newFaults() faults {
	return faults{Cut: map[string]bool{}, Degrade: map[string]float64{}, Killed: map[string]bool{},
		Errors: map[string]ErrorRate{}, Load: map[string]float64{}}
}

// endView is what the link model needs to know about one end's device.
type endView struct {
	alive   bool
	adminUp bool
}

// evaluate recomputes a link at time now from the faults and the two ends.
// Counters are integrated up to now before the state or the rates change,
// so they never jump or go back. For a circuit with no transit peer in the
// lab the caller passes a B end that is always up.
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
	s.rxA, okA = rxPower(s.B, s.LossDB, extra, cut)
	s.rxB, okB = rxPower(s.A, s.LossDB, extra, cut)
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
	case s.optical && (s.rxA < sensitivity(s.A) || s.rxB < sensitivity(s.B)):
		why = "rx power below sensitivity"
	}
	if !a.alive {
		s.rxB = losFloorDBm
	}
	if !b.alive {
		s.rxA = losFloorDBm
	}
	up := why == ""
	rate := s.rates(f)
	if s.since.IsZero() {
		s.since, s.mark, s.rate = now, now, rate
	}
	if up != s.up || rate != s.rate {
		s.base = s.counters(now)
		s.mark, s.rate = now, rate
	}
	if up != s.up {
		s.since = now
	}
	s.up, s.why = up, why
}

// rates is the traffic the link carries while up: its modelled load, or
// the load a fault asks for, capped at line rate with the excess counted
// as the sender's discards; and injected errors.
func (s *linkState) rates(f faults) [2]dirRates {
	speed := s.speedBps()
	ab, ba := modelledLoad(s.ID, s.A.Device)
	if pct, ok := f.Load[s.ID]; ok {
		ab, ba = pct/100, pct/100
	}
	var r [2]dirRates
	for i, load := range [2]float64{ab, ba} {
		carried := math.Min(load, 1)
		r[i].bps = math.Round(speed * carried)
		r[i].txDiscards = math.Round(speed * (load - carried) / 8 / avgPacket)
		e := f.Errors[s.ID]
		r[i].errors, r[i].rxDiscards = e.Errors, e.Discards
	}
	return r
}

// speedBps is the link's line rate: its slower end's, 10 Gbit/s when the
// plan predates link speeds or the inventory gives none.
func (s *linkState) speedBps() float64 {
	if s.SpeedMbps > 0 {
		return float64(s.SpeedMbps) * 1e6
	}
	return 10e9
}

// counters returns each direction's counters up to now: modelled traffic
// flows, and errors happen, only while the link is up.
func (s *linkState) counters(now time.Time) [2]dirCounters {
	if !s.up {
		return s.base
	}
	// A clock that went back counts nothing (a negative float converted
	// to uint64 would wrap).
	secs := max(now.Sub(s.mark).Seconds(), 0)
	out := s.base
	for i := range out {
		r := s.rate[i]
		out[i].octets += uint64(r.bps * secs / 8)
		out[i].errors += uint64(r.errors * secs)
		out[i].rxDiscards += uint64(r.rxDiscards * secs)
		out[i].txDiscards += uint64(r.txDiscards * secs)
	}
	return out
}

// octets returns the octets sent A to B and B to A up to now.
func (s *linkState) octets(now time.Time) (ab, ba uint64) {
	c := s.counters(now)
	return c[0].octets, c[1].octets
}

// modelledLoad gives each link a steady load between 1 and 30 % of its
// speed per direction, the same on every run so tests can rely on it.
func modelledLoad(id, salt string) (float64, float64) {
	h := fnv.New64a()
	h.Write([]byte(id))
	h.Write([]byte(salt))
	v := h.Sum64()
	frac := func(x uint64) float64 { return 0.01 + 0.29*float64(x%10000)/10000 }
	return frac(v), frac(v >> 20)
}

// avgPacket is the mean packet size used to turn octets into packets.
const avgPacket = 800

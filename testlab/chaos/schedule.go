package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Kind is a kind of fault.
type Kind string

// The fault kinds, in the order a run first visits them (each once, in
// a seeded shuffle, before random picks).
const (
	CableCut      Kind = "cable-cut"      // one cable cut, then spliced
	DuctCut       Kind = "duct-cut"       // every cable of a shared-risk group
	RxDegrade     Kind = "rx-degrade"     // loss added on a fiber beyond its margin
	DeviceKill    Kind = "device-kill"    // a router powered off, then rebooted
	CoreSiteFail  Kind = "core-site-fail" // every router of a core site killed
	CollectorKill Kind = "collector-kill" // one collector of three crashes (no flush, no release)
	RedisRestart  Kind = "redis-restart"  // the primary redis-server killed, started again (AOF)
	Failover      Kind = "sentinel-failover"
	NetBoxSync    Kind = "netbox-sync" // an inventory push meeting NetBox errors or timeouts
	BGPRestart    Kind = "bgp-restart" // a "tuyau bgp serve" speaker SIGKILLed or SIGTERMed, started again
	ApplyKill     Kind = "apply-kill"  // a router powered off in the middle of a provisioning apply
)

// Kinds are every fault kind this package injects.
var Kinds = []Kind{CableCut, DuctCut, RxDegrade, DeviceKill, CoreSiteFail, CollectorKill, RedisRestart, Failover, NetBoxSync, BGPRestart, ApplyKill}

// CIKinds are the kinds of TestChaos's CI run (seed 1, 40 s): all but
// the two that need more set-up than its minute allows (the speakers
// built and started, a router provisioned); TestChaosBGPRestart and
// TestChaosApplyKill run those in CI.
var CIKinds = []Kind{CableCut, DuctCut, RxDegrade, DeviceKill, CoreSiteFail, CollectorKill, RedisRestart, Failover, NetBoxSync}

// ParseKinds reads a comma-separated list of kinds ("" or "all": every kind).
func ParseKinds(s string) ([]Kind, error) {
	if s == "" || s == "all" {
		return slices.Clone(Kinds), nil
	}
	var out []Kind
	for _, p := range strings.Split(s, ",") {
		k := Kind(strings.TrimSpace(p))
		if !slices.Contains(Kinds, k) {
			return nil, fmt.Errorf("fault kind %q: want one of %v", k, Kinds)
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// Fault is one scheduled fault: what, where, and how long it is held
// before the restore.
type Fault struct {
	Seq    int     `json:"seq"`
	Kind   Kind    `json:"kind"`
	Target string  `json:"target"`
	DB     float64 `json:"db,omitempty"` // rx-degrade: the loss added
	HoldMS int64   `json:"hold_ms"`
}

// Hold is how long the fault stays in force once detected.
func (f Fault) Hold() time.Duration { return time.Duration(f.HoldMS) * time.Millisecond }

func (f Fault) String() string {
	s := fmt.Sprintf("#%d %s %s", f.Seq, f.Kind, f.Target)
	if f.DB > 0 {
		s += fmt.Sprintf(" +%.1fdB", f.DB)
	}
	return s
}

// schedule draws faults from a seeded generator: the candidates of each
// kind are sorted lists fixed by the network, so a seed names one
// sequence of faults whatever the timings of the run.
type schedule struct {
	rng     *rand.Rand
	kinds   []Kind
	cands   map[Kind][]candidate
	first   []Kind // the seeded shuffle of kinds still to visit once
	seq     int
	holdMin time.Duration
	holdMax time.Duration
}

// candidate is a place a fault of a kind can hit.
type candidate struct {
	Target string
	DB     float64
}

func newSchedule(seed uint64, kinds []Kind, cands map[Kind][]candidate, holdMin, holdMax time.Duration) *schedule {
	s := &schedule{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), cands: cands, holdMin: holdMin, holdMax: holdMax}
	for _, k := range kinds {
		if len(cands[k]) > 0 {
			s.kinds = append(s.kinds, k)
		}
	}
	s.first = slices.Clone(s.kinds)
	s.rng.Shuffle(len(s.first), func(i, j int) { s.first[i], s.first[j] = s.first[j], s.first[i] })
	return s
}

// next is the next fault; ok false when no kind has a candidate.
func (s *schedule) next() (Fault, bool) {
	if len(s.kinds) == 0 {
		return Fault{}, false
	}
	var k Kind
	if len(s.first) > 0 {
		k, s.first = s.first[0], s.first[1:]
	} else {
		k = s.kinds[s.rng.IntN(len(s.kinds))]
	}
	c := s.cands[k][s.rng.IntN(len(s.cands[k]))]
	hold := s.holdMin
	if s.holdMax > s.holdMin {
		hold += time.Duration(s.rng.Int64N(int64(s.holdMax - s.holdMin)))
	}
	s.seq++
	return Fault{Seq: s.seq, Kind: k, Target: c.Target, DB: c.DB, HoldMS: hold.Milliseconds()}, true
}

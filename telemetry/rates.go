package telemetry

import "math"

// Counter rates from device samples. A rate is the delta of two samples
// over the delta of their device timestamps, never of their arrival times:
// a sample delayed in a queue must not look like a burst. A counter that
// goes backwards wrapped (a 32-bit counter some devices still send, or,
// in theory, a 64-bit one) or was reset (the device rebooted, someone
// cleared the counters); a delta that implies more than the link can carry
// is refused. Either way the rate is never negative nor absurd.

// rateKind says what a counter counts, for the plausibility bound.
type rateKind uint8

const (
	kindOctets rateKind = iota
	kindPackets
)

// rateCounter is one counter leaf of one interface.
type rateCounter struct {
	last  uint64
	ts    int64 // device timestamp of last, Unix ns
	rate  float64
	epoch uint32 // the target's session when last was taken
	has   bool   // last is a baseline
	rated bool   // rate holds a measured value
	big   bool   // the counter once exceeded 32 bits: it is a 64-bit counter
}

// rateResult says what a sample did to a counter.
type rateResult uint8

const (
	sampleRated   rateResult = iota // a new rate
	sampleFirst                     // first sample: a baseline, no rate yet
	sampleStale                     // same or older timestamp: ignored
	sampleWrapped                   // counter wrapped: rate from the wrapped delta
	sampleReset                     // counter went back: new baseline
	sampleAbsurd                    // delta above the link's capacity: refused, new baseline
)

// minPacketBits is the smallest Ethernet frame on the wire (64 bytes plus
// preamble and inter-frame gap, 84 bytes): the most packets a link can
// carry per second is its bit rate over this.
const minPacketBits = 84 * 8

// sample feeds one counter value taken at device time ts (Unix ns) in
// target session epoch. maxBps bounds the rate: the interface speed times
// the tolerance, in bit/s.
func (c *rateCounter) sample(v uint64, ts int64, epoch uint32, kind rateKind, maxBps float64) rateResult {
	if !c.has {
		c.baseline(v, ts, epoch)
		return sampleFirst
	}
	if ts <= c.ts {
		return sampleStale
	}
	dt := float64(ts-c.ts) / 1e9
	limit := maxBps / 8 * dt // octets
	if kind == kindPackets {
		limit = maxBps / minPacketBits * dt
	}
	res := sampleRated
	var delta uint64
	switch {
	case v >= c.last:
		delta = v - c.last
	case epoch != c.epoch:
		// The target reconnected since the last sample and the counter went
		// back: the device rebooted or cleared its counters. Not a wrap.
		c.baseline(v, ts, epoch)
		return sampleReset
	default:
		d, ok := wrapDelta(c.last, v, c.big)
		if !ok || float64(d) > limit {
			c.baseline(v, ts, epoch)
			return sampleReset
		}
		delta, res = d, sampleWrapped
	}
	if float64(delta) > limit {
		c.baseline(v, ts, epoch)
		return sampleAbsurd
	}
	r := float64(delta) / dt
	if kind == kindOctets {
		r *= 8
	}
	c.last, c.ts, c.epoch, c.rate, c.rated = v, ts, epoch, r, true
	c.big = c.big || v > math.MaxUint32
	return res
}

// baseline restarts the counter from v: the rate is unknown (0) until the
// next sample.
func (c *rateCounter) baseline(v uint64, ts int64, epoch uint32) {
	c.last, c.ts, c.epoch, c.has = v, ts, epoch, true
	c.rate, c.rated = 0, false
	c.big = c.big || v > math.MaxUint32
}

// wrapDelta is the delta from prev to v if the counter wrapped. A wrap
// starts from the upper half of the counter's range: a 32-bit counter
// (one that never exceeded 32 bits) from above 2^31, a 64-bit one from
// above 2^63. From anywhere else going back is a reset.
func wrapDelta(prev, v uint64, big bool) (uint64, bool) {
	if !big && prev <= math.MaxUint32 && v <= math.MaxUint32 {
		if prev < 1<<31 {
			return 0, false
		}
		return (math.MaxUint32 - prev) + v + 1, true
	}
	if prev < 1<<63 {
		return 0, false
	}
	return (math.MaxUint64 - prev) + v + 1, true
}

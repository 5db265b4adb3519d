package telemetry

import (
	"math"
	"testing"
	"time"
)

func TestCounterSample(t *testing.T) {
	const sec = int64(time.Second)
	const tenG = 10e9 * 1.25
	type step struct {
		v     uint64
		ts    int64
		epoch uint32
		want  rateResult
		rate  float64 // bit/s (octets) or per second (packets); -1: unchanged check skipped
	}
	tests := []struct {
		name  string
		kind  rateKind
		steps []step
	}{
		{"steady 1 Gbit/s", kindOctets, []step{
			{0, 0, 0, sampleFirst, 0},
			{1.25e9, 10 * sec, 0, sampleRated, 1e9},
			{2.5e9, 20 * sec, 0, sampleRated, 1e9},
		}},
		{"same timestamp twice is ignored", kindOctets, []step{
			{100, sec, 0, sampleFirst, 0},
			{200, sec, 0, sampleStale, 0},
			{100 + 125e6, 2 * sec, 0, sampleRated, 1e9},
		}},
		{"older sample arriving late is ignored", kindOctets, []step{
			{1000, 10 * sec, 0, sampleFirst, 0},
			{500, 5 * sec, 0, sampleStale, 0},
		}},
		{"32-bit counter wraps", kindOctets, []step{
			{math.MaxUint32 - 124_999_999, 0, 0, sampleFirst, 0},
			// 125e6 octets in 1 s: 125e6 - 1 - (MaxUint32 - prev) ... wraps to 0 after 125e6 octets
			{0, sec, 0, sampleWrapped, 1e9},
			{125_000_000, 2 * sec, 0, sampleRated, 1e9},
		}},
		{"64-bit counter wraps", kindOctets, []step{
			{math.MaxUint64 - 124_999_999, 0, 0, sampleFirst, 0},
			{0, sec, 0, sampleWrapped, 1e9},
		}},
		{"reboot: counter back near zero is a reset, not a wrap", kindOctets, []step{
			{5e12, 0, 0, sampleFirst, 0},
			{5e12 + 1.25e9, 10 * sec, 0, sampleRated, 1e9},
			{1000, 20 * sec, 0, sampleReset, 0},
			{1000 + 1.25e9, 30 * sec, 0, sampleRated, 1e9},
		}},
		{"small counter going back (clear counters) is a reset", kindPackets, []step{
			{5000, 0, 0, sampleFirst, 0},
			{10, sec, 0, sampleReset, 0},
		}},
		{"upper half of 32 bits going back across a reconnect is a reset", kindOctets, []step{
			{3e9, 0, 0, sampleFirst, 0},
			{100, 10 * sec, 1, sampleReset, 0},
		}},
		{"32-bit wrap that would imply more than the link is a reset", kindOctets, []step{
			{3e9, 0, 0, sampleFirst, 0},
			// wrapping from 3e9 to 1e9 in 1 s is 2.3e9 octets: 18 Gbit/s on 10G
			{1e9, sec, 0, sampleReset, 0},
		}},
		{"a 64-bit counter below 2^63 going back is a reset", kindOctets, []step{
			{1 << 40, 0, 0, sampleFirst, 0},
			{1 << 20, sec, 0, sampleReset, 0},
		}},
		{"absurd jump is refused and becomes the baseline", kindOctets, []step{
			{0, 0, 0, sampleFirst, 0},
			{100e9, sec, 0, sampleAbsurd, 0},
			{100e9 + 125e6, 2 * sec, 0, sampleRated, 1e9},
		}},
		{"packets above line rate are refused", kindPackets, []step{
			{0, 0, 0, sampleFirst, 0},
			{20e6, sec, 0, sampleAbsurd, 0}, // 10G carries at most 14.9 Mpps
			{20e6 + 1e6, 2 * sec, 0, sampleRated, 1e6},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c rateCounter
			for i, s := range tt.steps {
				got := c.sample(s.v, s.ts, s.epoch, tt.kind, tenG)
				if got != s.want {
					t.Fatalf("step %d: sample(%d) = %v, want %v", i, s.v, got, s.want)
				}
				if c.rate < 0 || c.rate > tenG {
					t.Fatalf("step %d: rate %v out of range", i, c.rate)
				}
				if got != sampleStale && math.Abs(c.rate-s.rate) > 1 {
					t.Errorf("step %d: rate = %v, want %v", i, c.rate, s.rate)
				}
			}
		})
	}
}

// A device reboot resets every counter at once: counted once, never a
// negative or absurd rate, rates right again from the next sample.
func TestInterfaceReboot(t *testing.T) {
	e := NewEngine(nil, nil, EngineOptions{})
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	sample := func(ts time.Time, in, out, errs uint64) []Update {
		return []Update{
			{Target: "r1", Class: ClassCounters, Key: "eth1", Leaf: "in-octets", Uint: in, Timestamp: ts},
			{Target: "r1", Class: ClassCounters, Key: "eth1", Leaf: "out-octets", Uint: out, Timestamp: ts},
			{Target: "r1", Class: ClassCounters, Key: "eth1", Leaf: "in-errors", Uint: errs, Timestamp: ts},
			{Target: "r1", Class: ClassOper, Key: "eth1", Leaf: "oper-status", Str: "UP", Timestamp: ts},
		}
	}
	var last InterfaceState
	steps := []struct {
		in, out, errs     uint64
		reconnect         bool
		inBps, outBps, ep float64
	}{
		{1e12, 2e12, 50, false, 0, 0, 0},
		{1e12 + 1.25e9, 2e12 + 2.5e9, 60, false, 1e9, 2e9, 1},
		{3e6, 1e6, 0, true, 0, 0, 0}, // rebooted: every counter near zero
		{3e6 + 1.25e9, 1e6 + 1.25e9, 10, false, 1e9, 1e9, 1},
	}
	for i, s := range steps {
		if s.reconnect {
			e.ObserveTarget(TargetHealth{Name: "r1", Connected: false})
			e.ObserveTarget(TargetHealth{Name: "r1", Connected: true, Reconnects: 1})
		}
		e.Observe(sample(t0.Add(time.Duration(i)*10*time.Second), s.in, s.out, s.errs))
		b := e.Tick(t0.Add(time.Duration(i) * 10 * time.Second))
		for _, f := range b.Interfaces {
			if f.Device == "r1" && f.Interface == "eth1" {
				last = f
			}
		}
		if last.InBps != s.inBps || last.OutBps != s.outBps || last.ErrorsPerSec != s.ep {
			t.Errorf("step %d: in %v out %v errors %v, want %v %v %v", i, last.InBps, last.OutBps, last.ErrorsPerSec, s.inBps, s.outBps, s.ep)
		}
	}
	if last.Resets != 1 || last.Wraps != 0 {
		t.Errorf("resets %d wraps %d, want one reset for the reboot and no wrap", last.Resets, last.Wraps)
	}
}

// A reboot's first samples arrive before the flush that sees the target
// reconnect: the collector starts a new counter epoch when the stream
// connects (NewCounterEpoch), so a 64-bit counter in the upper half of 32
// bits that the reboot reset is a reset, not a 32-bit wrap (it read as
// 11.5 Gbit/s on a 10 G link in TestTelemetryRedisManche, these values).
func TestRebootBeforeReconnectSeenIsAReset(t *testing.T) {
	e := NewEngine(nil, nil, EngineOptions{})
	t0 := time.Date(2026, 12, 4, 20, 20, 40, 0, time.UTC)
	iface := func(b Batch) (InterfaceState, bool) {
		for _, f := range b.Interfaces {
			if f.Device == "r1" && f.Interface == "eth1" {
				return f, true
			}
		}
		return InterfaceState{}, false
	}
	observe := func(ts time.Time, in uint64) InterfaceState {
		t.Helper()
		e.Observe([]Update{{Target: "r1", Class: ClassCounters, Key: "eth1", Leaf: "in-octets", Uint: in, Timestamp: ts}})
		f, ok := iface(e.Tick(ts))
		if !ok {
			t.Fatalf("at %v: no interface r1:eth1 in the batch", ts)
		}
		return f
	}
	e.ObserveTarget(TargetHealth{Name: "r1", Connected: true})
	observe(t0, 2_403_231_956)
	if f := observe(t0.Add(time.Second), 2_528_231_956); f.InBps != 1e9 {
		t.Fatalf("before the reboot: %v bit/s, want 1e9", f.InBps)
	}
	// The device reboots; its stream connects again and sends at once.
	e.NewCounterEpoch("r1")
	reboot := t0.Add(2270 * time.Millisecond)
	f := observe(reboot, 68_112_012)
	if f.InBps != 0 || f.Resets != 1 || f.Wraps != 0 {
		t.Errorf("first sample after the reboot: %v bit/s, resets %d, wraps %d: want 0 bit/s, one reset, no wrap", f.InBps, f.Resets, f.Wraps)
	}
	// The flush sees the reconnection afterwards: nothing more to reset.
	e.ObserveTarget(TargetHealth{Name: "r1", Connected: true, Reconnects: 1})
	f = observe(reboot.Add(time.Second), 68_112_012+125_000_000)
	if f.InBps != 1e9 || f.Resets != 1 || f.Wraps != 0 {
		t.Errorf("next sample: %v bit/s, resets %d, wraps %d: want 1e9 bit/s, one reset, no wrap", f.InBps, f.Resets, f.Wraps)
	}
}

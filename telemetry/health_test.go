package telemetry

import (
	"math"
	"testing"
	"time"
)

// TestLedger runs the gap ledger on a clock of its own: a target sending
// every interval owes nothing; one silent for three intervals misses
// three slots per object.
func TestLedger(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tg := Target{Name: "r1", Interfaces: []string{"eth1", "eth2"},
		Subscriptions: []Subscription{{Class: ClassCounters, Mode: ModeSample, Interval: 10 * time.Second}}}
	cases := []struct {
		name     string
		sends    []time.Duration // when both interfaces send a sample
		at       time.Duration   // when the books are read
		expected uint64
		received uint64
		gaps     uint64
	}{
		{"every interval", []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second}, 35 * time.Second, 8, 8, 0},
		{"late but within grace", []time.Duration{0, 14 * time.Second, 24 * time.Second}, 25 * time.Second, 6, 6, 0},
		{"duplicate within half an interval", []time.Duration{0, 2 * time.Second, 10 * time.Second}, 12 * time.Second, 4, 4, 0},
		{"silent for three intervals", []time.Duration{0, 10 * time.Second}, 55 * time.Second, 12, 4, 8},
		{"never connected", nil, 25 * time.Second, 6, 0, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHealth(tg, t0)
			for _, s := range c.sends {
				h.saw([]Update{{Class: ClassCounters, Key: "eth1", Leaf: LeafInOctets}, {Class: ClassCounters, Key: "eth1", Leaf: LeafOutOctets},
					{Class: ClassCounters, Key: "eth2", Leaf: LeafInOctets}, {Class: ClassCounters, Key: "eth9", Leaf: LeafInOctets}}, 3, t0.Add(s))
			}
			got := h.snapshot(t0.Add(c.at))
			if got.Expected != c.expected || got.Received != c.received || got.Gaps != c.gaps {
				t.Errorf("expected/received/gaps = %d/%d/%d, want %d/%d/%d", got.Expected, got.Received, got.Gaps, c.expected, c.received, c.gaps)
			}
			// Four decoded updates and three skipped leaves per send.
			if want := uint64(7 * len(c.sends)); got.Leaves != want {
				t.Errorf("leaves = %d, want %d", got.Leaves, want)
			}
		})
	}
}

// TestUpdatesPerSec: a target sampled every 10 s and read at every 1 s
// flush shows its mean rate at every flush, not 0 between samples and ten
// times the rate on the flush that follows one (the noc showed most
// healthy lab targets at 0.0 updates/s).
func TestUpdatesPerSec(t *testing.T) {
	t0 := time.Unix(1000, 0)
	sample := func(iv time.Duration) []Subscription {
		return []Subscription{{Class: ClassCounters, Mode: ModeSample, Interval: iv}, {Class: ClassOper, Mode: ModeOnChange}}
	}
	cases := []struct {
		name  string
		subs  []Subscription
		every time.Duration // a sample of 40 updates
		want  float64
	}{
		{"10 s samples", sample(10 * time.Second), 10 * time.Second, 4},
		{"30 s samples", sample(30 * time.Second), 30 * time.Second, 40.0 / 30},
		{"on-change only, a change every 5 s", []Subscription{{Class: ClassOper, Mode: ModeOnChange}}, 5 * time.Second, 8},
	}
	ups := make([]Update, 40)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHealth(Target{Name: "r1", Interfaces: []string{"eth1"}, Subscriptions: c.subs}, t0)
			win := rateWindow(Target{Subscriptions: c.subs})
			for s := time.Duration(0); s <= 3*win; s += time.Second {
				if s%c.every == 0 {
					h.saw(ups, 0, t0.Add(s))
				}
				got := h.snapshot(t0.Add(s)).UpdatesPerSec
				if s > win && math.Abs(got-c.want) > 1e-9 {
					t.Fatalf("at %v: %.3f updates/s, want %.3f", s, got, c.want)
				}
			}
			if n := len(h.points); n > int(win/time.Second)+1 {
				t.Errorf("%d rate points kept, want at most one per flush of the window", n)
			}
		})
	}
}

// TestArrivalDelay: each notification's receive time minus its timestamp
// lands in one bucket (the published ones cumulative), a notification
// without a timestamp (the decoder stamps it with its receive time) is not
// counted, a device clock ahead gives a negative delay, and the maximum
// covers the last rate window only.
func TestArrivalDelay(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tg := Target{Name: "r1", Interfaces: []string{"eth1"},
		Subscriptions: []Subscription{{Class: ClassCounters, Mode: ModeSample, Interval: 10 * time.Second}}}
	h := newHealth(tg, t0)
	send := func(at, delay time.Duration, stamped bool) {
		now := t0.Add(at)
		ts := now
		if stamped {
			ts = now.Add(-delay)
		}
		h.saw([]Update{{Class: ClassCounters, Key: "eth1", Leaf: LeafInOctets, Timestamp: ts, Received: now}}, 0, now)
	}
	send(time.Second, 3*time.Millisecond, true)     // bucket 0 (<= 5 ms)
	send(2*time.Second, 300*time.Millisecond, true) // bucket 6 (<= 500 ms)
	send(3*time.Second, 0, false)                   // no timestamp: not measured
	send(4*time.Second, -20*time.Millisecond, true) // clock ahead: bucket 0
	send(5*time.Second, 12*time.Second, true)       // over the last bound
	send(6*time.Second, 40*time.Millisecond, true)  // bucket 3 (<= 50 ms)
	got := h.snapshot(t0.Add(7 * time.Second)).Delay
	want := [DelayBuckets]uint64{2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4}
	if got.Buckets != want || got.Count != 5 {
		t.Fatalf("buckets %v count %d, want %v count 5", got.Buckets, got.Count, want)
	}
	if got.LastMs != 40 || got.MaxMs != 12000 {
		t.Errorf("last %v ms max %v ms, want 40 and 12000", got.LastMs, got.MaxMs)
	}
	if s := got.SumSeconds; math.Abs(s-(0.003+0.3-0.02+12+0.04)) > 1e-9 {
		t.Errorf("sum %v s", s)
	}
	// Ten seconds later (snapshots every second, the rate window is the
	// 10 s interval), with one late notification since: the 12 s delay has
	// left the window.
	for s := 8; s <= 17; s++ {
		h.snapshot(t0.Add(time.Duration(s) * time.Second))
	}
	send(17500*time.Millisecond, 80*time.Millisecond, true)
	if got := h.snapshot(t0.Add(18 * time.Second)).Delay; got.MaxMs != 80 || got.Count != 6 {
		t.Errorf("after the window: max %v ms count %d, want 80 and 6", got.MaxMs, got.Count)
	}
	// Nothing measured in the window: no maximum.
	for s := 19; s <= 30; s++ {
		h.snapshot(t0.Add(time.Duration(s) * time.Second))
	}
	if got := h.snapshot(t0.Add(31 * time.Second)).Delay; got.MaxMs != 0 {
		t.Errorf("an empty window: max %v ms, want 0", got.MaxMs)
	}
}

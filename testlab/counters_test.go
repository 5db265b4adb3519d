package testlab

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestCountersRestartAfterReboot kills a device and restores it: read over
// gNMI, its counters start again from 0 and its interface's last-change is
// the boot, as on a rebooted router, while the far end's keep counting.
func TestCountersRestartAfterReboot(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := startTestLabClock(t, smallNet(t, 8), BootstrapBase, clk.now)
	ctx := context.Background()
	var lk *linkState
	for _, s := range l.links {
		if s.up && s.B.Device != "" && s.B.Circuit == "" {
			lk = s
			break
		}
	}
	if lk == nil {
		t.Fatal("no link up between two devices")
	}
	victim, far := lk.A, lk.B
	ctr := func(end Endpoint, leaf string) uint64 {
		t.Helper()
		p := fmt.Sprintf("/interfaces/interface[name=%s]/state/%s", end.Interface, leaf)
		v, ok := gnmiGet(t, l.gnmic(t, end.Device), p)[p].(uint64)
		if !ok {
			t.Fatalf("%s %s: no uint64", end.Device, p)
		}
		return v
	}
	clk.add(100 * time.Second)
	before, farBefore := ctr(victim, "counters/out-octets"), ctr(far, "counters/in-octets")
	if before == 0 || before != farBefore {
		t.Fatalf("after 100 s: victim out-octets %d, far in-octets %d: want equal and > 0", before, farBefore)
	}
	if _, err := l.Kill(ctx, victim.Device); err != nil {
		t.Fatal(err)
	}
	clk.add(5 * time.Second)
	if _, err := l.Restore(ctx, Target{Device: victim.Device}); err != nil {
		t.Fatal(err)
	}
	boot := clk.now()
	if got := ctr(victim, "counters/out-octets"); got != 0 {
		t.Errorf("right after reboot: out-octets %d, want 0", got)
	}
	if got := ctr(victim, "last-change"); got != uint64(boot.UnixNano()) {
		t.Errorf("last-change %d, want the boot %d", got, boot.UnixNano())
	}
	clk.add(10 * time.Second)
	want := uint64(lk.rate[0].bps * 10 / 8)
	if got := ctr(victim, "counters/out-octets"); got != want {
		t.Errorf("10 s after reboot: out-octets %d, want %d", got, want)
	}
	if got := ctr(far, "counters/in-octets"); got != farBefore+want {
		t.Errorf("far end in-octets %d, want %d (no reset: it did not reboot)", got, farBefore+want)
	}
}

// TestModelledLoadFollowsSpeed checks the modelled and injected loads are
// shares of the link's own speed, with the excess over line rate counted
// as the sender's discards, and injected errors counted at the receivers.
func TestModelledLoadFollowsSpeed(t *testing.T) {
	up := endView{alive: true, adminUp: true}
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name           string
		speedMbps      int64
		load           float64 // % injected; 0: modelled
		errs           ErrorRate
		minBps, maxBps float64
		wantDiscards   uint64 // sender's, over 10 s
	}{
		{"1G modelled", 1000, 0, ErrorRate{}, 0.01e9, 0.30e9, 0},
		{"10G modelled", 10000, 0, ErrorRate{}, 0.1e9, 3e9, 0},
		{"100G modelled", 100000, 0, ErrorRate{}, 1e9, 30e9, 0},
		{"old plan: 10G", 0, 0, ErrorRate{}, 0.1e9, 3e9, 0},
		{"1G at 95 %", 1000, 95, ErrorRate{}, 0.95e9, 0.95e9, 0},
		{"1G at 150 %: capped, excess discarded", 1000, 150, ErrorRate{}, 1e9, 1e9, uint64(0.5e9 / 8 / avgPacket * 10)},
		{"errors and discards", 1000, 0, ErrorRate{Errors: 50, Discards: 7}, 0.01e9, 0.30e9, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &linkState{Link: Link{ID: "a:e1--b:e1", A: Endpoint{Device: "a", Interface: "e1"}, B: Endpoint{Device: "b", Interface: "e1"}, SpeedMbps: tc.speedMbps}}
			f := newFaults()
			if tc.load > 0 {
				f.Load[s.ID] = tc.load
			}
			if tc.errs != (ErrorRate{}) {
				f.Errors[s.ID] = tc.errs
			}
			s.evaluate(t0, f, up, up)
			for dir, r := range s.rate {
				if r.bps < tc.minBps || r.bps > tc.maxBps {
					t.Errorf("direction %d: %v bit/s, want %v..%v", dir, r.bps, tc.minBps, tc.maxBps)
				}
			}
			c := s.counters(t0.Add(10 * time.Second))
			for dir := range c {
				if c[dir].txDiscards != tc.wantDiscards {
					t.Errorf("direction %d: %d discards at the sender, want %d", dir, c[dir].txDiscards, tc.wantDiscards)
				}
				if c[dir].errors != uint64(tc.errs.Errors*10) || c[dir].rxDiscards != uint64(tc.errs.Discards*10) {
					t.Errorf("direction %d: %d errors %d discards at the receiver, want %v and %v", dir, c[dir].errors, c[dir].rxDiscards, tc.errs.Errors*10, tc.errs.Discards*10)
				}
			}
		})
	}
}

// TestCountersContinueAcrossRateChange checks a change of load neither
// jumps nor rewinds the counters.
func TestCountersContinueAcrossRateChange(t *testing.T) {
	up := endView{alive: true, adminUp: true}
	s := &linkState{Link: Link{ID: "x", A: Endpoint{Device: "a", Interface: "e1"}, B: Endpoint{Device: "b", Interface: "e1"}, SpeedMbps: 1000}}
	t0 := time.Unix(1000, 0)
	s.evaluate(t0, newFaults(), up, up)
	r0 := s.rate[0].bps
	f := newFaults()
	f.Load[s.ID] = 90
	s.evaluate(t0.Add(10*time.Second), f, up, up)
	ab, _ := s.octets(t0.Add(20 * time.Second))
	if want := uint64(r0*10/8) + uint64(0.9e9*10/8); ab != want {
		t.Errorf("10 s modelled then 10 s at 90 %%: %d octets, want %d", ab, want)
	}
	if !s.since.Equal(t0) {
		t.Errorf("a load change moved last-change to %v", s.since)
	}
}

// TestGNMIReadsDuringFaults reads devices' gNMI state while faults come
// and go: the neighbor cache read and a BGP reconcile take their locks in
// opposite orders unless the read runs unlocked (it once deadlocked).
func TestGNMIReadsDuringFaults(t *testing.T) {
	l := startTestLab(t, smallNet(t, 8), BootstrapFull)
	ctx := context.Background()
	cable := l.plan.Links[0].Cables[0]
	done := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, d := range l.order {
				if _, err := d.State(ctx); err != nil {
					t.Errorf("%s: %v", d.Name(), err)
				}
			}
		}
	}()
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for range 10 {
			l.Cut(ctx, cable)
			l.Restore(ctx, Target{Cable: cable})
		}
	}()
	select {
	case <-finished:
	case <-time.After(60 * time.Second):
		t.Fatal("ten cuts and restores with gNMI reads did not finish in 60 s: deadlock")
	}
	close(stop)
	<-done
}

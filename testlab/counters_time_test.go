package testlab

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/testlab/gnmitarget"
)

// counterSample is one read of an interface's octet counters over gNMI's
// backend, with the instant StateAt says they stand for.
type counterSample struct {
	at      time.Time
	in, out uint64
	booted  time.Time
}

// TestCountersMatchTheirTimestamps reads a link's far end through StateAt
// while the link changes state and rate as fast as the lab can: load
// 100 % and 20 %, a cut and a restore, the near device killed and booted.
// A collector computes rates over the timestamps StateAt returns, so every
// pair of reads must imply at most line rate and counters never go back.
// The lab once took the time before copying the link: a change landing in
// between was counted as if it had happened at that earlier time, above
// line rate after a reboot (10.55 Gbit/s on a 10 G link in CI).
func TestCountersMatchTheirTimestamps(t *testing.T) {
	l := startTestLab(t, smallNet(t, 4), BootstrapBase)
	ctx := context.Background()
	var lk *linkState
	for _, s := range l.links {
		if s.up && s.B.Device != "" && s.B.Circuit == "" && len(s.Cables) > 0 {
			lk = s
			break
		}
	}
	if lk == nil {
		t.Fatal("no cabled link up between two devices")
	}
	id, cable, near, far := lk.ID, lk.Cables[0], lk.A, lk.B
	line := lk.speedBps()
	farDev := l.devices[far.Device]
	bootedAt := func() time.Time {
		farDev.mu.Lock()
		defer farDev.mu.Unlock()
		return farDev.booted
	}
	in := gnmitarget.InterfacePath(far.Interface, "state/counters/in-octets")
	out := gnmitarget.InterfacePath(far.Interface, "state/counters/out-octets")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var samples [2][]counterSample
	for r := range samples { // two readers: samples of each arrive in order
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				leaves, at, err := farDev.StateAt(ctx)
				if err != nil {
					t.Errorf("%s: StateAt: %v", far.Device, err)
					return
				}
				s := counterSample{at: at, booted: bootedAt()}
				for _, lf := range leaves {
					switch lf.Path {
					case in:
						s.in = lf.Value.(uint64)
					case out:
						s.out = lf.Value.(uint64)
					}
				}
				samples[r] = append(samples[r], s)
			}
		}()
	}
	steps := []func() error{
		func() error { _, err := l.Load(ctx, id, 100); return err },
		func() error { _, err := l.Load(ctx, id, 20); return err },
		func() error { _, err := l.Load(ctx, id, 100); return err },
		func() error { _, err := l.Cut(ctx, cable); return err },
		func() error { _, err := l.Restore(ctx, Target{Cable: cable}); return err },
		func() error { _, err := l.Kill(ctx, near.Device); return err },
		func() error { _, err := l.Restore(ctx, Target{Device: near.Device}); return err },
	}
	deadline := time.Now().Add(2 * time.Second)
	rounds := 0
	for time.Now().Before(deadline) {
		for _, step := range steps {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
		rounds++
	}
	close(stop)
	wg.Wait()

	// Rounding: each integration step truncates to whole octets.
	const slack = 16
	checked, bad := 0, 0
	report := func(format string, args ...any) {
		if bad++; bad <= 5 {
			t.Errorf(format, args...)
		}
	}
	for r, ss := range samples {
		for i := 1; i < len(ss); i++ {
			p, s := ss[i-1], ss[i]
			if !s.booted.Equal(p.booted) {
				continue // the far end is never rebooted; kept for clarity
			}
			if s.at.Before(p.at) {
				report("reader %d: sample %d at %v before the previous one at %v", r, i, s.at, p.at)
				continue
			}
			dt := s.at.Sub(p.at).Seconds()
			for _, c := range []struct {
				name string
				a, b uint64
			}{{"in", p.in, s.in}, {"out", p.out, s.out}} {
				if c.b < c.a {
					report("reader %d: %s-octets went back from %d to %d (%v to %v)", r, c.name, c.a, c.b, p.at, s.at)
					continue
				}
				if max := line/8*dt + slack; float64(c.b-c.a) > max {
					report("reader %d: %s-octets %d -> %d over %v: %.0f bit/s on a %.0f bit/s link",
						r, c.name, c.a, c.b, s.at.Sub(p.at), float64(c.b-c.a)*8/dt, line)
				}
			}
			checked++
		}
	}
	t.Logf("%d rounds of %d changes, %d sample pairs checked, %d inconsistent", rounds, len(steps), checked, bad)
	if checked < 100 {
		t.Errorf("only %d sample pairs: the readers barely ran", checked)
	}
}

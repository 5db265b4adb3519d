package testlab

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestTrafficFaults injects load and errors on a lab link and reads them
// as a collector would, over gNMI: utilization from octet deltas over the
// link's speed, in-errors and in-discards at both ends, out-discards above
// line rate; restore brings the modelled load back and stops the errors.
func TestTrafficFaults(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := startTestLabClock(t, smallNet(t, 8), BootstrapBase, clk.now)
	ctx := context.Background()
	var lk Link
	for _, s := range l.links {
		if s.up && s.B.Device != "" && s.B.Circuit == "" {
			lk = s.Link
			break
		}
	}
	if lk.ID == "" || lk.SpeedMbps == 0 {
		t.Fatalf("no link with a speed between two devices: %+v", lk)
	}
	a, b := lk.A, lk.B
	read := func(end Endpoint) map[string]uint64 {
		t.Helper()
		out := map[string]uint64{}
		tg := l.gnmic(t, end.Device)
		for _, c := range []string{"in-octets", "out-octets", "in-errors", "in-discards", "out-discards"} {
			p := fmt.Sprintf("/interfaces/interface[name=%s]/state/counters/%s", end.Interface, c)
			v, ok := gnmiGet(t, tg, p)[p].(uint64)
			if !ok {
				t.Fatalf("%s: no %s", end.Device, p)
			}
			out[c] = v
		}
		return out
	}
	// utilization over 10 s of the fake clock, in % of the link's speed.
	util := func(before, after map[string]uint64) float64 {
		return float64(after["out-octets"]-before["out-octets"]) * 8 / 10 / (float64(lk.SpeedMbps) * 1e6) * 100
	}
	steps := []struct {
		name             string
		fault            func() (FaultResult, error)
		wantUtil         [2]float64 // min, max %
		wantErrs, wantIn uint64     // per end over 10 s: in-errors, in-discards
		wantOutDiscards  uint64
	}{
		{"modelled", nil, [2]float64{1, 30}, 0, 0, 0},
		{"load 95 % on one end's name", func() (FaultResult, error) { return l.Load(ctx, a.Device+":"+a.Interface, 95) }, [2]float64{94.99, 95.01}, 0, 0, 0},
		{"load 150 %: line rate, excess discarded", func() (FaultResult, error) { return l.Load(ctx, lk.ID, 150) }, [2]float64{99.99, 100.01}, 0, 0,
			uint64(float64(lk.SpeedMbps) * 1e6 * 0.5 / 8 / avgPacket * 10)},
		{"errors on the cable", func() (FaultResult, error) {
			return l.InjectErrors(ctx, lk.Cables[len(lk.Cables)/2], ErrorRate{Errors: 50, Discards: 5})
		}, [2]float64{99.99, 100.01}, 500, 50, uint64(float64(lk.SpeedMbps) * 1e6 * 0.5 / 8 / avgPacket * 10)},
		{"restore the link", func() (FaultResult, error) { return l.Restore(ctx, Target{Cable: lk.ID}) }, [2]float64{1, 30}, 0, 0, 0},
	}
	for _, st := range steps {
		if st.fault != nil {
			r, err := st.fault()
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if len(r.Links) == 0 || r.Links[0] != lk.ID || len(r.Down) != 0 {
				t.Errorf("%s: result %+v, want link %s and none down", st.name, r, lk.ID)
			}
		}
		ba, bb := read(a), read(b)
		clk.add(10 * time.Second)
		aa, ab := read(a), read(b)
		for i, e := range []struct{ before, after map[string]uint64 }{{ba, aa}, {bb, ab}} {
			if u := util(e.before, e.after); u < st.wantUtil[0] || u > st.wantUtil[1] {
				t.Errorf("%s: end %d utilization %.3f %%, want %v", st.name, i, u, st.wantUtil)
			}
			if got := e.after["in-errors"] - e.before["in-errors"]; got != st.wantErrs {
				t.Errorf("%s: end %d in-errors +%d, want +%d", st.name, i, got, st.wantErrs)
			}
			if got := e.after["in-discards"] - e.before["in-discards"]; got != st.wantIn {
				t.Errorf("%s: end %d in-discards +%d, want +%d", st.name, i, got, st.wantIn)
			}
			if got := e.after["out-discards"] - e.before["out-discards"]; got != st.wantOutDiscards {
				t.Errorf("%s: end %d out-discards +%d, want +%d", st.name, i, got, st.wantOutDiscards)
			}
		}
	}
	if errs, load := l.TrafficFaults(); len(errs)+len(load) != 0 {
		t.Errorf("after restore: errors %v load %v still in force", errs, load)
	}
	// Restore --all clears traffic faults too.
	if _, err := l.Load(ctx, lk.ID, 80); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Restore(ctx, Target{}); err != nil {
		t.Fatal(err)
	}
	if _, load := l.TrafficFaults(); len(load) != 0 {
		t.Errorf("restore --all left load %v", load)
	}
	for _, bad := range []struct {
		name string
		err  func() error
	}{
		{"unknown link", func() error { _, err := l.Load(ctx, "nowhere:eth9", 50); return err }},
		{"load out of range", func() error { _, err := l.Load(ctx, lk.ID, 5000); return err }},
		{"negative errors", func() error { _, err := l.InjectErrors(ctx, lk.ID, ErrorRate{Errors: -1}); return err }},
	} {
		if bad.err() == nil {
			t.Errorf("%s: accepted", bad.name)
		}
	}
	if _, err := l.Load(ctx, "nowhere:eth9", 50); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown link: %v, want ErrUnknown", err)
	}
}

package testlab

import (
	"context"
	"testing"
	"time"
)

// TestLinkEvaluate checks the link model case by case on one 10GBASE-LR
// link of 6 dB loss: typical launch power -3.85 dBm, sensitivity -14.4.
func TestLinkEvaluate(t *testing.T) {
	base := Link{ID: "a:eth1--b:eth1", A: Endpoint{Device: "a", Interface: "eth1", Transceiver: "10GBASE-LR"},
		B: Endpoint{Device: "b", Interface: "eth1", Transceiver: "10GBASE-LR"}, Cables: []string{"C1", "C2"}, LossDB: 6}
	tx, sens, _ := opticFigures(base.A)
	up := endView{alive: true, adminUp: true}
	tests := []struct {
		name   string
		f      func(f *faults)
		a, b   endView
		wantUp bool
		wantRx float64 // at A
		why    string
	}{
		{"healthy", nil, up, up, true, round2(tx - 6), ""},
		{"cut", func(f *faults) { f.Cut["C2"] = true }, up, up, false, losFloorDBm, "cable cut"},
		{"degraded 3 dB still up", func(f *faults) { f.Degrade["C1"] = 3 }, up, up, true, round2(tx - 9), ""},
		{"degraded below sensitivity", func(f *faults) { f.Degrade["C1"] = 6 }, up, up, false, round2(tx - 12), "rx power below sensitivity"},
		{"far end shut: no light", nil, up, endView{alive: true}, false, losFloorDBm, "admin down"},
		{"far end dead", nil, up, endView{}, false, losFloorDBm, "device down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFaults()
			if tc.f != nil {
				tc.f(&f)
			}
			s := &linkState{Link: base}
			s.evaluate(time.Unix(0, 0), f, tc.a, tc.b)
			if s.up != tc.wantUp || s.rxA != tc.wantRx || s.why != tc.why {
				t.Errorf("up=%v rxA=%v why=%q, want up=%v rxA=%v why=%q (sensitivity %v)", s.up, s.rxA, s.why, tc.wantUp, tc.wantRx, tc.why, sens)
			}
		})
	}
}

// TestCountersStopWhenDown checks that octets advance with modelled traffic
// while the link is up, freeze while it is down, and never go back.
func TestCountersStopWhenDown(t *testing.T) {
	s := &linkState{Link: Link{ID: "x", A: Endpoint{Device: "a", Interface: "e1"}, B: Endpoint{Device: "b", Interface: "e1"}}}
	up := endView{alive: true, adminUp: true}
	t0 := time.Unix(1000, 0)
	s.evaluate(t0, newFaults(), up, up)
	ab1, _ := s.octets(t0.Add(10 * time.Second))
	if want := uint64(s.rate[0].bps * 10 / 8); ab1 != want {
		t.Fatalf("after 10 s up: %d octets, want %d", ab1, want)
	}
	f := newFaults()
	f.Killed["b"] = true
	s.evaluate(t0.Add(10*time.Second), f, up, endView{})
	ab2, _ := s.octets(t0.Add(20 * time.Second))
	if ab2 != ab1 {
		t.Errorf("down for 10 s: %d octets, want frozen at %d", ab2, ab1)
	}
	s.evaluate(t0.Add(20*time.Second), newFaults(), up, up)
	if ab3, _ := s.octets(t0.Add(21 * time.Second)); ab3 <= ab2 {
		t.Errorf("up again: %d octets, want more than %d", ab3, ab2)
	}
}

// TestDegradeAndShutdownInLab checks faults and configs reach the CLI:
// degrade lowers power by the amount asked, a "shutdown" typed on one end
// takes the far end down.
func TestDegradeAndShutdownInLab(t *testing.T) {
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapBase)
	ctx := context.Background()
	var lk linkState
	for _, s := range l.links {
		if s.up && s.optical && s.B.Circuit == "" {
			lk = *s
			break
		}
	}
	if lk.ID == "" {
		t.Fatal("no lit optical link")
	}
	a, _ := l.Device(lk.A.Device)
	b, _ := l.Device(lk.B.Device)
	rx := func(d *Device, iface string) InterfaceState {
		for _, f := range d.Interfaces() {
			if f.Name == iface {
				return f
			}
		}
		t.Fatalf("%s has no %s", d.Name(), iface)
		return InterfaceState{}
	}
	before := rx(a, lk.A.Interface)
	if _, err := l.Degrade(ctx, lk.Cables[0], 2); err != nil {
		t.Fatal(err)
	}
	after := rx(a, lk.A.Interface)
	if got := round2(before.RxDBm - after.RxDBm); got != 2 {
		t.Errorf("degrade 2 dB lowered rx by %v dB (%v -> %v)", got, before.RxDBm, after.RxDBm)
	}
	l.Restore(ctx, Target{Cable: lk.Cables[0]})

	vtyshPush(t, b, "interface "+lk.B.Interface, "shutdown")
	waitFor(t, 5*time.Second, "far end down after shutdown", func() (bool, string) {
		st := rx(a, lk.A.Interface)
		return !st.OperUp && st.RxDBm == losFloorDBm, st.DownReason
	})
	if out := a.InterfaceBrief(ctx); !containsLine(out, lk.A.Interface, "down") {
		t.Errorf("show interface brief on %s:\n%s", a.Name(), out)
	}
}

func containsLine(text string, words ...string) bool {
	for _, line := range splitLines(text) {
		ok := true
		for _, w := range words {
			if !containsWord(line, w) {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

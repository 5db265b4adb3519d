package chaos

import (
	"slices"
	"testing"
	"time"
)

// A seed names one sequence of faults: the same seed gives the same
// faults in the same order, every kind once first, then random picks.
func TestScheduleReplays(t *testing.T) {
	cands := map[Kind][]candidate{
		CableCut:      {{Target: "FO-1"}, {Target: "FO-2"}, {Target: "FO-3"}},
		RxDegrade:     {{Target: "FO-2", DB: 7}},
		CollectorKill: {{Target: "collector-1"}, {Target: "collector-2"}},
		DeviceKill:    nil, // no candidate: never scheduled
	}
	kinds := []Kind{CableCut, RxDegrade, CollectorKill, DeviceKill}
	draw := func(seed uint64) []Fault {
		s := newSchedule(seed, kinds, cands, time.Second, 5*time.Second)
		var out []Fault
		for range 20 {
			f, ok := s.next()
			if !ok {
				t.Fatal("no fault though kinds have candidates")
			}
			out = append(out, f)
		}
		return out
	}
	a, b, c := draw(7), draw(7), draw(8)
	if !slices.Equal(a, b) {
		t.Errorf("seed 7 twice: %v then %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 give the same faults %v", a)
	}
	first := map[Kind]bool{}
	for _, f := range a[:3] {
		first[f.Kind] = true
	}
	if len(first) != 3 {
		t.Errorf("the first three faults %v: want each kind with candidates once", a[:3])
	}
	for i, f := range a {
		if f.Kind == DeviceKill {
			t.Errorf("fault %d is a %s, which has no candidate", i, f.Kind)
		}
		if f.Seq != i+1 || f.Hold() < time.Second || f.Hold() >= 5*time.Second {
			t.Errorf("fault %d: seq %d hold %v, want seq %d and a hold in [1s, 5s)", i, f.Seq, f.Hold(), i+1)
		}
	}
}

func TestParseKinds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Kind
		ok   bool
	}{
		{"", Kinds, true},
		{"all", Kinds, true},
		{"cable-cut, duct-cut,cable-cut", []Kind{CableCut, DuctCut}, true},
		{"cable-cut,meteor", nil, false},
	} {
		got, err := ParseKinds(tc.in)
		if (err == nil) != tc.ok || tc.ok && !slices.Equal(got, tc.want) {
			t.Errorf("ParseKinds(%q) = %v, %v; want %v, ok %t", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// The table sums the faults per kind and tells known violations apart.
func TestReportByKind(t *testing.T) {
	r := &Report{Checks: map[string]int{}, Faults: []FaultRecord{
		{Fault: Fault{Seq: 1, Kind: CableCut}, Detected: true, MTTDMS: 1000, Recovered: true, MTTRMS: 3000},
		{Fault: Fault{Seq: 2, Kind: CableCut}, Detected: true, MTTDMS: 3000, Recovered: true, MTTRMS: 1000},
		{Fault: Fault{Seq: 3, Kind: CoreSiteFail}, Recovered: true, MTTRMS: 4000},
	}, Violations: []Violation{{Fault: 3, Kind: CoreSiteFail, Invariant: InvDetect, Known: "filed"}, {Fault: 2, Kind: CableCut, Invariant: InvRecover}}}
	got := r.ByKind()
	want := []KindStats{
		{Kind: CableCut, Injected: 2, Detected: 2, Recovered: 2, MTTD: 2 * time.Second, MaxMTTD: 3 * time.Second, MTTR: 2 * time.Second, MaxMTTR: 3 * time.Second, Violations: 1},
		{Kind: CoreSiteFail, Injected: 1, Recovered: 1, MTTR: 4 * time.Second, MaxMTTR: 4 * time.Second, Violations: 1, Known: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ByKind() = %+v\nwant %+v", got, want)
	}
	if u := r.Unknown(); len(u) != 1 || u[0].Kind != CableCut {
		t.Errorf("Unknown() = %+v, want the cable-cut one", u)
	}
}

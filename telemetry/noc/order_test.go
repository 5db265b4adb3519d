package noc

import (
	"slices"
	"testing"

	"github.com/tuyau-net/tuyau/telemetry"
)

func TestAlarmRows(t *testing.T) {
	f := fixture()
	orphan := f.alarms[1]
	orphan.Parent = "gone" // its root cleared
	for _, tc := range []struct {
		name     string
		alarms   []telemetry.Alarm
		expanded map[string]bool
		want     []string // id, with ">" for a child
	}{
		{"folded", f.alarms, nil, []string{"root1", "minor1"}},
		{"unfolded", f.alarms, map[string]bool{"root1": true}, []string{"root1", ">kid1", ">kid2", "minor1"}},
		{"orphan child stands alone", []telemetry.Alarm{orphan, f.alarms[0]}, nil, []string{"kid1", "minor1"}},
		{"cleared never shown", f.alarms[4:], nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range alarmRows(tc.alarms, tc.expanded) {
				id := r.Alarm.ID
				if r.Depth > 0 {
					id = ">" + id
				}
				got = append(got, id)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("alarmRows = %v, want %v", got, tc.want)
			}
		})
	}
	if r := alarmRows(f.alarms, nil)[0]; r.Children != 2 || r.Expanded {
		t.Errorf("root row = %+v, want 2 folded children", r)
	}
}

func TestAlarmOrderSeverityThenAge(t *testing.T) {
	f := fixture()
	old, young := f.alarms[0], f.alarms[0]
	old.ID, young.ID = "old", "young"
	old.Raised = young.Raised.Add(-1e9)
	crit := f.alarms[0]
	crit.ID, crit.Severity, crit.Raised = "crit", telemetry.SevCritical, old.Raised.Add(-1e12)
	var got []string
	for _, r := range alarmRows([]telemetry.Alarm{old, crit, young}, nil) {
		got = append(got, r.Alarm.ID)
	}
	if want := []string{"crit", "young", "old"}; !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v (severity, then newest first)", got, want)
	}
}

func TestWorstLinks(t *testing.T) {
	f := fixture()
	noRx := f.links[0]
	noRx.ID, noRx.HasRx, noRx.Utilization = "z-no-rx", false, 0.99
	unknown := f.links[0]
	unknown.ID, unknown.Oper = "unknown", "unknown"
	var got []string
	for _, l := range worstLinks(append(f.links, noRx, unknown)) {
		got = append(got, l.ID)
	}
	want := []string{linkDown, "unknown", linkLow, linkBusy, linkOK, "z-no-rx"}
	if !slices.Equal(got, want) {
		t.Errorf("worstLinks = %v, want %v (down, unknown, least margin, busiest, no rx last)", got, want)
	}
}

func TestShare(t *testing.T) {
	for _, tc := range []struct {
		need []int
		body int
		want []int
	}{
		{[]int{5, 5, 5, 5}, 0, []int{5, 5, 5, 5}},
		{[]int{10, 10, 4, 2}, 22, []int{8, 8, 4, 2}},
		{[]int{3, 30, 2, 2}, 22, []int{3, 15, 2, 2}},
		{[]int{2, 2, 2, 2}, 4, []int{2, 2, 0, 0}},
	} {
		if got := share(tc.need, tc.body); !slices.Equal(got, tc.want) {
			t.Errorf("share(%v, %d) = %v, want %v", tc.need, tc.body, got, tc.want)
		}
	}
}

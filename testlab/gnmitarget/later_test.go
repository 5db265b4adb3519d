package gnmitarget

import (
	"testing"
	"time"
)

// A late sample keeps its subscription's cadence: the next deadline is
// on the grid the subscription started, never a new one from the late
// moment.
func TestLaterKeepsCadence(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 300_000_000, time.UTC) // phase .300
	s := time.Second
	for _, tc := range []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"on time", t0, t0.Add(s)},
		{"a little late", t0.Add(40 * time.Millisecond), t0.Add(s)},
		{"late past the next slot", t0.Add(1200 * time.Millisecond), t0.Add(2 * s)},
		{"exactly on the next slot", t0.Add(s), t0.Add(2 * s)}, // this send covers it
		{"exactly on a later slot", t0.Add(2 * s), t0.Add(3 * s)},
		{"stalled several periods", t0.Add(3*s + 950*time.Millisecond), t0.Add(4 * s)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := later(t0, s, tc.now)
			if !got.Equal(tc.want) {
				t.Errorf("later(t0, 1s, t0+%v) = t0+%v, want t0+%v", tc.now.Sub(t0), got.Sub(t0), tc.want.Sub(t0))
			}
			if !got.After(tc.now) {
				t.Errorf("later = t0+%v, not after now t0+%v", got.Sub(t0), tc.now.Sub(t0))
			}
		})
	}
}

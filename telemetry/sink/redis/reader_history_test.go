package redis

import (
	"context"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
)

// TestHistoryRead: the whole changes stream comes back across pages, in
// the order written (not re-sorted: a reader needs it), with the links'
// states; an alarm whose hash expired is found in the alarm log.
func TestHistoryRead(t *testing.T) {
	s, _, c := startSink(t, Options{Network: "h"})
	ctx := context.Background()
	const n = historyPage + 1234
	var want []telemetry.StateChange
	for i := 0; i < n; i += 1000 {
		var b telemetry.Batch
		for j := i; j < min(i+1000, n); j++ {
			at := t0.Add(time.Duration(j) * time.Second)
			if j == n-1 {
				at = t0 // written last, with the oldest time
			}
			b.Changes = append(b.Changes, change("l1", j, at))
		}
		if i == 0 {
			b.Links = []telemetry.LinkState{{ID: "l1", Oper: "down", Updated: t0}}
			b.Alarms = []telemetry.Alarm{alarm("a1", telemetry.AlarmCleared, t0)}
		}
		want = append(want, b.Changes...)
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		flush(t, s)
	}
	r := s.Reader()
	h, err := r.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Changes) != n || h.Live || h.Links["l1"] != "down" || h.Until.IsZero() {
		t.Fatalf("history: %d changes, live %v, links %v, until %v; want %d, not live, l1 down", len(h.Changes), h.Live, h.Links, h.Until, n)
	}
	for i, c := range h.Changes {
		if !c.Time.Equal(want[i].Time) || c.Cause != want[i].Cause || c.To != want[i].To {
			t.Fatalf("change %d = %+v, want %+v (the written order)", i, c, want[i])
		}
	}
	if err := c.Del(ctx, NewKeys("h").Alarm("a1")).Err(); err != nil { // as if it had expired
		t.Fatal(err)
	}
	as, err := r.AlarmsByID(ctx, []string{"a1", "never-raised"})
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].ID != "a1" || as[0].State != telemetry.AlarmCleared || as[0].Object != "a1" {
		t.Errorf("AlarmsByID = %+v, want a1 from the alarm log", as)
	}
}

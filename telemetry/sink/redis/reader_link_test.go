package redis

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
)

// TestReaderLinkAndWatch reads a link's history back from its stream, in
// order, and sees a published alarm through Watch.
func TestReaderLinkAndWatch(t *testing.T) {
	s, _, _ := startSink(t, Options{Network: "manche", HistoryLen: 100})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := s.Reader()
	changed := r.Watch(ctx)

	link := telemetry.LinkState{ID: "a:e1 -- b:e1", Oper: "up", HasRx: true, Cables: []string{"c1"}}
	for i := range 5 {
		link.Updated = t0.Add(time.Duration(i) * time.Second)
		link.MeasuredRxDBm, link.MarginDB, link.Utilization = -8-float64(i), 10-float64(i), 0.1*float64(i)
		if i == 4 {
			link.Oper, link.HasRx = "down", false
		}
		if err := s.Write(ctx, telemetry.Batch{Links: []telemetry.LinkState{link}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Write(ctx, telemetry.Batch{Alarms: []telemetry.Alarm{alarm("a1", telemetry.AlarmActive, t0)}}); err != nil {
		t.Fatal(err)
	}
	flush(t, s)

	d, err := r.Link(ctx, link.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != link.ID || d.Oper != "down" || len(d.History) != 5 {
		t.Fatalf("Link = %s %s with %d points, want %s down with 5", d.ID, d.Oper, len(d.History), link.ID)
	}
	for i, p := range d.History {
		if !p.Time.Equal(t0.Add(time.Duration(i)*time.Second)) || (i < 4 && p.MeasuredRxDBm != -8-float64(i)) {
			t.Errorf("History[%d] = %+v, want time t0+%ds rx %v", i, p, i, -8-float64(i))
		}
	}
	if p := d.History[4]; p.Oper != "down" || p.MeasuredRxDBm != 0 || p.Utilization != 0.4 {
		t.Errorf("last point = %+v, want down without rx, utilization 0.4", p)
	}
	if _, err := r.Link(ctx, "no-such-link"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Link(no-such-link) = %v, want ErrNotFound", err)
	}
	select {
	case <-changed:
	case <-ctx.Done():
		t.Fatal("Watch gave no signal for a published alarm")
	}
}

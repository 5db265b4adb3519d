package redis

import (
	"context"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
)

// TestTargetEvery: a target's health handed over at every flush is
// rewritten in Redis when its state moves, and otherwise once per
// TargetEvery; a negative TargetEvery writes every batch.
func TestTargetEvery(t *testing.T) {
	ctx := context.Background()
	now := t0
	s, _, _ := startSink(t, Options{Network: "t", Collector: "c", TargetEvery: 10 * time.Second,
		Now: func() time.Time { return now }})
	r := s.Reader()
	h := telemetry.TargetHealth{Name: "dev000", Address: "10.0.0.1:57400", Connected: true, Since: t0}
	steps := []struct {
		at    time.Duration
		what  string
		edit  func(*telemetry.TargetHealth)
		wrote bool
	}{
		{0, "first", func(*telemetry.TargetHealth) {}, true},
		{time.Second, "first data", func(h *telemetry.TargetHealth) { h.LastUpdate, h.Updates = t0.Add(time.Second), 576 }, true},
		{2 * time.Second, "counters only", func(h *telemetry.TargetHealth) { h.Updates, h.UpdatesPerSec, h.Expected = 1152, 57.6, 96 }, false},
		{9 * time.Second, "rate only", func(h *telemetry.TargetHealth) { h.UpdatesPerSec = 57.5 }, false},
		{11 * time.Second, "TargetEvery since the last write", func(h *telemetry.TargetHealth) { h.Received = 96 }, true},
		{12 * time.Second, "a gap", func(h *telemetry.TargetHealth) { h.Gaps = 1 }, true},
		{13 * time.Second, "disconnected", func(h *telemetry.TargetHealth) { h.Connected, h.LastError = false, "EOF" }, true},
		{14 * time.Second, "reconnected", func(h *telemetry.TargetHealth) { h.Connected, h.Reconnects, h.Since = true, 1, t0.Add(14*time.Second) }, true},
		{15 * time.Second, "error cleared", func(h *telemetry.TargetHealth) { h.LastError = "" }, true},
		{16 * time.Second, "another holder", func(h *telemetry.TargetHealth) { h.Collector = "c2" }, true},
		{17 * time.Second, "counters only", func(h *telemetry.TargetHealth) { h.Updates = 2000 }, false},
	}
	var stored telemetry.TargetHealth
	for _, st := range steps {
		now = t0.Add(st.at)
		st.edit(&h)
		if err := s.Write(ctx, telemetry.Batch{Targets: []telemetry.TargetHealth{h}}); err != nil {
			t.Fatal(err)
		}
		flush(t, s)
		tg, err := r.Targets(ctx)
		if err != nil || len(tg) != 1 {
			t.Fatalf("%s: Targets = %+v, %v", st.what, tg, err)
		}
		if st.wrote {
			stored = h
		}
		if tg[0] != stored {
			t.Errorf("%s at %v: Redis holds %+v, want %+v (written: %v)", st.what, st.at, tg[0], stored, st.wrote)
		}
	}

	every, _, _ := startSink(t, Options{Network: "t", Collector: "c", TargetEvery: -1})
	for i := range 3 {
		h.Updates = uint64(i)
		if err := every.Write(ctx, telemetry.Batch{Targets: []telemetry.TargetHealth{h}}); err != nil {
			t.Fatal(err)
		}
		flush(t, every)
		tg, err := every.Reader().Targets(ctx)
		if err != nil || len(tg) != 1 || tg[0].Updates != uint64(i) {
			t.Fatalf("TargetEvery -1, write %d: Targets = %+v, %v", i, tg, err)
		}
	}
}

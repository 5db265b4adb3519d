package telemetry

import (
	"context"
	"sync"
	"testing"
	"time"
)

// changeSink keeps the state changes written to it.
type changeSink struct {
	mu  sync.Mutex
	chs []StateChange
}

func (s *changeSink) Write(_ context.Context, b Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chs = append(s.chs, b.Changes...)
	return nil
}

func (s *changeSink) Close() error { return nil }

// TestCollectorMarkers: the collector running the alarms writes started,
// then a heartbeat every MarkEvery, then stopped; with MarkEvery < 0,
// nothing.
func TestCollectorMarkers(t *testing.T) {
	for _, every := range []time.Duration{40 * time.Millisecond, -1} {
		sink := &changeSink{}
		col, err := NewCollector(Planned{}, CollectorOptions{Name: "col-m", Engine: newRecorder(), Sinks: []Sink{sink},
			Flush: 10 * time.Millisecond, MarkEvery: every})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- col.Run(ctx) }()
		deadline := time.Now().Add(10 * time.Second)
		for every > 0 && time.Now().Before(deadline) {
			sink.mu.Lock()
			n := len(sink.chs)
			sink.mu.Unlock()
			if n >= 3 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if every < 0 {
			time.Sleep(100 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		var marks []string
		var last time.Time
		for _, c := range sink.chs {
			if c.ObjectKind != KindCollector || c.Object != "col-m" || c.Time.Before(last) {
				t.Fatalf("MarkEvery %v: change %+v: want the collector's markers in time order", every, c)
			}
			last = c.Time
			marks = append(marks, c.To)
		}
		if every < 0 {
			if len(marks) > 0 {
				t.Errorf("MarkEvery %v: markers %v, want none", every, marks)
			}
			continue
		}
		if len(marks) < 4 || marks[0] != MarkStarted || marks[len(marks)-1] != MarkStopped {
			t.Fatalf("markers %v: want started, running..., stopped", marks)
		}
		for _, m := range marks[1 : len(marks)-1] {
			if m != MarkRunning {
				t.Errorf("markers %v: want only heartbeats between started and stopped", marks)
			}
		}
	}
}

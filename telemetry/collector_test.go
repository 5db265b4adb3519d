package telemetry

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// batchSink records what it is written.
type batchSink struct {
	mu      sync.Mutex
	batches []Batch
}

func (s *batchSink) Write(_ context.Context, b Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, b)
	return nil
}

func (s *batchSink) Close() error { return nil }

func (s *batchSink) last() (Batch, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.batches) == 0 {
		return Batch{}, 0
	}
	return s.batches[len(s.batches)-1], len(s.batches)
}

func names(hs []TargetHealth) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Name)
	}
	return out
}

// TestCollectorReloadAckFlush: a reload adds, removes and resubscribes
// targets without touching the others; an ack reaches the sinks at once;
// cancelling makes a final flush.
func TestCollectorReloadAckFlush(t *testing.T) {
	dead := func(name, addr string) Target {
		return Target{Name: name, Address: addr, Interfaces: []string{"eth1"},
			Subscriptions: []Subscription{{Class: ClassCounters, Path: "/interfaces/interface[name=eth1]/state/counters", Mode: ModeSample, Interval: time.Second}}}
	}
	p1 := Planned{Targets: []Target{dead("r1", "127.0.0.1:1"), dead("r2", "127.0.0.1:1")}, Fingerprint: [32]byte{1}}
	p2 := Planned{Targets: []Target{dead("r2", "127.0.0.1:1"), dead("r3", "127.0.0.1:1"), {Name: "r4", Problem: "no management address in the inventory",
		Subscriptions: p1.Targets[0].Subscriptions}}, Fingerprint: [32]byte{2}}
	var mu sync.Mutex
	next := p1
	rec := newRecorder()
	rec.alarms["a1"] = Alarm{ID: "a1", State: AlarmActive, Severity: SevMajor}
	sink := &batchSink{}
	c, cancel, done := runCollector(t, p1, CollectorOptions{Name: "col-1", Engine: rec, Sinks: []Sink{sink}, Flush: 50 * time.Millisecond, Poll: -1,
		Dial: DialOptions{Insecure: true, Timeout: time.Second, MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
		Load: func(context.Context) (Planned, error) { mu.Lock(); defer mu.Unlock(); return next, nil }})
	waitFor(t, 5*time.Second, "first flush with r1, r2", func() (bool, string) {
		b, _ := sink.last()
		return slices.Equal(names(b.Targets), []string{"r1", "r2"}) && b.Collector == "col-1", "targets " + strings.Join(names(b.Targets), ",")
	})
	waitFor(t, 5*time.Second, "r1 unreachable with an error", func() (bool, string) {
		h := c.Targets()[0]
		return !h.Connected && h.LastError != "", h.LastError
	})
	mu.Lock()
	next = p2
	mu.Unlock()
	c.Reload()
	waitFor(t, 5*time.Second, "targets after the reload", func() (bool, string) {
		b, _ := sink.last()
		return slices.Equal(names(b.Targets), []string{"r2", "r3", "r4"}), strings.Join(names(b.Targets), ",")
	})
	for _, h := range c.Targets() {
		if h.Name == "r4" && h.LastError != "no management address in the inventory" {
			t.Errorf("r4 health %+v: want its problem as last error", h)
		}
	}
	if err := c.Ack(context.Background(), "a1", "alice"); err != nil {
		t.Fatal(err)
	}
	b, _ := sink.last()
	if len(b.Alarms) != 1 || !b.Alarms[0].Acked || b.Alarms[0].AckedBy != "alice" {
		t.Errorf("batch after ack = %+v, want the acked alarm", b.Alarms)
	}
	if err := c.Ack(context.Background(), "nope", "alice"); err == nil {
		t.Error("Ack(nope) succeeded")
	}
	_, n := sink.last()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, m := sink.last(); m <= n {
		t.Errorf("no final flush: %d batches before shutdown, %d after", n, m)
	}
}

// TestCollectorReloadRules: a reload that reads new alarm rules (the
// inventory unchanged) gives them to the engine; rules that do not
// validate are refused and the running ones kept.
func TestCollectorReloadRules(t *testing.T) {
	eng := NewEngine(nil, nil, EngineOptions{})
	def := DefaultRules()
	p := Planned{Fingerprint: [32]byte{1}, Rules: &def}
	var mu sync.Mutex
	next := p
	var logs lockedLog
	c, cancel, done := runCollector(t, p, CollectorOptions{Name: "col-1", Engine: eng, Flush: time.Hour, Poll: -1,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Load: func(context.Context) (Planned, error) { mu.Lock(); defer mu.Unlock(); return next, nil }})
	defer func() { cancel(); <-done }()
	tests := []struct {
		name     string
		edit     func(r *Rules)
		wantUtil float64
		wantLog  string
	}{
		{"a new threshold is taken", func(r *Rules) { r.Utilization.Threshold, r.Utilization.Clear = 0.95, 0.9 }, 0.95, "alarm rules reloaded"},
		{"an invalid rule is refused", func(r *Rules) { r.Utilization.Threshold, r.Utilization.Clear = 0.5, 0.9 }, 0.95, "alarm rules reload refused"},
		{"back to the defaults", func(r *Rules) {}, def.Utilization.Threshold, "alarm rules reloaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := DefaultRules()
			tt.edit(&r)
			mu.Lock()
			next = Planned{Fingerprint: [32]byte{1}, Rules: &r}
			mu.Unlock()
			before := strings.Count(logs.String(), tt.wantLog)
			c.Reload()
			waitFor(t, 5*time.Second, "rules in force", func() (bool, string) {
				got := eng.Rules().Utilization.Threshold
				return got == tt.wantUtil && strings.Count(logs.String(), tt.wantLog) > before, fmt.Sprint(got, logs.String())
			})
		})
	}
}

// lockedLog is a log buffer the collector writes while the test reads.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

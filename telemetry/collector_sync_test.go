package telemetry

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// countingShared is a SharedState (and sharedSubset) that counts the reads
// of the other collectors' data and returns one interface of r2.
type countingShared struct{ reads atomic.Int64 }

func (s *countingShared) Interfaces(ctx context.Context) ([]InterfaceState, error) {
	return s.InterfacesOf(ctx, func(string) bool { return true })
}
func (s *countingShared) Targets(ctx context.Context) ([]TargetHealth, error) {
	return s.TargetsOf(ctx, func(string) bool { return true })
}
func (s *countingShared) Links(context.Context) ([]LinkState, error) { return nil, nil }
func (s *countingShared) Alarms(context.Context) ([]Alarm, error)    { return nil, nil }
func (s *countingShared) InterfacesOf(_ context.Context, keep func(string) bool) ([]InterfaceState, error) {
	s.reads.Add(1)
	if !keep("r2") {
		return nil, nil
	}
	return []InterfaceState{{Device: "r2", Interface: "eth1", Oper: "UP"}}, nil
}
func (s *countingShared) TargetsOf(_ context.Context, keep func(string) bool) ([]TargetHealth, error) {
	s.reads.Add(1)
	if !keep("r2") {
		return nil, nil
	}
	return []TargetHealth{{Name: "r2", Connected: true}}, nil
}

// sharedRecorder is an engine that records what ObserveShared gave it.
type sharedRecorder struct {
	ifaces []InterfaceState
}

func (e *sharedRecorder) Observe([]Update)                             {}
func (e *sharedRecorder) ObserveTarget(TargetHealth)                   {}
func (e *sharedRecorder) Tick(time.Time) Batch                         { return Batch{} }
func (e *sharedRecorder) Ack(string, string, time.Time) (Alarm, error) { return Alarm{}, nil }
func (e *sharedRecorder) SetStandby(bool)                              {}
func (e *sharedRecorder) Restore([]Alarm)                              {}
func (e *sharedRecorder) RestoreLinks([]LinkState)                     {}
func (e *sharedRecorder) ObserveShared(ifs []InterfaceState, _ []TargetHealth) {
	e.ifaces = append(e.ifaces, ifs...)
}

// TestSyncEngineLoneHolder: the engine holder reads back what the other
// collectors wrote only while another collector holds one of the planned
// targets; holding them all, it reads nothing (a lone collector paid two
// Redis round trips a second for nothing).
func TestSyncEngineLoneHolder(t *testing.T) {
	cases := []struct {
		name      string
		tokens    map[string]uint64
		wantReads bool
		wantIface int // r2's interface observed from the shared state
	}{
		{"every target held", map[string]uint64{EngineLease: 1, "r1": 1, "r2": 1}, false, 0},
		{"r2 held by another", map[string]uint64{EngineLease: 1, "r1": 1}, true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sh := &countingShared{}
			eng := &sharedRecorder{}
			col, err := NewCollector(Planned{Targets: []Target{{Name: "r1"}, {Name: "r2"}}}, CollectorOptions{Engine: eng, Shared: sh})
			if err != nil {
				t.Fatal(err)
			}
			col.holding = true
			col.syncEngine(context.Background(), eng, c.tokens)
			if got := sh.reads.Load() > 0; got != c.wantReads {
				t.Errorf("read the shared state: %v, want %v", got, c.wantReads)
			}
			if len(eng.ifaces) != c.wantIface {
				t.Errorf("observed %d shared interfaces, want %d", len(eng.ifaces), c.wantIface)
			}
		})
	}
}

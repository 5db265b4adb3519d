package telemetry

import (
	"reflect"
	"sync/atomic"
	"testing"
	"time"
)

// TestEngineRecycle: a recycled batch's arrays hold the next Tick's links
// and interfaces, which are what a Tick without recycling gives.
func TestEngineRecycle(t *testing.T) {
	pa, pb := newPlant(manche(t)), newPlant(manche(t))
	ea, eb := newMancheEngine(t, testRules(), pa), newMancheEngine(t, testRules(), pb)
	var links *LinkState
	var ifaces *InterfaceState
	for round := range 5 {
		a, b := pa.step(ea), pb.step(eb) // ea recycles, eb does not
		if len(a.Links) == 0 || len(a.Interfaces) == 0 {
			t.Fatalf("round %d: %d links, %d interfaces: want both", round, len(a.Links), len(a.Interfaces))
		}
		if !reflect.DeepEqual(a.Links, b.Links) || !reflect.DeepEqual(a.Interfaces, b.Interfaces) {
			t.Fatalf("round %d: the recycling engine's batch differs from the other's", round)
		}
		if round > 0 && (&a.Links[0] != links || &a.Interfaces[0] != ifaces) {
			t.Errorf("round %d: the Tick after Recycle did not reuse the batch's arrays", round)
		}
		links, ifaces = &a.Links[0], &a.Interfaces[0]
		ea.Recycle(a)
	}
}

// borrowSink is a batchSink that says it keeps nothing of a batch.
type borrowSink struct{ batchSink }

func (*borrowSink) BorrowsBatch() {}

// recyclingRecorder counts the batches the collector gives back.
type recyclingRecorder struct {
	*recorder
	recycled atomic.Int64
}

func (r *recyclingRecorder) Recycle(Batch) { r.recycled.Add(1) }

// TestCollectorRecyclesBorrowedBatches: the collector gives a written
// batch back to the engine only when every sink borrows it; one sink that
// keeps batches (batchSink) keeps them intact.
func TestCollectorRecyclesBorrowedBatches(t *testing.T) {
	for _, c := range []struct {
		name    string
		sinks   []Sink
		recycle bool
	}{
		{"every sink borrows", []Sink{&borrowSink{}, &borrowSink{}}, true},
		{"one sink keeps batches", []Sink{&borrowSink{}, &batchSink{}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			eng := &recyclingRecorder{recorder: newRecorder()}
			p := Planned{Targets: []Target{{Name: "r1", Problem: "not dialled"}}, Fingerprint: [32]byte{1}}
			_, cancel, done := runCollector(t, p, CollectorOptions{Name: "col-1", Engine: eng, Sinks: c.sinks, Flush: 20 * time.Millisecond, Poll: -1,
				Dial: DialOptions{Insecure: true}})
			waitFor(t, 5*time.Second, "a few flushes", func() (bool, string) {
				eng.mu.Lock()
				defer eng.mu.Unlock()
				return eng.ticks >= 3, ""
			})
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := eng.recycled.Load(); (got > 0) != c.recycle {
				t.Errorf("%d batches recycled, want recycling %v", got, c.recycle)
			}
		})
	}
}

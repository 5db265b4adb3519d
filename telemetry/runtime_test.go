package telemetry

import (
	"context"
	"net/http/httptest"
	"runtime"
	"testing"
)

// TestRuntimeAPI: /api/v1/runtime serves the process's own GC figures,
// which move with its collections.
func TestRuntimeAPI(t *testing.T) {
	srv := httptest.NewServer(NewAPI(nil, APIOptions{}))
	defer srv.Close()
	r := NewHTTPReader(srv.URL)
	ctx := context.Background()
	before, err := r.Runtime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keep := make([]*[64]byte, 1<<14) // a heap with pointers to mark
	for i := range keep {
		keep[i] = new([64]byte)
	}
	runtime.GC()
	runtime.GC()
	after, err := r.Runtime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(keep)
	if after.GCCycles < before.GCCycles+2 {
		t.Errorf("gc cycles %d then %d, want at least two more", before.GCCycles, after.GCCycles)
	}
	if after.ScanHeapBytes < 1<<17 || after.LiveHeapBytes < after.ScanHeapBytes/2 || after.HeapGoalBytes == 0 {
		t.Errorf("heap figures %+v: want the 128 KiB of pointers kept scanned, a live heap and a goal", after)
	}
	if after.GOMAXPROCS != runtime.GOMAXPROCS(0) || after.Goroutines == 0 {
		t.Errorf("%+v: want this process's GOMAXPROCS and goroutines", after)
	}
}

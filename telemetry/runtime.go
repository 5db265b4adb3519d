package telemetry

import (
	"runtime"
	"runtime/metrics"
)

// RuntimeStats is the collector process's Go runtime as the API serves it
// (GET /api/v1/runtime): what its garbage collector costs, read without
// the scrape of /metrics, which at a few hundred 48-port targets costs
// the collector itself a second of CPU and a heap of its own.
type RuntimeStats struct {
	GOMAXPROCS int `json:"gomaxprocs"`
	Goroutines int `json:"goroutines"`
	// GCCycles counts the collections since start; ScanHeapBytes is the
	// heap the last one had to mark (what holds pointers), LiveHeapBytes
	// what it found live, HeapGoalBytes where the next one starts.
	GCCycles      uint64 `json:"gc_cycles"`
	ScanHeapBytes uint64 `json:"scan_heap_bytes"`
	LiveHeapBytes uint64 `json:"live_heap_bytes"`
	HeapGoalBytes uint64 `json:"heap_goal_bytes"`
	GOGC          uint64 `json:"gogc_percent"`
}

// runtimeSamples are the runtime/metrics names RuntimeStats reads, in the
// order ReadRuntime fills it.
var runtimeSamples = []string{
	"/gc/cycles/total:gc-cycles",
	"/gc/scan/heap:bytes",
	"/gc/heap/live:bytes",
	"/gc/heap/goal:bytes",
	"/gc/gogc:percent",
}

// ReadRuntime reads the process's runtime figures.
func ReadRuntime() RuntimeStats {
	s := make([]metrics.Sample, len(runtimeSamples))
	for i, n := range runtimeSamples {
		s[i].Name = n
	}
	metrics.Read(s)
	u := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0 // a name this Go release does not have
		}
		return s[i].Value.Uint64()
	}
	return RuntimeStats{GOMAXPROCS: runtime.GOMAXPROCS(0), Goroutines: runtime.NumGoroutine(),
		GCCycles: u(0), ScanHeapBytes: u(1), LiveHeapBytes: u(2), HeapGoalBytes: u(3), GOGC: u(4)}
}

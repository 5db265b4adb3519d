package yamlstore

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
)

var (
	bigOnce sync.Once
	bigPath string
	bigErr  error
)

// bigInventory writes, once per run, the reference network:
// 10,000 devices and about 50,000 cables.
func bigInventory(b *testing.B) string {
	bigOnce.Do(func() {
		var snap *inventory.Snapshot
		snap, bigErr = synth.Generate(synth.Options{Sites: 10000, Seed: 1, DualHomed: 0.75})
		if bigErr != nil {
			return
		}
		dir, err := os.MkdirTemp("", "tuyau-bench")
		if err != nil {
			bigErr = err
			return
		}
		bigPath = filepath.Join(dir, "big.yaml")
		bigErr = WriteFile(bigPath, snap)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigPath
}

// BenchmarkLoad10k loads and validates 10,000 devices and 50,000 cables
// from one file. Goal: under 1 s and 500 MB peak.
func BenchmarkLoad10k(b *testing.B) {
	path := bigInventory(b)
	ctx := context.Background()
	var snap *inventory.Snapshot
	var peak uint64
	for b.Loop() {
		var err error
		snap, err = Open(path).Load(ctx)
		if err != nil {
			b.Fatal(err)
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapSys)
	}
	b.ReportMetric(float64(len(snap.Cables)), "cables")
	b.ReportMetric(float64(peak)/(1<<20), "MB-heap-sys")
}

// BenchmarkMarshal10k writes the same network.
func BenchmarkMarshal10k(b *testing.B) {
	snap, err := Open(bigInventory(b)).Load(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Marshal(snap); err != nil {
			b.Fatal(err)
		}
	}
}

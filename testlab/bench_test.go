package testlab

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkStart measures how long a lab takes to come up (every device
// listening on SSH, gNMI and BGP) and the heap it holds once its BGP
// sessions have converged. The 500-site case is the budget
// (< 30 s, < 1 GB); run it with
//
//	go test ./testlab -run ^$ -bench Start/sites=500 -benchtime 1x
func BenchmarkStart(b *testing.B) {
	for _, sites := range []int{50, 500} {
		b.Run(fmt.Sprintf("sites=%d", sites), func(b *testing.B) {
			snap := smallNet(b, sites)
			for range b.N {
				b.StopTimer()
				plan := testPlan(b, snap)
				dir := b.TempDir()
				b.StartTimer()
				start := time.Now()
				l, err := Start(context.Background(), plan, snap, Options{Dir: dir, User: "admin", Password: "x", Bootstrap: BootstrapFull})
				if err != nil {
					b.Fatal(err)
				}
				up := time.Since(start)
				b.StopTimer()
				// Converged: 99 % of the sessions whose transport is up are
				// established (on two shared cores a few flap while 500
				// speakers exchange their tables).
				waitFor(b, 120*time.Second, "converged", func() (bool, string) {
					up, total := l.sessions(context.Background())
					return total > 0 && up*100 >= total*99, fmt.Sprintf("%d of %d established", up, total)
				})
				converged := time.Since(start)
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				b.ReportMetric(up.Seconds(), "s-up")
				b.ReportMetric(converged.Seconds(), "s-converged")
				b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MiB-heap")
				b.ReportMetric(float64(len(plan.Devices)), "devices")
				l.Close()
				b.StartTimer()
			}
		})
	}
}

package redis

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab/redislab"
)

// benchLeavesPerIface is what one interface sends per sample in the
// bench's subscription (bench/telemetry/run): eight counters, oper-status,
// two optical powers and the channel's index, so that ns/update here
// compares with the bench's CPU per million updates.
const benchLeavesPerIface = 12

// BenchmarkSinkRedis is what the Redis sink costs the collector per
// 48-port device sample (48 interface states and their 48 links, as a
// Tick after one device's notification hands over), sent to a real
// redis-server: encoding, go-redis writing the commands, reading the
// replies. cpu-ns/op is this process's CPU (getrusage: the redis-server's
// own is not counted), the figure the bench reports per update.
//
//	go test ./telemetry/sink/redis -run '^$' -bench SinkRedis -benchmem
func BenchmarkSinkRedis(b *testing.B) {
	for _, hist := range []bool{true, false} {
		b.Run(fmt.Sprintf("history=%v", hist), func(b *testing.B) {
			srv := redislab.Start(b)
			opts := Options{Network: "bench", Collector: "bench"}
			if !hist {
				opts.HistoryLen = -1
			}
			s, err := Open(srv.URL(), "", opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			const devs = 50
			batches := make([]telemetry.Batch, devs)
			tokens := map[string]uint64{EngineLease: 1}
			for d := range batches {
				dev := fmt.Sprintf("pop-%04d-r1", d)
				tokens[dev] = 1
				for i := 0; i < 48; i++ {
					l := benchLink()
					l.ID = fmt.Sprintf("%s:eth%d -- peer-%d:eth%d", dev, i, d, i)
					l.A.Device, l.A.Interface = dev, fmt.Sprintf("eth%d", i)
					l.A.InterfaceState.Device, l.A.InterfaceState.Interface = l.A.Device, l.A.Interface
					batches[d].Interfaces = append(batches[d].Interfaces, l.A.InterfaceState)
					batches[d].Links = append(batches[d].Links, l)
				}
				batches[d].Collector = "bench"
				batches[d].Tokens = tokens
			}
			ctx := context.Background()
			write := func(i int) {
				bt := batches[i%devs]
				peer := batches[(i+1)%devs] // the far ends: another device's last sample
				at := t0.Add(time.Duration(i) * time.Millisecond)
				for j := range bt.Interfaces {
					// Measured rates are seldom integral.
					ifc := &bt.Interfaces[j]
					ifc.Updated = at
					ifc.InBps = 1.25e9 + float64(i)*1.37 + float64(j)*0.11
					ifc.OutBps = 2.5e8 + float64(i)*0.73
					ifc.RxDBm = -7.31 - float64(i%7)*0.01
					bt.Links[j].Updated = at
					bt.Links[j].A.InterfaceState = *ifc
					bt.Links[j].B.Device, bt.Links[j].B.Interface = peer.Interfaces[j].Device, peer.Interfaces[j].Interface
					bt.Links[j].B.InterfaceState = peer.Interfaces[j]
					bt.Links[j].Utilization = ifc.InBps / 1e10
				}
				if err := s.Write(ctx, bt); err != nil {
					b.Fatal(err)
				}
				// A collector's linger lets a few devices' samples gather
				// per flush; waiting every few writes keeps the queue short.
				if i%8 == 7 {
					if err := s.Flush(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			for i := range devs { // every key created
				write(i)
			}
			if err := s.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				write(i)
			}
			if err := s.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			cpu := float64((cpuTime() - cpu0).Nanoseconds())
			b.ReportMetric(cpu/float64(b.N), "cpu-ns/op")
			b.ReportMetric(cpu/float64(b.N*48*benchLeavesPerIface), "cpu-ns/update")
			if st := s.Stats(); st.DroppedSamples > 0 || st.WriteErrors > 0 || st.FenceRefusals > 0 {
				b.Fatalf("sink stats %+v", st)
			}
		})
	}
}

// cpuTime is this process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package gnmitarget

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// benchDevice is a MemBackend shaped like a 48-port switch: per port 8
// counters, status, config, a transceiver, plus 8 BGP neighbors.
func benchDevice(b *testing.B, ports int) *MemBackend {
	var leaves []Leaf
	for i := range ports {
		name := fmt.Sprintf("eth%d", i+1)
		for _, c := range []string{"in-octets", "out-octets", "in-pkts", "out-pkts", "in-errors", "out-errors", "in-discards", "out-discards"} {
			leaves = append(leaves, Leaf{InterfacePath(name, "state/counters/"+c), uint64(i * 1000)})
		}
		leaves = append(leaves,
			Leaf{InterfacePath(name, "state/oper-status"), "UP"},
			Leaf{InterfacePath(name, "state/admin-status"), "UP"},
			Leaf{InterfacePath(name, "config/mtu"), uint16(9000)},
			Leaf{InterfacePath(name, "config/description"), "port " + name},
			Leaf{TransceiverChannelPath("transceiver-"+name, 0, "state/input-power/instant"), -3.5},
			Leaf{TransceiverChannelPath("transceiver-"+name, 0, "state/output-power/instant"), -1.0},
		)
	}
	for i := range 8 {
		leaves = append(leaves, Leaf{NeighborPath(fmt.Sprintf("10.0.%d.1", i), "state/session-state"), "ESTABLISHED"})
	}
	m, err := NewMemBackend(leaves...)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func benchClient(b *testing.B, dev *MemBackend) gpb.GNMIClient {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(dev, WithInsecure()).Serve(ctx, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		conn.Close()
		cancel()
		<-done
	})
	return gpb.NewGNMIClient(conn)
}

// BenchmarkSubscribeSample measures how many counter updates per second
// one SAMPLE stream carries when the client asks for the shortest
// interval: one op is one sample of all 48 ports' counters.
func BenchmarkSubscribeSample(b *testing.B) {
	const ports = 48
	c := benchClient(b, benchDevice(b, ports))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := c.Subscribe(ctx)
	if err != nil {
		b.Fatal(err)
	}
	err = stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
		Mode: gpb.SubscriptionList_STREAM, Encoding: gpb.Encoding_PROTO,
		Subscription: []*gpb.Subscription{{
			Path: MustParsePath("/interfaces/interface[name=*]/state/counters").proto(),
			Mode: gpb.SubscriptionMode_SAMPLE, SampleInterval: uint64(time.Millisecond),
		}},
	}}})
	if err != nil {
		b.Fatal(err)
	}
	for {
		r, err := stream.Recv()
		if err != nil {
			b.Fatal(err)
		}
		if r.GetSyncResponse() {
			break
		}
	}
	b.ResetTimer()
	updates := 0
	for range b.N {
		r, err := stream.Recv()
		if err != nil {
			b.Fatal(err)
		}
		updates += len(r.GetUpdate().GetUpdate())
	}
	b.StopTimer()
	if updates != b.N*ports*8 {
		b.Fatalf("received %d updates in %d samples, want %d each", updates, b.N, ports*8)
	}
	b.ReportMetric(float64(updates)/b.Elapsed().Seconds(), "updates/s")
}

// BenchmarkOnChange measures the time from a device change to the
// ON_CHANGE notification reaching the client.
func BenchmarkOnChange(b *testing.B) {
	dev := benchDevice(b, 48)
	c := benchClient(b, dev)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := c.Subscribe(ctx)
	if err != nil {
		b.Fatal(err)
	}
	err = stream.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
		Mode: gpb.SubscriptionList_STREAM, Encoding: gpb.Encoding_PROTO,
		Subscription: []*gpb.Subscription{{
			Path: MustParsePath("/interfaces/interface[name=*]/state/oper-status").proto(),
			Mode: gpb.SubscriptionMode_ON_CHANGE,
		}},
	}}})
	if err != nil {
		b.Fatal(err)
	}
	for {
		r, err := stream.Recv()
		if err != nil {
			b.Fatal(err)
		}
		if r.GetSyncResponse() {
			break
		}
	}
	leaf := InterfacePath("eth7", "state/oper-status")
	b.ResetTimer()
	for i := range b.N {
		v := "DOWN"
		if i%2 == 1 {
			v = "UP"
		}
		if err := dev.Set(leaf, v); err != nil {
			b.Fatal(err)
		}
		r, err := stream.Recv()
		if err != nil {
			b.Fatal(err)
		}
		if got := r.GetUpdate().GetUpdate(); len(got) != 1 || got[0].GetVal().GetStringVal() != v {
			b.Fatalf("change %d: got %v, want eth7 %s", i, got, v)
		}
	}
}

// BenchmarkIdleTargets starts 500 targets, each over a 24-port device, the
// size of a generated 500-device lab, and reports what one idle target
// costs in heap and goroutines: the lab's memory budget is per device.
func BenchmarkIdleTargets(b *testing.B) {
	const targets = 500
	devs := make([]*MemBackend, targets)
	for i := range devs {
		devs[i] = benchDevice(b, 24)
	}
	for range b.N {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, dev := range devs {
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			wg.Go(func() {
				if err := New(dev, WithInsecure()).Serve(ctx, lis); err != nil {
					b.Error(err)
				}
			})
		}
		time.Sleep(100 * time.Millisecond) // let every Serve reach Accept
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/targets, "heap-B/target")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/targets, "goroutines/target")
		cancel()
		wg.Wait()
	}
}

// BenchmarkDeviceViewState measures what one State call of a 24-port
// device built on DeviceView costs the server: rendering the leaves and
// reading them through the path cache, as every sample does.
func BenchmarkDeviceViewState(b *testing.B) {
	var v DeviceView
	v.BGP = &BGPView{AS: 65001}
	for i := range 24 {
		v.Interfaces = append(v.Interfaces, InterfaceView{
			Name: fmt.Sprintf("eth%d", i+1), Enabled: true, OperUp: true, MTU: 9000,
			Addresses:   []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i), 0}), 31)},
			Counters:    Counters{InOctets: uint64(i) << 30},
			Transceiver: &TransceiverView{FormFactor: "SFP_PLUS", InputDBm: -4.2, OutputDBm: -1},
		})
		v.BGP.Neighbors = append(v.BGP.Neighbors, NeighborView{Address: fmt.Sprintf("10.0.%d.1", i), PeerAS: 65002, Enabled: true, SessionState: "Established"})
	}
	s := New(viewBackend{&v})
	ctx := context.Background()
	b.ReportAllocs()
	var n int
	for range b.N {
		st, err := s.readState(ctx)
		if err != nil {
			b.Fatal(err)
		}
		n = len(st)
	}
	b.ReportMetric(float64(n), "leaves")
}

// viewBackend serves a fixed DeviceView, rendered on every State call as a
// device does.
type viewBackend struct{ v *DeviceView }

func (vb viewBackend) State(context.Context) ([]Leaf, error) { return vb.v.Leaves(), nil }
func (viewBackend) Apply(context.Context, []Change) error    { return nil }
func (viewBackend) Watch(context.Context, func())            {}

// BenchmarkWireResponse measures encoding one 48-port switch's sample to
// wire bytes in each encoding, as a SAMPLE session does (a collector such
// as tuyau asks for JSON_IETF).
func BenchmarkWireResponse(b *testing.B) {
	dev := benchDevice(b, 48)
	s := New(dev, WithInsecure())
	state, err := s.readState(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, enc := range []gpb.Encoding{gpb.Encoding_PROTO, gpb.Encoding_JSON_IETF} {
		b.Run(enc.String(), func(b *testing.B) {
			b.ReportAllocs()
			var scratch []byte
			for range b.N {
				_, buf, err := wireResponse(scratch, 1, nil, state, nil, enc)
				if err != nil {
					b.Fatal(err)
				}
				scratch = buf
			}
			b.ReportMetric(float64(len(state)), "leaves")
		})
	}
}

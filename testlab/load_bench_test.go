package testlab

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/tuyau-net/tuyau/inventory/synth"
)

// BenchmarkTelemetryLoad streams what a telemetry collector subscribes to
// (every interface's counters and every transceiver channel SAMPLE at 1 s,
// oper-status ON_CHANGE) from every device of a generated lab with 48
// ports a device, and reports the leaves per second received. One op is
// one second of streaming. TUYAU_LOAD_SITES sets the size (default 20):
//
//	TUYAU_LOAD_SITES=200 go test ./testlab -run '^$' -bench TelemetryLoad -benchtime 20x -cpuprofile cpu.out
func BenchmarkTelemetryLoad(b *testing.B) {
	sites := 20
	if s, err := strconv.Atoi(os.Getenv("TUYAU_LOAD_SITES")); err == nil {
		sites = s
	}
	snap, err := synth.Generate(synth.Options{Sites: sites, Seed: 1, InterfacesPerDevice: 48})
	if err != nil {
		b.Fatal(err)
	}
	plan := testPlan(b, snap)
	l, err := Start(context.Background(), plan, snap, Options{Dir: b.TempDir(), User: "admin", Password: "pw", GNMIInsecure: true})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(context.Background(), "username", "admin", "password", "pw"))
	defer cancel()
	var leaves, synced atomic.Int64
	var wg sync.WaitGroup
	for _, d := range l.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loadSubscribe(ctx, hostPort(d.Addr(), plan.Ports.GNMI), time.Second, &synced, &leaves)
		}()
	}
	waitFor(b, 60*time.Second, "every device synced", func() (bool, string) {
		return synced.Load() == int64(len(l.order)), fmt.Sprintf("%d of %d", synced.Load(), len(l.order))
	})
	time.Sleep(2 * time.Second)
	b.ResetTimer()
	start, n0 := time.Now(), leaves.Load()
	for range b.N {
		time.Sleep(time.Second)
	}
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(leaves.Load()-n0)/el, "leaves/s")
	b.ReportMetric(float64(len(l.order)), "devices")
	cancel()
	wg.Wait()
}

// loadSubscribe is the collector's subscription: counters and optics
// sampled, oper-status on change; it counts the leaves received.
func loadSubscribe(ctx context.Context, addr string, iv time.Duration, synced, leaves *atomic.Int64) error {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer cc.Close()
	st, err := gpb.NewGNMIClient(cc).Subscribe(ctx)
	if err != nil {
		return err
	}
	elem := func(name string, key ...string) *gpb.PathElem {
		e := &gpb.PathElem{Name: name}
		if len(key) == 2 {
			e.Key = map[string]string{key[0]: key[1]}
		}
		return e
	}
	ifc := func(leaf ...string) *gpb.Path {
		p := &gpb.Path{Elem: []*gpb.PathElem{elem("interfaces"), elem("interface", "name", "*"), elem("state")}}
		for _, l := range leaf {
			p.Elem = append(p.Elem, elem(l))
		}
		return p
	}
	optics := &gpb.Path{Elem: []*gpb.PathElem{elem("components"), elem("component", "name", "*"), elem("transceiver"),
		elem("physical-channels"), elem("channel", "index", "*"), elem("state")}}
	if err := st.Send(&gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{
		Mode: gpb.SubscriptionList_STREAM, Encoding: gpb.Encoding_PROTO,
		Subscription: []*gpb.Subscription{
			{Path: ifc("counters"), Mode: gpb.SubscriptionMode_SAMPLE, SampleInterval: uint64(iv)},
			{Path: optics, Mode: gpb.SubscriptionMode_SAMPLE, SampleInterval: uint64(iv)},
			{Path: ifc("oper-status"), Mode: gpb.SubscriptionMode_ON_CHANGE},
		},
	}}}); err != nil {
		return err
	}
	for {
		r, err := st.Recv()
		if err != nil {
			return err
		}
		if r.GetSyncResponse() {
			synced.Add(1)
		}
		leaves.Add(int64(len(r.GetUpdate().GetUpdate())))
	}
}

package telemetry

import (
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	fakegnmi "github.com/openconfig/gnmi/testing/fake/gnmi"
	fpb "github.com/openconfig/gnmi/testing/fake/proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/tuyau-net/tuyau/testlab/gnmitarget"
)

// TestCollectorFakeAgent subscribes to openconfig's fake gNMI agent, a
// target the project did not write: it streams generated values at
// gNMI 0.3 string paths (deprecated elements), over TLS from a CA of the
// test's own. The collector takes it as any other target.
func TestCollectorFakeAgent(t *testing.T) {
	now := time.Now()
	ca, err := gnmitarget.NewLabCA("fake", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("fake-r1", []net.IP{net.ParseIP("127.0.0.1")}, now)
	if err != nil {
		t.Fatal(err)
	}
	ts := func(ns int64) *fpb.Timestamp {
		return &fpb.Timestamp{Timestamp: now.UnixNano(), DeltaMin: ns, DeltaMax: ns}
	}
	counter := func(ifc, leaf string, step uint64) *fpb.Value {
		return &fpb.Value{Path: []string{"interfaces", "interface[name=" + ifc + "]", "state", "counters", leaf}, Timestamp: ts(int64(100 * time.Millisecond)),
			Value: &fpb.Value_UintValue{UintValue: &fpb.UintValue{Value: 1000, Distribution: &fpb.UintValue_Range{Range: &fpb.UintRange{
				Minimum: 0, Maximum: 1 << 62, DeltaMin: int64(step), DeltaMax: int64(step)}}}}}
	}
	str := func(path []string, s string) *fpb.Value {
		return &fpb.Value{Path: path, Timestamp: ts(int64(200 * time.Millisecond)), Value: &fpb.Value_StringValue{StringValue: &fpb.StringValue{Value: s}}}
	}
	cfg := &fpb.Config{Target: "fake-r1", Port: 0, DisableEof: true, EnableDelay: true,
		// The agent reads its values from the (deprecated) Values field.
		Seed: 1, Values: []*fpb.Value{
			counter("eth1", "in-octets", 12500),
			counter("eth1", "out-octets", 2500),
			str([]string{"interfaces", "interface[name=eth1]", "state", "oper-status"}, "UP"),
			str([]string{"network-instances", "network-instance[name=default]", "protocols", "protocol[identifier=BGP][name=BGP]", "bgp",
				"neighbors", "neighbor[neighbor-address=192.0.2.1]", "state", "session-state"}, "ESTABLISHED"),
			{Path: []string{"components", "component[name=eth1]", "transceiver", "physical-channels", "channel[index=0]", "state", "input-power", "instant"},
				Timestamp: ts(int64(100 * time.Millisecond)),
				Value:     &fpb.Value_DoubleValue{DoubleValue: &fpb.DoubleValue{Value: -9.5, Distribution: &fpb.DoubleValue_Range{Range: &fpb.DoubleRange{Minimum: -10, Maximum: -9}}}}},
		}}
	agent, err := fakegnmi.New(cfg, []grpc.ServerOption{grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(agent.Close)
	_, port, _ := net.SplitHostPort(agent.Address())
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := ca.WriteFiles(caFile, caFile+".key"); err != nil {
		t.Fatal(err)
	}
	target := Target{Name: "fake-r1", Address: "127.0.0.1:" + port, Interfaces: []string{"eth1"}, Optics: []string{"eth1"},
		Neighbors: []string{"192.0.2.1"}}
	target.Subscriptions = subscriptions(target, PlanOptions{Intervals: map[PathClass]time.Duration{ClassCounters: time.Second, ClassOptics: time.Second}}, DefaultHeartbeat)
	rec := newRecorder()
	c, _, _ := runCollector(t, Planned{Targets: []Target{target}}, CollectorOptions{Engine: rec,
		Dial: DialOptions{CAFile: caFile, Timeout: 5 * time.Second}})
	var first Update
	waitFor(t, 20*time.Second, "values from the fake agent", func() (bool, string) {
		oct, ok1 := rec.leaf("fake-r1", ClassCounters, "eth1", LeafInOctets)
		oper, ok2 := rec.leaf("fake-r1", ClassOper, "eth1", LeafOperStatus)
		bgp, ok3 := rec.leaf("fake-r1", ClassBGP, "192.0.2.1", LeafSessionState)
		rx, ok4 := rec.leaf("fake-r1", ClassOptics, "eth1", LeafInputPower)
		first = oct
		return ok1 && ok2 && ok3 && ok4 && oper.Str == "UP" && bgp.Str == "ESTABLISHED" && rx.Float <= -9 && rx.Float >= -10,
			fmt.Sprintf("octets %v %d oper %v %q bgp %v %q rx %v %v", ok1, oct.Uint, ok2, oper.Str, ok3, bgp.Str, ok4, rx.Float)
	})
	waitFor(t, 10*time.Second, "counters growing by the agent's step", func() (bool, string) {
		u, _ := rec.leaf("fake-r1", ClassCounters, "eth1", LeafInOctets)
		return u.Uint > first.Uint && (u.Uint-first.Uint)%12500 == 0, fmt.Sprintf("%d then %d", first.Uint, u.Uint)
	})
	h := c.Targets()[0]
	t.Logf("health %+v", h)
	if !h.Connected || h.Received == 0 {
		t.Errorf("fake agent health: %+v", h)
	}
	reqs := agent.Requests()
	if len(reqs) == 0 || len(reqs[0].GetSubscribe().GetSubscription()) != len(target.Subscriptions) {
		t.Errorf("the agent received %d requests; want one with %d subscriptions", len(reqs), len(target.Subscriptions))
	}
}

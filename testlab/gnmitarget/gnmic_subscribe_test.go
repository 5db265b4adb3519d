package gnmitarget

import (
	"context"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmic/pkg/api"
	"github.com/openconfig/gnmic/pkg/api/target"
)

// stream reads a gnmic subscription until the test is done with it.
type stream struct {
	t    *testing.T
	resp chan *target.SubscribeResponse
	errs chan *target.TargetError
}

func subscribe(t *testing.T, tg *target.Target, name string, opts ...api.GNMIOption) *stream {
	t.Helper()
	req, err := api.NewSubscribeRequest(opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	resp, errs := tg.SubscribeChan(ctx, req, name)
	return &stream{t: t, resp: resp, errs: errs}
}

// next returns the next response, failing the test after 10s.
func (s *stream) next() *gpb.SubscribeResponse {
	s.t.Helper()
	select {
	case r, ok := <-s.resp:
		if !ok {
			s.t.Fatal("subscription ended")
		}
		return r.Response
	case e := <-s.errs:
		s.t.Fatalf("subscription error: %v", e.Err)
	case <-time.After(10 * time.Second):
		s.t.Fatal("no subscription response within 10s")
	}
	return nil
}

// untilSync collects the notifications before the next sync_response.
func (s *stream) untilSync() []*gpb.Notification {
	s.t.Helper()
	var ns []*gpb.Notification
	for {
		r := s.next()
		if r.GetSyncResponse() {
			return ns
		}
		ns = append(ns, r.GetUpdate())
	}
}

// until reads notifications until cond holds for one of them, and returns it.
func (s *stream) until(what string, cond func(n *gpb.Notification) bool) *gpb.Notification {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r := s.next()
		if n := r.GetUpdate(); n != nil && cond(n) {
			return n
		}
	}
	s.t.Fatalf("no notification with %s within 10s", what)
	return nil
}

func TestGnmicSubscribeStream(t *testing.T) {
	dev := newDevice(t)
	lt := startTarget(t, dev, false)
	tg := gnmicTarget(t, lt)
	const (
		inOctets = "/interfaces/interface[name=*]/state/counters/in-octets"
		oper     = "/interfaces/interface[name=*]/state/oper-status"
		power    = "/components/component[name=*]/transceiver/physical-channels/channel[index=*]/state/input-power/instant"
		session  = bgpPrefix + "/neighbors/neighbor[neighbor-address=*]/state/session-state"
	)
	s := subscribe(t, tg, "stream",
		api.SubscriptionListModeSTREAM(), api.EncodingJSON_IETF(),
		api.Subscription(api.Path(inOctets), api.SubscriptionModeSAMPLE(), api.SampleInterval(50*time.Millisecond)),
		api.Subscription(api.Path(oper), api.SubscriptionModeON_CHANGE()),
		api.Subscription(api.Path(power), api.SubscriptionModeON_CHANGE()),
		api.Subscription(api.Path(session), api.SubscriptionModeON_CHANGE()),
	)
	initial := leafValues(t, s.untilSync()...)
	want := map[string]any{
		eth1 + "/state/counters/in-octets":                                         "123456789012",
		"/interfaces/interface[name=eth2]/state/counters/in-octets":                "123456789013",
		"/interfaces/interface[name=lo]/state/oper-status":                         "UP",
		TransceiverChannelPath("transceiver-eth2", 0, "state/input-power/instant"): "-7.9",
		NeighborPath("10.0.0.3", "state/session-state"):                            "ACTIVE",
	}
	for k, v := range want {
		if initial[k] != v {
			t.Errorf("initial %s = %v, want %v", k, initial[k], v)
		}
	}
	if len(initial) != 2+3+2+2 {
		t.Errorf("initial sync holds %d leaves, want 9: %v", len(initial), initial)
	}

	// SAMPLE follows the counter.
	if err := dev.Set(eth1+"/state/counters/in-octets", uint64(123456799999)); err != nil {
		t.Fatal(err)
	}
	s.until("in-octets 123456799999", func(n *gpb.Notification) bool {
		return leafValues(t, n)[eth1+"/state/counters/in-octets"] == "123456799999"
	})
	samples := 0
	s.until("three more samples", func(n *gpb.Notification) bool {
		if _, ok := leafValues(t, n)[eth1+"/state/counters/in-octets"]; ok {
			samples++
		}
		return samples == 3
	})

	// ON_CHANGE sends what changed, only that.
	eth2Oper := "/interfaces/interface[name=eth2]/state/oper-status"
	if err := dev.Set(eth2Oper, "DOWN"); err != nil {
		t.Fatal(err)
	}
	n := s.until("eth2 DOWN", func(n *gpb.Notification) bool { return leafValues(t, n)[eth2Oper] == "DOWN" })
	if got := leafValues(t, n); len(got) != 1 {
		t.Errorf("ON_CHANGE notification = %v, want only %s", got, eth2Oper)
	}
	rx := TransceiverChannelPath("transceiver-eth2", 0, "state/input-power/instant")
	if err := dev.Set(rx, -40.0); err != nil {
		t.Fatal(err)
	}
	s.until("rx power -40", func(n *gpb.Notification) bool { return leafValues(t, n)[rx] == "-40" })
	st := NeighborPath("10.0.0.1", "state/session-state")
	if err := dev.Set(st, "IDLE"); err != nil {
		t.Fatal(err)
	}
	s.until("session IDLE", func(n *gpb.Notification) bool { return leafValues(t, n)[st] == "IDLE" })

	// A vanished leaf is a delete.
	if err := dev.Delete(strings.TrimSuffix(NeighborPath("10.0.0.3", ""), "/")); err != nil {
		t.Fatal(err)
	}
	s.until("delete of neighbor 10.0.0.3 state", func(n *gpb.Notification) bool {
		pre, _ := fromProto(n.GetPrefix())
		for _, d := range n.GetDelete() {
			p, _ := fromProto(d)
			if pre.join(p).String() == NeighborPath("10.0.0.3", "state/session-state") {
				return true
			}
		}
		return false
	})
}

func TestGnmicSubscribeOnce(t *testing.T) {
	lt := startTarget(t, newDevice(t), false)
	tg := gnmicTarget(t, lt)
	req, err := api.NewSubscribeRequest(api.SubscriptionListModeONCE(), api.EncodingPROTO(),
		api.Subscription(api.Path("/interfaces/interface[name=eth1]/state/counters")),
		api.Subscription(api.Path(bgpPrefix+"/neighbors/neighbor/state/session-state")),
	)
	if err != nil {
		t.Fatal(err)
	}
	resps, err := tg.SubscribeOnce(testCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	var ns []*gpb.Notification
	for _, r := range resps {
		ns = append(ns, r.GetUpdate())
	}
	got := leafValues(t, ns...)
	if len(got) != 8+2 {
		t.Errorf("ONCE returned %d leaves, want 10: %v", len(got), got)
	}
	if got[eth1+"/state/counters/in-octets"] != uint64(123456789012) || got[NeighborPath("10.0.0.1", "state/session-state")] != "ESTABLISHED" {
		t.Errorf("ONCE values: %v", got)
	}
}

func TestGnmicSubscribePoll(t *testing.T) {
	dev := newDevice(t)
	lt := startTarget(t, dev, false)
	tg := gnmicTarget(t, lt)
	leaf := eth1 + "/state/counters/out-octets"
	s := subscribe(t, tg, "poll", api.SubscriptionListModePOLL(), api.EncodingJSON(),
		api.Subscription(api.Path(leaf)))
	if got := leafValues(t, s.untilSync()...)[leaf]; got != float64(98765432100) {
		t.Fatalf("first poll: %s = %v", leaf, got)
	}
	for i, v := range []uint64{98765432200, 98765433300} {
		if err := dev.Set(leaf, v); err != nil {
			t.Fatal(err)
		}
		if err := tg.SubscribePoll(testCtx(t), "poll"); err != nil {
			t.Fatalf("poll %d: %v", i, err)
		}
		if got := leafValues(t, s.untilSync()...)[leaf]; got != float64(v) {
			t.Errorf("poll %d: %s = %v, want %d", i, leaf, got, v)
		}
	}
}

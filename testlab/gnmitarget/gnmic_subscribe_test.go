package gnmitarget

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmic/pkg/api"
	"github.com/openconfig/gnmic/pkg/api/target"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
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

func TestGnmicSubscribeModes(t *testing.T) {
	dev := newDevice(t)
	lt := startTarget(t, dev, false)
	tg := gnmicTarget(t, lt)
	const eth2Oper = "/interfaces/interface[name=eth2]/state/oper-status"

	t.Run("target defined", func(t *testing.T) {
		s := subscribe(t, tg, "td", api.SubscriptionListModeSTREAM(), api.EncodingJSON_IETF(),
			api.Subscription(api.Path("/interfaces/interface[name=eth2]/state"), api.SubscriptionModeTARGET_DEFINED()))
		initial := leafValues(t, s.untilSync()...)
		if initial[eth2Oper] != "UP" || initial["/interfaces/interface[name=eth2]/state/counters/in-octets"] != "123456789013" {
			t.Fatalf("initial = %v", initial)
		}
		if err := dev.Set(eth2Oper, "LOWER_LAYER_DOWN"); err != nil {
			t.Fatal(err)
		}
		// Status streams on change; counters wait for their sample.
		n := s.until("oper-status change", func(n *gpb.Notification) bool { return leafValues(t, n)[eth2Oper] == "LOWER_LAYER_DOWN" })
		if got := leafValues(t, n); len(got) != 1 {
			t.Errorf("TARGET_DEFINED change sent %v, want only oper-status", got)
		}
	})

	t.Run("updates only", func(t *testing.T) {
		s := subscribe(t, tg, "uo", api.SubscriptionListModeSTREAM(), api.UpdatesOnly(true),
			api.Subscription(api.Path(eth2Oper), api.SubscriptionModeON_CHANGE()))
		if ns := s.untilSync(); len(ns) != 0 {
			t.Fatalf("updates_only sent %d notifications before sync", len(ns))
		}
		if err := dev.Set(eth2Oper, "UP"); err != nil {
			t.Fatal(err)
		}
		s.until("oper-status UP", func(n *gpb.Notification) bool { return leafValues(t, n)[eth2Oper] == "UP" })
	})

	t.Run("suppress redundant with heartbeat", func(t *testing.T) {
		octets := "/interfaces/interface[name=eth2]/state/counters/in-octets"
		errs := "/interfaces/interface[name=eth2]/state/counters/in-errors"
		s := subscribe(t, tg, "sr", api.SubscriptionListModeSTREAM(), api.EncodingPROTO(),
			api.Subscription(api.Path("/interfaces/interface[name=eth2]/state/counters"), api.SubscriptionModeSAMPLE(),
				api.SampleInterval(20*time.Millisecond), api.SuppressRedundant(true), api.HeartbeatInterval(1500*time.Millisecond)))
		if got := leafValues(t, s.untilSync()...); len(got) != 8 {
			t.Fatalf("initial = %v, want 8 counters", got)
		}
		if err := dev.Set(octets, uint64(123456789999)); err != nil {
			t.Fatal(err)
		}
		n := s.until("in-octets change", func(n *gpb.Notification) bool { return leafValues(t, n)[octets] == uint64(123456789999) })
		if got := leafValues(t, n); len(got) != 1 {
			t.Errorf("suppress_redundant sample = %v, want only the changed counter", got)
		}
		// Nothing changes now; the heartbeat still sends everything.
		n = s.until("heartbeat", func(n *gpb.Notification) bool { return len(n.GetUpdate()) == 8 })
		if got := leafValues(t, n); got[errs] != uint64(0) || got[octets] != uint64(123456789999) {
			t.Errorf("heartbeat = %v", got)
		}
	})
}

// TestShutdownEndsStreams checks that stopping the target ends open
// subscriptions with Unavailable and Serve returns.
func TestShutdownEndsStreams(t *testing.T) {
	lt := startTarget(t, newDevice(t), false)
	tg := gnmicTarget(t, lt)
	req, _ := api.NewSubscribeRequest(api.SubscriptionListModeSTREAM(),
		api.Subscription(api.Path("/interfaces"), api.SubscriptionModeON_CHANGE()))
	md := metadata.Pairs("username", testUser, "password", testPassword)
	stream, err := tg.Client.Subscribe(metadata.NewOutgoingContext(testCtx(t), md))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(req); err != nil {
		t.Fatal(err)
	}
	for {
		r, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if r.GetSyncResponse() {
			break
		}
	}
	lt.stop() // fails the test if Serve does not return
	if _, err := stream.Recv(); status.Code(err) != codes.Unavailable {
		t.Errorf("open stream after shutdown: %v, want Unavailable", err)
	}
}

// TestConcurrentSetsAndStreams runs Sets from several clients while an
// ON_CHANGE stream watches: every Set lands whole, and the stream ends on
// the final values.
func TestConcurrentSetsAndStreams(t *testing.T) {
	dev := newDevice(t)
	lt := startTarget(t, dev, false)
	watcher := gnmicTarget(t, lt)
	s := subscribe(t, watcher, "watch", api.SubscriptionListModeSTREAM(), api.EncodingJSON_IETF(),
		api.Subscription(api.Path("/interfaces/interface[name=*]/config"), api.SubscriptionModeON_CHANGE()))
	s.untilSync()

	const writers, sets = 3, 20
	errs := make(chan error, writers)
	for w := range writers {
		tg := gnmicTarget(t, lt)
		go func() {
			for i := range sets {
				// Each Set writes both interfaces; a torn Set would leave
				// them with different values.
				v := fmt.Sprintf(`"writer %d set %d"`, w, i)
				req, _ := api.NewSetRequest(
					api.Update(api.Path(eth1+"/config/description"), api.Value(v, "json_ietf")),
					api.Update(api.Path("/interfaces/interface[name=eth2]/config/description"), api.Value(v, "json_ietf")),
				)
				if _, err := tg.Set(context.Background(), req); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	d1, _ := dev.Value(eth1 + "/config/description")
	d2, _ := dev.Value("/interfaces/interface[name=eth2]/config/description")
	if d1 != d2 {
		t.Fatalf("interfaces disagree after concurrent Sets: %v vs %v", d1, d2)
	}
	if n := len(dev.Applied()); n != writers*sets {
		t.Errorf("device applied %d change sets, want %d", n, writers*sets)
	}
	s.until("the final description", func(n *gpb.Notification) bool {
		return leafValues(t, n)[eth1+"/config/description"] == d1
	})
}

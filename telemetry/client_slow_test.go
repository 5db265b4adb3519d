package telemetry

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
)

// slowTarget answers every Subscribe only after delay, as a target
// building a large initial snapshot on a loaded machine does.
type slowTarget struct {
	gnmi.UnimplementedGNMIServer
	delay time.Duration
	calls atomic.Int32
}

func (s *slowTarget) Subscribe(st gnmi.GNMI_SubscribeServer) error {
	s.calls.Add(1)
	if _, err := st.Recv(); err != nil {
		return err
	}
	select {
	case <-time.After(s.delay):
	case <-st.Context().Done():
		return st.Context().Err()
	}
	n := &gnmi.Notification{Timestamp: time.Now().UnixNano(), Update: []*gnmi.Update{{
		Path: &gnmi.Path{Elem: []*gnmi.PathElem{{Name: "interfaces"}, {Name: "interface", Key: map[string]string{"name": "eth1"}},
			{Name: "state"}, {Name: "oper-status"}}},
		Val: &gnmi.TypedValue{Value: &gnmi.TypedValue_StringVal{StringVal: "UP"}}}}}
	if err := st.Send(&gnmi.SubscribeResponse{Response: &gnmi.SubscribeResponse_Update{Update: n}}); err != nil {
		return err
	}
	<-st.Context().Done()
	return nil
}

// TestSlowFirstAnswer: a target whose first answer takes longer than the
// dial timeout is given twice as long on the next attempt, and so on,
// rather than being cut off and asked again forever.
func TestSlowFirstAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	slow := &slowTarget{delay: 1500 * time.Millisecond}
	gnmi.RegisterGNMIServer(srv, slow)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	target := Target{Name: "slow-r1", Address: ln.Addr().String(), Interfaces: []string{"eth1"}}
	target.Subscriptions = subscriptions(target, PlanOptions{}, DefaultHeartbeat)
	rec := newRecorder()
	_, _, _ = runCollector(t, Planned{Targets: []Target{target}}, CollectorOptions{Engine: rec,
		Dial: DialOptions{Insecure: true, Timeout: time.Second, MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}})
	waitFor(t, 20*time.Second, "the slow target's first answer", func() (bool, string) {
		u, ok := rec.leaf("slow-r1", ClassOper, "eth1", LeafOperStatus)
		return ok && u.Str == "UP", "none yet"
	})
	// 1 s cut off, then 2 s: the second attempt waits long enough (a
	// third may be needed on a starved machine; with a fixed 1 s wait no
	// attempt ever would).
	if c := slow.calls.Load(); c < 2 {
		t.Errorf("%d subscriptions: the first answer came within the 1 s timeout, the test proves nothing", c)
	} else {
		t.Logf("%d subscriptions before the first answer", c)
	}
}

package gnmitarget

import (
	"context"
	"sync"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmic/pkg/api"
)

// timedMem is a MemBackend that knows when its state was taken (a lab
// device computes its counters at one instant, then reads its BGP).
type timedMem struct {
	*MemBackend
	at time.Time
}

func (m timedMem) StateAt(ctx context.Context) ([]Leaf, time.Time, error) {
	l, err := m.State(ctx)
	return l, m.at, err
}

// tickingClock moves on a second at every reading, as a loaded machine's
// clock does between reading a device and sending what was read.
type tickingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tickingClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// TestTimestampIsReadTime: notifications carry the time their values were
// read, the same for every notification of one read, never the time each
// was sent. A collector divides counter deltas by timestamp deltas: a
// sample read at t and stamped later makes the link look faster than its
// counters allow (the noc saw links over 100 %).
func TestTimestampIsReadTime(t *testing.T) {
	counters := api.Subscription(api.Path("/interfaces/interface[name=eth1]/state/counters"), api.SubscriptionModeSAMPLE())
	t.Run("one stamp per read", func(t *testing.T) {
		clk := &tickingClock{t: time.Unix(1700000000, 0)}
		lt := startTarget(t, viewDevice(t), true, WithClock(clk.now), WithMaxUpdatesPerNotification(1))
		s := subscribe(t, gnmicTarget(t, lt), "stamps", api.SubscriptionListModeSTREAM(), api.EncodingPROTO(), counters)
		ns := s.untilSync()
		if len(ns) < 2 {
			t.Fatalf("initial sync: %d notifications, want one per counter", len(ns))
		}
		for _, n := range ns[1:] {
			if n.GetTimestamp() != ns[0].GetTimestamp() {
				t.Fatalf("one read, bundling off: timestamps %d and %d (stamped as sent, not as read)", ns[0].GetTimestamp(), n.GetTimestamp())
			}
		}
	})
	t.Run("the backend's time", func(t *testing.T) {
		at := time.Unix(1600000000, 123)
		b := timedMem{viewDevice(t), at}
		lt := startBackendAt(t, b, b.MemBackend, "127.0.0.1", "127.0.0.1", true)
		s := subscribe(t, gnmicTarget(t, lt), "timed", api.SubscriptionListModeSTREAM(), api.EncodingPROTO(), counters)
		for _, n := range s.untilSync() {
			if n.GetTimestamp() != at.UnixNano() {
				t.Fatalf("subscribe: timestamp %d, want the backend's read time %d", n.GetTimestamp(), at.UnixNano())
			}
		}
		resp, err := lt.srv.Get(context.Background(), &gpb.GetRequest{Encoding: gpb.Encoding_PROTO, Path: []*gpb.Path{{}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range resp.GetNotification() {
			if n.GetTimestamp() != at.UnixNano() {
				t.Fatalf("get: timestamp %d, want the backend's read time %d", n.GetTimestamp(), at.UnixNano())
			}
		}
	})
}

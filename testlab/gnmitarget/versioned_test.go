package gnmitarget

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmic/pkg/api"
)

// versionedMem is a MemBackend with a state version (VersionedBackend):
// set bumps it, signal wakes the server without it (counters moved), and
// reads counts the State calls.
type versionedMem struct {
	*MemBackend
	ver   atomic.Uint64
	reads atomic.Int64
}

func (v *versionedMem) State(ctx context.Context) ([]Leaf, error) {
	v.reads.Add(1)
	return v.MemBackend.State(ctx)
}

func (v *versionedMem) StateVersion() uint64 { return v.ver.Load() }

func (v *versionedMem) Volatile(path string) bool { return strings.Contains(path, "/counters/") }

func (v *versionedMem) set(t *testing.T, path string, value any) {
	t.Helper()
	v.ver.Add(1)
	if err := v.Set(path, value); err != nil { // notifies
		t.Fatal(err)
	}
}

// TestVersionedBackendSkipsUnchangedReads: a change signal that moves no
// version reads nothing for ON_CHANGE subscriptions of non-volatile
// leaves, and still reads for one of counters; a real change is streamed
// at once either way.
func TestVersionedBackendSkipsUnchangedReads(t *testing.T) {
	const oper = "/interfaces/interface[name=eth1]/state/oper-status"
	cases := []struct {
		name      string
		path      string
		wantReads bool // reads at signals that move no version
		// change is the leaf then changed (to value), whose update the
		// subscription must stream.
		change string
		value  any
	}{
		{"oper-status", oper, false, oper, "DOWN"},
		{"counters", "/interfaces/interface[name=eth1]/state/counters", true, "/interfaces/interface[name=eth1]/state/counters/in-errors", uint64(8)},
		{"whole interface", "/interfaces/interface[name=eth1]", true, oper, "DOWN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &versionedMem{MemBackend: viewDevice(t)}
			lt := startBackendAt(t, b, b.MemBackend, "127.0.0.1", "127.0.0.1", true)
			s := subscribe(t, gnmicTarget(t, lt), "versioned", api.SubscriptionListModeSTREAM(), api.EncodingPROTO(),
				api.Subscription(api.Path(c.path), api.SubscriptionModeON_CHANGE()))
			s.untilSync()
			before := b.reads.Load()
			for range 10 {
				b.Notify()
				time.Sleep(20 * time.Millisecond)
			}
			if c.wantReads { // the session may not have run yet on a loaded machine
				for deadline := time.Now().Add(5 * time.Second); b.reads.Load() == before && time.Now().Before(deadline); {
					time.Sleep(10 * time.Millisecond)
				}
			}
			if got := b.reads.Load() - before; (got > 0) != c.wantReads {
				t.Errorf("%d reads at 10 signals with no new version, want reads %v", got, c.wantReads)
			}
			b.set(t, c.change, c.value)
			leaf := c.change[strings.LastIndex(c.change, "/")+1:]
			s.until(leaf+" changed", func(n *gpb.Notification) bool {
				for _, u := range n.GetUpdate() {
					if strings.HasSuffix(pathString(u.GetPath()), leaf) &&
						(u.GetVal().GetStringVal() == c.value || u.GetVal().GetUintVal() == c.value) {
						return true
					}
				}
				return false
			})
		})
	}
}

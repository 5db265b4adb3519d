package gnmitarget

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openconfig/gnmic/pkg/api"
)

// appendMem is a MemBackend read through AppendBackend: every read moves
// eth1's in-octets on by one, and reused counts the reads that were given
// a slice with room (the session's, from its previous read).
type appendMem struct {
	*MemBackend
	n, reused atomic.Int64
}

func (a *appendMem) StateAt(ctx context.Context) ([]Leaf, time.Time, error) {
	return a.AppendStateAt(ctx, nil)
}

func (a *appendMem) AppendStateAt(ctx context.Context, dst []Leaf) ([]Leaf, time.Time, error) {
	if cap(dst) > 0 {
		a.reused.Add(1)
	}
	ls, err := a.MemBackend.State(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	n := uint64(a.n.Add(1))
	for i, l := range ls {
		if l.Path == "/interfaces/interface[name=eth1]/state/counters/in-octets" {
			ls[i].Value = n
		}
	}
	return append(dst[:0], ls...), time.Now(), nil
}

// TestAppendBackendReusedReads: a STREAM session reads through its own
// reused slices (state, matched leaves, wire bytes), and every sample
// still carries the read it came from: in-octets grows by the reads in
// between and never repeats or goes back, which a buffer overwritten
// under a response not yet sent would show.
func TestAppendBackendReusedReads(t *testing.T) {
	b := &appendMem{MemBackend: viewDevice(t)}
	lt := startBackendAt(t, b, b.MemBackend, "127.0.0.1", "127.0.0.1", true, WithMinSampleInterval(10*time.Millisecond))
	s := subscribe(t, gnmicTarget(t, lt), "append", api.SubscriptionListModeSTREAM(), api.EncodingPROTO(),
		api.Subscription(api.Path("/interfaces/interface[name=eth1]/state/counters"), api.SubscriptionModeSAMPLE(), api.SampleInterval(20*time.Millisecond)),
		api.Subscription(api.Path("/interfaces/interface[name=eth1]/state/oper-status"), api.SubscriptionModeON_CHANGE()))
	s.untilSync()
	var last uint64
	for i := 0; i < 20; {
		n := s.next().GetUpdate()
		for _, u := range n.GetUpdate() {
			if u.GetPath().GetElem()[len(u.GetPath().GetElem())-1].GetName() != "in-octets" {
				continue
			}
			v := u.GetVal().GetUintVal()
			if v <= last {
				t.Fatalf("sample %d: in-octets %d after %d", i, v, last)
			}
			last = v
			i++
		}
	}
	if b.reused.Load() < 10 {
		t.Errorf("%d of %d reads given a reused slice", b.reused.Load(), b.n.Load())
	}
}

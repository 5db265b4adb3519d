package gnmitarget

import (
	"slices"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmic/pkg/api"
)

func TestFirstDeadline(t *testing.T) {
	base := time.Unix(1_800_000_000, 0) // a multiple of 300 ms since the epoch
	ms := time.Millisecond
	for _, tc := range []struct {
		name    string
		aligned bool
		frac    float64
		period  time.Duration
		now     time.Time
		want    time.Time
	}{
		{"not aligned: a period from now", false, 0, time.Second, base.Add(123 * ms), base.Add(1123 * ms)},
		{"offset ahead in the second", true, 0.25, time.Second, base.Add(100 * ms), base.Add(250 * ms)},
		{"offset passed: next second", true, 0.25, time.Second, base.Add(300 * ms), base.Add(1250 * ms)},
		{"on the grid: the next point", true, 0.25, time.Second, base.Add(250 * ms), base.Add(1250 * ms)},
		{"offset scales with the period", true, 0.5, 10 * time.Second, base.Add(ms), base.Add(5 * time.Second)},
		{"offset zero", true, 0, time.Second, base.Add(999 * ms), base.Add(time.Second)},
		{"period not dividing a second", true, 0, 300 * time.Millisecond, base.Add(time.Second), base.Add(1200 * ms)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(&MemBackend{})
			if tc.aligned {
				WithSampleOffset(tc.frac)(s)
			}
			got := s.firstDeadline(tc.now, tc.period)
			if !got.Equal(tc.want) {
				t.Errorf("firstDeadline(base+%v, %v) = base+%v, want base+%v", tc.now.Sub(base), tc.period, got.Sub(base), tc.want.Sub(base))
			}
		})
	}
	s := New(&MemBackend{}, WithSampleOffset(1.5))
	if s.aligned {
		t.Error("an offset outside [0, 1) was taken")
	}
}

// TestSampleOffsetSharesReads: two collectors' SAMPLE streams of one
// device on an aligned grid are served by the same reads (each read here
// moves in-octets on by one, so a value both streams get came from one
// read) with the same timestamp, at the grid's offset; without the grid
// every read serves one stream.
func TestSampleOffsetSharesReads(t *testing.T) {
	const period = 200 * time.Millisecond
	const samples = 10
	for _, tc := range []struct {
		name    string
		opts    []Option
		aligned bool
	}{
		{"aligned", []Option{WithSampleOffset(0.5)}, true},
		{"not aligned", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &appendMem{MemBackend: viewDevice(t)}
			lt := startBackendAt(t, b, b.MemBackend, "127.0.0.1", "127.0.0.1", true, append(tc.opts, WithMinSampleInterval(10*time.Millisecond))...)
			var streams [2]*stream
			for i := range streams {
				streams[i] = subscribe(t, gnmicTarget(t, lt), "c"+string(rune('a'+i)), api.SubscriptionListModeSTREAM(), api.EncodingPROTO(),
					api.Subscription(api.Path("/interfaces/interface[name=eth1]/state/counters/in-octets"), api.SubscriptionModeSAMPLE(), api.SampleInterval(period)))
				streams[i].untilSync()
			}
			// Both streams at once, so that neither's buffer fills.
			got := [2]map[uint64]int64{{}, {}} // in-octets -> timestamp
			deadline := time.After(30 * time.Second)
			for len(got[0]) < samples || len(got[1]) < samples {
				select {
				case r := <-streams[0].resp:
					addSample(got[0], r.Response.GetUpdate())
				case r := <-streams[1].resp:
					addSample(got[1], r.Response.GetUpdate())
				case e := <-streams[0].errs:
					t.Fatalf("stream a: %v", e.Err)
				case e := <-streams[1].errs:
					t.Fatalf("stream b: %v", e.Err)
				case <-deadline:
					t.Fatalf("samples after 30s: %d and %d, want %d each", len(got[0]), len(got[1]), samples)
				}
			}
			var shared int
			var late []time.Duration
			for v, ts := range got[0] {
				if ts1, ok := got[1][v]; ok {
					shared++
					if ts1 != ts {
						t.Errorf("in-octets %d: timestamps %d and %d, want the one of its read", v, ts, ts1)
					}
				}
				// How far after its grid instant (.5 of the period) the read was.
				late = append(late, time.Duration((ts-int64(period/2))%int64(period)))
			}
			if tc.aligned {
				if shared < samples/2 {
					t.Errorf("%d of %d samples shared a read, want at least %d", shared, len(got[0]), samples/2)
				}
				slices.Sort(late)
				if med := late[len(late)/2]; med > period/2 {
					t.Errorf("median read %v after its grid instant, want under %v (lateness %v)", med, period/2, late)
				}
			} else if shared != 0 {
				t.Errorf("%d samples shared a read without a grid", shared)
			}
		})
	}
}

// addSample notes the in-octets and the timestamp of a sample.
func addSample(m map[uint64]int64, n *gpb.Notification) {
	for _, u := range n.GetUpdate() {
		if e := u.GetPath().GetElem(); len(e) > 0 && e[len(e)-1].GetName() == "in-octets" {
			m[u.GetVal().GetUintVal()] = n.GetTimestamp()
		}
	}
}

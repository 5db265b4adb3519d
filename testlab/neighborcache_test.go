package testlab

import (
	"testing"
	"time"
)

// TestNeighborCacheSentCounts checks that GoBGP's costly advertised counts
// are asked for at most every neighborSentAge, that the reads in between
// carry the last counts for established neighbors only, and that a
// reconcile (invalidate) asks again at once.
func TestNeighborCacheSentCounts(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	now := t0
	c := neighborCache{clock: func() time.Time { return now }}
	var asked []bool
	sent := uint64(7)
	read := func(advertised bool) (uint32, string, []NeighborState) {
		asked = append(asked, advertised)
		ns := []NeighborState{{Address: "10.0.0.1", State: "Established"}, {Address: "10.0.0.2", State: "Active"}}
		if advertised {
			ns[0].PfxSnt, ns[1].PfxSnt = sent, 0
		}
		return 65000, "192.0.2.1", ns
	}
	steps := []struct {
		at         time.Duration
		invalidate bool
		wantRead   bool // GoBGP asked at all
		wantAdv    bool // asked with advertised counts
		wantSent   uint64
	}{
		{at: 0, wantRead: true, wantAdv: true, wantSent: 7},
		{at: 100 * time.Millisecond, wantSent: 7},                         // kept
		{at: neighborCacheAge - time.Millisecond, wantSent: 7},            // still kept
		{at: neighborCacheAge, wantRead: true, wantSent: 7},               // state again, counts carried
		{at: 4 * neighborCacheAge, wantRead: true, wantSent: 7},           // still carried
		{at: neighborSentAge, wantRead: true, wantAdv: true, wantSent: 9}, // counts due
		{at: neighborSentAge + time.Second, invalidate: true, wantRead: true, wantAdv: true, wantSent: 9},
	}
	for i, st := range steps {
		if st.at == neighborSentAge {
			sent = 9
		}
		now = t0.Add(st.at)
		if st.invalidate {
			c.invalidate()
		}
		n := len(asked)
		_, _, ns := c.get(read)
		if got := len(asked) > n; got != st.wantRead {
			t.Fatalf("step %d (%v): GoBGP asked %v, want %v", i, st.at, got, st.wantRead)
		}
		if st.wantRead && asked[len(asked)-1] != st.wantAdv {
			t.Errorf("step %d (%v): advertised %v, want %v", i, st.at, asked[len(asked)-1], st.wantAdv)
		}
		if ns[0].PfxSnt != st.wantSent || ns[1].PfxSnt != 0 {
			t.Errorf("step %d (%v): PfxSnt %d/%d, want %d/0", i, st.at, ns[0].PfxSnt, ns[1].PfxSnt, st.wantSent)
		}
	}
}

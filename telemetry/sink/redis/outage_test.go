package redis

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab/redislab"
)

// streamer writes a batch every period: 10 devices × 48 interfaces of
// samples, one state change numbered in order, and an alarm raise or
// clear every fifth batch, until stopped. It records the largest sample
// buffer it saw.
type streamer struct {
	s       *Sink
	changes atomic.Int64
	alarms  atomic.Int64
	maxBuf  atomic.Int64
	maxCall atomic.Int64 // longest Write, ns
	stop    chan struct{}
	wg      sync.WaitGroup
}

func stream(s *Sink, period time.Duration) *streamer {
	st := &streamer{s: s, stop: make(chan struct{})}
	st.wg.Add(1)
	go func() {
		defer st.wg.Done()
		tick := time.NewTicker(period)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-st.stop:
				return
			case <-tick.C:
			}
			at := t0.Add(time.Duration(i) * time.Second)
			b := telemetry.Batch{Interfaces: ifaces(10, 48, at), Changes: []telemetry.StateChange{change("l1", i, at)}}
			if i%5 == 0 {
				state := telemetry.AlarmActive
				if i%10 == 5 {
					state = telemetry.AlarmCleared
				}
				b.Alarms = []telemetry.Alarm{alarm(fmt.Sprintf("a%d", i/10), state, at)}
				st.alarms.Add(1)
			}
			start := time.Now()
			_ = s.Write(context.Background(), b)
			if d := time.Since(start).Nanoseconds(); d > st.maxCall.Load() {
				st.maxCall.Store(d)
			}
			st.changes.Add(1)
			if n := s.Stats().BufferBytes; n > st.maxBuf.Load() {
				st.maxBuf.Store(n)
			}
		}
	}()
	return st
}

func (st *streamer) halt() { close(st.stop); st.wg.Wait() }

// TestRedisOutage stops Redis for 10 s in the middle of a stream: no
// state change and no alarm is lost, they land in order, the sample
// buffer stays within its budget and what it dropped is counted.
func TestRedisOutage(t *testing.T) {
	srv := redislab.StartPersistent(t)
	const budget = 1 << 20
	s, err := Open(srv.URL(), "", Options{BufferBytes: budget, WriteTimeout: 500 * time.Millisecond, NoInterfaceHistory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer c.Close()

	st := stream(s, 20*time.Millisecond)
	waitUntil(t, 10*time.Second, "first writes", func() (bool, string) {
		return s.Stats().Written > 1000, fmt.Sprint(s.Stats())
	})
	srv.Stop(t)
	down := time.Now()
	waitUntil(t, 5*time.Second, "sink sees Redis down", func() (bool, string) {
		return !s.Stats().Connected, fmt.Sprint(s.Stats())
	})
	for time.Since(down) < 10*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	queued := s.Stats().QueuedEvents
	srv.Start(t)
	time.Sleep(500 * time.Millisecond)
	st.halt()
	flush(t, s)

	stats := s.Stats()
	t.Logf("outage: %d events queued at restart, %d samples dropped, largest sample buffer %d B (budget %d), longest Write %v, %d write errors",
		queued, stats.DroppedSamples, st.maxBuf.Load(), budget, time.Duration(st.maxCall.Load()), stats.WriteErrors)
	if queued < 100 {
		t.Errorf("only %d events queued during a 10 s outage: the stream did not run through it", queued)
	}
	checkChanges(t, c, s.Keys(), int(st.changes.Load()))
	if n := c.XLen(context.Background(), s.Keys().AlarmLog()).Val(); n != st.alarms.Load() {
		t.Errorf("alarm log holds %d entries, want the %d written", n, st.alarms.Load())
	}
	if st.maxBuf.Load() > budget {
		t.Errorf("sample buffer reached %d B, over its %d B budget", st.maxBuf.Load(), budget)
	}
	if stats.DroppedSamples == 0 {
		t.Error("no sample dropped: the outage did not fill the budget, the test proves nothing")
	}
	if stats.QueuedEvents != 0 || stats.BufferBytes != 0 || !stats.Connected {
		t.Errorf("after the flush: %+v", stats)
	}
}

// TestSentinelFailover streams through a Sentinel group (a primary, a
// replica, three sentinels) while the primary is failed over twice, once
// on request (SENTINEL FAILOVER) and once killed and later restarted:
// every state change and alarm reaches the primary of the moment, once
// and in order. WaitReplicas 1 is what makes the kill lossless: a write
// the dead primary acknowledged but never replicated is sent again.
func TestSentinelFailover(t *testing.T) {
	g := redislab.StartSentinel(t, 1, 3)
	s, err := Open(g.URL(), "", Options{WriteTimeout: 500 * time.Millisecond, WaitReplicas: 1, NoInterfaceHistory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := stream(s, 20*time.Millisecond)
	waitUntil(t, 10*time.Second, "first writes", func() (bool, string) {
		return s.Stats().Written > 1000, fmt.Sprint(s.Stats())
	})

	g.Failover(t)
	before := s.Stats().Written
	waitUntil(t, 20*time.Second, "writes to the new primary", func() (bool, string) {
		return s.Stats().Written > before+1000, fmt.Sprint(s.Stats())
	})

	old, err := g.PrimaryAddr()
	if err != nil {
		t.Fatal(err)
	}
	killed := g.Primary(t)
	killed.Kill(t)
	now := g.WaitNewPrimary(t, old, 30*time.Second)
	// The new primary has no replica until the dead server is back:
	// until then WAIT 1 keeps the alarms and changes queued (and written).
	killed.Start(t)
	before = s.Stats().Written
	waitUntil(t, 20*time.Second, "writes after the kill", func() (bool, string) {
		return s.Stats().Written > before+1000, fmt.Sprint(s.Stats())
	})
	st.halt()
	flush(t, s)

	c := goredis.NewClient(&goredis.Options{Addr: now})
	defer c.Close()
	checkChanges(t, c, s.Keys(), int(st.changes.Load()))
	if n := c.XLen(context.Background(), s.Keys().AlarmLog()).Val(); n != st.alarms.Load() {
		t.Errorf("alarm log on %s holds %d entries, want the %d written", now, n, st.alarms.Load())
	}
	t.Logf("failover: %d changes, %d alarms, stats %+v", st.changes.Load(), st.alarms.Load(), s.Stats())
}

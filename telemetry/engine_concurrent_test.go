package telemetry

import (
	"sync"
	"testing"
	"time"
)

// Observe runs from one goroutine per target while Tick, ObserveTarget,
// Ingest and Ack run from others, as in the collector; run with -race.
func TestEngineConcurrent(t *testing.T) {
	n := manche(t)
	p := newPlant(n)
	e := newMancheEngine(t, testRules(), p)
	var rounds [][]Update
	for range 5 {
		rounds = append(rounds, p.updates())
	}
	byDev := map[string][][]Update{}
	for r, ups := range rounds {
		for _, u := range ups {
			d := byDev[u.Target]
			for len(d) <= r {
				d = append(d, nil)
			}
			d[r] = append(d[r], u)
			byDev[u.Target] = d
		}
	}
	var wg sync.WaitGroup
	for name, rs := range byDev {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, ups := range rs {
				e.Observe(ups)
				e.ObserveTarget(TargetHealth{Name: name, Connected: true})
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	now := p.now
	for ticking := true; ticking; {
		select {
		case <-done:
			ticking = false
		default:
		}
		now = now.Add(time.Second)
		b := e.Tick(now)
		for _, a := range b.Alarms {
			if _, err := e.Ack(a.ID, "noc", now); err != nil {
				t.Error(err)
			}
		}
		e.Ingest(Event{Source: "bgp", Rule: "bgp-session-down", ObjectKind: "peer", Object: "x", Active: ticking})
		_ = e.Links()
	}
	e.Tick(now.Add(time.Second))
	up := 0
	for _, l := range e.Links() {
		if l.Oper == "up" {
			up++
		}
	}
	if up < len(n.topo.Links)/2 {
		t.Errorf("%d links up after the rounds, want most", up)
	}
}

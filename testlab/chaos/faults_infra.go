package chaos

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tuyau-net/tuyau/telemetry/sink/redis"
)

// holderOf is the collector id in a lease value ("collector token").
func holderOf(v string) string {
	id, _, _ := strings.Cut(v, " ")
	return id
}

// leasesCovered holds when every target and the engine lease are held in
// Redis by a live collector, none by the one named dead.
func leasesCovered(r *runner, v view, dead string) (bool, string) {
	if v.err != nil {
		return false, v.err.Error()
	}
	for _, name := range append(r.s.TargetNames(), redis.EngineLease) {
		h := holderOf(v.holders[name])
		if _, live := v.claims[h]; !live || h == dead {
			return false, fmt.Sprintf("%s held by %q", name, v.holders[name])
		}
	}
	return true, ""
}

// spreadEven holds when the live collectors' target counts differ by at
// most one.
func spreadEven(r *runner, v view) (bool, string) {
	counts := map[string]int{}
	for id := range v.claims {
		counts[id] = 0
	}
	for _, name := range r.s.TargetNames() {
		counts[holderOf(v.holders[name])]++
	}
	lo, hi := len(r.s.TargetNames()), 0
	for id := range v.claims {
		lo, hi = min(lo, counts[id]), max(hi, counts[id])
	}
	return hi-lo <= 1, fmt.Sprintf("targets per collector %v", counts)
}

// allFresh holds when every target sent data after the restore.
func allFresh(r *runner, v view) (bool, string) {
	for _, name := range r.s.TargetNames() {
		if h, ok := v.targets[name]; !ok || !h.LastUpdate.After(r.restoredAt) {
			return false, fmt.Sprintf("%s: last update %s", name, h.LastUpdate.Format("15:04:05.000"))
		}
	}
	return true, ""
}

// injectCollectorKill crashes one collector of three: detected once its
// targets and (if it ran them) the alarms are held by the others;
// recovered once it is back with its share and every target streams.
func injectCollectorKill(_ context.Context, r *runner, f Fault) (outcome, error) {
	c, err := r.s.collector(f.Target)
	if err != nil {
		return outcome{}, err
	}
	o := outcome{leaseGrace: true,
		detect: func(v view) (bool, string) { return leasesCovered(r, v, f.Target) },
		recover: func(v view) (bool, string) {
			if _, live := v.claims[f.Target]; !live {
				return false, f.Target + " not running"
			}
			for _, cond := range []func(*runner, view) (bool, string){
				func(r *runner, v view) (bool, string) { return leasesCovered(r, v, "") }, spreadEven, allFresh} {
				if ok, why := cond(r, v); !ok {
					return false, why
				}
			}
			return true, ""
		}}
	r.s.crashCollector(c)
	return o, nil
}

func restoreCollector(_ context.Context, r *runner, f Fault) error {
	c, err := r.s.collector(f.Target)
	if err != nil {
		return err
	}
	return r.s.startCollector(c)
}

// injectRedisKill kills redis-server (SIGKILL; its append-only file
// keeps what was acknowledged): detected once every collector's sink
// reports the failed writes; recovered once Redis is back, every sink
// has drained what it buffered, every target streams and is held.
func injectRedisKill(_ context.Context, r *runner, _ Fault) (outcome, error) {
	o := outcome{redisDown: true, leaseGrace: true,
		detect: func(v view) (bool, string) {
			for id, st := range v.sinks {
				if st.Connected {
					return false, id + " still connected"
				}
			}
			return true, ""
		},
		recover: func(v view) (bool, string) {
			if v.err != nil {
				return false, v.err.Error()
			}
			ids := make([]string, 0, len(v.sinks))
			for id := range v.sinks {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			for _, id := range ids {
				if st := v.sinks[id]; !st.Connected || st.QueuedEvents > 0 {
					return false, fmt.Sprintf("%s: connected %t, %d events queued", id, st.Connected, st.QueuedEvents)
				}
			}
			if ok, why := leasesCovered(r, v, ""); !ok {
				return false, why
			}
			return allFresh(r, v)
		}}
	r.s.Redis.Kill(r.s.t)
	return o, nil
}

func restoreRedis(_ context.Context, r *runner, _ Fault) error {
	r.s.Redis.Start(r.s.t)
	return nil
}

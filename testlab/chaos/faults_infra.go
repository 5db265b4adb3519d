package chaos

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tuyau-net/tuyau/telemetry/sink/redis"
	"github.com/tuyau-net/tuyau/testlab/redislab"
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

// redisRecovered holds once Redis is back: the old primary is a
// replica again, every sink has drained what it buffered, every target
// streams and is held.
func redisRecovered(r *runner, old *redislab.Server) func(v view) (bool, string) {
	return func(v view) (bool, string) {
		if v.err != nil {
			return false, v.err.Error()
		}
		if info, err := old.Do("INFO", "replication"); err != nil || !strings.Contains(info, "role:slave") {
			return false, fmt.Sprintf("old primary %s not a replica yet (%v)", old.Addr(), err)
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
	}
}

// newPrimary holds once the sentinels name a primary other than old.
func newPrimary(r *runner, old *redislab.Server) func(v view) (bool, string) {
	return func(view) (bool, string) {
		now, err := r.s.Redis.PrimaryAddr()
		if err != nil || now == old.Addr() {
			return false, fmt.Sprintf("primary %s (%v)", now, err)
		}
		return true, "new primary " + now
	}
}

func (s *System) primary() (*redislab.Server, error) {
	addr, err := s.Redis.PrimaryAddr()
	if err != nil {
		return nil, err
	}
	for _, srv := range s.Redis.Servers {
		if srv.Addr() == addr {
			return srv, nil
		}
	}
	return nil, fmt.Errorf("primary %s is none of the servers", addr)
}

// injectRedisKill kills the primary redis-server (SIGKILL, as a crash;
// its append-only file keeps what it acknowledged): detected once the
// sentinels have promoted the replica; after the restore (the killed
// server started again) recovered once it is a replica of the new
// primary and the collectors write again with nothing left queued.
func injectRedisKill(_ context.Context, r *runner, _ Fault) (outcome, error) {
	old, err := r.s.primary()
	if err != nil {
		return outcome{}, err
	}
	r.killed = old
	o := outcome{redisDown: true, leaseGrace: true, detect: newPrimary(r, old), recover: redisRecovered(r, old)}
	old.Kill(r.s.t)
	return o, nil
}

func restoreRedis(_ context.Context, r *runner, _ Fault) error {
	if r.killed != nil {
		r.killed.Start(r.s.t)
		r.killed = nil
	}
	return nil
}

// injectFailover asks the sentinels for a failover (SENTINEL FAILOVER: a
// planned switch, nothing killed): detected once they name the new
// primary, recovered as a Redis restart is (the restore does nothing).
func injectFailover(_ context.Context, r *runner, _ Fault) (outcome, error) {
	old, err := r.s.primary()
	if err != nil {
		return outcome{}, err
	}
	o := outcome{redisDown: true, leaseGrace: true, detect: newPrimary(r, old), recover: redisRecovered(r, old)}
	for _, sn := range r.s.Redis.Sentinels {
		if _, err = sn.Do("SENTINEL", "FAILOVER", r.s.Redis.Master); err == nil {
			return o, nil
		}
	}
	return o, fmt.Errorf("SENTINEL FAILOVER %s: %w", r.s.Redis.Master, err)
}

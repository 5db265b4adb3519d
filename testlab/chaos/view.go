package chaos

import (
	"context"
	"fmt"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
)

// view is what the checker reads of the system at one poll, through the
// product's own surfaces: the alarms, target health and lease holders in
// Redis (what the NOC reads), and each live collector's claimed leases.
type view struct {
	at      time.Time
	err     error                             // Redis unreadable: the Redis parts are empty
	active  map[string]telemetry.Alarm        // active alarms by key (rule object)
	targets map[string]telemetry.TargetHealth // by target
	holders map[string]string                 // lease -> "collector token"
	claims  map[string]map[string]uint64      // live collector -> lease -> token
	sinks   map[string]telemetry.SinkStats    // live collector -> its Redis sink
}

// key names an alarm by what it is about, stable across raises.
func key(rule, object string) string { return rule + " " + object }

func alarmKey(a telemetry.Alarm) string { return key(a.Rule, a.Object) }

// relevant are the rules whose alarms a fault of this package predicts:
// the active set of these must be the healthy set again after every
// restore. The traffic rules and telemetry-gap (its own invariant) are
// left out.
var relevant = map[string]bool{"link-down": true, "rx-margin": true, "rx-drift": true,
	"target-unreachable": true, "duct": true, "cable": true, "site-loss": true}

var roots = map[string]bool{"duct": true, "cable": true, "site-loss": true}

func (s *System) read(ctx context.Context) view {
	v := view{at: time.Now(), active: map[string]telemetry.Alarm{}, targets: map[string]telemetry.TargetHealth{},
		claims: map[string]map[string]uint64{}, sinks: map[string]telemetry.SinkStats{}}
	for id, l := range s.live() {
		v.claims[id] = l.Owned() // before Redis: a claim implies its key
	}
	s.mu.Lock()
	for _, c := range s.collectors {
		if c.done != nil {
			v.sinks[c.id] = c.sink.Stats()
		}
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	holders, err := s.observer.Holders(ctx)
	if err != nil {
		v.err = fmt.Errorf("lease holders: %w", err)
		return v
	}
	v.holders = holders
	alarms, err := s.reader.Alarms(ctx)
	if err != nil {
		v.err = fmt.Errorf("alarms: %w", err)
		return v
	}
	for _, a := range alarms {
		if a.State == telemetry.AlarmActive {
			v.active[alarmKey(a)] = a
		}
	}
	ts, err := s.reader.Targets(ctx)
	if err != nil {
		v.err = fmt.Errorf("targets: %w", err)
		return v
	}
	for _, h := range ts {
		v.targets[h.Name] = h
	}
	return v
}

// relevantActive is the view's active alarms of the relevant rules.
func (v view) relevantActive() map[string]telemetry.Alarm {
	out := map[string]telemetry.Alarm{}
	for k, a := range v.active {
		if relevant[a.Rule] {
			out[k] = a
		}
	}
	return out
}

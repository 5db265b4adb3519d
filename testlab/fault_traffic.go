package testlab

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Traffic faults act on what a link carries rather than on its light:
// errors (a dirty connector, a failing optic, a duplex mismatch), and load
// (a flash crowd, a DDoS, a backup running at noon). They are seen only
// through the devices' counters, on every surface, like traffic on a real
// link; "restore" clears them.

// MaxLoadPercent bounds an injected load: beyond line rate the sender
// discards the excess, and 10 times line rate is already a storm.
const MaxLoadPercent = 1000

// resolveLinks names the links a traffic fault acts on: a cable (every
// link riding it), a link ID, or one end of a link as DEVICE:INTERFACE.
func (l *Lab) resolveLinks(what string) ([]string, error) {
	if l.cableExists(what) {
		ids := l.linksOn([]string{what})
		if len(ids) == 0 {
			return nil, fmt.Errorf("cable %s carries no routed link", what)
		}
		return ids, nil
	}
	for _, lk := range l.plan.Links {
		if lk.ID == what {
			return []string{lk.ID}, nil
		}
	}
	if dev, iface, ok := strings.Cut(what, ":"); ok {
		if lk, ok := l.plan.LinkAt(dev, iface); ok {
			return []string{lk.ID}, nil
		}
	}
	return nil, fmt.Errorf("%s is no cable, link or DEVICE:INTERFACE with a link: %w", what, ErrUnknown)
}

// InjectErrors makes every link on what (see resolveLinks) receive r.Errors
// packets per second in error and discard r.Discards on input, at both
// ends, while it is up: in-errors and in-discards count up. A zero rate
// clears the fault.
func (l *Lab) InjectErrors(ctx context.Context, what string, r ErrorRate) (FaultResult, error) {
	if r.Errors < 0 || r.Discards < 0 || r.Errors > 1e9 || r.Discards > 1e9 {
		return FaultResult{}, fmt.Errorf("errors on %s: rates %v/s and %v/s must be within 0..1e9", what, r.Errors, r.Discards)
	}
	ids, err := l.resolveLinks(what)
	if err != nil {
		return FaultResult{}, fmt.Errorf("errors on %s: %w", what, err)
	}
	l.mu.Lock()
	for _, id := range ids {
		if r == (ErrorRate{}) {
			delete(l.faults.Errors, id)
		} else {
			l.faults.Errors[id] = r
		}
	}
	l.mu.Unlock()
	return l.after(ctx, fmt.Sprintf("errors on %s: %g/s in error, %g/s discarded", what, r.Errors, r.Discards), ids), nil
}

// Load sets the offered load on every link on what (see resolveLinks), in
// percent of the link's speed, both directions, in place of its modelled
// load: octet counters then show that utilization. Above 100 % the link
// carries line rate and each sender counts the excess as out-discards.
func (l *Lab) Load(ctx context.Context, what string, percent float64) (FaultResult, error) {
	if percent < 0 || percent > MaxLoadPercent {
		return FaultResult{}, fmt.Errorf("load on %s: %g %% is outside 0..%d", what, percent, MaxLoadPercent)
	}
	ids, err := l.resolveLinks(what)
	if err != nil {
		return FaultResult{}, fmt.Errorf("load on %s: %w", what, err)
	}
	l.mu.Lock()
	for _, id := range ids {
		l.faults.Load[id] = percent
	}
	l.mu.Unlock()
	return l.after(ctx, fmt.Sprintf("load on %s: %g %%", what, percent), ids), nil
}

// clearTraffic drops the traffic faults of links; the caller holds l.mu.
func (l *Lab) clearTraffic(ids []string) {
	for _, id := range ids {
		delete(l.faults.Errors, id)
		delete(l.faults.Load, id)
	}
}

// TrafficFaults returns the error and load faults in force, by link.
func (l *Lab) TrafficFaults() (errs map[string]ErrorRate, load map[string]float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.faults.Errors), maps.Clone(l.faults.Load)
}

// trafficLinks lists the links with a traffic fault; the caller holds l.mu.
func (l *Lab) trafficLinks() []string {
	ids := slices.Collect(maps.Keys(l.faults.Errors))
	for id := range l.faults.Load {
		if _, ok := l.faults.Errors[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

package telemetry

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// LeaseHolder shares a network's targets among collectors (the Redis
// sink's Leases): each target is held by one collector at a time under a
// lease with a fencing token, and one collector holds EngineLease.
type LeaseHolder interface {
	// SetTargets replaces the targets to share (an inventory reload).
	SetTargets(targets []string)
	// Owned is the leases held now, lease -> fencing token.
	Owned() map[string]uint64
	// Changes is signalled when Owned changes.
	Changes() <-chan struct{}
	// Run keeps the leases until ctx ends (without releasing them).
	Run(ctx context.Context) error
}

// SharedState is what the collectors of a network wrote (the Redis
// sink's Reader): the engine lease holder reads the interfaces and health
// of the targets others hold, and on taking the engine over, the alarms
// and links the previous holder left.
type SharedState interface {
	Interfaces(ctx context.Context) ([]InterfaceState, error)
	Targets(ctx context.Context) ([]TargetHealth, error)
	Links(ctx context.Context) ([]LinkState, error)
	Alarms(ctx context.Context) ([]Alarm, error)
}

// sharedEngine is the engine a collector sharing its targets needs (*Engine).
// sharedSubset is a SharedState that reads only the devices and targets
// keep accepts (the Redis reader).
type sharedSubset interface {
	InterfacesOf(ctx context.Context, keep func(device string) bool) ([]InterfaceState, error)
	TargetsOf(ctx context.Context, keep func(target string) bool) ([]TargetHealth, error)
}

// sharedLinkDocs is a SharedState that can read the links without their
// ends' interface states (the Redis reader's LinkDocs): a restore needs
// only the baselines.
type sharedLinkDocs interface {
	LinkDocs(ctx context.Context) ([]LinkState, error)
}

type sharedEngine interface {
	SetStandby(on bool)
	Restore(alarms []Alarm)
	RestoreLinks(links []LinkState)
	ObserveShared(ifaces []InterfaceState, targets []TargetHealth)
}

// ownedTargets are the targets of ts this collector streams: all of them
// without leases, else those it holds a lease on.
func (c *Collector) ownedTargets(ts []Target) []Target {
	if c.o.Leases == nil {
		return ts
	}
	owned := c.o.Leases.Owned()
	out := make([]Target, 0, len(owned))
	for _, t := range ts {
		if _, ok := owned[t.Name]; ok {
			out = append(out, t)
		}
	}
	return out
}

func targetNames(ts []Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// restoreAtStart gives the engine the alarms and links a sink kept, for a
// collector that does not share its targets: a restart neither raises its
// active alarms again under a new raise time nor forgets them.
func (c *Collector) restoreAtStart(ctx context.Context) error {
	se, ok := c.currentEngine().(sharedEngine)
	if !ok || c.o.Shared == nil {
		return nil
	}
	alarms, links, err := c.readRestore(ctx)
	if err != nil {
		return err
	}
	se.Restore(alarms)
	se.RestoreLinks(links)
	c.log.Info("alarms restored", "active", countActive(alarms), "links", len(links))
	return nil
}

func (c *Collector) readRestore(ctx context.Context) ([]Alarm, []LinkState, error) {
	alarms, err := c.o.Shared.Alarms(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("restore alarms: %w", err)
	}
	read := c.o.Shared.Links
	if d, ok := c.o.Shared.(sharedLinkDocs); ok {
		read = d.LinkDocs
	}
	links, err := read(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("restore links: %w", err)
	}
	return alarms, links, nil
}

func countActive(as []Alarm) int {
	n := 0
	for _, a := range as {
		if a.State == AlarmActive {
			n++
		}
	}
	return n
}

// syncEngine follows the engine lease before a flush: on taking it, the
// engine leaves standby with the alarms and baselines the previous holder
// wrote; on losing it, back to standby. While held, the engine is fed
// what the other collectors published for their targets. flushMu held.
func (c *Collector) syncEngine(ctx context.Context, eng CollectorEngine, tokens map[string]uint64) {
	se, ok := eng.(sharedEngine)
	if !ok {
		return
	}
	_, hold := tokens[EngineLease]
	switch {
	case hold && !c.holding:
		alarms, links, err := c.readRestore(ctx)
		if err != nil {
			c.log.Warn("engine lease held but the alarms cannot be read; staying in standby", "err", err)
			return
		}
		se.SetStandby(false)
		se.Restore(alarms)
		se.RestoreLinks(links)
		c.holding = true
		c.log.Info("engine lease taken: running the alarms", "collector", c.o.Name, "restored_active", countActive(alarms))
	case !hold && c.holding:
		se.SetStandby(true)
		c.holding = false
		c.log.Info("engine lease lost: alarms in standby", "collector", c.o.Name)
	}
	if !c.holding || c.holdsAll(tokens) {
		// Holding every planned target, there is nobody else's data to
		// read: with one collector this read (both indexes and their
		// hashes) was two round trips to Redis every second for nothing
		// (a tenth of the profile of a lone collector of 50 devices
		// sampled every 60 s).
		return
	}
	var ifs []InterfaceState
	var hs []TargetHealth
	var err error
	if sub, ok := c.o.Shared.(sharedSubset); ok {
		// Only what the other collectors stream: a lone collector reads
		// nothing back.
		others := func(name string) bool { _, mine := tokens[name]; return !mine }
		if ifs, err = sub.InterfacesOf(ctx, others); err == nil {
			hs, err = sub.TargetsOf(ctx, others)
		}
	} else if ifs, err = c.o.Shared.Interfaces(ctx); err == nil {
		hs, err = c.o.Shared.Targets(ctx)
	}
	if err != nil {
		c.log.Warn("read the other collectors' interfaces and targets", "err", err)
		return
	}
	ifs = dropOwned(ifs, tokens, func(s InterfaceState) string { return s.Device })
	hs = dropOwned(hs, tokens, func(h TargetHealth) string { return h.Name })
	se.ObserveShared(ifs, hs)
}

// holdsAll reports whether tokens hold a lease on every planned target.
func (c *Collector) holdsAll(tokens map[string]uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.planned.Targets {
		if _, ok := tokens[t.Name]; !ok {
			return false
		}
	}
	return true
}

func dropOwned[T any](items []T, tokens map[string]uint64, key func(T) string) []T {
	out := items[:0]
	for _, it := range items {
		if _, mine := tokens[key(it)]; !mine {
			out = append(out, it)
		}
	}
	return out
}

// fence keeps of a batch what this collector may write with the leases
// it holds, and attaches their tokens: its own devices' interfaces,
// health and state changes; links, alarms and the other changes only as
// the engine lease holder. A sink that enforces fencing (Redis) refuses
// what a stale token still slips through.
func fence(b Batch, tokens map[string]uint64, holding bool) Batch {
	own := func(dev string) bool { _, ok := tokens[dev]; return ok }
	ifs := b.Interfaces[:0]
	for _, s := range b.Interfaces {
		if own(s.Device) {
			ifs = append(ifs, s)
		}
	}
	b.Interfaces = ifs
	ups := b.Updates[:0]
	for _, u := range b.Updates {
		if own(u.Target) {
			ups = append(ups, u)
		}
	}
	b.Updates = ups
	chs := b.Changes[:0]
	for _, ch := range b.Changes {
		if dev := ChangeDevice(ch); dev != "" && own(dev) || dev == "" && holding {
			chs = append(chs, ch)
		}
	}
	b.Changes = chs
	if !holding {
		b.Links, b.Alarms = nil, nil
	}
	b.Tokens = tokens
	return b
}

// ChangeDevice is the device (target) a state change is about, whose
// lease fences it: a target's, an interface's ("dev:ifc") or a BGP
// session's ("dev neighbor"); "" for links and the rest, which the engine
// lease fences.
func ChangeDevice(c StateChange) string {
	switch c.ObjectKind {
	case "target":
		return c.Object
	case "interface":
		dev, _, _ := strings.Cut(c.Object, ":")
		return dev
	case "session":
		dev, _, _ := strings.Cut(c.Object, " ")
		return dev
	}
	return ""
}

// ErrNotEngineHolder is returned by an acknowledgement given to a
// collector that does not run the alarms and has nowhere to pass it on.
var ErrNotEngineHolder = errors.New("this collector does not hold the engine lease")

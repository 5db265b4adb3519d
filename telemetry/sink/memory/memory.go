// Package memory is the collector's embedded sink: the latest state of
// every target, interface, link and alarm, a bounded history per link and
// a bounded log of state changes, all in memory. It is what "tuyau
// telemetry collect" serves over its HTTP API when nothing else is
// installed.
//
//	s := memory.New(memory.Options{})
//	col, _ := telemetry.NewCollector(plan, telemetry.CollectorOptions{Engine: eng, Sinks: []telemetry.Sink{s}})
//	links, _ := s.Links(ctx)
package memory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
)

// Options bound what the sink keeps.
type Options struct {
	// History is the number of points kept per link (360: an hour at 10 s).
	History int
	// Changes is the number of state changes kept (10,000).
	Changes int
	// Cleared is the number of cleared alarms kept, newest first (1,000);
	// active alarms are always kept.
	Cleared int
	// Now is the clock of acknowledgements (time.Now).
	Now func() time.Time
}

// ErrNotFound reports an unknown link or alarm.
var ErrNotFound = errors.New("not found")

// Sink keeps the latest of everything written to it.
type Sink struct {
	o       Options
	mu      sync.RWMutex
	targets []telemetry.TargetHealth
	links   map[string]*link
	ifaces  map[ifKey]telemetry.InterfaceState
	alarms  map[string]telemetry.Alarm
	changes ring[telemetry.StateChange]
	// since is when the changes kept are complete from: the sink's
	// creation, then the time of the newest change the ring dropped.
	since time.Time
}

type link struct {
	state telemetry.LinkState
	hist  ring[telemetry.LinkPoint]
}

// New returns an empty sink.
func New(o Options) *Sink {
	if o.History <= 0 {
		o.History = 360
	}
	if o.Changes <= 0 {
		o.Changes = 10000
	}
	if o.Cleared <= 0 {
		o.Cleared = 1000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Sink{o: o, links: map[string]*link{}, ifaces: map[ifKey]telemetry.InterfaceState{},
		alarms: map[string]telemetry.Alarm{}, changes: newRing[telemetry.StateChange](o.Changes), since: o.Now().UTC()}
}

// Write merges a batch: targets replace the previous list (a batch holds
// all of them), links, interfaces and alarms are upserted, changes logged.
func (s *Sink) Write(_ context.Context, b telemetry.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Targets != nil {
		s.targets = slices.Clone(b.Targets)
	}
	for _, l := range b.Links {
		e := s.links[l.ID]
		if e == nil {
			e = &link{hist: newRing[telemetry.LinkPoint](s.o.History)}
			s.links[l.ID] = e
		}
		e.state = l
		e.hist.add(point(l))
	}
	for _, i := range b.Interfaces {
		s.ifaces[ifKey{i.Device, i.Interface}] = i
	}
	for _, a := range b.Alarms {
		s.alarms[a.ID] = a
	}
	for _, c := range b.Changes {
		// The collector's heartbeats prove to a reader of Redis that it
		// was running; the memory is the running collector's own and
		// needs no proof, and they would push real changes out.
		if c.ObjectKind == telemetry.KindCollector && c.To == telemetry.MarkRunning {
			continue
		}
		if old, dropped := s.changes.add(c); dropped && old.Time.After(s.since) {
			s.since = old.Time
		}
	}
	if len(b.Alarms) > 0 {
		s.pruneCleared() // only new alarms can put it over its bound
	}
	return nil
}

// ifKey names an interface without building a string per sample.
type ifKey struct{ device, iface string }

func point(l telemetry.LinkState) telemetry.LinkPoint {
	p := telemetry.LinkPoint{Time: l.Updated, Oper: l.Oper, InBps: l.A.InBps, OutBps: l.A.OutBps, Utilization: l.Utilization}
	if l.HasRx {
		p.MeasuredRxDBm, p.MarginDB, p.DriftDB = l.MeasuredRxDBm, l.MarginDB, l.DriftDB
	}
	return p
}

// pruneCleared keeps the newest cleared alarms within the bound.
func (s *Sink) pruneCleared() {
	var cleared []telemetry.Alarm
	for _, a := range s.alarms {
		if a.State == telemetry.AlarmCleared {
			cleared = append(cleared, a)
		}
	}
	if len(cleared) <= s.o.Cleared {
		return
	}
	slices.SortFunc(cleared, func(a, b telemetry.Alarm) int { return b.Cleared.Compare(a.Cleared) })
	for _, a := range cleared[s.o.Cleared:] {
		delete(s.alarms, a.ID)
	}
}

// Close implements telemetry.Sink; the memory is the garbage collector's.
func (s *Sink) Close() error { return nil }

// Targets returns the targets' health, by name.
func (s *Sink) Targets(context.Context) ([]telemetry.TargetHealth, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := slices.Clone(s.targets)
	if out == nil {
		out = []telemetry.TargetHealth{}
	}
	slices.SortFunc(out, func(a, b telemetry.TargetHealth) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// Links returns every link's latest state, by id.
func (s *Sink) Links(context.Context) ([]telemetry.LinkState, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]telemetry.LinkState, 0, len(s.links))
	for _, l := range s.links {
		out = append(out, l.state)
	}
	slices.SortFunc(out, func(a, b telemetry.LinkState) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Link returns one link with its history, oldest point first.
func (s *Sink) Link(_ context.Context, id string) (telemetry.LinkDetail, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.links[id]
	if !ok {
		return telemetry.LinkDetail{}, fmt.Errorf("link %s: %w", id, ErrNotFound)
	}
	return telemetry.LinkDetail{LinkState: l.state, History: l.hist.all()}, nil
}

// Interfaces returns every interface's latest state, by device and name.
func (s *Sink) Interfaces(context.Context) ([]telemetry.InterfaceState, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]telemetry.InterfaceState, 0, len(s.ifaces))
	for _, i := range s.ifaces {
		out = append(out, i)
	}
	slices.SortFunc(out, func(a, b telemetry.InterfaceState) int {
		return cmp.Or(cmp.Compare(a.Device, b.Device), cmp.Compare(a.Interface, b.Interface))
	})
	return out, nil
}

// Alarms returns the alarms: active first, then by severity, newest first.
func (s *Sink) Alarms(context.Context) ([]telemetry.Alarm, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]telemetry.Alarm, 0, len(s.alarms))
	for _, a := range s.alarms {
		out = append(out, a)
	}
	SortAlarms(out)
	return out, nil
}

// SortAlarms orders alarms as a NOC reads them: active before cleared,
// critical first, newest first (raised, or cleared), then by id.
func SortAlarms(as []telemetry.Alarm) {
	slices.SortFunc(as, func(a, b telemetry.Alarm) int {
		active := func(x telemetry.Alarm) int {
			if x.State == telemetry.AlarmActive {
				return 0
			}
			return 1
		}
		// Active ones by when they were raised, cleared ones by when they cleared.
		when := func(x telemetry.Alarm) time.Time {
			if x.State == telemetry.AlarmActive {
				return x.Raised
			}
			return x.Cleared
		}
		return cmp.Or(cmp.Compare(active(a), active(b)), cmp.Compare(a.Severity.Rank(), b.Severity.Rank()),
			when(b).Compare(when(a)), cmp.Compare(a.ID, b.ID))
	})
}

// Changes returns the state changes kept, oldest first.
func (s *Sink) Changes(context.Context) ([]telemetry.StateChange, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changes.all(), nil
}

// History is the state-change history kept, in the order written, complete
// since the sink's creation or the newest change it dropped, with the
// links' current states.
func (s *Sink) History(context.Context) (telemetry.ChangeHistory, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := telemetry.ChangeHistory{Changes: s.changes.all(), Since: s.since, Until: s.o.Now().UTC(), Live: true,
		Links: make(map[string]string, len(s.links))}
	for id, l := range s.links {
		h.Links[id] = l.state.Oper
	}
	return h, nil
}

// ring is a bounded FIFO.
type ring[T any] struct {
	buf  []T
	next int
	full bool
}

func newRing[T any](n int) ring[T] { return ring[T]{buf: make([]T, 0, n)} }

// add appends v and returns the value it pushed out, if any.
func (r *ring[T]) add(v T) (old T, dropped bool) {
	if len(r.buf) < cap(r.buf) {
		r.buf = append(r.buf, v)
		return old, false
	}
	old, dropped = r.buf[r.next], true
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
	r.full = true
	return old, dropped
}

func (r *ring[T]) all() []T {
	out := make([]T, 0, len(r.buf))
	if !r.full {
		return append(out, r.buf...)
	}
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

// Ack marks an alarm acknowledged here. A running collector acknowledges
// through its engine (Collector.Ack), which then writes the alarm to
// every sink; this is for a sink read on its own.
func (s *Sink) Ack(_ context.Context, id, by string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.alarms[id]
	if !ok {
		return fmt.Errorf("alarm %s: %w", id, ErrNotFound)
	}
	a.Acked, a.AckedBy, a.AckedAt = true, by, s.o.Now()
	s.alarms[id] = a
	return nil
}

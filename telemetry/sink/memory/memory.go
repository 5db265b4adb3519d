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
	// opers and locs are the values the history points refer to by
	// index (few: "up", "down"; UTC, Local).
	opers []string
	locs  []*time.Location
}

type link struct {
	state telemetry.LinkState
	hist  ring[point]
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
	// By index: a LinkState is over a kilobyte, copied once into the
	// sink rather than once more into a loop variable.
	for i := range b.Links {
		l := &b.Links[i]
		e := s.links[l.ID]
		if e == nil {
			e = &link{hist: growingRing[point](s.o.History)}
			s.links[l.ID] = e
		}
		e.state = *l
		e.hist.add(s.point(l))
	}
	for i := range b.Interfaces {
		f := &b.Interfaces[i]
		s.ifaces[ifKey{f.Device, f.Interface}] = *f
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

// point is a telemetry.LinkPoint without pointers: its time as Unix
// seconds and nanoseconds with an index into locs, its oper an index into
// opers. A large network keeps millions of them (360 per link by
// default), and an array of pointer-free elements is one the garbage
// collector never scans; with LinkPoint's string and time.Location it
// scanned hundreds of MB at every cycle (bench/telemetry/run at 200 x 48:
// the rings were 60 % of the heap).
type point struct {
	sec                              int64
	nsec                             int32
	loc, oper                        uint16
	in, out, util, rx, margin, drift float64
}

// point encodes l's history point; Write holds s.mu.
func (s *Sink) point(l *telemetry.LinkState) point {
	p := point{sec: l.Updated.Unix(), nsec: int32(l.Updated.Nanosecond()),
		loc: index(&s.locs, l.Updated.Location()), oper: index(&s.opers, l.Oper),
		in: l.A.InBps, out: l.A.OutBps, util: l.Utilization}
	if l.HasRx {
		p.rx, p.margin, p.drift = l.MeasuredRxDBm, l.MarginDB, l.DriftDB
	}
	return p
}

func (s *Sink) linkPoint(p point) telemetry.LinkPoint {
	return telemetry.LinkPoint{Time: time.Unix(p.sec, int64(p.nsec)).In(s.locs[p.loc]), Oper: s.opers[p.oper],
		InBps: p.in, OutBps: p.out, Utilization: p.util, MeasuredRxDBm: p.rx, MarginDB: p.margin, DriftDB: p.drift}
}

// index is v's position in *table, appended when new. The tables stay
// small (a link's oper states, the timestamps' locations); past 65,535
// distinct values (never, in practice) the last one is reused.
func index[T comparable](table *[]T, v T) uint16 {
	for i, x := range *table {
		if x == v {
			return uint16(i)
		}
	}
	if len(*table) > 0xfffe {
		return uint16(len(*table) - 1)
	}
	*table = append(*table, v)
	return uint16(len(*table) - 1)
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

// BorrowsBatch says Write copies what it keeps (telemetry.BatchBorrower).
func (s *Sink) BorrowsBatch() {}

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
	pts := l.hist.all()
	h := make([]telemetry.LinkPoint, len(pts))
	for i, p := range pts {
		h[i] = s.linkPoint(p)
	}
	return telemetry.LinkDetail{LinkState: l.state, History: h}, nil
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

// ring is a bounded FIFO of at most n values.
type ring[T any] struct {
	buf  []T
	n    int
	next int
	full bool
}

func newRing[T any](n int) ring[T] { return ring[T]{buf: make([]T, 0, n), n: n} }

// growingRing is a ring whose buffer grows as values come, up to n: a
// link's history (360 points by default) takes memory as it fills, not
// all of it when the link is first seen.
func growingRing[T any](n int) ring[T] { return ring[T]{n: n} }

// add appends v and returns the value it pushed out, if any.
func (r *ring[T]) add(v T) (old T, dropped bool) {
	if len(r.buf) < r.n {
		if len(r.buf) == cap(r.buf) {
			r.buf = slices.Grow(r.buf, min(max(8, len(r.buf)), r.n-len(r.buf)))
		}
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

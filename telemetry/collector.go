package telemetry

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/topology"
)

// CollectorEngine is what the collector needs of the alarm engine
// (*Engine): it feeds updates and target health in from the sessions'
// goroutines, and takes a Batch of what changed at each flush. Observe
// must not keep ups: the session reuses the slice for its next message.
type CollectorEngine interface {
	Observe(ups []Update)
	ObserveTarget(h TargetHealth)
	Tick(now time.Time) Batch
	Ack(id, by string, now time.Time) (Alarm, error)
}

// counterEpochs is an engine told when a target's stream connects, before
// its first update (*Engine): counters that went back since are a reset.
type counterEpochs interface {
	NewCounterEpoch(target string)
}

// engineReloader is an engine that takes a new topology in place.
type engineReloader interface {
	Reload(topo *topology.Topology, budgets []topology.LinkBudget)
}

// rulesSetter is an engine that takes new alarm rules in place.
type rulesSetter interface {
	SetRules(r Rules) error
}

// Planned is what the collector derives from one inventory snapshot.
type Planned struct {
	Targets []Target
	Topo    *topology.Topology
	Budgets []topology.LinkBudget
	// Fingerprint identifies the snapshot: a reload that reads the same
	// inventory changes nothing.
	Fingerprint [32]byte
	// Rules are the alarm rules read with the inventory (the alarms:
	// section of tuyau.yaml); nil leaves the engine's rules as they are.
	Rules *Rules
}

// Plan builds the topology, its optical budgets and the targets of snap.
func Plan(snap *inventory.Snapshot, po PlanOptions, bo topology.BudgetOptions) (Planned, error) {
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		return Planned{}, fmt.Errorf("telemetry plan: %w", err)
	}
	budgets, err := topology.Budgets(topo, bo)
	if err != nil {
		return Planned{}, fmt.Errorf("telemetry plan: %w", err)
	}
	ts, err := PlanTargets(snap, topo, po)
	if err != nil {
		return Planned{}, err
	}
	raw, err := json.Marshal(snap)
	if err != nil {
		return Planned{}, fmt.Errorf("telemetry plan: %w", err)
	}
	return Planned{Targets: ts, Topo: topo, Budgets: budgets, Fingerprint: sha256.Sum256(raw)}, nil
}

// CollectorOptions configure a Collector.
type CollectorOptions struct {
	// Name is the collector's name in batches (host name by default in cmd).
	Name   string
	Engine CollectorEngine
	Sinks  []Sink
	Dial   DialOptions
	// Flush is how often the targets' health goes to the engine and the
	// sinks, and the time-driven rules are looked at (1 s).
	Flush time.Duration
	// Linger is how long the first update since the last flush waits for
	// others before what changed goes to the sinks (20 ms): data is written
	// within about Linger of its arrival rather than at the next Flush, and
	// a flush costs what changed, so a short linger costs little more than
	// a long one. One flush at a time: updates arriving during one wait for
	// the next. Negative: data waits for the next Flush.
	Linger time.Duration
	// Load re-reads the inventory: on Reload (SIGHUP) and every Poll
	// (30 s; negative: only on Reload). Nil: the targets never change.
	Load func(ctx context.Context) (Planned, error)
	Poll time.Duration
	// NewEngine rebuilds the engine on a reload when it cannot Reload in
	// place.
	NewEngine func(topo *topology.Topology, budgets []topology.LinkBudget) CollectorEngine
	Logger    *slog.Logger
	Now       func() time.Time
	// Leases, when set, share the targets with the network's other
	// collectors: only the targets held are streamed, every batch carries
	// the leases' fencing tokens, and the engine decides alarms only while
	// this collector holds EngineLease (Shared required).
	Leases LeaseHolder
	// Shared reads what the collectors wrote (Redis): the alarms and links
	// restored at start or on taking the engine over, and the other
	// collectors' targets for the engine holder. Also an Acker: an
	// acknowledgement given to a collector not running the alarms is
	// passed on through it to the one that is.
	Shared SharedState
	// MarkEvery is how often the collector running the alarms marks the
	// state-change history as watched (DefaultMarkEvery; negative: no
	// markers at all, see coverage.go).
	MarkEvery time.Duration
}

// Collector streams every target of a plan, feeds the engine and flushes
// to the sinks.
type Collector struct {
	o      CollectorOptions
	log    *slog.Logger
	now    func() time.Time
	creds  []grpc.DialOption // built once for every target
	reload chan struct{}
	data   chan struct{} // an update arrived since the last flush (capacity 1)

	mu       sync.Mutex // guards engine, sessions, planned
	engine   CollectorEngine
	sessions map[string]*running
	planned  Planned
	flushMu  sync.Mutex // one flush at a time (ticker, ack, final)
	holding  bool       // the engine runs the alarms (EngineLease held); flushMu
	marked   bool       // the started marker is written for this run of the alarms; flushMu
	lastBeat time.Time  // the last marker; flushMu
}

type running struct {
	t      Target
	h      *health
	cancel context.CancelFunc
	done   chan struct{}
}

// NewCollector prepares a collector for p's targets; Run starts it.
func NewCollector(p Planned, o CollectorOptions) (*Collector, error) {
	if o.Engine == nil {
		return nil, errors.New("collector: no engine")
	}
	if o.Flush <= 0 {
		o.Flush = time.Second
	}
	if o.Linger == 0 {
		o.Linger = 20 * time.Millisecond
	}
	if o.Poll == 0 {
		o.Poll = 30 * time.Second
	}
	if o.MarkEvery == 0 {
		o.MarkEvery = DefaultMarkEvery
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Leases != nil {
		if o.Shared == nil {
			return nil, errors.New("collector: leases without shared state to read the others' targets from")
		}
		se, ok := o.Engine.(sharedEngine)
		if !ok {
			return nil, errors.New("collector: leases need an engine that can stand by (*Engine)")
		}
		se.SetStandby(true) // until the engine lease is held and the alarms restored
		o.Leases.SetTargets(targetNames(p.Targets))
	}
	o.Dial = o.Dial.withDefaults()
	creds, err := o.Dial.transport()
	if err != nil {
		return nil, err
	}
	return &Collector{o: o, log: o.Logger, now: o.Now, creds: creds, reload: make(chan struct{}, 1),
		data: make(chan struct{}, 1), engine: o.Engine, sessions: map[string]*running{}, planned: p}, nil
}

// Reload asks the running collector to re-read the inventory now.
func (c *Collector) Reload() {
	select {
	case c.reload <- struct{}{}:
	default:
	}
}

// Run streams until ctx is done, then stops every session and makes a
// final flush. The sinks are the caller's to close.
func (c *Collector) Run(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var leaseChanges <-chan struct{}
	if c.o.Leases != nil {
		leaseChanges = c.o.Leases.Changes()
		leasesDone := make(chan struct{})
		go func() {
			defer close(leasesDone)
			_ = c.o.Leases.Run(runCtx)
		}()
		defer func() { cancel(); <-leasesDone }()
	} else if err := c.restoreAtStart(runCtx); err != nil {
		// Without the sink's alarms the engine starts empty: it raises
		// again what is still wrong, under new raise times.
		c.log.Warn("alarms not restored", "err", err)
	}
	c.setTargets(runCtx, c.ownedTargets(c.planned.Targets))
	flush := time.NewTicker(c.o.Flush)
	defer flush.Stop()
	// The linger timer runs from the first update after a flush.
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	defer linger.Stop()
	var lingerC <-chan time.Time
	data := c.data
	if c.o.Linger < 0 {
		data = nil
	}
	var poll <-chan time.Time
	if c.o.Load != nil && c.o.Poll > 0 {
		t := time.NewTicker(c.o.Poll)
		defer t.Stop()
		poll = t.C
	}
	for {
		select {
		case <-ctx.Done():
			c.stopAll()
			fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			err := c.flushFinal(fctx, true)
			fcancel()
			return err
		case <-flush.C:
			if err := c.flush(runCtx); err != nil {
				c.log.Warn("flush", "err", err)
			}
		case <-data:
			if lingerC == nil {
				linger.Reset(c.o.Linger)
				lingerC = linger.C
			}
		case <-lingerC:
			lingerC = nil
			if err := c.flushData(runCtx); err != nil {
				c.log.Warn("flush", "err", err)
			}
		case <-leaseChanges:
			c.mu.Lock()
			ts := c.planned.Targets
			c.mu.Unlock()
			added, removed, _ := c.setTargets(runCtx, c.ownedTargets(ts))
			if added+removed > 0 {
				c.log.Info("leases changed", "collector", c.o.Name, "started", added, "stopped", removed)
			}
		case <-poll:
			c.doReload(runCtx, false)
		case <-c.reload:
			c.doReload(runCtx, true)
		}
	}
}

// doReload re-reads the inventory and applies what changed: targets
// added, removed or resubscribed, the engine given the new topology.
func (c *Collector) doReload(ctx context.Context, asked bool) {
	if c.o.Load == nil {
		return
	}
	p, err := c.o.Load(ctx)
	if err != nil {
		c.log.Error("inventory reload failed; keeping the running plan", "err", err)
		return
	}
	c.mu.Lock()
	same := p.Fingerprint == c.planned.Fingerprint
	sameRules := p.Rules == nil || c.planned.Rules != nil && reflect.DeepEqual(*p.Rules, *c.planned.Rules)
	if !sameRules {
		if rs, ok := c.engine.(rulesSetter); ok {
			if err := rs.SetRules(*p.Rules); err != nil {
				c.log.Error("alarm rules reload refused; keeping the running rules", "err", err)
				p.Rules = c.planned.Rules
			} else {
				c.log.Info("alarm rules reloaded")
			}
		}
		c.planned.Rules = p.Rules
	}
	c.mu.Unlock()
	if same {
		if asked && sameRules {
			c.log.Info("inventory reload: unchanged")
		}
		return
	}
	c.applyPlan(ctx, p)
}

// applyPlan gives the engine the new topology and matches the sessions to
// the new targets.
func (c *Collector) applyPlan(ctx context.Context, p Planned) {
	c.mu.Lock()
	c.planned = p
	if r, ok := c.engine.(engineReloader); ok {
		r.Reload(p.Topo, p.Budgets)
	} else if c.o.NewEngine != nil {
		c.engine = c.o.NewEngine(p.Topo, p.Budgets)
	}
	c.mu.Unlock()
	if c.o.Leases != nil {
		c.o.Leases.SetTargets(targetNames(p.Targets))
	}
	added, removed, changed := c.setTargets(ctx, c.ownedTargets(p.Targets))
	c.log.Info("inventory reloaded", "targets", len(p.Targets), "added", added, "removed", removed, "resubscribed", changed)
}

// setTargets starts, stops and restarts sessions to match ts.
func (c *Collector) setTargets(ctx context.Context, ts []Target) (added, removed, changed int) {
	want := map[string]Target{}
	for _, t := range ts {
		want[t.Name] = t
	}
	c.mu.Lock()
	var stop []*running
	for name, r := range c.sessions {
		t, ok := want[name]
		switch {
		case !ok:
			removed++
		case !sameTarget(r.t, t):
			changed++
		default:
			continue
		}
		stop = append(stop, r)
		delete(c.sessions, name)
	}
	c.mu.Unlock()
	for _, r := range stop {
		r.cancel()
		<-r.done
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range ts {
		if _, ok := c.sessions[t.Name]; ok {
			continue
		}
		if !slices.ContainsFunc(stop, func(r *running) bool { return r.t.Name == t.Name }) {
			added++
		}
		c.start(ctx, t)
	}
	return added, removed, changed
}

func (c *Collector) start(ctx context.Context, t Target) {
	sctx, cancel := context.WithCancel(ctx)
	r := &running{t: t, h: newHealth(t, c.now()), cancel: cancel, done: make(chan struct{})}
	s := &session{t: t, o: c.o.Dial, creds: c.creds, h: r.h, log: c.log, now: c.now,
		connected: func() {
			if ce, ok := c.currentEngine().(counterEpochs); ok {
				ce.NewCounterEpoch(t.Name)
			}
		},
		deliver: func(ups []Update) {
			c.currentEngine().Observe(ups)
			select {
			case c.data <- struct{}{}:
			default:
			}
		}}
	c.sessions[t.Name] = r
	go func() {
		defer close(r.done)
		s.run(sctx)
	}()
}

func (c *Collector) currentEngine() CollectorEngine {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.engine
}

func (c *Collector) stopAll() {
	c.mu.Lock()
	rs := make([]*running, 0, len(c.sessions))
	for _, r := range c.sessions {
		rs = append(rs, r)
	}
	c.mu.Unlock()
	for _, r := range rs {
		r.cancel()
	}
	for _, r := range rs {
		<-r.done
	}
}

// Targets returns every target's health, by name.
func (c *Collector) Targets() []TargetHealth {
	now := c.now()
	c.mu.Lock()
	rs := make([]*running, 0, len(c.sessions))
	for _, r := range c.sessions {
		rs = append(rs, r)
	}
	c.mu.Unlock()
	out := make([]TargetHealth, 0, len(rs))
	for _, r := range rs {
		h := r.h.snapshot(now)
		h.Collector = c.o.Name
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b TargetHealth) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

// flush hands the engine the targets' health, takes its batch and
// writes it to every sink.
func (c *Collector) flush(ctx context.Context) error { return c.flushFinal(ctx, false) }

// flushFinal is flush; final marks the last one, at stop.
func (c *Collector) flushFinal(ctx context.Context, final bool) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	eng := c.currentEngine()
	var tokens map[string]uint64
	hs := c.Targets()
	if c.o.Leases != nil {
		if tokens = c.o.Leases.Owned(); tokens == nil {
			tokens = map[string]uint64{} // fenced even when nothing is held
		}
		c.syncEngine(ctx, eng, tokens)
		// A session of a lease just lost runs until the change is handled.
		kept := hs[:0]
		for _, h := range hs {
			if _, ok := tokens[h.Name]; ok {
				kept = append(kept, h)
			}
		}
		hs = kept
	}
	for _, h := range hs {
		eng.ObserveTarget(h)
	}
	now := c.now()
	b := eng.Tick(now)
	c.marker(&b, now, final)
	if tokens != nil {
		b = fence(b, tokens, c.holding)
	}
	b.Targets = hs
	b.Collector = c.o.Name
	return c.write(ctx, b)
}

// flushData writes what changed since the last flush, without the
// targets' health (the Flush period's): the latency-bound path, run about
// Linger after an update arrived. An empty batch is not written.
func (c *Collector) flushData(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	b := c.currentEngine().Tick(c.now())
	if c.o.Leases != nil {
		tokens := c.o.Leases.Owned()
		if tokens == nil {
			tokens = map[string]uint64{}
		}
		b = fence(b, tokens, c.holding)
	}
	if len(b.Interfaces)+len(b.Links)+len(b.Changes)+len(b.Alarms)+len(b.Updates) == 0 {
		return nil
	}
	b.Collector = c.o.Name
	return c.write(ctx, b)
}

func (c *Collector) write(ctx context.Context, b Batch) error {
	var errs []error
	borrowed := true
	for _, s := range c.o.Sinks {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := s.Write(wctx, b); err != nil {
			errs = append(errs, err)
		}
		cancel()
		_, ok := s.(BatchBorrower)
		borrowed = borrowed && ok
	}
	if r, ok := c.currentEngine().(batchRecycler); ok && borrowed {
		r.Recycle(b)
	}
	return errors.Join(errs...)
}

// batchRecycler is an engine that takes a written batch's arrays back
// for its next Tick (*Engine).
type batchRecycler interface {
	Recycle(b Batch)
}

// Ack acknowledges an alarm in the engine and writes the acknowledged
// alarm to the sinks at once, so readers see it before the next flush.
// A collector sharing its targets that does not run the alarms passes
// the acknowledgement on through Shared (Redis), where the holder of the
// engine lease picks it up (AckShared).
func (c *Collector) Ack(ctx context.Context, id, by string) error {
	c.flushMu.Lock()
	holding := c.holding
	c.flushMu.Unlock()
	if c.o.Leases != nil && !holding {
		if ak, ok := c.o.Shared.(Acker); ok {
			return ak.Ack(ctx, id, by)
		}
		return fmt.Errorf("acknowledge alarm %s: %w", id, ErrNotEngineHolder)
	}
	return c.applyAck(ctx, id, by)
}

// AckShared applies an acknowledgement given through the shared state
// (the Redis ack stream): the engine lease holder takes it, the others
// ignore it (it is already recorded there).
func (c *Collector) AckShared(ctx context.Context, id, by string) error {
	c.flushMu.Lock()
	holding := c.holding
	c.flushMu.Unlock()
	if c.o.Leases != nil && !holding {
		return nil
	}
	return c.applyAck(ctx, id, by)
}

func (c *Collector) applyAck(ctx context.Context, id, by string) error {
	a, err := c.currentEngine().Ack(id, by, c.now())
	if err != nil {
		return err
	}
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	b := Batch{Alarms: []Alarm{a}, Collector: c.o.Name}
	if c.o.Leases != nil {
		b = fence(b, c.o.Leases.Owned(), c.holding)
	}
	return c.write(ctx, b)
}

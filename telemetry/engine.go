package telemetry

import (
	"cmp"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tuyau-net/tuyau/topology"
)

// EngineOptions configure an Engine; the zero value works.
type EngineOptions struct {
	// Rules are the alarm rules; zero rules take DefaultRules.
	Rules Rules
	// Clock gives the time for what has no device timestamp (events
	// without one, target health); time.Now when nil.
	Clock func() time.Time
	// Logger receives what the engine drops or cannot place; discarded when nil.
	Logger *slog.Logger
	// Analysis is topology's failure analysis of the topology given,
	// built when nil (it is linear in the network's size).
	Analysis *topology.Analysis
}

// Engine turns updates into interface and link state, raises and clears
// alarms with hysteresis, and correlates link-down alarms to the fiber
// plant. Observe is safe for concurrent use from one goroutine per target
// and takes only the lock of the target's device; everything else (Tick,
// ObserveTarget, Ingest, Ack, Reload) serialises on the engine's lock.
type Engine struct {
	clock func() time.Time
	log   *slog.Logger

	// devMu guards devices and devList; each device has its own lock for
	// what Observe writes.
	devMu   sync.RWMutex
	devices map[string]*engDevice
	devList []*engDevice
	ignored atomic.Uint64 // updates of classes or leaves the engine does not use

	// dirtyMu guards dirtyDevs: the devices with something new since the
	// last Tick, so that a Tick costs what changed, not the inventory (a
	// collector flushing every few milliseconds ticks often). Taken under
	// a device's lock, never the other way round.
	dirtyMu   sync.Mutex
	dirtyDevs []*engDevice
	spareDevs []*engDevice

	mu        sync.Mutex
	rules     Rules
	topo      *topology.Topology
	budgets   []topology.LinkBudget
	links     []*engLink
	linkByID  map[string]*engLink
	devSite   map[string]string
	targets   map[string]*engTarget
	tgtList   []*engTarget
	events    map[string]*eventCond
	alarms    *alarmBook
	corr      *rootCorrelator
	changes   []StateChange
	linkChg   []StateChange // link transitions waiting for the correlation to name their cause
	downMoved time.Time     // last raise or clear of a link-down alarm
	tgtMoved  time.Time     // last raise or clear of a target-unreachable or telemetry-gap alarm
	standby   bool          // another collector decides the alarms (SetStandby)
	syncLinks bool          // out of standby: record every link's state at the next Tick

	// sampled are the links with an end changed since the last Tick (each
	// with sample set); watch those with a condition on its way to a raise
	// or a clear, which time alone can decide (raise_after, clear_after);
	// decideAll asks the next Tick to look at every link (rules or topology
	// changed). tickN stamps the links a Tick has decided.
	sampled, spareLinks []*engLink
	// linkStates and ifaceStates are a written batch's arrays given back
	// (Recycle) for the next Tick's Links and Interfaces.
	linkStates        []LinkState
	ifaceStates       []InterfaceState
	watch, spareWatch []*engLink
	watching          []*engLink // this Tick's pending links: the next watch
	decideAll         bool
	tickN             uint64
}

// engDevice is one target's raw state.
type engDevice struct {
	mu        sync.Mutex
	name      string
	ifaces    map[string]*engIface
	ifList    []*engIface
	last      *engIface // the interface of the previous update
	sessions  map[string]*bgpSession
	sessList  []*bgpSession
	epoch     uint32 // bumped when the target reconnects: counters may have reset
	conn      int8   // connUnknown, connUp, connDown
	connDirty bool
	queued    bool // in the engine's dirtyDevs
}

const (
	connUnknown int8 = iota
	connUp
	connDown
)

// bgpSession is a BGP neighbor's session state as the device reports it.
type bgpSession struct {
	neighbor string
	state    string
	ts       int64
	pub      string // last published, for transitions
	dirty    bool
}

// NewEngine builds an engine over a topology and its budgets (in link
// order, as topology.Budgets returns them; nil for none).
func NewEngine(topo *topology.Topology, budgets []topology.LinkBudget, o EngineOptions) *Engine {
	e := &Engine{clock: o.Clock, log: o.Logger, devices: map[string]*engDevice{}, targets: map[string]*engTarget{},
		events: map[string]*eventCond{}, alarms: newAlarmTable()}
	if e.clock == nil {
		e.clock = time.Now
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.rules = o.Rules
	if reflect.ValueOf(o.Rules).IsZero() {
		e.rules = DefaultRules()
	}
	e.rules = e.rules.withDefaults()
	if err := e.rules.Validate(); err != nil {
		e.log.Warn("telemetry: alarm rules invalid, using the defaults", "err", err)
		e.rules = DefaultRules()
	}
	e.mu.Lock()
	e.build(topo, budgets, o.Analysis)
	e.mu.Unlock()
	return e
}

// Rules returns the rules in force.
func (e *Engine) Rules() Rules {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rules
}

// SetRules replaces the rules (tuyau.yaml changed and was re-read):
// thresholds and hysteresis apply from the next samples, active alarms
// stay and clear through the new rules, those of a rule now disabled
// clear at the next Tick. Invalid rules are refused and the old ones kept.
func (e *Engine) SetRules(r Rules) error {
	r = r.withDefaults()
	if err := r.Validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rules = r
	// The links' speed bounds and per-end optical plans (loss profile)
	// derive from the rules.
	e.build(e.topo, e.budgets, nil)
	return nil
}

// Ignored counts the updates the engine had no use for (leaves it does not
// rate, unknown classes).
func (e *Engine) Ignored() uint64 { return e.ignored.Load() }

// build (re)makes the links and the correlation from a topology, keeping
// the state of links, devices and interfaces that still exist. e.mu held.
func (e *Engine) build(topo *topology.Topology, budgets []topology.LinkBudget, an *topology.Analysis) {
	if topo == nil {
		topo = &topology.Topology{}
	}
	prof, err := topology.LookupLossProfile(e.rules.Optics.LossProfile)
	if err != nil {
		e.log.Warn("telemetry: optics loss profile", "err", err)
		prof, _ = topology.LookupLossProfile("")
	}
	budgetOf := make(map[string]topology.LinkBudget, len(budgets))
	for _, b := range budgets {
		budgetOf[b.Link] = b
	}
	old := e.linkByID
	e.topo, e.budgets = topo, budgets
	e.links = make([]*engLink, 0, len(topo.Links))
	e.linkByID = make(map[string]*engLink, len(topo.Links))
	e.devSite = map[string]string{}
	for _, l := range e.sampled {
		l.sample = false
	}
	e.sampled = e.sampled[:0]
	e.decideAll = true
	e.devMu.Lock()
	for _, tl := range topo.Links {
		l := old[tl.ID]
		if l == nil {
			l = &engLink{}
		}
		l.t, l.gone = tl, false
		l.n = 2
		if tl.External {
			l.n = 1
		}
		ps := endPlans(topo, tl, budgetOf[tl.ID], prof)
		for i, endStr := range [2]string{tl.A, tl.B} {
			if i >= l.n {
				l.ends[i] = engLinkEnd{}
				continue
			}
			dev, ifName, _ := strings.Cut(endStr, ":")
			site := tl.ASite
			if i == 1 {
				site = tl.BSite
			}
			e.devSite[dev] = site
			end := &l.ends[i]
			if end.device != dev || end.name != ifName {
				*end = engLinkEnd{}
			}
			end.device, end.name, end.site, end.plan = dev, ifName, site, ps[i]
			d := e.deviceLocked(dev)
			d.mu.Lock()
			f := d.ifaceLocked(ifName)
			f.link = l
			f.maxBps = e.maxBps(tl)
			f.dirty = true
			e.queueLocked(d)
			d.mu.Unlock()
			end.dev, end.ifc = d, f
		}
		l.idx = len(e.links)
		e.sampleLink(l)
		l.evaluate(&e.rules.Optics) // Links lists every link from the start, "unknown" until data comes
		e.links = append(e.links, l)
		e.linkByID[tl.ID] = l
	}
	e.devMu.Unlock()
	now := e.clock()
	for id, l := range old {
		if _, ok := e.linkByID[id]; ok {
			continue
		}
		l.gone = true
		for _, end := range l.ends {
			if end.dev != nil {
				end.dev.mu.Lock()
				if end.ifc.link == l {
					end.ifc.link = nil
				}
				end.dev.mu.Unlock()
			}
		}
		for i := range l.cond {
			if l.ids[i] != "" {
				e.alarms.clear(l.ids[i], now, "link "+id+" is no longer in the inventory")
			}
		}
	}
	for _, t := range e.targets {
		t.site = e.devSite[t.h.Name]
	}
	if an == nil || an.Topology() != topo {
		an = topology.Analyze(topo)
	}
	e.corr = newCorrelator(an, e.linkByID, e.devSite, e.corr)
}

func (e *Engine) maxBps(l topology.Link) float64 {
	mbps := int64(l.Speed)
	if mbps <= 0 {
		mbps = e.rules.Counters.DefaultSpeedMbps
	}
	return float64(mbps) * 1e6 * e.rules.Counters.Tolerance
}

// deviceLocked returns the device, creating it. devMu held for writing.
func (e *Engine) deviceLocked(name string) *engDevice {
	d := e.devices[name]
	if d == nil {
		d = &engDevice{name: name, ifaces: map[string]*engIface{}, sessions: map[string]*bgpSession{}}
		e.devices[name] = d
		i, _ := slices.BinarySearchFunc(e.devList, name, func(d *engDevice, n string) int { return cmp.Compare(d.name, n) })
		e.devList = slices.Insert(e.devList, i, d)
	}
	return d
}

// ifaceLocked returns the interface, creating it. d.mu held.
func (d *engDevice) ifaceLocked(name string) *engIface {
	f := d.ifaces[name]
	if f == nil {
		f = &engIface{name: name, maxBps: 400e9 * 1.25}
		d.ifaces[name] = f
		i, _ := slices.BinarySearchFunc(d.ifList, name, func(f *engIface, n string) int { return cmp.Compare(f.name, n) })
		d.ifList = slices.Insert(d.ifList, i, f)
	}
	return f
}

// Observe folds updates into the interfaces and sessions they concern. It
// is the hot path: a map lookup per update, no allocation once the
// interface is known, and only the lock of the device whose updates these
// are (a collector calls it from one goroutine per target).
func (e *Engine) Observe(ups []Update) {
	e.devMu.RLock()
	var d *engDevice
	for i := range ups {
		u := &ups[i]
		if d == nil || d.name != u.Target {
			if d != nil {
				d.mu.Unlock()
			}
			if d = e.devices[u.Target]; d == nil {
				e.devMu.RUnlock()
				e.devMu.Lock()
				d = e.deviceLocked(u.Target)
				e.devMu.Unlock()
				e.devMu.RLock()
			}
			d.mu.Lock()
			e.queueLocked(d)
		}
		d.apply(u)
	}
	if d != nil {
		d.mu.Unlock()
	}
	e.devMu.RUnlock()
}

// queueLocked puts the device in the next Tick's look. d.mu held.
func (e *Engine) queueLocked(d *engDevice) {
	if d.queued {
		return
	}
	d.queued = true
	e.dirtyMu.Lock()
	e.dirtyDevs = append(e.dirtyDevs, d)
	e.dirtyMu.Unlock()
}

// sampleLink puts the link in the next Tick's evaluation. e.mu held.
func (e *Engine) sampleLink(l *engLink) {
	if !l.sample {
		l.sample = true
		e.sampled = append(e.sampled, l)
	}
}

// apply folds one update into the device. d.mu held.
func (d *engDevice) apply(u *Update) {
	if u.Class == ClassBGP {
		if u.Leaf != "session-state" && u.Leaf != "state/session-state" {
			return
		}
		s := d.sessions[u.Key]
		if s == nil {
			s = &bgpSession{neighbor: u.Key}
			d.sessions[u.Key] = s
			i, _ := slices.BinarySearchFunc(d.sessList, u.Key, func(s *bgpSession, n string) int { return cmp.Compare(s.neighbor, n) })
			d.sessList = slices.Insert(d.sessList, i, s)
		}
		ts := updateNanos(u)
		if ts < s.ts {
			return
		}
		s.ts = ts
		if u.Deleted {
			s.state = ""
		} else {
			s.state = u.Str
		}
		s.dirty = true
		return
	}
	// A notification carries an interface's leaves together: the last
	// interface is usually the one.
	f := d.last
	if f == nil || f.name != u.Key {
		if f = d.ifaces[u.Key]; f == nil {
			if u.Key == "" {
				return
			}
			f = d.ifaceLocked(u.Key)
		}
		d.last = f
	}
	f.apply(u, d.epoch)
}

// Recycle takes back a batch's Links and Interfaces arrays once every
// sink has written it and kept nothing of them (BatchBorrower): the next
// Tick fills them instead of allocating. The batch must not be read after.
func (e *Engine) Recycle(b Batch) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if cap(b.Links) > cap(e.linkStates) {
		e.linkStates = b.Links[:0]
	}
	if cap(b.Interfaces) > cap(e.ifaceStates) {
		e.ifaceStates = b.Interfaces[:0]
	}
}

// Links returns every link's latest state, sorted by id.
func (e *Engine) Links() []LinkState {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]LinkState, 0, len(e.links))
	for _, l := range e.links {
		out = append(out, l.st)
	}
	return out
}

// Alarms returns the active alarms and those cleared within the
// retention, active first, by severity.
func (e *Engine) Alarms() []Alarm {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.alarms.list()
}

// Ack acknowledges an alarm; the acknowledgement is in the next Tick's batch.
func (e *Engine) Ack(id, by string, now time.Time) (Alarm, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.alarms.ack(id, by, now)
}

// Reload replaces the topology (the inventory changed), keeping the state,
// baselines and alarms of the links and devices that still exist; alarms
// of links that are gone are cleared.
func (e *Engine) Reload(topo *topology.Topology, budgets []topology.LinkBudget) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.build(topo, budgets, nil)
}

package chaos

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/sink/redis"
	"github.com/tuyau-net/tuyau/testlab"
	"github.com/tuyau-net/tuyau/testlab/labtest"
	"github.com/tuyau-net/tuyau/testlab/redislab"
	"github.com/tuyau-net/tuyau/topology"
)

// SystemOptions shape the system under test; the zero value is the one
// `make chaos` and the CI test run.
type SystemOptions struct {
	// Sites of the generated network (synth, seed 1) [8].
	Sites int
	// Collectors sharing the lab's targets through Redis leases [3].
	Collectors int
	// LeaseTTL of the targets' leases [3 s]: a crashed collector's
	// targets move within about two periods.
	LeaseTTL time.Duration
	// Interval of the counters and optics samples [1 s].
	Interval time.Duration
	// Speakers runs tuyau's BGP speakers (a "tuyau bgp serve" process per
	// core site, the hosting failover at the first) and checks the
	// hosting prefix from every member router: the network then has
	// speakers (synth Speakers), its hosting IPv4 only. Needed by
	// bgp-restart.
	Speakers bool
	Logger   *slog.Logger
}

func (o *SystemOptions) defaults() {
	if o.Sites <= 0 {
		o.Sites = 8
	}
	if o.Collectors <= 0 {
		o.Collectors = 3
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 3 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// System is the running system the faults hit: a virtual lab reached over
// gNMI only, a real redis-server with persistence, and collectors with
// in-process alarm engines sharing the targets through Redis leases.
type System struct {
	t    testing.TB
	o    SystemOptions
	Snap *inventory.Snapshot
	Topo *topology.Topology
	// Budgets are the optical budgets, by index of Topo.Links.
	Budgets  []topology.LinkBudget
	Analysis *topology.Analysis
	Lab      *testlab.Lab
	// Redis is a Sentinel group: a primary, a replica and three sentinels,
	// with append-only files; the collectors write through Sentinel and
	// wait for one replica (as `telemetry collect` does with redis-sentinel://).
	Redis *redislab.Sentinel
	Rules telemetry.Rules

	planned  telemetry.Planned
	dial     telemetry.DialOptions
	network  string
	client   goredis.UniversalClient // the checker's own connection
	reader   *redis.Reader
	observer *redis.Leases // never run: reads the lease holders

	knownHosts, password string // the lab's, for SSH to its routers
	unpublish            func()
	bgp                  *speakers // nil without SystemOptions.Speakers

	mu         sync.Mutex
	collectors []*collectorProc
	nb         *nbox // started by the first netbox-sync fault
}

// collectorProc is one collector "process": its own Redis connection,
// sink, leases and engine, in-process. A kill cancels it as a crash would
// leave it: nothing flushed, no lease released.
type collectorProc struct {
	id     string
	leases *redis.Leases
	sink   *redis.Sink
	gate   *crashGate
	cancel context.CancelFunc
	done   chan struct{}
}

// crashGate drops every write once the collector has crashed, so the
// final flush a cancelled Collector.Run does never reaches Redis.
type crashGate struct {
	telemetry.Sink
	mu   sync.Mutex
	dead bool
}

func (g *crashGate) Write(ctx context.Context, b telemetry.Batch) error {
	g.mu.Lock()
	dead := g.dead
	g.mu.Unlock()
	if dead {
		return nil
	}
	return g.Sink.Write(ctx, b)
}

func (g *crashGate) crash() {
	g.mu.Lock()
	g.dead = true
	g.mu.Unlock()
}

// Close is the Collector's; the gate's owner closes the sink itself.
func (g *crashGate) Close() error { return nil }

// Rules are the alarm rules of a chaos run: the defaults with shorter
// timers, so a run of minutes sees many faults (docs/testlab.md).
func Rules() telemetry.Rules {
	r := telemetry.DefaultRules()
	s := telemetry.Duration(time.Second)
	r.LinkDown.ClearAfter = 2 * s
	r.TargetUnreachable.RaiseAfter = 5 * s
	r.TelemetryGap.Window = 10 * s
	r.Optics.BaselineSamples = 3
	r.Correlation.Settle = 2 * s
	return r
}

// Start builds and starts the system; everything stops at the end of
// the test (or at Close).
func Start(t testing.TB, o SystemOptions) *System {
	t.Helper()
	o.defaults()
	snap, err := synth.Generate(synth.Options{Sites: o.Sites, Seed: 1, Speakers: o.Speakers})
	if err != nil {
		t.Fatalf("chaos: generate the network: %v", err)
	}
	if o.Speakers {
		// IPv4 only, as TestBGPLabFailover: the lab's routers do not pass
		// a speaker's IPv6 path on to their peers.
		for i := range snap.Services {
			snap.Services[i].Prefixes = slices.DeleteFunc(snap.Services[i].Prefixes, func(p netip.Prefix) bool { return p.Addr().Is6() })
		}
	}
	// The lab's directory is ROOT/chaos, so the CLI finds it (Publish).
	root := t.TempDir()
	dir := filepath.Join(root, "chaos")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatalf("chaos: %v", err)
	}
	pw, err := testlab.EnsurePassword(dir)
	if err != nil {
		t.Fatalf("chaos: lab password: %v", err)
	}
	plan := labtest.Plan(t, "chaos", snap)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	lab, err := testlab.Start(ctx, plan, snap, testlab.Options{Dir: dir, User: "noc", Password: pw, Bootstrap: testlab.BootstrapFull, Logger: o.Logger})
	if err != nil {
		t.Fatalf("chaos: start the lab: %v", err)
	}
	s := &System{t: t, o: o, Snap: snap, Lab: lab, Rules: Rules(), network: snap.Network.Name, password: pw,
		knownHosts: filepath.Join(dir, testlab.KnownHostsFile)}
	t.Cleanup(s.Close)
	if s.unpublish, err = testlab.Publish(context.Background(), lab); err != nil {
		t.Fatalf("chaos: %v", err)
	}
	addrs := map[string]string{}
	for _, d := range lab.Plan().Devices {
		addrs[d.Name] = fmt.Sprintf("%s:%d", d.Addr, lab.Plan().Ports.GNMI)
	}
	iv := o.Interval
	s.planned, err = telemetry.Plan(snap, telemetry.PlanOptions{Addresses: addrs,
		Intervals: map[telemetry.PathClass]time.Duration{telemetry.ClassCounters: iv, telemetry.ClassOptics: iv}, Heartbeat: 5 * iv},
		topology.BudgetOptions{})
	if err != nil {
		t.Fatalf("chaos: telemetry plan: %v", err)
	}
	s.Topo, s.Budgets = s.planned.Topo, s.planned.Budgets
	s.Analysis = topology.Analyze(s.Topo)
	s.dial = telemetry.DialOptions{CAFile: filepath.Join(dir, testlab.CAFile), Username: "noc", Password: pw,
		Timeout: 5 * time.Second, MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second}

	if o.Speakers {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		err := s.startSpeakers(sctx, root, t.TempDir())
		cancel()
		if err != nil {
			t.Fatalf("chaos: %v", err)
		}
	}
	s.Redis = redislab.StartSentinelPersistent(t, 1, 3)
	if s.client, err = redis.ParseURL(s.Redis.URL(), ""); err != nil {
		t.Fatalf("chaos: redis client: %v", err)
	}
	s.reader = redis.NewReader(s.client, s.network)
	s.observer = redis.NewLeases(s.client, s.network, "chaos-observer", s.TargetNames(), redis.LeaseOptions{TTL: o.LeaseTTL, NoEngine: true})
	for i := range o.Collectors {
		s.collectors = append(s.collectors, &collectorProc{id: fmt.Sprintf("collector-%d", i+1)})
	}
	for _, c := range s.collectors {
		if err := s.startCollector(c); err != nil {
			t.Fatalf("chaos: %v", err)
		}
	}
	return s
}

// TargetNames are the telemetry targets (the lab's devices), sorted.
func (s *System) TargetNames() []string {
	out := make([]string, len(s.planned.Targets))
	for i, tg := range s.planned.Targets {
		out[i] = tg.Name
	}
	slices.Sort(out)
	return out
}

// Collectors are the collector ids.
func (s *System) Collectors() []string {
	var out []string
	for _, c := range s.collectors {
		out = append(out, c.id)
	}
	return out
}

func (s *System) collector(id string) (*collectorProc, error) {
	for _, c := range s.collectors {
		if c.id == id {
			return c, nil
		}
	}
	return nil, fmt.Errorf("collector %s: not in the system", id)
}

// startCollector starts c as a fresh process instance (new leases
// instance, new engine, new Redis connection).
func (s *System) startCollector(c *collectorProc) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.done != nil {
		return nil
	}
	client, err := redis.ParseURL(s.Redis.URL(), "")
	if err != nil {
		return fmt.Errorf("collector %s: redis client: %w", c.id, err)
	}
	leases := redis.NewLeases(client, s.network, c.id, s.TargetNames(), redis.LeaseOptions{TTL: s.o.LeaseTTL, Logger: s.o.Logger})
	// Target health rewritten every interval, not every 10 s: the
	// recoveries wait for data after the restore (LastUpdate), and at the
	// default a run would measure the rewrite period (up to 10 s of MTTR).
	sink := redis.New(client, redis.Options{Network: s.network, Collector: c.id, Logger: s.o.Logger, WaitReplicas: 1, TargetEvery: s.o.Interval,
		OnRefused: func(r redis.Refusal) { leases.Lost(r.Target) }})
	gate := &crashGate{Sink: sink}
	eng := telemetry.NewEngine(s.Topo, s.Budgets, telemetry.EngineOptions{Rules: s.Rules, Analysis: s.Analysis, Logger: s.o.Logger})
	col, err := telemetry.NewCollector(s.planned, telemetry.CollectorOptions{Name: c.id, Engine: eng, Sinks: []telemetry.Sink{gate},
		Dial: s.dial, Flush: 500 * time.Millisecond, Leases: leases, Shared: sink.Reader(), Logger: s.o.Logger})
	if err != nil {
		sink.Close()
		return fmt.Errorf("collector %s: %w", c.id, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = col.Run(ctx)
	}()
	c.leases, c.sink, c.gate, c.cancel, c.done = leases, sink, gate, cancel, done
	return nil
}

// crashCollector stops c as a crash: its writes are dropped from now on
// (no final flush), its leases are left to expire, its queued writes are
// lost with its connection.
func (s *System) crashCollector(c *collectorProc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.done == nil {
		return
	}
	c.gate.crash()
	_ = c.sink.Client().Close()
	c.cancel()
	<-c.done
	_ = c.sink.Close()
	c.leases, c.sink, c.gate, c.cancel, c.done = nil, nil, nil, nil, nil
}

// stopCollector is a graceful stop: final flush, then the leases handed
// back (what `tuyau telemetry collect` does on SIGTERM).
func (s *System) stopCollector(c *collectorProc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.done == nil {
		return
	}
	c.cancel()
	<-c.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = c.sink.Flush(ctx)
	_ = c.leases.Release(ctx)
	cancel()
	_ = c.sink.Close()
	c.leases, c.sink, c.gate, c.cancel, c.done = nil, nil, nil, nil, nil
}

// live are the running collectors' lease keepers by id.
func (s *System) live() map[string]*redis.Leases {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]*redis.Leases{}
	for _, c := range s.collectors {
		if c.done != nil {
			out[c.id] = c.leases
		}
	}
	return out
}

// Close stops the collectors (gracefully), the lab and Redis. Safe to
// call twice.
func (s *System) Close() {
	for _, c := range s.collectors {
		s.stopCollector(c)
	}
	s.mu.Lock()
	s.nb.close()
	s.nb = nil
	s.mu.Unlock()
	if s.client != nil {
		_ = s.client.Close()
		s.client = nil
	}
	if s.bgp != nil {
		s.bgp.stopAll()
	}
	if s.unpublish != nil {
		s.unpublish()
		s.unpublish = nil
	}
	if s.Lab != nil {
		_ = s.Lab.Close()
		s.Lab = nil
	}
	if s.Redis != nil {
		for _, srv := range append(slices.Clone(s.Redis.Sentinels), s.Redis.Servers...) {
			srv.Kill(s.t)
		}
	}
}

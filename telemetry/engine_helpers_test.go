package telemetry

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/topology"
)

// testNet is examples/manche as the tests feed it: its topology, budgets and
// failure analysis, loaded once per test binary.
type testNet struct {
	topo    *topology.Topology
	budgets []topology.LinkBudget
	an      *topology.Analysis
}

var mancheNet *testNet

func manche(t testing.TB) *testNet {
	t.Helper()
	if mancheNet != nil {
		return mancheNet
	}
	snap, err := yamlstore.Open("../examples/manche").Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mancheNet = netOf(t, snap)
	return mancheNet
}

// netOf is snap as the tests feed the engine: its topology, budgets and
// failure analysis.
func netOf(tb testing.TB, snap *inventory.Snapshot) *testNet {
	tb.Helper()
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := topology.Budgets(topo, topology.BudgetOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return &testNet{topo: topo, budgets: b, an: topology.Analyze(topo)}
}

// testRules are the defaults with hysteresis short enough for a test that
// steps a synthetic clock.
func testRules() Rules {
	r := DefaultRules()
	r.LinkDown.ClearAfter = 0
	r.Optics.BaselineSamples = 3
	r.TargetUnreachable.RaiseAfter = Duration(5 * time.Second)
	r.TelemetryGap.Window = Duration(10 * time.Second)
	return r
}

// plant models the network the way testlab does (testlab/optics.go): each
// transmitter launches at the middle of its optic's Tx range, the chain
// loss is topology's budget loss in both directions, a cut gives the LOS
// floor, a degradation adds loss, and a link is up when both receivers get
// at least their sensitivity.
type plant struct {
	n        *testNet
	cut      map[string]bool    // cables
	degrade  map[string]float64 // cables: extra dB
	dead     map[string]bool    // devices powered off
	octets   map[string]uint64  // device:interface -> octets sent
	bps      float64            // per direction on every link
	start    time.Time
	now      time.Time
	interval time.Duration
}

const plantLOS = -40.0

func newPlant(n *testNet) *plant {
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	return &plant{n: n, cut: map[string]bool{}, degrade: map[string]float64{}, dead: map[string]bool{}, octets: map[string]uint64{},
		bps: 1e9, start: t0, now: t0, interval: 10 * time.Second}
}

// typicalOptic returns a type's mid-range launch power and sensitivity,
// the inventory's own optics included, as the lab launches.
func (p *plant) typicalOptic(optic string) (tx, sens float64, ok bool) {
	o, ok := p.n.topo.Optic(optic)
	if !ok {
		return 0, 0, false
	}
	return math.Round((o.TxMinDBm+o.TxMaxDBm)/2*100) / 100, o.RxSensDBm, true
}

// updates returns one sample of every device end of every link, at the
// plant's current time, then advances it by the interval.
func (p *plant) updates() []Update {
	var ups []Update
	ts := p.now
	for i, l := range p.n.topo.Links {
		b := p.n.budgets[i]
		cut, extra := false, 0.0
		for _, c := range l.Cables {
			cut = cut || p.cut[c]
			extra += p.degrade[c]
		}
		types := [2]string{l.ATransceiver, l.BTransceiver}
		if l.External {
			types[1] = types[0]
		}
		ends := [2]string{l.A, l.B}
		n := 2
		if l.External {
			n = 1
		}
		var rx [2]float64
		up := l.Up && !cut
		for j := range 2 {
			txFar, _, okFar := p.typicalOptic(types[1-j])
			_, sens, _ := p.typicalOptic(types[j])
			rx[j] = plantLOS
			if okFar && !cut {
				rx[j] = math.Max(plantLOS, math.Round((txFar-b.LossDB-extra)*100)/100)
			}
			if okFar && rx[j] < sens {
				up = false
			}
		}
		for j := 0; j < n; j++ {
			dev, _, _ := strings.Cut(ends[j], ":")
			if p.dead[dev] {
				up = false
			}
		}
		for j := 0; j < n; j++ {
			dev, ifc, _ := strings.Cut(ends[j], ":")
			if p.dead[dev] {
				continue
			}
			far := ""
			if !l.External {
				far, _, _ = strings.Cut(ends[1-j], ":")
			}
			oper := "UP"
			if !up {
				oper = "DOWN"
			}
			if up {
				p.octets[ends[j]] += uint64(p.bps / 8 * p.interval.Seconds())
			}
			rxj := rx[j]
			if p.dead[far] {
				rxj = plantLOS
			}
			tx, _, ok := p.typicalOptic(types[j])
			ups = append(ups,
				Update{Target: dev, Class: ClassOper, Key: ifc, Leaf: "oper-status", Str: oper, Timestamp: ts},
				Update{Target: dev, Class: ClassCounters, Key: ifc, Leaf: "out-octets", Uint: p.octets[ends[j]], Timestamp: ts},
				Update{Target: dev, Class: ClassCounters, Key: ifc, Leaf: "in-octets", Uint: p.octets[ends[1-j]], Timestamp: ts},
			)
			if ok {
				ups = append(ups,
					Update{Target: dev, Class: ClassOptics, Key: ifc, Component: ifc + "-xcvr", Leaf: "input-power/instant", Float: rxj, Timestamp: ts},
					Update{Target: dev, Class: ClassOptics, Key: ifc, Component: ifc + "-xcvr", Leaf: "output-power/instant", Float: tx, Timestamp: ts},
				)
			}
		}
	}
	p.now = p.now.Add(p.interval)
	return ups
}

// step feeds one sample round and ticks the engine at the plant's time.
func (p *plant) step(e *Engine) Batch {
	e.Observe(p.updates())
	return e.Tick(p.now)
}

// settle steps n rounds and returns every alarm change seen.
func (p *plant) run(e *Engine, n int) []Alarm {
	var out []Alarm
	for range n {
		out = append(out, p.step(e).Alarms...)
	}
	return out
}

func newMancheEngine(t testing.TB, r Rules, p *plant) *Engine {
	n := manche(t)
	return NewEngine(n.topo, n.budgets, EngineOptions{Rules: r, Analysis: n.an, Clock: func() time.Time { return p.now }})
}

// active returns the active alarms of a rule, by object.
func activeAlarms(e *Engine, rule string) map[string]Alarm {
	out := map[string]Alarm{}
	for _, a := range e.Alarms() {
		if a.State == AlarmActive && a.Rule == rule {
			out[a.Object] = a
		}
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

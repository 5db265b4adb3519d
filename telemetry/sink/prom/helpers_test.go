package prom

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/topology"
)

// manche plans examples/manche: its targets, topology and budgets.
func manche(t testing.TB) telemetry.Planned {
	t.Helper()
	snap, err := yamlstore.Open("../../../examples/manche").Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := telemetry.Plan(snap, telemetry.PlanOptions{}, topology.BudgetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) == 0 || len(p.Topo.Links) == 0 {
		t.Fatalf("examples/manche: %d targets, %d links", len(p.Targets), len(p.Topo.Links))
	}
	return p
}

// feeder plays a network to the engine the way a gNMI target does: every
// planned interface's counters grow at a known rate, is UP, and its
// transceiver receives a power of its own.
type feeder struct {
	p   telemetry.Planned
	eng *telemetry.Engine
	now time.Time
	k   uint64
}

func newFeeder(p telemetry.Planned, eng *telemetry.Engine) *feeder {
	return &feeder{p: p, eng: eng, now: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)}
}

// rxOf is the receive power the feeder gives an interface: distinct per
// interface so that a value in the wrong series is seen.
func rxOf(target string, i int) float64 {
	h := 0
	for _, c := range target {
		h = (h*31 + int(c)) % 97
	}
	return -3 - float64((h+7*i)%60)/10
}

// round sends one sample of every planned object, stamped f.now, and
// advances the clock by 10 s.
func (f *feeder) round() {
	for _, tg := range f.p.Targets {
		var ups []telemetry.Update
		for i, ifc := range tg.Interfaces {
			base := uint64(1e9) * uint64(i+1)
			ctr := func(leaf string, v uint64) {
				ups = append(ups, telemetry.Update{Target: tg.Name, Class: telemetry.ClassCounters, Key: ifc, Leaf: leaf, Uint: v, Timestamp: f.now})
			}
			ctr("in-octets", base+f.k*125_000_000) // 100 Mbit/s
			ctr("out-octets", base/2+f.k*250_000_000)
			ctr("in-pkts", base/1000+f.k*100_000)
			ctr("out-pkts", base/2000+f.k*200_000)
			ctr("in-errors", uint64(i)+f.k)
			ctr("out-errors", 0)
			ctr("in-discards", 2*f.k)
			ctr("out-discards", uint64(i))
			ups = append(ups, telemetry.Update{Target: tg.Name, Class: telemetry.ClassOper, Key: ifc, Leaf: "oper-status", Str: "UP", Timestamp: f.now})
		}
		for i, ifc := range tg.Optics {
			ups = append(ups,
				telemetry.Update{Target: tg.Name, Class: telemetry.ClassOptics, Key: ifc, Component: "xcvr-" + ifc, Leaf: "input-power/instant", Float: rxOf(tg.Name, i), Timestamp: f.now},
				telemetry.Update{Target: tg.Name, Class: telemetry.ClassOptics, Key: ifc, Component: "xcvr-" + ifc, Leaf: "output-power/instant", Float: -1.5, Timestamp: f.now})
		}
		f.eng.Observe(ups)
		f.eng.ObserveTarget(telemetry.TargetHealth{Name: tg.Name, Address: tg.Address, Connected: true, Since: f.now.Add(-time.Hour),
			LastUpdate: f.now, Updates: (f.k + 1) * uint64(len(ups)), Reconnects: 2, Expected: 10 * (f.k + 1), Received: 10 * (f.k + 1)})
	}
	f.eng.Tick(f.now)
	f.k++
	f.now = f.now.Add(10 * time.Second)
}

// series is one gathered sample: its family's name, labels and value.
type series struct {
	name   string
	labels map[string]string
	value  float64
	typ    dto.MetricType
}

func (s series) String() string {
	var ls []string
	for k, v := range s.labels {
		ls = append(ls, k+"="+v)
	}
	sort.Strings(ls)
	return fmt.Sprintf("%s{%s} %v", s.name, strings.Join(ls, ","), s.value)
}

// gather returns every series of the exporter's registry.
func gather(t testing.TB, x *Exporter) []series {
	t.Helper()
	fams, err := x.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var out []series
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			s := series{name: f.GetName(), labels: map[string]string{}, typ: f.GetType()}
			for _, l := range m.GetLabel() {
				s.labels[l.GetName()] = l.GetValue()
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				s.value = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				s.value = m.GetGauge().GetValue()
			default:
				s.value = m.GetUntyped().GetValue()
			}
			out = append(out, s)
		}
	}
	return out
}

// find returns the series of name whose labels include want.
func find(ss []series, name string, want map[string]string) []series {
	var out []series
	for _, s := range ss {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range want {
			if s.labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// scrape fetches /metrics as Prometheus would.
func scrape(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v\n%s", resp.StatusCode, err, b)
	}
	return string(b)
}

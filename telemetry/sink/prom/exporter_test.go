package prom

import (
	"bytes"
	"math"
	"os/exec"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab/need"
)

func endLabelsOf(l telemetry.LinkState, e, far telemetry.LinkEnd) map[string]string {
	return map[string]string{"device": e.Device, "interface": e.Interface, "site": e.Site, "link": l.ID,
		"remote_device": far.Device, "remote_interface": far.Interface, "remote_site": far.Site}
}

func one(t *testing.T, ss []series, name string, want map[string]string) series {
	t.Helper()
	got := find(ss, name, want)
	if len(got) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, want, len(got))
	}
	return got[0]
}

// TestExporterMatchesEngine feeds examples/manche's engine as its targets
// would and checks that every series says what the engine holds: counter
// totals, rates' inputs, optical power and margins, oper state, target
// health, alarm counts.
func TestExporterMatchesEngine(t *testing.T) {
	p := manche(t)
	eng := telemetry.NewEngine(p.Topo, p.Budgets, telemetry.EngineOptions{})
	f := newFeeder(p, eng)
	for range 3 {
		f.round()
	}
	x := New(eng, Options{NoRuntime: true})
	ss := gather(t, x)
	st := eng.State()

	ends := 0
	for _, l := range st.Links {
		ll := map[string]string{"link": l.ID, "a_site": l.A.Site, "b_site": l.B.Site}
		if got := one(t, ss, "tuyau_link_oper_state", map[string]string{"link": l.ID, "state": l.Oper}); got.value != 1 {
			t.Errorf("%v: want 1 (the engine says %s)", got, l.Oper)
		}
		if got := one(t, ss, "tuyau_link_utilization_ratio", ll); got.value != l.Utilization {
			t.Errorf("%v: engine has %v", got, l.Utilization)
		}
		if l.HasRx {
			if got := one(t, ss, "tuyau_link_rx_power_dbm", ll); got.value != l.MeasuredRxDBm {
				t.Errorf("%v: engine has %v", got, l.MeasuredRxDBm)
			}
		}
		if l.HasRx && l.HasBudget {
			if got := one(t, ss, "tuyau_link_rx_margin_db", ll); math.Abs(got.value-l.MarginDB) > 0.006 {
				t.Errorf("%v: engine has a margin of %v", got, l.MarginDB)
			}
			if got := one(t, ss, "tuyau_link_worst_case_margin_db", ll); got.value != l.WorstCaseMarginDB {
				t.Errorf("%v: engine has %v", got, l.WorstCaseMarginDB)
			}
		}
		for i, e := range []telemetry.LinkEnd{l.A, l.B} {
			if e.Device == "" {
				continue
			}
			ends++
			far := l.B
			if i == 1 {
				far = l.A
			}
			el := endLabelsOf(l, e, far)
			for name, want := range map[string]uint64{
				"tuyau_interface_receive_bytes_total": e.InOctets, "tuyau_interface_transmit_bytes_total": e.OutOctets,
				"tuyau_interface_receive_packets_total": e.InPkts, "tuyau_interface_transmit_packets_total": e.OutPkts,
				"tuyau_interface_receive_errors_total": e.InErrors, "tuyau_interface_receive_discards_total": e.InDiscard,
			} {
				if got := one(t, ss, name, el); got.value != float64(want) || want == 0 {
					t.Errorf("%v: engine has %d", got, want)
				}
			}
			if got := one(t, ss, "tuyau_interface_optical_rx_power_dbm", el); got.value != e.RxDBm {
				t.Errorf("%v: engine has %v", got, e.RxDBm)
			}
			up := one(t, ss, "tuyau_interface_oper_state", merge(el, "state", "up"))
			if up.value != 1 {
				t.Errorf("%v: want 1 (fed UP)", up)
			}
		}
	}
	for _, tg := range st.Targets {
		if got := one(t, ss, "tuyau_target_up", map[string]string{"target": tg.Name}); got.value != 1 {
			t.Errorf("%v: want 1", got)
		}
		if got := one(t, ss, "tuyau_target_updates_total", map[string]string{"target": tg.Name}); got.value != float64(tg.Updates) || tg.Updates == 0 {
			t.Errorf("%v: engine has %d", got, tg.Updates)
		}
		if got := one(t, ss, "tuyau_target_last_update_timestamp_seconds", map[string]string{"target": tg.Name}); got.value != float64(tg.LastUpdate.Unix()) {
			t.Errorf("%v: engine has %v", got, tg.LastUpdate)
		}
	}
	active := map[string]int{}
	for _, a := range st.Alarms {
		if a.State == telemetry.AlarmActive {
			active[string(a.Severity)]++
		}
	}
	for _, sev := range severities {
		if got := one(t, ss, "tuyau_alarms_active", map[string]string{"severity": sev}); got.value != float64(active[sev]) {
			t.Errorf("%v: engine has %d", got, active[sev])
		}
	}
	t.Logf("examples/manche: %d links, %d device ends, %d targets, %d series", len(st.Links), ends, len(st.Targets), len(ss))

	// A target going down: its interfaces' counters and power go (stale
	// values would read as a quiet link), oper state turns unknown.
	victim := p.Targets[0]
	eng.ObserveTarget(telemetry.TargetHealth{Name: victim.Name, Connected: false, Since: f.now})
	ss = gather(t, x)
	if got := one(t, ss, "tuyau_target_up", map[string]string{"target": victim.Name}); got.value != 0 {
		t.Errorf("%v after a disconnection: want 0", got)
	}
	if got := find(ss, "tuyau_interface_receive_bytes_total", map[string]string{"device": victim.Name}); len(got) != 0 {
		t.Errorf("counters of a down target still published: %v", got)
	}
	if got := find(ss, "tuyau_interface_oper_state", map[string]string{"device": victim.Name, "state": "unknown"}); len(got) != len(victim.Interfaces) || got[0].value != 1 {
		t.Errorf("oper state of a down target's %d interfaces: %v, want unknown=1 each", len(victim.Interfaces), got)
	}
}

func merge(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		out[a] = b
	}
	return out
}

// TestCardinalityBoundedByInventory counts the series of examples/manche:
// one set per inventory link, per device end of a link and per target,
// whatever the devices send. Updates about interfaces and devices the
// inventory does not hold add none.
func TestCardinalityBoundedByInventory(t *testing.T) {
	p := manche(t)
	eng := telemetry.NewEngine(p.Topo, p.Budgets, telemetry.EngineOptions{})
	f := newFeeder(p, eng)
	f.round()
	f.round()
	x := New(eng, Options{NoRuntime: true})
	before := gather(t, x)

	links, ends := len(p.Topo.Links), 0
	for _, l := range p.Topo.Links {
		ends += 2
		if l.External {
			ends--
		}
	}
	perFamily := map[string]int{}
	for _, s := range before {
		perFamily[s.name]++
	}
	for name, want := range map[string]int{
		"tuyau_link_info": links, "tuyau_link_oper_state": 3 * links, "tuyau_link_utilization_ratio": links,
		"tuyau_interface_oper_state": 3 * ends, "tuyau_interface_resets_total": ends,
		"tuyau_interface_receive_bytes_total": ends, "tuyau_target_up": len(p.Targets), "tuyau_target_updates_total": len(p.Targets),
	} {
		if perFamily[name] != want {
			t.Errorf("%s: %d series, want %d (examples/manche: %d links, %d device ends, %d targets)", name, perFamily[name], want, links, ends, len(p.Targets))
		}
	}
	// Per link at most: info, 3 oper states, utilization, speed and 10
	// optical figures; per end 3 oper states, 9 counters, 2 powers and a
	// timestamp; per target 9; and a fixed set for alarms and the engine.
	bound := 16*links + 15*ends + 9*len(p.Targets) + 3*len(severities) + 20
	if len(before) > bound {
		t.Errorf("%d series for %d links, %d ends, %d targets: more than the %d the inventory allows", len(before), links, ends, len(p.Targets), bound)
	}
	t.Logf("examples/manche: %d links, %d device ends, %d targets -> %d series (bound %d)", links, ends, len(p.Targets), len(before), bound)

	// Devices sending more than the plan asks, and a device the inventory
	// does not know: the engine may track them, the exporter adds nothing.
	ghost := []telemetry.Update{
		{Target: p.Targets[0].Name, Class: telemetry.ClassCounters, Key: "et-9/9/9", Leaf: "in-octets", Uint: 42, Timestamp: f.now},
		{Target: p.Targets[0].Name, Class: telemetry.ClassOper, Key: "et-9/9/9", Leaf: "oper-status", Str: "UP", Timestamp: f.now},
		{Target: "not-in-inventory", Class: telemetry.ClassCounters, Key: "ge-0/0/0", Leaf: "in-octets", Uint: 42, Timestamp: f.now},
	}
	eng.Observe(ghost)
	eng.Tick(f.now)
	if after := gather(t, x); len(after) != len(before) {
		t.Errorf("updates outside the inventory changed the series: %d -> %d", len(before), len(after))
	}
}

// TestPromtoolCheckMetrics lints the scrape output with Prometheus's own
// promtool (names, units, help, types).
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := need.Tool(t, "promtool", "apt install prometheus")
	p := manche(t)
	eng := telemetry.NewEngine(p.Topo, p.Budgets, telemetry.EngineOptions{})
	f := newFeeder(p, eng)
	f.round()
	f.round()
	eng.Ingest(telemetry.Event{Source: "bgp", Rule: "bgp-session-down", Severity: telemetry.SevMajor, ObjectKind: "peer", Object: "192.0.2.1", Active: true, Time: f.now})
	eng.Tick(f.now)
	x := New(eng, Options{Sinks: []StatsSource{fakeStats{}}})
	_ = x.Write(t.Context(), telemetry.Batch{})
	body := scrape(t, x.Handler())
	for _, name := range []string{"tuyau_target_up", "tuyau_alarms_active_by_rule", "tuyau_sink_dropped_samples_total", "go_goroutines", "go_gc_scan_heap_bytes", "process_resident_memory_bytes", "tuyau_collector_last_flush_timestamp_seconds"} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("scrape has no %s", name)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}

// fakeStats is a sink's self-report, as the Redis sink gives it.
type fakeStats struct{}

func (fakeStats) Stats() telemetry.SinkStats {
	return telemetry.SinkStats{Sink: "redis", Connected: true, BufferBytes: 1 << 10, BufferBudget: 64 << 20, DroppedSamples: 3, Written: 100, Flushes: 7}
}

var _ telemetry.Sink = (*Exporter)(nil)

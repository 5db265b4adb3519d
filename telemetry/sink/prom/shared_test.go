package prom

import (
	"testing"

	"github.com/tuyau-net/tuyau/telemetry"
)

// leases is a fixed set of held leases.
type leases map[string]uint64

func (l leases) Owned() map[string]uint64 { return l }

// TestCollectorsExportWhatTheyCollect splits examples/manche's targets
// between two collectors, one holding the engine lease, and scrapes both
// as Prometheus scrapes every collector: each target's and each device
// end's series come from exactly one of them (a sum over the collectors
// counts nothing twice), and the links and alarms from the engine holder
// only. Both exporters read one engine that holds every target, as the
// holder's does (its own and, through Redis, the others').
func TestCollectorsExportWhatTheyCollect(t *testing.T) {
	p := manche(t)
	eng := telemetry.NewEngine(p.Topo, p.Budgets, telemetry.EngineOptions{})
	f := newFeeder(p, eng)
	for range 3 {
		f.round()
	}
	holder, standby := leases{telemetry.EngineLease: 1}, leases{}
	for i, tg := range p.Targets {
		if i%2 == 0 {
			holder[tg.Name] = uint64(i + 2)
		} else {
			standby[tg.Name] = uint64(i + 2)
		}
	}
	if len(standby) == 0 {
		t.Fatal("examples/manche has a single target")
	}
	scraped := map[string][]series{
		"holder":  gather(t, New(eng, Options{NoRuntime: true, Leases: holder})),
		"standby": gather(t, New(eng, Options{NoRuntime: true, Leases: standby})),
	}
	owner := func(target string) string {
		if _, ok := holder[target]; ok {
			return "holder"
		}
		return "standby"
	}

	for _, tg := range p.Targets {
		for who, ss := range scraped {
			want := 0
			if who == owner(tg.Name) {
				want = 1
			}
			for _, name := range []string{"tuyau_target_up", "tuyau_target_updates_total", "tuyau_target_info"} {
				if got := len(find(ss, name, map[string]string{"target": tg.Name})); got != want {
					t.Errorf("%s: %s{target=%q}: %d series, want %d", who, name, tg.Name, got, want)
				}
			}
		}
	}
	ends := 0
	for _, l := range eng.State().Links {
		for _, e := range []telemetry.LinkEnd{l.A, l.B} {
			if e.Device == "" {
				continue
			}
			ends++
			el := map[string]string{"device": e.Device, "interface": e.Interface, "link": l.ID}
			for who, ss := range scraped {
				want := 0
				if who == owner(e.Device) {
					want = len(operStates)
				}
				if got := len(find(ss, "tuyau_interface_oper_state", el)); got != want {
					t.Errorf("%s: tuyau_interface_oper_state%v: %d series, want %d", who, el, got, want)
				}
				if who != owner(e.Device) && len(find(ss, "tuyau_interface_receive_bytes_total", el)) != 0 {
					t.Errorf("%s: exports the counters of %s:%s, which the other collector streams", who, e.Device, e.Interface)
				}
			}
		}
		ll := map[string]string{"link": l.ID}
		if got := len(find(scraped["holder"], "tuyau_link_oper_state", ll)); got != len(operStates) {
			t.Errorf("holder: tuyau_link_oper_state{link=%q}: %d series, want %d", l.ID, got, len(operStates))
		}
		for _, name := range []string{"tuyau_link_oper_state", "tuyau_link_info", "tuyau_link_utilization_ratio"} {
			if got := len(find(scraped["standby"], name, ll)); got != 0 {
				t.Errorf("standby: %s{link=%q}: %d series, want none (links are the engine holder's)", name, l.ID, got)
			}
		}
	}
	if ends == 0 {
		t.Fatal("no device end in the engine's links")
	}
	if got := len(find(scraped["holder"], "tuyau_alarms_active", nil)); got != len(severities) {
		t.Errorf("holder: %d tuyau_alarms_active series, want %d", got, len(severities))
	}
	if got := len(find(scraped["standby"], "tuyau_alarms_active", nil)); got != 0 {
		t.Errorf("standby: %d tuyau_alarms_active series, want none (alarms are the engine holder's)", got)
	}
}

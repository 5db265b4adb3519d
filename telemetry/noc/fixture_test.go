package noc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/telemetry"
)

var t0 = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

// fakeSink is the sink as the dashboard sees it: fixed data, acks
// recorded, a link's history served.
type fakeSink struct {
	mu      sync.Mutex
	alarms  []telemetry.Alarm
	links   []telemetry.LinkState
	targets []telemetry.TargetHealth
	history map[string][]telemetry.LinkPoint
	acked   []string // id by
	fail    error
}

func (f *fakeSink) Alarms(context.Context) ([]telemetry.Alarm, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]telemetry.Alarm(nil), f.alarms...), f.fail
}

func (f *fakeSink) Links(context.Context) ([]telemetry.LinkState, error) {
	return f.links, nil
}

func (f *fakeSink) Targets(context.Context) ([]telemetry.TargetHealth, error) {
	return f.targets, nil
}

func (f *fakeSink) Ack(_ context.Context, id, by string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.alarms {
		if f.alarms[i].ID == id {
			f.alarms[i].Acked, f.alarms[i].AckedBy = true, by
			f.acked = append(f.acked, id+" "+by)
			return nil
		}
	}
	return fmt.Errorf("alarm %s: not found", id)
}

func (f *fakeSink) Link(_ context.Context, id string) (telemetry.LinkDetail, error) {
	for _, l := range f.links {
		if l.ID == id {
			return telemetry.LinkDetail{LinkState: l, History: f.history[id]}, nil
		}
	}
	return telemetry.LinkDetail{}, errors.New("not found")
}

const (
	linkDown = "stlo-r1:eth1 -- pop-a-r1:eth1"
	linkLow  = "pop-a-r1:eth2 -- pop-b-r1:eth1"
	linkBusy = "pop-b-r1:eth2 -- stlo-r1:eth2"
	linkOK   = "cher-r1:eth1 -- stlo-r1:eth3"
)

// fixture is a duct cut (a critical root explaining two link-down
// children), an unrelated minor alarm, a cleared one, four links and
// three targets, at t0.
func fixture() *fakeSink {
	al := func(id, rule string, sev telemetry.Severity, kind, obj, parent string, ago time.Duration) telemetry.Alarm {
		return telemetry.Alarm{ID: id, Rule: rule, Source: "telemetry", Severity: sev, State: telemetry.AlarmActive,
			ObjectKind: kind, Object: obj, Message: rule + " on " + obj, Raised: t0.Add(-ago), Updated: t0.Add(-ago), Parent: parent}
	}
	duct := al("root1", "duct", telemetry.SevCritical, "duct", "duct-stlo-north", "", 2*time.Minute)
	duct.Children = []string{"kid1", "kid2"}
	cleared := al("old1", "link-down", telemetry.SevCritical, "link", linkOK, "", time.Hour)
	cleared.State = telemetry.AlarmCleared
	end := func(dev, ifc, site string) telemetry.LinkEnd {
		return telemetry.LinkEnd{Device: dev, Interface: ifc, Site: site, InterfaceState: telemetry.InterfaceState{
			Oper: "UP", InBps: 2e9, OutBps: 1e9, HasOptics: true, RxDBm: -9.5, TxDBm: -1}}
	}
	link := func(id, oper string, margin, util float64) telemetry.LinkState {
		return telemetry.LinkState{ID: id, Oper: oper, SpeedMbps: 10000, Utilization: util, HasRx: oper == "up",
			MeasuredRxDBm: -24 + margin, ExpectedRxDBm: -10, SensitivityDBm: -24, MarginDB: margin, HasBudget: true,
			BudgetMarginDB: 14, RxEnd: "a", Updated: t0, A: end("stlo-r1", "eth1", "saint-lo-dc"), B: end("pop-a-r1", "eth1", "pop-a"),
			Cables: []string{"FO-000001"}, Ducts: []string{"duct-stlo-north"}}
	}
	return &fakeSink{
		alarms: []telemetry.Alarm{
			al("minor1", "utilization", telemetry.SevMinor, "link", linkBusy, "", 30*time.Second),
			al("kid1", "link-down", telemetry.SevMajor, "link", linkDown, "root1", 2*time.Minute),
			duct,
			al("kid2", "link-down", telemetry.SevMajor, "link", linkOK, "root1", 2*time.Minute),
			cleared,
		},
		links: []telemetry.LinkState{
			link(linkOK, "up", 12, 0.1),
			link(linkBusy, "up", 12, 0.93),
			link(linkLow, "up", 2.5, 0.2),
			link(linkDown, "down", 0, 0),
		},
		targets: []telemetry.TargetHealth{
			{Name: "stlo-r1", Address: "127.0.0.1:57400", Connected: true, LastUpdate: t0.Add(-time.Second), UpdatesPerSec: 41.5},
			{Name: "pop-a-r1", Address: "127.0.0.1:57401", Connected: false, LastUpdate: t0.Add(-3 * time.Minute), Reconnects: 4, Gaps: 2, LastError: "connection refused"},
			{Name: "cher-r1", Address: "127.0.0.1:57402", Connected: true, LastUpdate: t0, UpdatesPerSec: 40, Gaps: 1},
		},
		history: map[string][]telemetry.LinkPoint{linkDown: {
			{Time: t0.Add(-3 * time.Second), Oper: "up", Utilization: 0.5, MeasuredRxDBm: -10},
			{Time: t0.Add(-2 * time.Second), Oper: "up", Utilization: 0.7, MeasuredRxDBm: -11},
			{Time: t0.Add(-1 * time.Second), Oper: "down", Utilization: 0},
		}},
	}
}

// inv names the fixture's cable, duct and site.
func inv() *inventory.Snapshot {
	return &inventory.Snapshot{
		Sites: []inventory.Site{{Slug: "saint-lo-dc", Name: "Saint-Lô datacenter"}, {Slug: "pop-a", Name: "POP A"}},
		Cables: []inventory.Cable{
			{Label: "FO-000001", A: inventory.Termination{Device: "stlo-r1", Interface: "eth1"}, B: inventory.Termination{Panel: "odf-pop-a", Front: "3"}, Length: inventory.Length{Meters: 12300}, SRLGs: []string{"duct-stlo-north"}},
			{Label: "FO-000002", Length: inventory.Length{Meters: 800}, SRLGs: []string{"duct-stlo-north"}},
		},
		Services: []inventory.HostingService{{Name: "hebergement", Sites: []string{"saint-lo-dc", "cherbourg-dc"}}},
	}
}

func newModel(f *fakeSink, w, h int) Model {
	m := New(context.Background(), Options{Source: f, Acker: f, Inventory: inv(), User: "alice",
		Now: func() time.Time { return t0 }, Width: w, Height: h})
	m.apply(Read(context.Background(), m.o))
	return m
}

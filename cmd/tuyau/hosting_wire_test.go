package main

import (
	"context"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/bgp/hosting"
	"github.com/tuyau-net/tuyau/telemetry"
)

// TestHostingEvents feeds a failover's transitions through telemetry's
// alarm engine: the alarms an engineer sees rise and clear with them.
func TestHostingEvents(t *testing.T) {
	const a, b = "saint-lo-dc", "cherbourg-en-cotentin-dc"
	now := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	e := telemetry.NewEngine(nil, nil, telemetry.EngineOptions{Clock: func() time.Time { return now }})
	tr := func(site, from, to, active string) hosting.Transition {
		return hosting.Transition{Time: now, Service: "hosting", Site: site, From: from, To: to, Reason: "3 checks failed in a row: http 503",
			Active: active, Preferred: a}
	}
	active := func() map[string]telemetry.Alarm {
		out := map[string]telemetry.Alarm{}
		e.Tick(now)
		for _, al := range e.Alarms() {
			if al.State != telemetry.AlarmCleared {
				out[al.Rule+" "+al.Object] = al
			}
		}
		return out
	}
	for _, step := range []struct {
		name string
		tr   hosting.Transition
		want map[string]telemetry.Severity
	}{
		{"A goes down while still active", tr(a, "up", "down", a),
			map[string]telemetry.Severity{"hosting-site-down hosting@" + a: telemetry.SevCritical}},
		{"B takes over", tr("", a, b, b),
			map[string]telemetry.Severity{"hosting-site-down hosting@" + a: telemetry.SevCritical, "hosting-on-backup hosting": telemetry.SevMajor}},
		{"A comes back", tr(a, "down", "up", b),
			map[string]telemetry.Severity{"hosting-on-backup hosting": telemetry.SevMajor}},
		{"back on A", tr("", b, a, a), map[string]telemetry.Severity{}},
		{"B drained", tr(b, "draining", "drained", a), map[string]telemetry.Severity{"hosting-site-drained hosting@" + b: telemetry.SevInfo}},
		{"B undrained", tr(b, "drained", "up", a), map[string]telemetry.Severity{}},
	} {
		for _, ev := range hostingEvents(step.tr) {
			e.Ingest(ev)
		}
		got := active()
		if len(got) != len(step.want) {
			t.Fatalf("%s: alarms %v, want %v", step.name, got, step.want)
		}
		for k, sev := range step.want {
			if al, ok := got[k]; !ok || al.Severity != sev || al.Source != "bgp" {
				t.Fatalf("%s: alarm %s = %+v, want severity %s", step.name, k, al, sev)
			}
		}
	}
}

type fakeLinks []telemetry.LinkState

func (f fakeLinks) Links(context.Context) ([]telemetry.LinkState, error) { return f, nil }

func TestSiteLinksSource(t *testing.T) {
	src := siteLinks{fakeLinks{
		{Oper: "up", A: telemetry.LinkEnd{Site: "dc1"}, B: telemetry.LinkEnd{Site: "pop1"}},
		{Oper: "down", A: telemetry.LinkEnd{Site: "pop2"}, B: telemetry.LinkEnd{Site: "dc1"}},
	}}
	up, total, err := src.SiteLinks(context.Background(), "dc1")
	if err != nil || up != 1 || total != 2 {
		t.Errorf("SiteLinks(dc1) = %d up of %d, %v; want 1 of 2", up, total, err)
	}
}

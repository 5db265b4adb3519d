package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/sink/memory"
)

// TestNocOnce prints one frame from a collector's HTTP API (a memory sink
// behind telemetry.NewAPI, as "telemetry collect" serves it).
func TestNocOnce(t *testing.T) {
	mem := memory.New(memory.Options{})
	now := time.Now()
	err := mem.Write(context.Background(), telemetry.Batch{
		Links: []telemetry.LinkState{{ID: "r1:eth1 -- r2:eth1", Oper: "down", Updated: now, Cables: []string{"FO-1"}}},
		Alarms: []telemetry.Alarm{{ID: "a1", Rule: "link-down", Severity: telemetry.SevCritical, State: telemetry.AlarmActive,
			ObjectKind: "link", Object: "r1:eth1 -- r2:eth1", Message: "link r1:eth1 -- r2:eth1 down", Raised: now, Updated: now}},
		Targets: []telemetry.TargetHealth{{Name: "r1", Connected: true, LastUpdate: now}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(telemetry.NewAPI(mem, telemetry.APIOptions{}))
	defer srv.Close()
	r := runCLI(t, nil, "noc", "--once", "--collector", srv.URL, "--width", "90")
	if r.code != exitOK {
		t.Fatalf("noc --once: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"1 alarms (1 crit, 1 unacked)", "CRIT", "link r1:eth1 -- r2:eth1 down", "down", "Targets 1", "BGP speaker not running"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("frame lacks %q:\n%s", want, r.stdout)
		}
	}
	for i, l := range strings.Split(r.stdout, "\n") {
		if n := len([]rune(l)); n > 90 {
			t.Errorf("line %d is %d wide", i, n)
		}
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("--once wrote escape sequences")
	}
	r = runCLI(t, nil, "noc", "--collector", srv.URL)
	if r.code != exitError || !strings.Contains(r.stderr, "--once") {
		t.Errorf("noc without a terminal: exit %d, stderr %q; want an error naming --once", r.code, r.stderr)
	}
	srv.Close()
	r = runCLI(t, nil, "noc", "--once", "--collector", srv.URL)
	if r.code != exitError || !strings.Contains(r.stderr, "read alarms") {
		t.Errorf("noc --once against a stopped collector: exit %d, stderr %q", r.code, r.stderr)
	}
}

package telemetry

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/testlab"
	"github.com/tuyau-net/tuyau/testlab/labtest"
	"github.com/tuyau-net/tuyau/topology"
)

type labEnv struct {
	lab     *testlab.Lab
	snap    *inventory.Snapshot
	dir, pw string
}

// startLab runs a small generated network's virtual lab in-process on a
// random 127/8 block with kernel-chosen ports.
func startLab(t *testing.T, sites int) *labEnv {
	t.Helper()
	snap, err := synth.Generate(synth.Options{Sites: sites, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pw, err := testlab.EnsurePassword(dir)
	if err != nil {
		t.Fatal(err)
	}
	plan := labtest.Plan(t, "tel", snap)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lab, err := testlab.Start(ctx, plan, snap, testlab.Options{Dir: dir, User: "noc", Password: pw, Bootstrap: testlab.BootstrapFull})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	return &labEnv{lab: lab, snap: snap, dir: dir, pw: pw}
}

func (e *labEnv) addresses() map[string]string {
	out := map[string]string{}
	p := e.lab.Plan()
	for _, d := range p.Devices {
		out[d.Name] = fmt.Sprintf("%s:%d", d.Addr, p.Ports.GNMI)
	}
	return out
}

func (e *labEnv) planned(t *testing.T, iv time.Duration) Planned {
	t.Helper()
	p, err := Plan(e.snap, PlanOptions{Addresses: e.addresses(), Intervals: map[PathClass]time.Duration{ClassCounters: iv, ClassOptics: iv}, Heartbeat: 5 * iv},
		topology.BudgetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *labEnv) dial() DialOptions {
	return DialOptions{CAFile: filepath.Join(e.dir, testlab.CAFile), Username: "noc", Password: e.pw,
		Timeout: 5 * time.Second, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
}

func runCollector(t *testing.T, p Planned, o CollectorOptions) (*Collector, context.CancelFunc, <-chan error) {
	t.Helper()
	c, err := NewCollector(p, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		done <- c.Run(ctx)
		close(finished)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return c, cancel, done
}

// TestCollectorLab subscribes to every device of a lab: counters, oper
// status, optics (through the interface's transceiver) and BGP session
// state arrive; then a device killed and restored reconnects.
func TestCollectorLab(t *testing.T) {
	env := startLab(t, 5)
	p := env.planned(t, time.Second)
	if len(p.Targets) == 0 {
		t.Fatal("no targets planned for the lab")
	}
	rec := newRecorder()
	c, _, _ := runCollector(t, p, CollectorOptions{Engine: rec, Dial: env.dial(), Flush: 200 * time.Millisecond})
	victim := p.Targets[0]
	if len(victim.Interfaces) == 0 || len(victim.Neighbors) == 0 {
		t.Fatalf("target %s: interfaces %v neighbors %v: want both", victim.Name, victim.Interfaces, victim.Neighbors)
	}
	ifc := victim.Interfaces[0]
	waitFor(t, 30*time.Second, "every target connected and streaming", func() (bool, string) {
		for _, h := range c.Targets() {
			if !h.Connected || h.LastUpdate.IsZero() {
				return false, fmt.Sprintf("%s: connected %t, last error %q", h.Name, h.Connected, h.LastError)
			}
		}
		return true, ""
	})
	waitFor(t, 30*time.Second, "counters, oper, optics and session state of "+victim.Name, func() (bool, string) {
		oct, ok1 := rec.leaf(victim.Name, ClassCounters, ifc, LeafInOctets)
		oper, ok2 := rec.leaf(victim.Name, ClassOper, ifc, LeafOperStatus)
		bgp, ok3 := rec.leaf(victim.Name, ClassBGP, victim.Neighbors[0], LeafSessionState)
		s := fmt.Sprintf("in-octets %v %d, oper %v %q, session %v %q, optics %d", ok1, oct.Uint, ok2, oper.Str, ok3, bgp.Str, rec.count(ClassOptics))
		if !ok1 || !ok2 || !ok3 || oper.Str != "UP" || rec.count(ClassOptics) == 0 {
			return false, s
		}
		for _, o := range victim.Optics {
			if u, ok := rec.leaf(victim.Name, ClassOptics, o, LeafInputPower); !ok || u.Float == 0 {
				return false, s + " (no rx power on " + o + ")"
			}
		}
		return bgp.Str == "ESTABLISHED", s
	})
	first, _ := rec.leaf(victim.Name, ClassCounters, ifc, LeafInOctets)
	waitFor(t, 10*time.Second, "a second counter sample", func() (bool, string) {
		u, _ := rec.leaf(victim.Name, ClassCounters, ifc, LeafInOctets)
		return u.Timestamp.After(first.Timestamp), u.Timestamp.String()
	})
	health := func() TargetHealth {
		for _, h := range c.Targets() {
			if h.Name == victim.Name {
				return h
			}
		}
		t.Fatalf("no health for %s", victim.Name)
		return TargetHealth{}
	}
	before := health()
	if before.Received == 0 || before.Expected == 0 || before.UpdatesPerSec <= 0 {
		t.Errorf("health before the kill: %+v", before)
	}
	// The lab stamps its notifications on this machine's clock: every one
	// measured, none negative or anywhere near the last bound.
	if d := before.Delay; d.Count == 0 || d.Buckets[DelayBuckets-1] != d.Count || d.MaxMs < 0 || d.MaxMs > 5000 || d.SumSeconds < 0 {
		t.Errorf("arrival delay before the kill: %+v", d)
	}
	ctx := context.Background()
	if _, err := env.lab.Kill(ctx, victim.Name); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, victim.Name+" seen down", func() (bool, string) {
		h := health()
		return !h.Connected && h.LastError != "", fmt.Sprintf("%+v", h)
	})
	// Down for a few intervals: the ledger counts the missed samples.
	waitFor(t, 15*time.Second, "gaps counted while down", func() (bool, string) {
		h := health()
		return h.Gaps > before.Gaps, fmt.Sprintf("gaps %d", h.Gaps)
	})
	if _, err := env.lab.Restore(ctx, testlab.Target{Device: victim.Name}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, victim.Name+" reconnected", func() (bool, string) {
		h := health()
		return h.Connected && h.Reconnects > before.Reconnects, fmt.Sprintf("%+v", h)
	})
	after := health()
	t.Logf("%s before the kill: %+v", victim.Name, before)
	t.Logf("%s after the restore: %+v", victim.Name, after)
	waitFor(t, 15*time.Second, "samples flowing again", func() (bool, string) {
		h := health()
		return h.Received > after.Received, fmt.Sprintf("received %d", h.Received)
	})
	// Nothing of the password in what is published.
	for _, h := range c.Targets() {
		if strings.Contains(h.LastError, env.pw) {
			t.Errorf("target %s: last error shows the password", h.Name)
		}
	}
}

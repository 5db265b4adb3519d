package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/testlab/redislab"
	"github.com/tuyau-net/tuyau/topology"
)

// fastAlarms are alarm rules for tests that must see raises and clears
// within seconds, written as an operator would in tuyau.yaml.
const fastAlarms = `alarms:
  link_down:
    raise_samples: 1
    clear_after: 0s
  target_unreachable:
    raise_after: 1s
  correlation:
    settle: 2s
  optics:
    baseline_samples: 3
`

// collectorProc is one "tuyau telemetry collect" run in-process.
type collectorProc struct {
	id     string
	stop   context.CancelCauseFunc
	exited chan struct{}
	code   int
	stderr lockedBuffer
}

// startCollect runs "telemetry collect" with args until the test ends
// (or stop); a stop with errCollectorKilled leaves its leases held, as a
// crash would.
func startCollect(t *testing.T, id string, args ...string) *collectorProc {
	t.Helper()
	ctx, stop := context.WithCancelCause(context.Background())
	p := &collectorProc{id: id, stop: stop, exited: make(chan struct{}), code: -1}
	var out lockedBuffer
	go func() {
		defer close(p.exited)
		p.code = run(ctx, append([]string{"telemetry", "collect", "--id", id}, args...), strings.NewReader(""), &out, &p.stderr,
			func(string) string { return "" })
	}()
	t.Cleanup(func() { p.halt(t, nil) })
	return p
}

func (p *collectorProc) halt(t *testing.T, cause error) {
	t.Helper()
	p.stop(cause)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("collector %s did not stop", p.id)
	}
}

// readRedis runs "tuyau telemetry WHAT --redis URL -o json".
func readRedis(t *testing.T, url, what string, v any) error {
	t.Helper()
	r := runCLI(t, nil, "telemetry", what, "-o", "json", "--redis", url, "-i", example)
	if r.code != exitOK {
		return fmt.Errorf("telemetry %s --redis: exit %d: %s", what, r.code, r.stderr)
	}
	return json.Unmarshal([]byte(r.stdout), v)
}

func activeAlarms(t *testing.T, url string) (map[string]telemetry.Alarm, error) {
	var as []telemetry.Alarm
	if err := readRedis(t, url, "alarms", &as); err != nil {
		return nil, err
	}
	out := map[string]telemetry.Alarm{}
	for _, a := range as {
		if a.State == telemetry.AlarmActive {
			out[a.ID] = a
		}
	}
	return out, nil
}

func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %s", what, within, msg)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestTelemetryRedisManche runs the collector on the example network's
// virtual lab with Redis, and reads everything back from Redis through
// the CLI: a duct cut raises exactly the link alarms "topology cuts
// --srlg" predicts and one duct alarm; a collector restarted meanwhile
// restores them (same ids, same raise times) rather than raising them
// again; an acknowledgement given through Redis reaches the running
// engine; the lab restore clears them all; a device killed and restored
// reconnects and its counters' reset gives no false rate.
func TestTelemetryRedisManche(t *testing.T) {
	rs := redislab.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	snap, err := yamlstore.Open(example).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	startForegroundLab(t, ctx, cancel, root, "manche", snap, 60*time.Second)
	cfg := filepath.Join(t.TempDir(), "tuyau.yaml")
	if err := os.WriteFile(cfg, []byte(fastAlarms), 0o600); err != nil {
		t.Fatal(err)
	}
	url := rs.URL()
	common := []string{"-i", example, "--config", cfg, "--lab", "manche", "--lab-dir", root, "--redis", url,
		"--interval", "counters=1s,optics=1s", "--flush", "200ms", "--lease", "2s"}
	colA := startCollect(t, "col-a", append(common, "--listen", "")...)

	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "every link in Redis, most of them up", func() (bool, string) {
		var ls []telemetry.LinkState
		if err := readRedis(t, url, "links", &ls); err != nil {
			return false, err.Error()
		}
		up := 0
		for _, l := range ls {
			if l.Oper == "up" {
				up++
			}
		}
		return len(ls) == len(topo.Links) && up > len(ls)/2, fmt.Sprintf("%d links of %d, %d up\n%s", len(ls), len(topo.Links), up, colA.stderr.String())
	})
	time.Sleep(4 * time.Second) // the links dark from the start settle under their roots
	before, err := activeAlarms(t, url)
	if err != nil {
		t.Fatal(err)
	}

	// The duct taking the most links down, and what topology predicts of it.
	an := topology.Analyze(topo)
	var duct string
	most := 0
	for _, g := range topo.SRLGs() {
		if f, _ := an.Cut(topology.FailSRLG, g.Name); len(f.LinksDown) > most {
			duct, most = g.Name, len(f.LinksDown)
		}
	}
	r := runCLI(t, nil, "topology", "cuts", "-i", example, "--srlg", duct, "-o", "json")
	var predicted topology.Failure
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &predicted) != nil {
		t.Fatalf("topology cuts --srlg %s: exit %d %s", duct, r.code, r.stderr)
	}
	var want []string
	for _, l := range predicted.LinksDown {
		if _, dark := before[telemetry.AlarmID("telemetry", "link-down", "link", l)]; !dark {
			want = append(want, l)
		}
	}
	slices.Sort(want)
	if len(want) < 2 {
		t.Fatalf("duct %s takes down %v: want two links at least", duct, predicted.LinksDown)
	}
	if r := runCLI(t, nil, "lab", "cut", "--srlg", duct, "--lab-dir", root, "--name", "manche"); r.code != exitOK {
		t.Fatalf("lab cut --srlg %s: exit %d %s", duct, r.code, r.stderr)
	}
	rootID := telemetry.AlarmID("telemetry", "duct", "duct", duct)
	newLinkAlarms := func(now map[string]telemetry.Alarm) []string {
		var got []string
		for id, a := range now {
			if _, was := before[id]; !was && a.Rule == "link-down" {
				got = append(got, a.Object)
			}
		}
		slices.Sort(got)
		return got
	}
	var cut map[string]telemetry.Alarm
	eventually(t, 30*time.Second, "the cut's link alarms and its duct alarm in Redis", func() (bool, string) {
		now, err := activeAlarms(t, url)
		if err != nil {
			return false, err.Error()
		}
		cut = now
		root, ok := now[rootID]
		got := newLinkAlarms(now)
		return ok && slices.Equal(got, want) && len(root.Children) == len(want), fmt.Sprintf("link alarms %v want %v, root %v %q", got, want, ok, root.Message)
	})
	time.Sleep(3 * time.Second) // the rest of the network reports: nothing else may be raised
	now, err := activeAlarms(t, url)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for id, a := range now {
		if _, was := before[id]; !was && a.Rule != "link-down" && id != rootID {
			extra = append(extra, a.Rule+" "+a.Object)
		}
	}
	if got := newLinkAlarms(now); !slices.Equal(got, want) || len(extra) > 0 {
		t.Errorf("cut --srlg %s: link alarms %v, want %v (topology cuts less the links dark before); other alarms %v", duct, got, want, extra)
	}
	t.Logf("cut --srlg %s: %s", duct, now[rootID].Message)

	// A new collector replaces the first: it restores the alarms from
	// Redis, so the same ids stay active with their raise times.
	colA.halt(t, nil)
	if colA.code != exitOK {
		t.Fatalf("collector a exit %d:\n%s", colA.code, colA.stderr.String())
	}
	listen := freeAddr(t)
	colB := startCollect(t, "col-b", append(common, "--listen", listen)...)
	eventually(t, 20*time.Second, "collector b running the alarms", func() (bool, string) {
		return strings.Contains(colB.stderr.String(), "engine lease taken"), colB.stderr.String()
	})
	time.Sleep(3 * time.Second)
	after, err := activeAlarms(t, url)
	if err != nil {
		t.Fatal(err)
	}
	for id, a := range cut {
		b, ok := after[id]
		if !ok || !b.Raised.Equal(a.Raised) {
			t.Errorf("after the restart, alarm %s (%s %s): active %v raised %v, want raised %v", id, a.Rule, a.Object, ok, b.Raised, a.Raised)
		}
	}
	if len(after) != len(cut) {
		t.Errorf("after the restart %d active alarms, %d before", len(after), len(cut))
	}

	// An acknowledgement through Redis reaches the engine of collector b.
	if r := runCLI(t, nil, "telemetry", "ack", rootID, "--redis", url, "-i", example, "--by", "alice"); r.code != exitOK {
		t.Fatalf("telemetry ack --redis: exit %d %s", r.code, r.stderr)
	}
	eventually(t, 10*time.Second, "the ack in collector b's engine", func() (bool, string) {
		r := runCLI(t, nil, "telemetry", "alarms", "-o", "json", "--collector", "http://"+listen)
		var as []telemetry.Alarm
		if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &as) != nil {
			return false, r.stderr
		}
		for _, a := range as {
			if a.ID == rootID {
				return a.Acked && a.AckedBy == "alice", fmt.Sprintf("%+v", a)
			}
		}
		return false, "no root alarm in the collector"
	})

	if r := runCLI(t, nil, "lab", "restore", "--srlg", duct, "--lab-dir", root, "--name", "manche"); r.code != exitOK {
		t.Fatalf("lab restore --srlg %s: exit %d %s", duct, r.code, r.stderr)
	}
	eventually(t, 30*time.Second, "every alarm of the cut cleared in Redis", func() (bool, string) {
		now, err := activeAlarms(t, url)
		if err != nil {
			return false, err.Error()
		}
		var left []string
		for id, a := range now {
			if _, was := before[id]; !was {
				left = append(left, a.Rule+" "+a.Object)
			}
		}
		return len(left) == 0, fmt.Sprint(left)
	})

	// A device killed and booted again: it reconnects, its counters start
	// from zero, and no rate jumps.
	var ls []telemetry.LinkState
	if err := readRedis(t, url, "links", &ls); err != nil {
		t.Fatal(err)
	}
	var dev string
	for _, l := range ls {
		if l.Oper == "up" && l.B.Device != "" && l.A.Rated {
			dev = l.A.Device
			break
		}
	}
	if dev == "" {
		t.Fatal("no link up with rates")
	}
	health := func() (telemetry.TargetHealth, error) {
		var hs []telemetry.TargetHealth
		if err := readRedis(t, url, "targets", &hs); err != nil {
			return telemetry.TargetHealth{}, err
		}
		for _, h := range hs {
			if h.Name == dev {
				return h, nil
			}
		}
		return telemetry.TargetHealth{}, fmt.Errorf("no target %s", dev)
	}
	h0, err := health()
	if err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, "lab", "kill", dev, "--lab-dir", root, "--name", "manche"); r.code != exitOK {
		t.Fatalf("lab kill %s: exit %d %s", dev, r.code, r.stderr)
	}
	eventually(t, 20*time.Second, dev+" disconnected in Redis", func() (bool, string) {
		h, err := health()
		return err == nil && !h.Connected, fmt.Sprint(h, err)
	})
	if r := runCLI(t, nil, "lab", "restore", "--device", dev, "--lab-dir", root, "--name", "manche"); r.code != exitOK {
		t.Fatalf("lab restore --device %s: exit %d %s", dev, r.code, r.stderr)
	}
	eventually(t, 30*time.Second, dev+" reconnected, its counters reset and rated again", func() (bool, string) {
		h, err := health()
		if err != nil || !h.Connected || h.Reconnects <= h0.Reconnects {
			return false, fmt.Sprint(h, err)
		}
		var ls []telemetry.LinkState
		if err := readRedis(t, url, "links", &ls); err != nil {
			return false, err.Error()
		}
		for _, l := range ls {
			for _, e := range []telemetry.LinkEnd{l.A, l.B} {
				if e.Device == dev && e.Resets > 0 && e.Rated && l.Oper == "up" {
					return true, ""
				}
			}
		}
		return false, "no end of " + dev + " rated after a reset"
	})
	for range 8 { // a few seconds of samples after the reboot
		if err := readRedis(t, url, "links", &ls); err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			for _, e := range []telemetry.LinkEnd{l.A, l.B} {
				limit := float64(l.SpeedMbps) * 1e6
				if e.Device == dev && (e.InBps < 0 || e.OutBps < 0 || limit > 0 && (e.InBps > limit || e.OutBps > limit)) {
					t.Errorf("%s %s:%s after the reboot: in %.0f out %.0f bit/s on a %d Mbit/s link", l.ID, dev, e.Interface, e.InBps, e.OutBps, l.SpeedMbps)
				}
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	now, err = activeAlarms(t, url)
	if err != nil {
		t.Fatal(err)
	}
	for id, a := range now {
		if _, was := before[id]; !was && (a.Rule == "utilization" || a.Rule == "errors" || a.Rule == "discards") {
			t.Errorf("after %s rebooted: %s on %s: %s", dev, a.Rule, a.Object, a.Message)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

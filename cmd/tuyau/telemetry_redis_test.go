package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/sink/redis"
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
	lab := startCollectorLab(t, ctx, cancel, example, snap, "manche", 60*time.Second)
	root := lab.root
	url := rs.URL()
	common := lab.collectArgs(url, 2*time.Second)
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
	// Read under another network's name, the empty answer says which
	// networks Redis holds; under the right one there is nothing to say.
	if r := runCLI(t, nil, "telemetry", "links", "--redis", url, "--network", "paris"); r.code != exitOK || strings.TrimSpace(r.stdout) == "" ||
		!strings.Contains(r.stderr, `no links under network "paris" in Redis, which holds manche`) {
		t.Errorf("telemetry links --network paris: exit %d, stdout %q, stderr %q; want an empty table and the hint naming manche", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, nil, "telemetry", "targets", "--redis", url, "-i", example); r.code != exitOK || r.stderr != "" {
		t.Errorf("telemetry targets -i example: exit %d, stderr %q; want no hint", r.code, r.stderr)
	}
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
	for id, a := range after {
		// The targets' rules may see the new collector's sessions still
		// connecting; a link or root alarm must not appear anew.
		if _, ok := cut[id]; !ok && a.ObjectKind != "target" {
			t.Errorf("after the restart, a new alarm %s on %s: %s", a.Rule, a.Object, a.Message)
		}
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
				// Never above line rate: the lab's counters stand for the
				// instant they are stamped with (it once took the time before
				// copying a link a reboot was changing: 10.55 Gbit/s on a
				// 10 G link; testlab TestCountersMatchTheirTimestamps).
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

// localTargets are the targets a collector streams now, from its own API.
func localTargets(t *testing.T, listen string) ([]string, error) {
	r := runCLI(t, nil, "telemetry", "targets", "-o", "json", "--collector", "http://"+listen)
	var hs []telemetry.TargetHealth
	if r.code != exitOK {
		return nil, fmt.Errorf("telemetry targets --collector: exit %d: %s", r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &hs); err != nil {
		return nil, err
	}
	var out []string
	for _, h := range hs {
		out = append(out, h.Name)
	}
	return out, nil
}

// TestTelemetryCollectorsTakeover runs three collectors on one Redis over
// the example network's lab. They share the targets (each streamed by
// exactly one, counts within one of each other) and the engine holder
// raises exactly the alarms of a duct cut from the others' data. The
// engine holder is then killed without releasing its leases: its targets
// and the engine are taken over within 2 lease periods, and a write with
// its stale tokens is refused.
func TestTelemetryCollectorsTakeover(t *testing.T) {
	rs := redislab.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	snap, err := yamlstore.Open(example).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lab := startCollectorLab(t, ctx, cancel, example, snap, "manche", 60*time.Second)
	root := lab.root
	url := rs.URL()
	const lease = 2 * time.Second
	common := lab.collectArgs(url, lease)
	cols := map[string]*collectorProc{}
	listens := map[string]string{}
	for _, id := range []string{"col-1", "col-2", "col-3"} {
		listens[id] = freeAddr(t)
		cols[id] = startCollect(t, id, append(common, "--listen", listens[id])...)
	}
	rc := goredis.NewClient(&goredis.Options{Addr: rs.Addr()})
	defer rc.Close()
	keys := redis.NewKeys(snap.Network.Name)
	var names []string
	for _, d := range snap.Devices {
		names = append(names, d.Name)
	}
	slices.Sort(names)
	// holders reads who holds each target's lease and the engine's.
	holders := func() (map[string]string, error) {
		ks := []string{keys.Lease(telemetry.EngineLease)}
		for _, n := range names {
			ks = append(ks, keys.Lease(n))
		}
		vals, err := rc.MGet(ctx, ks...).Result()
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for i, v := range vals {
			if s, ok := v.(string); ok {
				out[strings.TrimPrefix(ks[i], keys.Prefix()+"lease:")] = s
			}
		}
		return out, nil
	}
	// shared checks that the live collectors stream every target, each
	// exactly once, as the leases say, evenly.
	shared := func(live []string) (bool, string) {
		hs, err := holders()
		if err != nil {
			return false, err.Error()
		}
		seen := map[string]string{}
		count := map[string]int{}
		for _, id := range live {
			ts, err := localTargets(t, listens[id])
			if err != nil {
				return false, err.Error()
			}
			for _, n := range ts {
				if other, dup := seen[n]; dup {
					return false, fmt.Sprintf("%s streamed by %s and %s", n, other, id)
				}
				holder, _, _ := strings.Cut(hs[n], " ")
				if holder != id {
					return false, fmt.Sprintf("%s streamed by %s, lease held by %q", n, id, hs[n])
				}
				seen[n] = id
				count[id]++
			}
		}
		lo, hi := len(names), 0
		for _, id := range live {
			lo, hi = min(lo, count[id]), max(hi, count[id])
		}
		return len(seen) == len(names) && hi-lo <= 1, fmt.Sprintf("%d of %d targets streamed, per collector %v", len(seen), len(names), count)
	}
	live := []string{"col-1", "col-2", "col-3"}
	eventually(t, 30*time.Second, "the targets shared by three collectors", func() (bool, string) { return shared(live) })
	// Prometheus scraping the three: every target once, the links from one.
	eventually(t, 30*time.Second, "each target's tuyau_target_up from one collector, the links from one", func() (bool, string) {
		ups := map[string]int{}
		linked := 0
		for _, id := range live {
			resp, err := http.Get("http://" + listens[id] + "/metrics")
			if err != nil {
				return false, err.Error()
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return false, err.Error()
			}
			if strings.Contains(string(body), "\ntuyau_link_oper_state{") {
				linked++
			}
			for _, line := range strings.Split(string(body), "\n") {
				if rest, ok := strings.CutPrefix(line, `tuyau_target_up{target="`); ok {
					name, _, _ := strings.Cut(rest, `"`)
					ups[name]++
				}
			}
		}
		for _, n := range names {
			if ups[n] != 1 {
				return false, fmt.Sprintf("tuyau_target_up{target=%q} from %d collectors", n, ups[n])
			}
		}
		return linked == 1, fmt.Sprintf("link series from %d collectors", linked)
	})

	// The engine holder decides from the three collectors' data: a duct
	// cut raises exactly what topology predicts.
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
		return len(ls) == len(topo.Links) && up > len(ls)/2, fmt.Sprintf("%d links, %d up", len(ls), up)
	})
	time.Sleep(4 * time.Second)
	before, err := activeAlarms(t, url)
	if err != nil {
		t.Fatal(err)
	}
	an := topology.Analyze(topo)
	var duct topology.Failure
	for _, g := range topo.SRLGs() {
		if f, _ := an.Cut(topology.FailSRLG, g.Name); len(f.LinksDown) > len(duct.LinksDown) {
			duct = f
		}
	}
	var want []string
	for _, l := range duct.LinksDown {
		if _, dark := before[telemetry.AlarmID("telemetry", "link-down", "link", l)]; !dark {
			want = append(want, l)
		}
	}
	slices.Sort(want)
	if r := runCLI(t, nil, "lab", "cut", "--srlg", duct.Name, "--lab-dir", root, "--name", "manche"); r.code != exitOK {
		t.Fatalf("lab cut: exit %d %s", r.code, r.stderr)
	}
	rootID := telemetry.AlarmID("telemetry", "duct", "duct", duct.Name)
	eventually(t, 30*time.Second, "the cut's alarms from three collectors' data", func() (bool, string) {
		now, err := activeAlarms(t, url)
		if err != nil {
			return false, err.Error()
		}
		var got []string
		for id, a := range now {
			if _, was := before[id]; !was && a.Rule == "link-down" {
				got = append(got, a.Object)
			}
		}
		slices.Sort(got)
		r, ok := now[rootID]
		return ok && slices.Equal(got, want) && len(r.Children) == len(want), fmt.Sprintf("link alarms %v want %v, root %v", got, want, ok)
	})

	// Kill the engine holder, leases held.
	hs, err := holders()
	if err != nil {
		t.Fatal(err)
	}
	dead, _, _ := strings.Cut(hs[telemetry.EngineLease], " ")
	stale := map[string]uint64{}
	for k, v := range hs {
		if id, tok, _ := strings.Cut(v, " "); id == dead {
			n, err := strconv.ParseUint(tok, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			stale[k] = n
		}
	}
	if len(stale) < 2 {
		t.Fatalf("engine holder %s holds %v", dead, stale)
	}
	killed := time.Now()
	cols[dead].halt(t, errCollectorKilled)
	live = slices.DeleteFunc(live, func(id string) bool { return id == dead })
	var took time.Duration
	for {
		hs, err := holders()
		if err != nil {
			t.Fatal(err)
		}
		moved := 0
		for k := range stale {
			if id, _, _ := strings.Cut(hs[k], " "); slices.Contains(live, id) {
				moved++
			}
		}
		if moved == len(stale) {
			took = time.Since(killed)
			break
		}
		if time.Since(killed) > 10*lease {
			t.Fatalf("%d of the %d leases of %s taken over after %v: %v", moved, len(stale), dead, time.Since(killed), hs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s killed holding %d leases (engine included): all taken over in %v (lease period %v)", dead, len(stale), took.Round(time.Millisecond), lease)
	if took > 2*lease {
		t.Errorf("takeover took %v, more than 2 lease periods (%v)", took, 2*lease)
	}
	eventually(t, 20*time.Second, "the targets shared by the two survivors", func() (bool, string) { return shared(live) })

	// The new engine holder took the alarms over: the cut's are still
	// active with their raise times; the restore clears them.
	if r := runCLI(t, nil, "lab", "restore", "--srlg", duct.Name, "--lab-dir", root, "--name", "manche"); r.code != exitOK {
		t.Fatalf("lab restore: exit %d %s", r.code, r.stderr)
	}
	eventually(t, 30*time.Second, "the cut's alarms cleared by the new engine holder", func() (bool, string) {
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

	// The dead collector wakes up and writes with its stale tokens: refused.
	var refused []redis.Refusal
	var mu sync.Mutex
	late := redis.New(goredis.NewClient(&goredis.Options{Addr: rs.Addr()}), redis.Options{Network: snap.Network.Name, Collector: dead,
		OnRefused: func(r redis.Refusal) { mu.Lock(); refused = append(refused, r); mu.Unlock() }})
	var target string
	for k := range stale {
		if k != telemetry.EngineLease {
			target = k
			break
		}
	}
	now := time.Now()
	err = late.Write(ctx, telemetry.Batch{Collector: dead, Tokens: stale,
		Targets: []telemetry.TargetHealth{{Name: target, Connected: false, Collector: dead}},
		Alarms: []telemetry.Alarm{{ID: rootID, Rule: "duct", Source: "telemetry", Severity: telemetry.SevMajor, State: telemetry.AlarmActive,
			ObjectKind: "duct", Object: duct.Name, Raised: now, Updated: now}}})
	if err != nil {
		t.Fatal(err)
	}
	fctx, fcancel := context.WithTimeout(ctx, 10*time.Second)
	if err := late.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	fcancel()
	late.Close()
	mu.Lock()
	got := slices.Clone(refused)
	mu.Unlock()
	var fenced []string
	for _, r := range got {
		fenced = append(fenced, r.Target)
	}
	slices.Sort(fenced)
	if !slices.Equal(fenced, []string{telemetry.EngineLease, target}) {
		t.Errorf("stale writes of %s refused for %v, want [%s %s] (%+v)", dead, fenced, telemetry.EngineLease, target, got)
	}
	w, err := rc.HGet(ctx, keys.Target(target), "writer").Result()
	if err != nil || w == dead {
		t.Errorf("target %s last written by %q (%v), want a live collector", target, w, err)
	}
	st, err := rc.HGet(ctx, keys.Alarm(rootID), "state").Result()
	if err != nil || st != string(telemetry.AlarmCleared) {
		t.Errorf("duct alarm state %q (%v) after the stale write, want cleared", st, err)
	}
}

// TestTelemetryRedisOutage stops Redis for 10 s under a running collector
// (leases and all) while a lab device dies: once Redis is back, the
// alarms raised and the state changes made meanwhile are all in it, none
// refused as stale.
func TestTelemetryRedisOutage(t *testing.T) {
	rs := redislab.StartPersistent(t)
	ctx, cancel := context.WithCancel(context.Background())
	snap, err := synth.Generate(synth.Options{Sites: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	lab := startCollectorLab(t, ctx, cancel, "", snap, "outage", 30*time.Second)
	inv, root := lab.inv, lab.root
	url := rs.URL()
	col := startCollect(t, "col-o", lab.collectArgs(url, 2*time.Second, "--listen", "")...)
	read := func(what string, v any) error {
		r := runCLI(t, nil, "telemetry", what, "-o", "json", "--redis", url, "-i", inv)
		if r.code != exitOK {
			return fmt.Errorf("telemetry %s --redis: exit %d: %s", what, r.code, r.stderr)
		}
		return json.Unmarshal([]byte(r.stdout), v)
	}
	var dev string
	eventually(t, 30*time.Second, "every target connected in Redis", func() (bool, string) {
		var hs []telemetry.TargetHealth
		if err := read("targets", &hs); err != nil {
			return false, err.Error()
		}
		ok := len(hs) == len(snap.Devices)
		for _, h := range hs {
			ok = ok && h.Connected
		}
		if ok {
			dev = hs[len(hs)-1].Name
		}
		return ok, fmt.Sprintf("%d targets %+v\n%s", len(hs), hs, col.stderr.String())
	})
	rc := goredis.NewClient(&goredis.Options{Addr: rs.Addr()})
	defer rc.Close()
	keys := redis.NewKeys(snap.Network.Name)
	rs.Stop(t)
	stopped := time.Now()
	if r := runCLI(t, nil, "lab", "kill", dev, "--lab-dir", root, "--name", "outage"); r.code != exitOK {
		t.Fatalf("lab kill %s: exit %d %s", dev, r.code, r.stderr)
	}
	time.Sleep(10*time.Second - time.Since(stopped))
	rs.Start(t)
	unreachable := telemetry.AlarmID("telemetry", "target-unreachable", "target", dev)
	eventually(t, 20*time.Second, "the alarm raised during the outage in Redis", func() (bool, string) {
		now, err := read2(t, read)
		if err != nil {
			return false, err.Error()
		}
		a, ok := now[unreachable]
		return ok && a.Raised.After(stopped), fmt.Sprintf("%v %+v", ok, a)
	})
	eventually(t, 10*time.Second, "the state changes of the outage in Redis", func() (bool, string) {
		xs, err := rc.XRange(ctx, keys.Changes(), "-", "+").Result()
		if err != nil {
			return false, err.Error()
		}
		var target, links int
		for _, x := range xs {
			var c telemetry.StateChange
			if json.Unmarshal([]byte(fmt.Sprint(x.Values["json"])), &c) != nil || c.Time.Before(stopped) {
				continue
			}
			switch {
			case c.ObjectKind == "target" && c.Object == dev && c.To == "down":
				target++
			case c.ObjectKind == "link" && c.To == "down":
				links++
			}
		}
		return target == 1 && links > 0, fmt.Sprintf("target %s down %d times, %d links down, in %d changes", dev, target, links, len(xs))
	})
	if strings.Contains(col.stderr.String(), "fenced write refused") {
		t.Errorf("writes refused after the outage:\n%s", col.stderr.String())
	}
}

func read2(t *testing.T, read func(string, any) error) (map[string]telemetry.Alarm, error) {
	var as []telemetry.Alarm
	if err := read("alarms", &as); err != nil {
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

// TestTelemetrySentinelFailover runs the collector against Redis behind
// Sentinel (--redis redis-sentinel://...): the primary fails over to its
// replica mid-stream, then a lab device dies; its alarm reaches the new
// primary, and no write is refused.
func TestTelemetrySentinelFailover(t *testing.T) {
	g := redislab.StartSentinel(t, 1, 3)
	ctx, cancel := context.WithCancel(context.Background())
	snap, err := synth.Generate(synth.Options{Sites: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	lab := startCollectorLab(t, ctx, cancel, "", snap, "sentinel", 30*time.Second)
	inv, root := lab.inv, lab.root
	url := g.URL()
	col := startCollect(t, "col-s", lab.collectArgs(url, 2*time.Second, "--listen", "")...)
	read := func(what string, v any) error {
		r := runCLI(t, nil, "telemetry", what, "-o", "json", "--redis", url, "-i", inv)
		if r.code != exitOK {
			return fmt.Errorf("telemetry %s --redis: exit %d: %s", what, r.code, r.stderr)
		}
		return json.Unmarshal([]byte(r.stdout), v)
	}
	var dev string
	eventually(t, 30*time.Second, "every target connected in Redis", func() (bool, string) {
		var hs []telemetry.TargetHealth
		if err := read("targets", &hs); err != nil {
			return false, err.Error()
		}
		ok := len(hs) == len(snap.Devices)
		for _, h := range hs {
			ok = ok && h.Connected
		}
		if ok {
			dev = hs[0].Name
		}
		return ok, fmt.Sprintf("%d targets\n%s", len(hs), col.stderr.String())
	})
	old, err := g.PrimaryAddr()
	if err != nil {
		t.Fatal(err)
	}
	g.Failover(t)
	g.WaitNewPrimary(t, old, 30*time.Second)
	// The failover is done: what follows is written to the new primary.
	if r := runCLI(t, nil, "lab", "kill", dev, "--lab-dir", root, "--name", "sentinel"); r.code != exitOK {
		t.Fatalf("lab kill %s: exit %d %s", dev, r.code, r.stderr)
	}
	unreachable := telemetry.AlarmID("telemetry", "target-unreachable", "target", dev)
	eventually(t, 30*time.Second, "the alarm after the failover on the new primary", func() (bool, string) {
		now, err := read2(t, read)
		if err != nil {
			return false, err.Error()
		}
		_, ok := now[unreachable]
		return ok, sortedKeys(now)
	})
	// Every state change of the target, from before the failover (its
	// start-up "up", written to the old primary moments before) and after
	// (its death), on the new primary once each. Without WAIT on a
	// replica (--redis-replicas, 1 by default behind Sentinel) they were
	// lost in most runs: acknowledged by the old primary, not yet on the
	// replica it promoted, or taken by the demoted primary before the
	// collector followed the switch.
	primary, err := g.PrimaryAddr()
	if err != nil {
		t.Fatal(err)
	}
	rc := goredis.NewClient(&goredis.Options{Addr: primary})
	defer rc.Close()
	keys := redis.NewKeys(snap.Network.Name)
	eventually(t, 20*time.Second, "the target's state changes on the new primary", func() (bool, string) {
		xs, err := rc.XRange(ctx, keys.Changes(), "-", "+").Result()
		if err != nil {
			return false, err.Error()
		}
		var up, down, targets int
		for _, x := range xs {
			var c telemetry.StateChange
			if json.Unmarshal([]byte(fmt.Sprint(x.Values["json"])), &c) != nil || c.ObjectKind != "target" {
				continue
			}
			targets++
			switch {
			case c.Object == dev && c.To == "up":
				up++
			case c.Object == dev && c.To == "down":
				down++
			}
		}
		return up == 1 && down == 1 && targets >= len(snap.Devices)+1,
			fmt.Sprintf("target %s up %d, down %d times; %d target changes of %d changes", dev, up, down, targets, len(xs))
	})
	if strings.Contains(col.stderr.String(), "fenced write refused") {
		t.Errorf("writes refused across the failover:\n%s", col.stderr.String())
	}
}

func sortedKeys[V any](m map[string]V) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ",")
}

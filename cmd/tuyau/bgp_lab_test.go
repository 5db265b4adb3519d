package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/bgp/hosting"
	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/testlab"
)

// bestNextHop reads the best path's next hop out of "show bgp ipv4 unicast
// PREFIX": "" when the router has no path.
func bestNextHop(out string) string {
	from := ""
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[1] == "from" {
			from = f[0]
		}
		if strings.Contains(l, "valid") && strings.Contains(l, ", best") {
			return from
		}
	}
	return ""
}

// labRIB polls the best path of a prefix at a set of lab routers over
// their CLI (tuyau lab exec), all at once.
type labRIB struct {
	root, name string
	prefix     netip.Prefix
	routers    []string
	// present are routers that must have a path, whatever its next hop:
	// the members' routers, whose next hop is their POP.
	present []string
	// debug are routers whose tables a timeout shows.
	debug []string
	// isolatedOK accepts a router with no path at all: one a killed core
	// router cut off (a POP single-homed to it, and its members).
	isolatedOK bool
}

func (r labRIB) poll(ctx context.Context) map[string]string {
	out := make(map[string]string, len(r.routers)+len(r.present))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, dev := range append(slices.Clone(r.routers), r.present...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			s, err := testlab.Exec(ctx, r.root, r.name, dev, "show bgp ipv4 unicast "+r.prefix.String())
			nh := bestNextHop(s)
			if err != nil && nh == "" {
				nh = "error: " + err.Error()
			}
			mu.Lock()
			out[dev] = nh
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// waitAll polls until every router's best next hop is want and returns
// when it first was; missing counts the rounds where a router had no path
// at all (the prefix unreachable from it).
func (r labRIB) waitAll(t *testing.T, ctx context.Context, what, want string, limit time.Duration) (at time.Time, missing int) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		got := r.poll(ctx)
		now := time.Now()
		ok := true
		for dev, nh := range got {
			none := nh == "" || strings.HasPrefix(nh, "error")
			if none {
				missing++
			}
			if none && r.isolatedOK {
				continue
			}
			if none || (nh != want && slices.Contains(r.routers, dev)) {
				ok = false
			}
		}
		if ok {
			return now, missing
		}
		if now.After(deadline) {
			for _, dev := range r.debug {
				for _, c := range []string{"show bgp ipv4 unicast", "show bgp ipv4 unicast " + r.prefix.String()} {
					s, err := testlab.Exec(ctx, r.root, r.name, dev, c)
					t.Logf("%s %s: %v\n%s", dev, c, err, s)
				}
			}
			t.Fatalf("%s: best next hops %v, want all %s", what, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBGPLabFailover is outcome 4 in the virtual lab, through the CLI: the
// rendered config applied to both core routers ("config apply --lab"),
// both speakers served with --lab at the lab addresses the lab planned for
// them, the failover at dc1. Every router holding a member's session (the
// members' routers take the hosting prefix from them, next hop self) must
// have its best path for the hosting prefix at dc1's hosting next hop; a
// failed service at dc1, a drain and a killed core router move it to
// dc2's, a restore brings it back. Asserted: the path moves, and no router
// is ever without one during the drain (make-before-break) nor during the
// service failure (the backup path is already in every RIB). Timings are
// logged, not asserted (bench/bgp/failover prints them with the default
// timers).
func TestBGPLabFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("a virtual lab, two speakers and a failover: seconds")
	}
	ctx, cancel := context.WithCancel(context.Background())
	root, lab := t.TempDir(), "bgpfo"
	snap, err := synth.Generate(synth.Options{Sites: 6, Seed: 1, Speakers: true})
	if err != nil {
		t.Fatal(err)
	}
	// IPv4 only: the virtual lab's routers carry a speaker's IPv6 path
	// (IPv6 NLRI over the IPv4 session) but do not pass it on to their
	// peers, so the failover would never see an IPv6 prefix taken over.
	for i := range snap.Services {
		snap.Services[i].Prefixes = slices.DeleteFunc(snap.Services[i].Prefixes, func(p netip.Prefix) bool { return p.Addr().Is6() })
	}
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	if err := yamlstore.WriteFile(inv, snap); err != nil {
		t.Fatal(err)
	}
	// Short timers keep the test short; bench/bgp/failover runs the
	// defaults (TUYAU_FAILOVER_DEFAULTS=1).
	cfgFile := filepath.Join(dir, "tuyau.yaml")
	conf := "hosting:\n  hosting: {interval: 500ms, fast-interval: 200ms, timeout: 400ms, rise: 2, fall: 2, startup-hold: 2s, step: 100ms}\n" +
		"  backup: {interval: 500ms, fast-interval: 200ms, timeout: 400ms, rise: 2, fall: 2, startup-hold: 2s, step: 100ms}\n"
	if os.Getenv("TUYAU_FAILOVER_DEFAULTS") != "" {
		conf = "hosting: {hosting: {}, backup: {}}\n"
	}
	os.WriteFile(cfgFile, []byte(conf), 0o644)
	env := map[string]string{"TUYAU_INVENTORY": inv, "TUYAU_CONFIG": cfgFile, "TUYAU_LAB_DIR": root, "TUYAU_LAB_NAME": lab,
		"TUYAU_RECORDS": filepath.Join(dir, "records")}
	startForegroundLab(t, ctx, cancel, root, lab, snap, 60*time.Second)

	var cores, facing, members []string
	sp1, sp2 := snap.Speaker("dc1"), snap.Speaker("dc2")
	if sp1 == nil || sp2 == nil {
		t.Fatalf("synth speakers: %+v", snap.Speakers)
	}
	for _, d := range snap.Devices {
		if d.Role == inventory.RoleCore {
			cores = append(cores, d.Name)
		}
		if d.Role == inventory.RoleMember {
			members = append(members, d.Name)
			continue
		}
		for _, s := range d.BGPSessions {
			if s.Role == inventory.BGPMember {
				facing = append(facing, d.Name)
				break
			}
		}
	}
	if len(facing) == 0 {
		t.Fatal("no router holds a member session")
	}
	nh1, _ := sp1.NextHops()
	nh2, _ := sp2.NextHops()
	svc := snap.Services[0]
	rib := labRIB{root: root, name: lab, prefix: svc.Prefixes[0], routers: facing, present: members, debug: append(slices.Clone(cores), facing[0])}

	// The core routers' side of the speakers' sessions, as rendered.
	if r := runCLI(t, env, append([]string{"config", "apply", "--lab", lab, "--lab-dir", root}, cores...)...); r.code != 0 {
		t.Fatalf("config apply %v: exit %d\n%s%s", cores, r.code, r.stdout, r.stderr)
	}
	serve := func(args ...string) {
		sctx, stop := context.WithCancel(ctx)
		var errb lockedBuffer
		done := make(chan int, 1)
		go func() {
			done <- run(sctx, append([]string{"bgp", "serve", "--lab", lab}, args...), strings.NewReader(""), &bytes.Buffer{}, &errb,
				func(k string) string { return env[k] })
		}()
		t.Cleanup(func() {
			stop()
			if code := <-done; code != 0 || t.Failed() {
				t.Logf("bgp serve %v: exit %d\n%s", args, code, errb.String())
			}
		})
	}
	serve("--speaker", "dc2", "--hosting=false")
	serve("--speaker", "dc1", "--state-dir", filepath.Join(dir, "state"))

	start := time.Now()
	rib.waitAll(t, ctx, "start", nh1.String(), 30*time.Second)
	t.Logf("sessions up and hosting at dc1 on %d member-facing routers %v after %s", len(facing), facing, time.Since(start).Round(time.Millisecond))
	for _, args := range [][]string{{"peers"}, {"routes", svc.Prefixes[0].String()}} {
		if r := runCLI(t, env, append(append([]string{"bgp"}, args...), "--speaker", "dc1", "--lab", lab)...); r.code != 0 || !strings.Contains(r.stdout, "established") && args[0] == "peers" {
			t.Errorf("bgp %v --lab: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	downAt := func(site string) time.Time {
		r := runCLI(t, env, "bgp", "services", "--speaker", "dc1", "--lab", lab, "-o", "json")
		var st []hosting.ServiceStatus
		json.Unmarshal([]byte(r.stdout), &st)
		for _, s := range st {
			for _, x := range s.Sites {
				if s.Name == svc.Name && x.Site == site {
					return x.LastTransition
				}
			}
		}
		return time.Time{}
	}
	labCLI := func(args ...string) {
		t.Helper()
		if r := runCLI(t, env, append([]string{"lab"}, args...)...); r.code != 0 {
			t.Fatalf("lab %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}

	// A failed service at dc1.
	t0 := time.Now()
	labCLI("fail-service", "dc1")
	moved, missing := rib.waitAll(t, ctx, "dc1's service failed", nh2.String(), 60*time.Second)
	detected := downAt("dc1")
	if missing > 0 {
		t.Errorf("service failure: %d router polls without a path (the backup path should be in every RIB)", missing)
	}
	t.Logf("FAILOVER service-failed: all %d routers on dc2 %s after the failure, %s after dc1 was declared down",
		len(facing), moved.Sub(t0).Round(time.Millisecond), moved.Sub(detected).Round(time.Millisecond))
	t0 = time.Now()
	labCLI("restore-service", "dc1")
	back, _ := rib.waitAll(t, ctx, "dc1's service restored", nh1.String(), 60*time.Second)
	t.Logf("FAILBACK service-restored: all routers on dc1 %s after the restore", back.Sub(t0).Round(time.Millisecond))

	// A drain: make-before-break, no router ever without a path.
	t0 = time.Now()
	if r := runCLI(t, env, "bgp", "drain", "dc1", "--speaker", "dc1", "--lab", lab); r.code != 0 {
		t.Fatalf("drain dc1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	moved, missing = rib.waitAll(t, ctx, "dc1 drained", nh2.String(), 60*time.Second)
	if missing > 0 {
		t.Errorf("drain: %d router polls without a path, want 0 (make-before-break)", missing)
	}
	t.Logf("DRAIN: all routers on dc2 %s after bgp drain", moved.Sub(t0).Round(time.Millisecond))
	t0 = time.Now()
	if r := runCLI(t, env, "bgp", "undrain", "dc1", "--speaker", "dc1", "--lab", lab); r.code != 0 {
		t.Fatalf("undrain dc1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	back, missing = rib.waitAll(t, ctx, "dc1 undrained", nh1.String(), 60*time.Second)
	if missing > 0 {
		t.Errorf("undrain: %d router polls without a path, want 0", missing)
	}
	t.Logf("UNDRAIN: all routers on dc1 %s after bgp undrain", back.Sub(t0).Round(time.Millisecond))

	// dc1's core router killed: its sessions drop, the speaker's path with
	// them; the backup path from dc2 is what the routers have left.
	killed := sp1.Peers[0].Device
	kr := rib
	kr.routers = slices.DeleteFunc(slices.Clone(facing), func(s string) bool { return s == killed })
	kr.isolatedOK = true
	t0 = time.Now()
	labCLI("kill", killed)
	moved, _ = kr.waitAll(t, ctx, "dc1's router killed", nh2.String(), 60*time.Second)
	onDC2 := 0
	for _, nh := range kr.poll(ctx) {
		if nh == nh2.String() {
			onDC2++
		}
	}
	if onDC2 == 0 {
		t.Errorf("dc1's router killed: no router on dc2's path")
	}
	t.Logf("FAILOVER router-killed: every router still connected (%d) on dc2 %s after the kill (the others are cut off with it)", onDC2, moved.Sub(t0).Round(time.Millisecond))
	t0 = time.Now()
	labCLI("restore", "--device", killed)
	back, _ = rib.waitAll(t, ctx, "dc1's router restored", nh1.String(), 120*time.Second)
	t.Logf("FAILBACK router-restored: all routers on dc1 %s after the restore", back.Sub(t0).Round(time.Millisecond))
}

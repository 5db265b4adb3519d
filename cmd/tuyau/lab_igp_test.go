package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/provisioning"
	"github.com/tuyau-net/tuyau/provisioning/confirms"
	"github.com/tuyau-net/tuyau/provisioning/sshcli"
)

// TestConfigApplyConfirmRollsBackIGPRemoval is the change issue 13 saw
// pass in the virtual lab and fail on real FRR: a core router's config
// without OSPF (--no-igp), applied with --confirm. Its iBGP sessions ride
// OSPF to the other routers' loopbacks, so they drop; the post-checks must
// fail and the router be rolled back to its OSPF config, sessions back.
func TestConfigApplyConfirmRollsBackIGPRemoval(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	root := t.TempDir()
	// Without its speakers, whose sessions come up only with "tuyau bgp
	// serve": every session of the router is then expected up.
	inv := withoutSpeakers(t, example)
	snap, err := yamlstore.Open(inv).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	startForegroundLab(t, ctx, cancel, root, "igp", snap, 10*time.Second)
	var dev string
	for _, d := range snap.Devices {
		if d.Role == inventory.RoleCore {
			dev = d.Name
			break
		}
	}
	args := func(a ...string) []string {
		return append(a, "-i", inv, "--lab", "igp", "--lab-dir", root, "--records", filepath.Join(root, "records"),
			"--confirm-dir", filepath.Join(root, "confirms"))
	}
	// On the intent first, so the only change left is the IGP's removal.
	if r := runCLI(t, nil, args("config", "apply", dev)...); r.code != exitOK {
		t.Fatalf("apply the intent to %s: exit %d\n%s%s", dev, r.code, r.stdout, r.stderr)
	}
	allUp(t, root, dev, 30*time.Second)
	r := runCLI(t, nil, args("config", "plan", dev, "--no-igp", "-o", "json")...)
	if !strings.Contains(r.stdout, "no router ospf") {
		t.Fatalf("plan --no-igp on %s does not remove OSPF: exit %d\n%s%s", dev, r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, args("config", "apply", dev, "--no-igp", "--confirm", "15s", "-o", "json")...)
	var res []provisioning.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res) != 1 {
		t.Fatalf("apply --no-igp: exit %d, not one JSON result (%v)\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if res[0].Outcome != provisioning.RolledBack || !strings.Contains(res[0].Error, "bgp ") {
		t.Errorf("apply --no-igp --confirm on %s: %s %q, want rolled back on its BGP sessions", dev, res[0].Outcome, res[0].Error)
	}
	if r.code == exitOK {
		t.Errorf("apply --no-igp --confirm: exit 0 for a rolled-back change")
	}
	// The cancel path: the live apply settled its state file itself, and
	// its detached confirm timer exits with nothing left to do.
	st, err := confirms.Open(filepath.Join(root, "confirms"))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := st.List()
	if err != nil || len(cs) != 1 || cs[0].State != confirms.RolledBack || cs[0].By != "apply" {
		t.Fatalf("confirm state after the apply's rollback: %+v (%v), want one commit rolled back by the apply", cs, err)
	}
	timerGone(t, cs[0])
	// Back on the intent, OSPF and sessions included.
	if r := runCLI(t, nil, args("config", "plan", dev, "--detailed-exitcode")...); r.code != exitOK {
		t.Errorf("after the rollback, plan: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	allUp(t, root, dev, 30*time.Second)
}

// allUp waits until every BGP session of dev in the lab is Established.
func allUp(t *testing.T, root, dev string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st := runCLI(t, nil, "lab", "exec", "--lab-dir", root, "--name", "igp", dev, "show bgp summary json")
		states, err := sshcli.ParseBGPSummary([]byte(st.stdout))
		down := []string{}
		for a, s := range states {
			if s != "Established" {
				down = append(down, a+" "+s)
			}
		}
		if err == nil && len(states) > 0 && len(down) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: sessions not all up after %s: %v %v\n%s", dev, within, down, err, st.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

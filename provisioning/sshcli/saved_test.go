package sshcli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
)

// TestFRRUnsaved proves on real FRR 8.4 that plan reports a running config
// that differs from the one the router boots with as drift of its own,
// and that apply saves a router whose running config is on the intent but
// unsaved: a hand change left unsaved is seen, and once the inventory
// takes it up, apply only saves, and the router's frr.conf then holds it.
func TestFRRUnsaved(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FRR and sshd")
	}
	lab, kh, key := startFRRLab(t, []string{"pop-r1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	snap := twoRouterInventory()
	reg := provisioning.Builtin()
	r := lab["pop-r1"]
	dial := &Dialer{KnownHosts: kh, Credentials: Credentials{Username: "root", PrivateKey: key},
		Targets: map[string]string{"pop-r1": r.addr}, Timeout: 10 * time.Second}
	rec, err := provisioning.OpenRecords(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	only := []string{"pop-r1"}
	plan := func(t *testing.T) provisioning.DevicePlan {
		t.Helper()
		p, err := provisioning.MakePlan(ctx, inventory.NewIndex(snap), reg, dial, provisioning.PlanOptions{Devices: only, Startup: rec})
		if err != nil || p.Err() != nil {
			t.Fatalf("plan: %v %v", err, p.Err())
		}
		return p.Devices[0]
	}
	apply := func(t *testing.T) provisioning.Result {
		t.Helper()
		x := inventory.NewIndex(snap)
		p, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{Devices: only, Startup: rec})
		if err != nil || p.Err() != nil {
			t.Fatalf("plan: %v %v", err, p.Err())
		}
		res := provisioning.Apply(ctx, p, reg, map[string]inventory.Device{"pop-r1": *x.Device("pop-r1")}, dial, provisioning.ApplyOptions{})
		if _, err := provisioning.RecordApply(ctx, rec, p, res, "test"); err != nil {
			t.Fatal(err)
		}
		return res[0]
	}

	if dp := plan(t); dp.Unsaved != "" {
		t.Errorf("router tuyau never saved: unsaved %q, want nothing said", dp.Unsaved)
	}
	if res := apply(t); res.Outcome != provisioning.Applied || !res.Saved {
		t.Fatalf("first apply: %s saved=%v %s", res.Outcome, res.Saved, res.Error)
	}
	if dp := plan(t); dp.Changed() || dp.Unsaved != "" {
		t.Fatalf("after apply: %d commands, unsaved %q; want nothing to do", len(dp.Commands), dp.Unsaved)
	}

	// A hand change on the router, not saved.
	out := r.vtyshShow(t, "configure terminal\ninterface eth1\ndescription patched by hand\nend")
	if strings.Contains(out, "%") {
		t.Fatalf("hand change: %s", out)
	}
	dp := plan(t)
	if !dp.Changed() || !strings.Contains(dp.Unsaved, "not saved") || !strings.Contains(dp.UnsavedDiff, "+ description patched by hand") {
		t.Fatalf("unsaved hand change: %d commands, unsaved %q\n%s; want the change planned back and reported unsaved", len(dp.Commands), dp.Unsaved, dp.UnsavedDiff)
	}

	// The inventory takes the change up: the router is on the intent, only
	// unsaved. Apply saves it, and nothing else.
	snap.Devices[0].Interfaces[1].Description = "patched by hand"
	dp = plan(t)
	if dp.Changed() || !dp.NeedsSave() {
		t.Fatalf("intent equal to the hand change: %q, unsaved %q; want no command, needs a save", dp.Commands, dp.Unsaved)
	}
	if res := apply(t); res.Outcome != provisioning.Saved || !res.Saved || res.Error != "" {
		t.Fatalf("apply of an unsaved router: %s saved=%v %q; want saved", res.Outcome, res.Saved, res.Error)
	}
	saved, err := os.ReadFile(filepath.Join(r.dir, "frr.conf"))
	if err != nil || !strings.Contains(string(saved), " description patched by hand") {
		t.Errorf("frr.conf after the save does not hold the change (%v):\n%s", err, saved)
	}
	if dp := plan(t); dp.Changed() || dp.Unsaved != "" {
		t.Errorf("after the save: %q, unsaved %q; want nothing to do", dp.Commands, dp.Unsaved)
	}
}

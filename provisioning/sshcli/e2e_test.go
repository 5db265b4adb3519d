package sshcli

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/provisioning"
)

// TestRealFRR drives real FRR routers over real SSH through the whole
// cycle: plan, apply with post-checks (BGP established, checked on the
// routers), an empty second plan, a rejected command rolled back to the
// exact previous config, and a wrong host key refused untouched.
func TestRealFRR(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FRR and sshd")
	}
	lab, x, devs, dial, kh := startTwoRouters(t, 20*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	reg := provisioning.Builtin()

	plan, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{})
	if err != nil || plan.Err() != nil {
		t.Fatalf("plan: %v %v", err, plan.Err())
	}
	if plan.Changes() != 2 {
		t.Fatalf("first plan changes %d devices, want 2", plan.Changes())
	}
	res := provisioning.Apply(ctx, plan, reg, devs, dial, provisioning.ApplyOptions{
		Confirm: 90 * time.Second, PostChecks: true, PollEvery: time.Second})
	for _, r := range res {
		if r.Outcome != provisioning.Applied {
			t.Fatalf("%s: %s: %s %s", r.Device, r.Outcome, r.Error, r.RollbackError)
		}
	}
	// Checked on the router itself, not through tuyau.
	for n, r := range lab {
		if out := r.vtyshShow(t, "show bgp summary"); !strings.Contains(out, "Total number of neighbors 1") || strings.Contains(out, "Active") || strings.Contains(out, "Connect") {
			t.Errorf("%s: BGP not established:\n%s", n, out)
		}
	}
	// Routes follow the session by a moment (update timers): poll.
	var out string
	for i := 0; i < 30; i++ {
		if out = lab["pop-r1"].vtyshShow(t, "show ip bgp 172.16.0.0/28"); strings.Contains(out, "4200000001") {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !strings.Contains(out, "4200000001") {
		t.Errorf("pop-r1 did not learn the member LAN:\n%s\nmairie-r1:\n%s", out, lab["mairie-r1"].vtyshShow(t, "show ip bgp"))
	}

	again, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{})
	if err != nil || again.Err() != nil {
		t.Fatalf("second plan: %v %v", err, again.Err())
	}
	for _, dp := range again.Devices {
		if dp.Changed() {
			t.Errorf("second plan changes %s:\n%s\n%q", dp.Device, dp.Diff, dp.Commands)
		}
	}

	t.Run("rejected command rolls back", func(t *testing.T) {
		before := lab["mairie-r1"].vtyshShow(t, "show running-config")
		bad := *again
		bad.Devices = nil
		for _, dp := range again.Devices {
			if dp.Device == "mairie-r1" {
				dp.Commands = []string{"interface eth1", "description half-way", "exit", "router bgp 4200000001",
					"neighbor 10.128.0.0 description changed", "neighbor 10.128.0.0 frobnicate", "exit"}
				bad.Devices = append(bad.Devices, dp)
			}
		}
		res := provisioning.Apply(ctx, &bad, reg, devs, dial, provisioning.ApplyOptions{})
		if res[0].Outcome != provisioning.RolledBack || !strings.Contains(res[0].Error, "frobnicate") {
			t.Fatalf("outcome %s %q, want rolled back naming the rejected command", res[0].Outcome, res[0].Error)
		}
		after := lab["mairie-r1"].vtyshShow(t, "show running-config")
		if after != before {
			t.Errorf("mairie-r1 not back on its exact previous config:\n%s", provisioning.UnifiedDiff("before", "after", before, after))
		}
	})

	t.Run("wrong host key touches nothing", func(t *testing.T) {
		bad, err := os.ReadFile(kh)
		if err != nil {
			t.Fatal(err)
		}
		// Swap the two routers' keys: each host now presents an unknown key.
		lines := strings.Split(strings.TrimSpace(string(bad)), "\n")
		f0, f1 := strings.Fields(lines[0]), strings.Fields(lines[1])
		lines[0], lines[1] = f0[0]+" "+f1[1]+" "+f1[2], f1[0]+" "+f0[1]+" "+f0[2]
		wrong := t.TempDir() + "/known_hosts"
		os.WriteFile(wrong, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
		d := &Dialer{KnownHosts: wrong, Credentials: dial.Credentials, Targets: dial.Targets, Timeout: 10 * time.Second}
		_, err = d.Dial(ctx, devs["pop-r1"], "ssh")
		if err == nil || !strings.Contains(err.Error(), "pop-r1") {
			t.Errorf("dial with a wrong host key = %v, want an error naming the device", err)
		}
		d = &Dialer{KnownHosts: t.TempDir() + "/empty", Credentials: dial.Credentials, Targets: dial.Targets}
		if _, err := d.Dial(ctx, devs["pop-r1"], "ssh"); !errors.Is(err, ErrUnknownHost) {
			t.Errorf("dial of an unknown host = %v, want ErrUnknownHost", err)
		}
	})

	t.Run("dead device is reported, the others are planned", func(t *testing.T) {
		lab["mairie-r1"].sshd.Process.Kill()
		lab["mairie-r1"].sshd.Wait()
		plan, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, dp := range plan.Devices {
			switch dp.Device {
			case "mairie-r1":
				if !strings.Contains(dp.Error, "mairie-r1") || !strings.Contains(dp.Error, "connection refused") {
					t.Errorf("dead mairie-r1: error %q, want one naming it and the refused connection", dp.Error)
				}
			default:
				if dp.Error != "" || dp.Changed() {
					t.Errorf("%s: %q, changed %v; want planned, nothing to do", dp.Device, dp.Error, dp.Changed())
				}
			}
		}
		res := provisioning.Apply(ctx, plan, reg, devs, dial, provisioning.ApplyOptions{})
		for _, r := range res {
			if r.Device == "mairie-r1" && r.Outcome != provisioning.Skipped {
				t.Errorf("dead device: outcome %s, want skipped", r.Outcome)
			}
		}
	})
}

package sshcli

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/provisioning"
)

// TestFRRPostChecksBothEnds proves on real FRR 8.4 that post-checks keep
// a change only once what it configures is up on both ends: a session the
// apply repairs is checked although it was down before the apply, on this
// router and on the far one (in the inventory, not in the apply), and a
// far end that cannot be read fails the checks by name, so the change is
// rolled back when the confirm window runs out.
func TestFRRPostChecksBothEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FRR and sshd")
	}
	lab, x, devs, dial, _ := startTwoRouters(t, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	reg := provisioning.Builtin()
	plan, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{})
	if err != nil || plan.Err() != nil {
		t.Fatalf("plan: %v %v", err, plan.Err())
	}
	for _, r := range provisioning.Apply(ctx, plan, reg, devs, dial, provisioning.ApplyOptions{Confirm: time.Minute, PostChecks: true, PollEvery: 500 * time.Millisecond}) {
		if r.Outcome != provisioning.Applied {
			t.Fatalf("%s: %s %s", r.Device, r.Outcome, r.Error)
		}
	}
	mairie := lab["mairie-r1"]
	// breakSession makes the member's session wrong by hand, so both ends
	// drop it, and waits until mairie-r1 sees it down.
	breakSession := func(t *testing.T) {
		mairie.vtyshShow(t, "configure terminal\nrouter bgp 4200000001\nneighbor 10.128.0.0 remote-as 65099\nend")
		for i := 0; i < 100; i++ {
			if out := mairie.vtyshShow(t, "show bgp summary json"); !strings.Contains(out, `"state":"Established"`) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatal("mairie-r1's session still Established after the wrong remote-as")
	}
	planMairie := func(t *testing.T) *provisioning.Plan {
		t.Helper()
		p, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{Devices: []string{"mairie-r1"}})
		if err != nil || p.Err() != nil || p.Changes() != 1 {
			t.Fatalf("plan: %v %v, %d changes", err, p.Err(), p.Changes())
		}
		return p
	}

	t.Run("repaired session checked on both ends", func(t *testing.T) {
		breakSession(t)
		p := planMairie(t)
		c := p.Devices[0].Checks
		want := []provisioning.RemoteCheck{{Device: "pop-r1", Transport: "ssh", Neighbor: "10.128.0.1", Of: "10.128.0.0"}}
		if !reflect.DeepEqual(c.Remote, want) || !strings.Contains(strings.Join(c.Configured, " "), "10.128.0.0") {
			t.Fatalf("checks of the repair: configured %q, remote %+v; want the session configured and pop-r1's end %+v", c.Configured, c.Remote, want)
		}
		res := provisioning.Apply(ctx, p, reg, devs, dial, provisioning.ApplyOptions{Confirm: time.Minute, PostChecks: true, PollEvery: 500 * time.Millisecond})
		if r := res[0]; r.Outcome != provisioning.Applied || len(r.Notes) != 0 {
			t.Fatalf("repair: %s %q, notes %q; want applied with the session checked", r.Outcome, r.Error, r.Notes)
		}
		for n, r := range lab {
			if out := r.vtyshShow(t, "show bgp summary json"); !strings.Contains(out, `"state":"Established"`) {
				t.Errorf("%s: session not Established after a kept repair:\n%s", n, out)
			}
		}
	})

	t.Run("unreadable far end fails the checks by name", func(t *testing.T) {
		breakSession(t)
		broken := mairie.vtyshShow(t, "show running-config")
		p := planMairie(t)
		pop := lab["pop-r1"]
		pop.sshd.Process.Kill()
		pop.sshd.Wait()
		start := time.Now()
		res := provisioning.Apply(ctx, p, reg, devs, dial, provisioning.ApplyOptions{Confirm: 4 * time.Second, PostChecks: true, PollEvery: 500 * time.Millisecond})
		r := res[0]
		if r.Outcome != provisioning.RolledBack || !strings.Contains(r.Error, "confirm window 4s elapsed") || !strings.Contains(r.Error, "far end pop-r1: cannot read its state") {
			t.Fatalf("far end unreadable: %s %q; want rolled back naming pop-r1", r.Outcome, r.Error)
		}
		if took := time.Since(start); took > 40*time.Second {
			t.Errorf("apply took %s with a 4s confirm window", took)
		}
		if after := mairie.vtyshShow(t, "show running-config"); after != broken {
			t.Errorf("not rolled back:\n%s", provisioning.UnifiedDiff("before", "after", broken, after))
		}
	})
}

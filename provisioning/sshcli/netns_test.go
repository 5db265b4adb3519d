package sshcli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"

	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/provisioning"
	"github.com/tuyau-net/tuyau/testlab/netns"
)

// TestExampleNetworkNetns provisions the example network (50 routers) on
// real FRR in network namespaces that boot with interfaces only: tuyau
// plans, applies over SSH, and every BGP session whose peer is in the lab
// (transit providers are not) must be Established, checked on the
// routers; a second plan must find nothing to do.
func TestExampleNetworkNetns(t *testing.T) {
	if testing.Short() {
		t.Skip("50 FRR routers: skipped with -short")
	}
	needRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	snap, err := yamlstore.Open("../../examples/manche").Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pwb := make([]byte, 12)
	rand.Read(pwb)
	pw := hex.EncodeToString(pwb)
	start := time.Now()
	// A name of its own: two test runs on one machine must not collide.
	lab, err := netns.Up(ctx, snap, netns.Options{Name: fmt.Sprintf("tp%04x", os.Getpid()&0xffff), StateDir: t.TempDir(), Config: netns.ConfigBootstrap, Password: pw, Parallel: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Down(context.Background()); err != nil {
			t.Errorf("lab down: %v", err)
		}
	})
	t.Logf("lab up: %d routers in %v", len(lab.State().Devices), time.Since(start).Round(time.Millisecond))

	x := inventory.NewIndex(snap)
	reg := provisioning.Builtin()
	dial := &Dialer{KnownHosts: lab.KnownHosts(), Credentials: Credentials{Username: lab.User(), Password: pw},
		Targets: lab.Targets(), Timeout: 30 * time.Second}
	devs := map[string]inventory.Device{}
	for _, d := range snap.Devices {
		devs[d.Name] = d
	}

	start = time.Now()
	plan, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{Parallel: 10})
	if err != nil || plan.Err() != nil {
		t.Fatalf("plan: %v %v", err, plan.Err())
	}
	planTime := time.Since(start)
	if plan.Changes() != len(snap.Devices) {
		t.Fatalf("first plan changes %d devices, want %d", plan.Changes(), len(snap.Devices))
	}
	start = time.Now()
	// With --confirm and post-checks, as an operator would push a network:
	// every device is kept only once its own interfaces and BGP sessions
	// (transit included) are up, read from the device by tuyau.
	res := provisioning.Apply(ctx, plan, reg, devs, dial, provisioning.ApplyOptions{Parallel: 10,
		Confirm: 3 * time.Minute, PostChecks: true, PollEvery: 2 * time.Second})
	applyTime := time.Since(start)
	for _, r := range res {
		if r.Outcome != provisioning.Applied {
			t.Errorf("%s: %s: %s %s", r.Device, r.Outcome, r.Error, r.RollbackError)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Checked on the routers, through the lab, not through tuyau.
	start = time.Now()
	var bad []string
	for {
		bad = bad[:0]
		for _, d := range snap.Devices {
			peers, err := lab.BGPPeers(ctx, d.Name)
			if err != nil {
				t.Fatal(err)
			}
			state := map[string]string{}
			for _, p := range peers {
				state[p.Peer] = p.State
			}
			for _, s := range d.BGPSessions {
				// Transit sessions too: the lab runs the providers' routers.
				if state[s.PeerAddress.String()] != "Established" {
					bad = append(bad, d.Name+"->"+s.PeerAddress.String()+" "+state[s.PeerAddress.String()])
				}
			}
		}
		if len(bad) == 0 || time.Since(start) > 3*time.Minute {
			break
		}
		time.Sleep(time.Second)
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Fatalf("%d sessions not Established after %v: %s", len(bad), time.Since(start).Round(time.Second), strings.Join(bad, ", "))
	}
	conv := time.Since(start)

	start = time.Now()
	again, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{Parallel: 10})
	if err != nil || again.Err() != nil {
		t.Fatalf("second plan: %v %v", err, again.Err())
	}
	for _, dp := range again.Devices {
		if dp.Changed() {
			t.Errorf("second plan changes %s:\n%s", dp.Device, dp.Diff)
		}
	}
	t.Logf("example network over SSH: plan %v, apply with post-checks passed %v (%d devices, parallel 10), every lab session Established %v later, no-change plan %v",
		planTime.Round(time.Millisecond), applyTime.Round(time.Millisecond), len(res), conv.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

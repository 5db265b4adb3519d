package sshcli

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
)

// TestFRRHostDrift proves on real FRR 8.4 that an MTU the inventory sets
// is read from the router and reported as drift, with what to do, and
// never pushed (FRR has no mtu command), and that the render states only
// what tuyau enforces: no "frr defaults" line, and "ip forwarding", which
// a fresh namespace lacks, is planned and then holds.
func TestFRRHostDrift(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FRR and sshd")
	}
	lab, kh, key := startFRRLab(t, []string{"pop-r1"}, nil)
	r := lab["pop-r1"]
	// startFRRLab links routers; this one gets a lone veth of its own.
	tmp := "tm" + r.ns[len(r.ns)-8:]
	run(t, "ip", "link", "add", tmp, "type", "veth", "peer", "name", tmp+"p")
	run(t, "ip", "link", "set", tmp, "netns", r.ns, "name", "eth1")
	run(t, "ip", "-n", r.ns, "link", "set", "eth1", "up")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	snap := twoRouterInventory()
	snap.Devices[0].Interfaces[1].MTU = 9000
	x := inventory.NewIndex(snap)
	reg := provisioning.Builtin()
	dial := &Dialer{KnownHosts: kh, Credentials: Credentials{Username: "root", PrivateKey: key},
		Targets: map[string]string{"pop-r1": r.addr}, Timeout: 10 * time.Second}
	plan := func(t *testing.T) provisioning.DevicePlan {
		t.Helper()
		p, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{Devices: []string{"pop-r1"}})
		if err != nil || p.Err() != nil {
			t.Fatalf("plan: %v %v", err, p.Err())
		}
		return p.Devices[0]
	}
	dp := plan(t)
	if strings.Contains(dp.Intended, "frr defaults") {
		t.Errorf("render states frr defaults, which a running router cannot change:\n%s", dp.Intended)
	}
	if !slices.Contains(dp.Commands, "ip forwarding") || !slices.Contains(dp.Commands, "ipv6 forwarding") {
		t.Errorf("forwarding off in the namespace: commands %q, want ip and ipv6 forwarding", dp.Commands)
	}
	for _, c := range dp.Commands {
		if strings.Contains(c, "mtu") {
			t.Errorf("plan pushes %q: FRR cannot set an MTU", c)
		}
	}
	want := "interface eth1: MTU 1500 on the device, 9000 in the inventory; FRR cannot set it: set it on the host (ip link set dev eth1 mtu 9000"
	if len(dp.Drift) != 1 || !strings.HasPrefix(dp.Drift[0], want) {
		t.Fatalf("drift %q, want one entry starting %q", dp.Drift, want)
	}
	res := provisioning.Apply(ctx, &provisioning.Plan{Format: provisioning.PlanFormat, Devices: []provisioning.DevicePlan{dp}}, reg,
		map[string]inventory.Device{"pop-r1": *x.Device("pop-r1")}, dial, provisioning.ApplyOptions{})
	if res[0].Outcome != provisioning.Applied {
		t.Fatalf("apply: %s %s", res[0].Outcome, res[0].Error)
	}
	if out := r.vtyshShow(t, "show running-config"); strings.Contains(out, "no ip forwarding") {
		t.Errorf("forwarding still off after apply:\n%s", out)
	}
	// The MTU set on the host as the drift says: nothing left to report.
	run(t, "ip", "-n", r.ns, "link", "set", "eth1", "mtu", "9000")
	if dp := plan(t); dp.Changed() || len(dp.Drift) != 0 {
		t.Errorf("after ip link set mtu 9000: %q, drift %q; want nothing", dp.Commands, dp.Drift)
	}
}

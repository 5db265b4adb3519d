package sshcli

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/provisioning"
)

// TestFRRConvergence types generated configs into a real FRR 8.4 and
// checks that one plan and apply reach exactly the intent: every command
// of the batch accepted (a rejection rolls back and fails the case),
// verify passing, and a second plan empty. The configs are the renderer's
// config of a core router of examples/manche with random mutations
// (neighbors, prefix-list entries renumbered, route-map clauses,
// community lists, peer-groups and their members, interfaces, a VRF BGP
// instance, EVPN VNIs) and, every few steps, brownfield config typed
// straight into vtysh. Each walk starts from where the last one left the
// router. TUYAU_CONVERGE_WALKS and TUYAU_CONVERGE_STEPS make it longer
// (make test-converge).
func TestFRRConvergence(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FRR and sshd")
	}
	walks, steps := envInt("TUYAU_CONVERGE_WALKS", 4), envInt("TUYAU_CONVERGE_STEPS", 60)
	const dev = "saint-lo-dc-r1"
	lab, kh, key := startFRRLab(t, []string{dev}, nil)
	r := lab[dev]
	ifaces := []string{"eth1", "eth2", "eth3", "eth4", "eth5", "eth6"}
	for _, i := range ifaces {
		run(t, "ip", "-n", r.ns, "link", "add", i, "type", "veth", "peer", "name", "p"+i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	snap, err := yamlstore.Open("../../examples/manche").Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	x := inventory.NewIndex(snap)
	reg := provisioning.Builtin()
	rendered, err := provisioning.RenderDevice(x, reg, dev, "frr", provisioning.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := string(rendered.Config)
	var baseNbrs []string
	for _, l := range strings.Split(base, "\n") {
		if f := strings.Fields(l); len(f) == 4 && f[0] == "neighbor" && f[2] == "remote-as" {
			baseNbrs = append(baseNbrs, f[1])
		}
	}
	d := *x.Device(dev)
	pool := provisioning.NewPool(&Dialer{KnownHosts: kh, Credentials: Credentials{Username: "root", PrivateKey: key},
		Targets: map[string]string{dev: r.addr}, Timeout: 20 * time.Second})
	defer pool.Close()
	frr, _ := reg.Get("frr")
	cases, commands := 0, 0
	start := time.Now()
	for w := 0; w < walks; w++ {
		rng := rand.New(rand.NewPCG(uint64(w+1), 13))
		m := newConvergeModel(ifaces)
		for s := 0; s < steps; s++ {
			var did []string
			for range 1 + rng.IntN(3) {
				did = append(did, m.mutate(rng, baseNbrs))
			}
			if s%7 == 3 {
				r.vtyshConfig(t, handTyped(rng))
				did = append(did, "brownfield typed into vtysh")
			}
			want := m.render(base)
			dp, err := provisioning.PlanConfig(ctx, d, frr, pool, "ssh", []byte(want))
			if err != nil {
				t.Fatalf("walk %d step %d: plan: %v", w, s, err)
			}
			cases++
			commands += len(dp.Commands)
			if dp.Changed() {
				res := provisioning.Apply(ctx, &provisioning.Plan{Devices: []provisioning.DevicePlan{dp}}, reg,
					map[string]inventory.Device{dev: d}, pool, provisioning.ApplyOptions{})
				if res[0].Outcome != provisioning.Applied {
					t.Fatalf("walk %d step %d (%s): %s: %s %s\ncommands:\n%s", w, s, strings.Join(did, "; "), res[0].Outcome,
						res[0].Error, res[0].RollbackError, strings.Join(provisioning.FRRIndent(dp.Commands), "\n"))
				}
			}
			again, err := provisioning.PlanConfig(ctx, d, frr, pool, "ssh", []byte(want))
			if err != nil || again.Changed() {
				t.Fatalf("walk %d step %d (%s): second plan: %v, still to do %q\nfirst commands:\n%s\ndiff:\n%s", w, s,
					strings.Join(did, "; "), err, again.Commands, strings.Join(provisioning.FRRIndent(dp.Commands), "\n"), again.Diff)
			}
		}
	}
	t.Logf("%d cases, %d commands, all converged in one apply, in %s", cases, commands, time.Since(start).Round(time.Millisecond))
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
		return n
	}
	return def
}

// vtyshConfig types configuration lines into the router's vtysh directly,
// as a person at the console would (not through tuyau).
func (r *frrRouter) vtyshConfig(t *testing.T, lines []string) {
	t.Helper()
	args := []string{"netns", "exec", r.ns, "vtysh", "--vty_socket", r.dir, "-c", "configure terminal"}
	for _, l := range lines {
		args = append(args, "-c", strings.TrimSpace(l))
	}
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: typing config: %v\n%s", r.name, err, out)
	}
}

package sshcli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
)

// signal sends sig to one of the router's FRR daemons.
func (r *frrRouter) signal(t *testing.T, daemon string, sig syscall.Signal) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, daemon+".pid"))
	if err != nil {
		t.Fatalf("%s: %s pid: %v", r.name, daemon, err)
	}
	var pid int
	for _, c := range strings.TrimSpace(string(b)) {
		pid = pid*10 + int(c-'0')
	}
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("%s: kill -%d %s (%d): %v", r.name, sig, daemon, pid, err)
	}
}

// restart starts a killed daemon again, empty, as watchfrr would.
func (r *frrRouter) restart(t *testing.T, daemon string) {
	t.Helper()
	pid := filepath.Join(r.dir, daemon+".pid")
	run(t, "ip", "netns", "exec", r.ns, "/usr/lib/frr/"+daemon, "-d", "-u", "frr", "-g", "frr",
		"--vty_socket", r.dir, "-i", pid, "-f", "/dev/null", "-z", filepath.Join(r.dir, "zserv.api"))
}

// TestFRRTrust proves on real FRR 8.4 what a production router needs from
// provisioning: the applied config is saved, records keep the config from
// before the first apply so a rollback undoes it, a rollback plan changes
// nothing, a record of another format is refused, a rejected command is
// named with its position, a read while a daemon is down is an error, and a
// hung router is reported within --timeout while the other is applied.
func TestFRRTrust(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FRR and sshd")
	}
	lab, kh, key := startFRRLab(t, []string{"pop-r1", "mairie-r1"}, [][2]string{{"pop-r1:eth1", "mairie-r1:eth1"}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	snap := twoRouterInventory()
	x := inventory.NewIndex(snap)
	reg := provisioning.Builtin()
	targets := map[string]string{}
	devs := map[string]inventory.Device{}
	for n, r := range lab {
		targets[n] = r.addr
		devs[n] = *x.Device(n)
	}
	dial := &Dialer{KnownHosts: kh, Credentials: Credentials{Username: "root", PrivateKey: key}, Targets: targets, Timeout: 10 * time.Second}
	rec, err := provisioning.OpenRecords(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mairie := lab["mairie-r1"]
	before := mairie.vtyshShow(t, "show running-config")

	plan, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{})
	if err != nil || plan.Err() != nil {
		t.Fatalf("plan: %v %v", err, plan.Err())
	}
	res := provisioning.Apply(ctx, plan, reg, devs, dial, provisioning.ApplyOptions{})
	for _, r := range res {
		if r.Outcome != provisioning.Applied || !r.Saved || r.Error != "" {
			t.Fatalf("%s: %s saved=%v %s", r.Device, r.Outcome, r.Saved, r.Error)
		}
	}
	if _, err := provisioning.RecordApply(ctx, rec, plan, res, "test"); err != nil {
		t.Fatal(err)
	}

	t.Run("applied config is saved", func(t *testing.T) {
		for n, r := range lab {
			saved, err := os.ReadFile(filepath.Join(r.dir, "frr.conf"))
			if err != nil {
				t.Fatal(err)
			}
			d, err := provisioning.FRR{}.Delta([]byte(r.vtyshShow(t, "show running-config")), saved)
			// The lab's daemons start outside the router's UTS namespace and
			// add the host's own "hostname" line: only that may differ.
			d.Commands = slices.DeleteFunc(d.Commands, func(c string) bool { return strings.HasPrefix(c, "hostname ") })
			if err != nil || d.Changed() {
				t.Errorf("%s: saved frr.conf differs from the running config: %v %q\n%s", n, err, d.Commands, saved)
			}
		}
	})

	t.Run("rejected command named with its position", func(t *testing.T) {
		c, err := dial.Dial(ctx, devs["pop-r1"], "ssh")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cmds := []string{"router bgp 65000", "neighbor 10.128.0.1 description ok", "neighbor 10.255.0.1 remote-as 65001",
			"exit", "interface eth1", "frobnicate", "exit"}
		err = c.Push(ctx, provisioning.Delta{Commands: cmds})
		var ce *provisioning.CommandError
		if !errors.As(err, &ce) {
			t.Fatalf("push = %v, want a CommandError", err)
		}
		if ce.Position != 3 || ce.Command != cmds[2] || ce.Context != "router bgp 65000" ||
			!strings.Contains(ce.Message, "local system") || len(ce.Others) != 1 || !strings.Contains(ce.Others[0], "frobnicate") {
			t.Errorf("rejection = %+v, want command 3 %q in router bgp 65000 (local system), then frobnicate", ce, cmds[2])
		}
		if !strings.Contains(err.Error(), `command 3 of 7 "neighbor 10.255.0.1 remote-as 65001"`) {
			t.Errorf("error %q does not name the command and its position", err)
		}
		// Put the description back as the intent has it.
		if err := c.Push(ctx, provisioning.Delta{Commands: []string{"router bgp 65000", "no neighbor 10.128.0.1 description", "exit"}}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("rollback plan changes nothing", func(t *testing.T) {
		res, err := provisioning.Rollback(ctx, x, reg, dial, rec, provisioning.RollbackOptions{Device: "mairie-r1", To: 1, PlanOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Plan.Commands) == 0 || !strings.Contains(res.Plan.Diff, "-router bgp 4200000001") {
			t.Errorf("rollback plan: %q\n%s", res.Plan.Commands, res.Plan.Diff)
		}
		if again, _ := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{Devices: []string{"mairie-r1"}}); again.Changes() != 0 {
			t.Errorf("rollback --plan changed the device:\n%s", again.Devices[0].Diff)
		}
	})

	t.Run("record of another format is refused", func(t *testing.T) {
		other, err := provisioning.OpenRecords(ctx, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		json := `{"openconfig-interfaces:interfaces":{"interface":[{"name":"eth1"}]}}`
		other.Save(ctx, "backup", map[string]provisioning.RecordedConfig{"mairie-r1": {Text: []byte(json), Platform: "openconfig", Transport: "gnmi"}}, nil)
		other.Save(ctx, "backup", map[string]provisioning.RecordedConfig{"mairie-r1": {Text: []byte(json + "\n"), Platform: "openconfig", Transport: "gnmi"}}, nil)
		now := mairie.vtyshShow(t, "show running-config")
		_, err = provisioning.Rollback(ctx, x, reg, dial, other, provisioning.RollbackOptions{Device: "mairie-r1", To: 1})
		if !errors.Is(err, provisioning.ErrRecordMismatch) {
			t.Errorf("rollback to a gNMI record over ssh = %v, want ErrRecordMismatch", err)
		}
		if after := mairie.vtyshShow(t, "show running-config"); after != now {
			t.Errorf("refused rollback changed the router:\n%s", provisioning.UnifiedDiff("before", "after", now, after))
		}
	})

	t.Run("rollback right after the first apply", func(t *testing.T) {
		res, err := provisioning.Rollback(ctx, x, reg, dial, rec, provisioning.RollbackOptions{Device: "mairie-r1", To: 1, Who: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Entry.Saved || res.Entry.Result != provisioning.RolledBack {
			t.Errorf("rollback entry %+v, want rolled back and saved", res.Entry)
		}
		if after := mairie.vtyshShow(t, "show running-config"); after != before {
			t.Errorf("not back on the config before the first apply:\n%s", provisioning.UnifiedDiff("before", "after", before, after))
		}
		saved, _ := os.ReadFile(filepath.Join(mairie.dir, "frr.conf"))
		if strings.Contains(string(saved), "router bgp") {
			t.Errorf("rolled-back config not saved: frr.conf still has the applied BGP:\n%s", saved)
		}
	})

	t.Run("hung router is reported, the other applied", func(t *testing.T) {
		// Both routers get a change; mairie-r1's daemons stop answering
		// after the plan, as a wedged router would mid-push.
		snap.Devices[0].Interfaces[1].Description = "to mairie-r1 eth1 (renumbered)"
		x2 := inventory.NewIndex(snap)
		pool := provisioning.NewPool(&Dialer{KnownHosts: kh, Credentials: dial.Credentials, Targets: targets, Timeout: 3 * time.Second})
		defer pool.Close()
		pool.ReuseReads(time.Minute)
		plan, err := provisioning.MakePlan(ctx, x2, reg, pool, provisioning.PlanOptions{})
		if err != nil || plan.Err() != nil || plan.Changes() != 2 {
			t.Fatalf("plan: %v %v, %d changes, want 2", err, plan.Err(), plan.Changes())
		}
		for _, d := range []string{"zebra", "bgpd", "ospfd", "staticd"} {
			mairie.signal(t, d, syscall.SIGSTOP)
		}
		stopped := true
		defer func() {
			if stopped {
				for _, d := range []string{"zebra", "bgpd", "ospfd", "staticd"} {
					mairie.signal(t, d, syscall.SIGCONT)
				}
			}
		}()
		start := time.Now()
		res := provisioning.Apply(ctx, plan, reg, devs, pool, provisioning.ApplyOptions{})
		took := time.Since(start)
		for _, r := range res {
			switch r.Device {
			case "pop-r1":
				if r.Outcome != provisioning.Applied {
					t.Errorf("pop-r1: %s %s, want applied while mairie-r1 hangs", r.Outcome, r.Error)
				}
			case "mairie-r1":
				if r.Outcome == provisioning.Applied || !strings.Contains(r.Error+r.RollbackError, "stopped answering") {
					t.Errorf("hung mairie-r1: %s %q %q, want a failure saying it stopped answering", r.Outcome, r.Error, r.RollbackError)
				}
			}
		}
		// Push, rollback on the same session, a new login and its read:
		// each bounded by the 3 s timeout.
		if took > 30*time.Second {
			t.Errorf("apply took %s with a hung router and a 3s timeout", took)
		}
		for _, d := range []string{"zebra", "bgpd", "ospfd", "staticd"} {
			mairie.signal(t, d, syscall.SIGCONT)
		}
		stopped = false
		t.Logf("apply with a hung router: %s", took)
	})

	t.Run("read while a daemon is down is an error", func(t *testing.T) {
		mairie.signal(t, "bgpd", syscall.SIGKILL)
		// The kill is seen by vtysh at once; wait for the pid file's process to go.
		time.Sleep(200 * time.Millisecond)
		plan, err := provisioning.MakePlan(ctx, x, reg, dial, provisioning.PlanOptions{Devices: []string{"mairie-r1"}})
		if err != nil {
			t.Fatal(err)
		}
		dp := plan.Devices[0]
		if dp.Error == "" || dp.Changed() || !strings.Contains(dp.Error, "bgpd") {
			c, _ := dial.Dial(ctx, devs["mairie-r1"], "ssh")
			out, err := c.(*Conn).Command(ctx, "show running-config")
			t.Errorf("plan with bgpd down: error %q, %d commands; want an error naming bgpd and no commands\n%s\n%v", dp.Error, len(dp.Commands), out, err)
		}
		mairie.restart(t, "bgpd")

	})
}

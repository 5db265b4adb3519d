package chaos

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
)

// The points of an apply where apply-kill powers the router off: half the
// commands pushed (the rest then fails); every command pushed, verified
// (the sshcli push reads the config back as it ends) but not saved yet
// ("write memory"); saved.
const (
	killMidPush   = "mid-push"
	killAfterPush = "after-push"
	killAfterSave = "after-save"
)

var killPoints = []string{killMidPush, killAfterPush, killAfterSave}

// applyCandidates: every router outside the core sites (as device-kill),
// at each kill point.
func applyCandidates(s *System) []candidate {
	var out []candidate
	for _, c := range deviceCandidates(s) {
		for _, p := range killPoints {
			out = append(out, candidate{Target: c.Target + "@" + p})
		}
	}
	slices.SortFunc(out, func(a, b candidate) int { return strings.Compare(a.Target, b.Target) })
	return out
}

// applyEdit is the inventory the fault's apply pushes: the network with
// the victim's interfaces described by the fault's number, so every
// apply has a change to make (the first one on a router also brings it
// from its boot config to the rendered one).
func applyEdit(base *inventory.Snapshot, dev string, seq int) *inventory.Snapshot {
	next := base.Clone()
	for i := range next.Devices {
		if d := &next.Devices[i]; d.Name == dev {
			for j := range d.Interfaces {
				if f := &d.Interfaces[j]; f.Description != "" || j < 2 {
					f.Description = strings.TrimSpace(f.Description + " [chaos apply " + strconv.Itoa(seq) + "]")
				}
			}
		}
	}
	return next
}

// applyRun is what the checker knows of the apply a fault interrupted.
type applyRun struct {
	device, point    string
	before, intended string
	platform         provisioning.Platform
	result           provisioning.Result
	killed           atomic.Bool
	checked          int
}

// killConn powers the device off at the fault's point of the apply; the
// apply's own calls then meet a dead device, as in the field.
type killConn struct {
	provisioning.Conn
	run  *applyRun
	kill func(ctx context.Context) error
}

func (c *killConn) strike(ctx context.Context) error {
	if c.run.killed.CompareAndSwap(false, true) {
		return c.kill(ctx)
	}
	return nil
}

func (c *killConn) Push(ctx context.Context, d provisioning.Delta) error {
	if c.run.point == killAfterPush && !c.run.killed.Load() {
		if err := c.Conn.Push(ctx, d); err != nil {
			return err
		}
		return c.strike(ctx)
	}
	if c.run.point != killMidPush || c.run.killed.Load() {
		return c.Conn.Push(ctx, d)
	}
	k := max(1, len(d.Commands)/2)
	first, rest := d, d
	first.Commands, rest.Commands = d.Commands[:k], d.Commands[k:]
	if err := c.Conn.Push(ctx, first); err != nil {
		return err
	}
	if err := c.strike(ctx); err != nil {
		return err
	}
	return c.Conn.Push(ctx, rest)
}

func (c *killConn) Save(ctx context.Context) error {
	sv, ok := c.Conn.(provisioning.Saver)
	if !ok {
		return fmt.Errorf("%s: its connection cannot save", c.run.device)
	}
	if err := sv.Save(ctx); err != nil || c.run.point != killAfterSave {
		return err
	}
	return c.strike(ctx)
}

type killDialer struct {
	provisioning.Dialer
	run  *applyRun
	kill func(ctx context.Context) error
}

func (d *killDialer) Dial(ctx context.Context, dev inventory.Device, tr string) (provisioning.Conn, error) {
	c, err := d.Dialer.Dial(ctx, dev, tr)
	if err != nil || dev.Name != d.run.device {
		return c, err
	}
	return &killConn{Conn: c, run: d.run, kill: d.kill}, nil
}

// showRunning reads a router's running config over a plain SSH exec, not
// through provisioning: the check does not trust the code under test.
func (s *System) showRunning(ctx context.Context, dev string) (string, error) {
	cb, err := knownhosts.New(s.knownHosts)
	if err != nil {
		return "", err
	}
	addr := s.sshDialer().Targets[dev]
	cfg := &ssh.ClientConfig{User: "noc", Auth: []ssh.AuthMethod{ssh.Password(s.password)}, HostKeyCallback: cb, Timeout: 5 * time.Second}
	c, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		return "", fmt.Errorf("%s: ssh %s: %w", dev, addr, err)
	}
	defer c.Close()
	// The dial has its timeout; the read ends with ctx too.
	defer context.AfterFunc(ctx, func() { c.Close() })()
	sess, err := c.NewSession()
	if err != nil {
		return "", fmt.Errorf("%s: ssh session: %w", dev, err)
	}
	defer sess.Close()
	out, err := sess.Output("show running-config")
	if err != nil {
		return "", fmt.Errorf("%s: show running-config: %w", dev, err)
	}
	return string(out), nil
}

// injectApplyKill plans the fault's change on the victim (provisioning's
// MakePlan over SSH, as "tuyau config plan"), applies it
// (provisioning.Apply, as "tuyau config apply"), and powers the router
// off at the fault's point of the apply. Detected as a device kill is
// (its alarms), once the apply has returned; after the restore (the
// router reboots from its startup config) recovered as a device kill is,
// and the router is checked: its running config, read back over SSH, must
// be its previous one or the intended one, nothing in between.
func injectApplyKill(ctx context.Context, r *runner, f Fault) (outcome, error) {
	dev, point, _ := strings.Cut(f.Target, "@")
	o := killOutcome(r, []string{dev}, false)
	snap := applyEdit(r.s.Snap, dev, f.Seq)
	x := inventory.NewIndex(snap)
	reg := provisioning.Builtin()
	dial := r.s.sshDialer()
	pctx, cancel := context.WithTimeout(ctx, r.o.SLO.Detect)
	defer cancel()
	before, err := r.s.showRunning(pctx, dev)
	if err != nil {
		return o, err
	}
	plan, err := provisioning.MakePlan(pctx, x, reg, dial, provisioning.PlanOptions{Devices: []string{dev}})
	if err == nil {
		err = plan.Err()
	}
	if err != nil {
		return o, fmt.Errorf("config plan %s: %w", dev, err)
	}
	dp := plan.Devices[0]
	p, err := reg.Get(dp.Platform)
	if err != nil {
		return o, err
	}
	if !dp.Changed() {
		return o, fmt.Errorf("config plan %s: no change to apply", dev)
	}
	run := &applyRun{device: dev, point: point, before: before, intended: dp.Intended, platform: p}
	kd := &killDialer{Dialer: dial, run: run, kill: func(ctx context.Context) error {
		_, err := r.s.Lab.Kill(ctx, dev)
		r.event(&f, "kill", fmt.Sprintf("%s powered off %s (%d commands planned)", dev, point, len(dp.Commands)))
		return err
	}}
	all := map[string]inventory.Device{}
	for _, d := range snap.Devices {
		all[d.Name] = d
	}
	t0 := time.Now()
	res := provisioning.Apply(pctx, plan, reg, all, kd, provisioning.ApplyOptions{})
	run.result = res[0]
	r.event(&f, "apply", fmt.Sprintf("returned after %s: %s saved=%t %s %s", time.Since(t0).Round(time.Millisecond),
		run.result.Outcome, run.result.Saved, run.result.Error, run.result.RollbackError))
	if !run.killed.Load() {
		return o, fmt.Errorf("apply %s: the kill point %s was never reached (outcome %s)", dev, point, run.result.Outcome)
	}
	fresh := o.recover
	o.recover = func(v view) (bool, string) {
		if ok, why := fresh(v); !ok {
			return false, why
		}
		return r.checkApplied(ctx, &f, run)
	}
	return o, nil
}

// checkApplied is the invariant "no device is left half-applied": the
// router's running config, read back from it, is its previous config or
// the intended one. Checked once the router answers after the restore.
func (r *runner) checkApplied(ctx context.Context, f *Fault, run *applyRun) (bool, string) {
	if run.checked > 0 {
		return true, ""
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	now, err := r.s.showRunning(cctx, run.device)
	if err != nil {
		return false, err.Error()
	}
	run.checked++
	r.rep.Checks[invApplied]++
	if now == run.before {
		r.event(f, "config", run.device+" on its previous config")
		return true, "previous config"
	}
	d, err := run.platform.Delta([]byte(now), []byte(run.intended))
	if err == nil && !d.Changed() {
		r.event(f, "config", run.device+" on its intended config")
		return true, "intended config"
	}
	toDo := "?"
	if err == nil {
		toDo = strings.Join(d.Commands, "; ")
	}
	r.violate(invApplied, run.device, fmt.Sprintf("killed %s, apply %s: neither its previous nor its intended config; still to do for the intent: %s; since the previous: %s",
		run.point, run.result.Outcome, toDo, provisioning.UnifiedDiff("previous", "now", run.before, now)))
	return true, "half-applied"
}

func restoreApplyKill(ctx context.Context, r *runner, f Fault) error {
	dev, _, _ := strings.Cut(f.Target, "@")
	return restoreKill(ctx, r, Fault{Kind: DeviceKill, Target: dev})
}

package provisioning

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
)

// ErrStale is returned when a device's running config changed since the plan.
var ErrStale = errors.New("running config changed since the plan; plan again")

// Outcome is what happened to one device.
type Outcome string

const (
	Unchanged  Outcome = "unchanged"   // nothing to do
	Applied    Outcome = "applied"     // changed, verified (and confirmed)
	Saved      Outcome = "saved"       // on the intent already, its unsaved running config saved
	RolledBack Outcome = "rolled-back" // failed or unconfirmed, back on the previous config
	Failed     Outcome = "failed"      // failed and could not be restored: look at it
	Skipped    Outcome = "skipped"     // not attempted (stale plan, fail-fast)
)

// Result is the outcome of one device's apply.
type Result struct {
	Device  string  `json:"device"`
	Outcome Outcome `json:"outcome"`
	// Platform and Transport are how the device's config was read and
	// changed ("frr" over "ssh", "openconfig" over "gnmi"): the records
	// keep them so a rollback never sends one format's text to another.
	Platform  string        `json:"platform"`
	Transport string        `json:"transport"`
	PlanHash  string        `json:"plan_hash"`
	Commands  int           `json:"commands"`
	Duration  time.Duration `json:"duration_ns"`
	Error     string        `json:"error,omitempty"`
	// RollbackError is set when the rollback itself failed.
	RollbackError string `json:"rollback_error,omitempty"`
	// Notes name post-checks left out: what was already down before the
	// apply is not the change's doing, and is reported rather than checked.
	Notes []string `json:"notes,omitempty"`
	// CommitID names the device-side confirmed commit of a --confirm
	// apply over a transport that has one (gNMI commit-confirmed): the
	// device rolls it back by itself unless tuyau confirms it in time.
	CommitID string `json:"commit_id,omitempty"`
	// Saved is set once the kept config (applied, confirmed or rolled back
	// to) was made the device's startup config ("write memory").
	Saved bool `json:"saved"`
	// Before and After are the running configs around the apply, for records.
	Before []byte `json:"-"`
	After  []byte `json:"-"`
	// pushed is when the confirmed commit was sent: the device's window
	// runs from there.
	pushed time.Time
}

// CommitConfirmer is a Conn whose device keeps a change only once it is
// confirmed (the gNMI commit-confirmed extension): with --confirm, the
// window runs on the device, so a tuyau killed mid-window still leaves the
// device on its previous config.
type CommitConfirmer interface {
	// PushConfirmed applies d as commit id, rolled back by the device
	// after window unless confirmed.
	PushConfirmed(ctx context.Context, d Delta, id string, window time.Duration) error
	// ConfirmCommit keeps commit id.
	ConfirmCommit(ctx context.Context, id string) error
	// CancelCommit rolls commit id back at once.
	CancelCommit(ctx context.Context, id string) error
}

// commitMargin is how long before the device's own deadline tuyau stops
// waiting for post-checks, so that its confirm arrives in time.
func commitMargin(window time.Duration) time.Duration {
	return min(2*time.Second, window/4)
}

// newCommitID is unique per device and apply; it carries no secret.
func newCommitID(dev string) string {
	return fmt.Sprintf("tuyau-%s-%s", dev, rand.Text()[:10])
}

// Event reports progress of an apply, one per device and stage.
type Event struct {
	Device string
	Stage  string // "push", "verify", "confirm", "rollback", "save", "done"
	Err    error
}

// ApplyOptions tune an apply.
type ApplyOptions struct {
	Parallel int
	// FailFast stops starting devices after the first failure.
	FailFast bool
	// Confirm, when set, keeps a change only if PostChecks pass or Confirmed
	// reports an operator's confirmation within this time.
	Confirm    time.Duration
	PostChecks bool
	Confirmed  func() bool
	// PollEvery is how often post-checks and confirmation are polled (2s).
	PollEvery time.Duration
	// Settle is how long post-checks must keep passing, from their first
	// pass, before a change is kept (at least one more poll; at most half
	// the confirm window). A check right after the push can see the state
	// from before the change took effect: a router whose OSPF was just
	// removed still shows its iBGP sessions Established until their hold
	// timer runs out (9 s with FRR's datacenter defaults), and a failure
	// during the settle starts it over.
	Settle   time.Duration
	Progress func(Event)
	// Guard, with Confirm, keeps each change the apply waits on outside
	// this process, on transports with no device-side timer (FRR over
	// SSH): see Guard.
	Guard Guard
}

// ErrSettledKept is returned by Guard.Settle when the change was
// confirmed elsewhere ("tuyau config confirm") first.
var ErrSettledKept = errors.New("confirmed by an operator meanwhile")

// Guard keeps the pending changes of a --confirm apply where they outlive
// the apply's process: a detached timer rolls a change back at its
// deadline unless it is confirmed, so a killed tuyau does not leave an
// unconfirmed change on the device. A change pushed as a device-side
// confirmed commit (r.CommitID set at Arm) needs no timer: the device
// rolls it back by itself, and the guard lets a later "tuyau config
// confirm" confirm it even if the apply died.
type Guard interface {
	// Arm records r's device, platform, transport and exact previous
	// config (r.Before) before the push; an error stops the push.
	Arm(r *Result, window time.Duration) error
	// Wait says the apply now waits window for device's confirmation.
	Wait(device string, window time.Duration)
	// Settle decides device's change: kept, or rolled back by the apply.
	// An error says it was settled elsewhere first: ErrSettledKept, an
	// operator's confirm (which confirms a device-side commit itself);
	// any other, the timer's deadline passed and it rolls back. The apply
	// then leaves the device alone.
	Settle(device string, keep bool) error
	// Done records r's final outcome.
	Done(r *Result)
}

// Apply carries out exactly the plan: devices with changes only, at most
// Parallel at a time. devs holds the plan's devices and may hold the rest
// of the inventory: post-checks read the far ends of a change there. A device whose running config changed since the
// plan is skipped untouched; a device failing mid-way is rolled back to
// its exact previous config while the others go on.
func Apply(ctx context.Context, plan *Plan, reg *Registry, devs map[string]inventory.Device, dial Dialer, opt ApplyOptions) []Result {
	progress := opt.Progress
	if progress == nil {
		progress = func(Event) {}
	}
	results := make([]Result, len(plan.Devices))
	type pending struct {
		i    int
		conn Conn
		p    Platform
		dev  inventory.Device
		// checks are the post-checks left once the baseline is read.
		checks Checks
	}
	var mu sync.Mutex
	var waiting []pending
	failCtx, stop := context.WithCancel(ctx)
	defer stop()
	for i, dp := range plan.Devices {
		results[i] = Result{Device: dp.Device, Outcome: Unchanged, PlanHash: dp.Hash(), Commands: len(dp.Commands),
			Platform: dp.Platform, Transport: dp.Transport}
		if !dp.Changed() {
			results[i].Outcome = Skipped
			if dp.Error == "" {
				results[i].Outcome = Unchanged
			} else {
				results[i].Error = "not planned: " + dp.Error
			}
		}
	}
	var idx []int
	for i, dp := range plan.Devices {
		if dp.Changed() || dp.NeedsSave() {
			idx = append(idx, i)
			results[i].Outcome = Skipped
		}
	}
	forEach(failCtx, len(idx), opt.Parallel, func(_ context.Context, k int) {
		i := idx[k]
		dp := plan.Devices[i]
		r := &results[i]
		start := time.Now()
		defer func() { r.Duration += time.Since(start) }()
		p, err := reg.Get(dp.Platform)
		if err != nil {
			r.Error = err.Error()
			return
		}
		dev, ok := devs[dp.Device]
		if !ok {
			r.Error = fmt.Sprintf("device %s: %v", dp.Device, ErrUnknownDevice)
			return
		}
		if dp.NeedsSave() {
			saveUnsaved(ctx, dev, dp, p, dial, r, progress)
			progress(Event{Device: dp.Device, Stage: "done", Err: errOf(r)})
			return
		}
		baseline := opt.Confirm > 0 && opt.PostChecks
		c, keep, checks := applyDevice(ctx, dev, dp, p, dial, r, progress, baseline, opt.Confirm, opt.Guard)
		// A device already on the intent is no failure: fail-fast stops
		// only on one that failed or had to be rolled back.
		if r.Error != "" && opt.FailFast {
			stop()
		}
		if !keep || opt.Confirm == 0 {
			c = saveKept(ctx, c, dial, dev, r, progress)
		}
		if keep && opt.Confirm > 0 {
			mu.Lock()
			waiting = append(waiting, pending{i, c, p, dev, checks})
			mu.Unlock()
			return
		}
		if c != nil {
			c.Close()
		}
		progress(Event{Device: dp.Device, Stage: "done", Err: errOf(r)})
	})
	// Confirmation runs for all pushed devices at once: BGP sessions only
	// come up once both ends are configured.
	var wg sync.WaitGroup
	for _, w := range waiting {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := w.conn
			defer func() { c.Close() }()
			dp, r := plan.Devices[w.i], &results[w.i]
			start := time.Now()
			wopt := opt
			guarded := opt.Guard != nil
			if r.CommitID != "" {
				// The device's window started at the push.
				wopt.Confirm = opt.Confirm - time.Since(r.pushed) - commitMargin(opt.Confirm)
			}
			if guarded {
				opt.Guard.Wait(dp.Device, wopt.Confirm)
			}
			err := awaitConfirm(ctx, c, w.checks, devs, dial, wopt)
			confirmedElsewhere := false
			if guarded {
				switch serr := opt.Guard.Settle(dp.Device, err == nil); {
				case errors.Is(serr, ErrSettledKept):
					// An operator's "config confirm" took it, and confirms
					// the device's commit itself.
					err, confirmedElsewhere = nil, true
				case serr != nil:
					// The timer took it first: it rolls the device back.
					r.Outcome, r.After = Failed, nil
					r.Error = fmt.Sprintf("not confirmed in time: %v", serr)
					r.Duration += time.Since(start)
					progress(Event{Device: dp.Device, Stage: "done", Err: errOf(r)})
					return
				}
				defer opt.Guard.Done(r)
			}
			if err == nil && r.CommitID != "" && !confirmedElsewhere {
				progress(Event{Device: dp.Device, Stage: "confirm"})
				if err = c.(CommitConfirmer).ConfirmCommit(context.WithoutCancel(ctx), r.CommitID); err != nil {
					err = fmt.Errorf("the device did not take the confirm (it rolls back by itself): %w", err)
				}
			}
			if err != nil {
				cancelCommit(ctx, c, r)
				progress(Event{Device: dp.Device, Stage: "rollback", Err: err})
				r.Error = fmt.Sprintf("not confirmed: %v", err)
				c = rollbackRedial(ctx, c, dial, w.dev, dp.Transport, w.p, r)
			}
			c = saveKept(ctx, c, dial, w.dev, r, progress)
			r.Duration += time.Since(start)
			progress(Event{Device: dp.Device, Stage: "done", Err: errOf(r)})
		}()
	}
	wg.Wait()
	if opt.FailFast && failCtx.Err() != nil && ctx.Err() == nil {
		for i := range results {
			if results[i].Outcome == Skipped && results[i].Error == "" {
				results[i].Error = "not attempted: --fail-fast stopped the apply after a failure"
			}
		}
	}
	return results
}

// saveKept makes the config the device was left on (applied or rolled
// back to) its startup config, on a fresh session if c is gone. A device
// left Failed is not saved: its config is unknown, and saving it would
// make a reboot keep the damage. Saving is not undone on error: the
// running config is right, and the error says it is not yet persistent.
func saveKept(ctx context.Context, c Conn, dial Dialer, dev inventory.Device, r *Result, progress func(Event)) Conn {
	if r.Outcome != Applied && r.Outcome != RolledBack {
		return c
	}
	if r.Outcome == RolledBack && r.Before == nil {
		return c // nothing was pushed
	}
	progress(Event{Device: r.Device, Stage: "save"})
	ctx = context.WithoutCancel(ctx)
	if c == nil {
		var err error
		if c, err = dial.Dial(ctx, dev, r.Transport); err != nil {
			r.Error = joinMsg(r.Error, "not saved on the device (a restart would lose it): "+err.Error())
			return nil
		}
	}
	sv, ok := c.(Saver)
	if !ok {
		return c // the transport's changes persist by themselves (gNMI Set)
	}
	if err := sv.Save(ctx); errors.Is(err, errNoSave) {
		return c
	} else if err != nil {
		r.Error = joinMsg(r.Error, "not saved on the device (a restart would lose it): "+err.Error())
		return c
	}
	r.Saved = true
	return c
}

// saveUnsaved saves a device whose running config is on the intent but not
// saved, once it is checked to be the very config the plan read.
func saveUnsaved(ctx context.Context, dev inventory.Device, dp DevicePlan, p Platform, dial Dialer, r *Result, progress func(Event)) {
	c, err := dial.Dial(ctx, dev, dp.Transport)
	if err != nil {
		r.Error = err.Error()
		return
	}
	defer c.Close()
	running, err := c.Running(ctx)
	if err != nil {
		r.Error = fmt.Sprintf("read running config: %v", err)
		return
	}
	d, err := p.Delta(running, []byte(dp.Intended))
	if err != nil {
		r.Error = err.Error()
		return
	}
	if d.Changed() || hashBytes([]byte(d.Have)) != dp.RunningHash {
		r.Error = "not saved: " + ErrStale.Error()
		return
	}
	sv, ok := c.(Saver)
	if !ok {
		r.Outcome = Unchanged
		return
	}
	progress(Event{Device: dev.Name, Stage: "save"})
	if err := sv.Save(context.WithoutCancel(ctx)); errors.Is(err, errNoSave) {
		r.Outcome = Unchanged
		return
	} else if err != nil {
		r.Error = "save: " + err.Error()
		return
	}
	r.Outcome, r.Saved, r.After = Saved, true, running
}

// errNoSave is what a wrapped connection answers Save with when the
// transport beneath has nothing to save.
var errNoSave = errors.New("transport has no save")

func joinMsg(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func errOf(r *Result) error {
	if r.Error != "" {
		return errors.New(r.Error)
	}
	return nil
}

// applyDevice pushes one device's change and verifies it; on failure it
// rolls back. It returns the open connection when the change is kept, and
// the post-checks that apply to it: with baseline, the device's state is
// read before the push and what was already down is left out.
//
// With a confirm window and a CommitConfirmer, the push is a confirmed
// commit: the device rolls it back by itself unless confirmed in time.
func applyDevice(ctx context.Context, dev inventory.Device, dp DevicePlan, p Platform, dial Dialer, r *Result, progress func(Event), baseline bool, window time.Duration, guard Guard) (Conn, bool, Checks) {
	checks := dp.Checks
	c, err := dial.Dial(ctx, dev, dp.Transport)
	if err != nil {
		r.Error = err.Error()
		return nil, false, checks
	}
	before, err := c.Running(ctx)
	if err != nil {
		r.Error = fmt.Sprintf("read running config: %v", err)
		return c, false, checks
	}
	now, err := p.Delta(before, []byte(dp.Intended))
	if err != nil {
		r.Error = err.Error()
		return c, false, checks
	}
	if hashBytes([]byte(now.Have)) != dp.RunningHash {
		if !now.Changed() {
			// Already on the intent (this plan was applied before):
			// applying a plan twice changes nothing and is no error.
			r.Outcome = Unchanged
			return c, false, checks
		}
		r.Error = ErrStale.Error()
		return c, false, checks
	}
	if sr, ok := c.(StatusReader); ok && baseline {
		// Unreadable state keeps every check: never fewer by accident.
		if st, err := sr.Status(ctx); err == nil {
			checks, r.Notes = checks.Excluding(st)
		}
	}
	r.Before = before
	progress(Event{Device: dev.Name, Stage: "push"})
	// The push must not be cut half-way by a cancelled apply: the device
	// would be left half-configured, so cancellation waits for rollback.
	delta := Delta{Commands: dp.Commands, Replace: dp.Replace}
	cc, deviceTimer := confirmsCommits(c)
	deviceTimer = deviceTimer && window > 0
	if deviceTimer {
		r.CommitID = newCommitID(dev.Name)
	}
	guarded := guard != nil && window > 0
	if guarded {
		if err := guard.Arm(r, window); err != nil {
			r.Before, r.CommitID = nil, "" // nothing pushed: nothing to roll back
			r.Error = fmt.Sprintf("confirm timer not armed, nothing pushed: %v", err)
			return c, false, checks
		}
	}
	if deviceTimer {
		r.pushed = time.Now()
		if err = cc.PushConfirmed(ctx, delta, r.CommitID, window); err != nil {
			r.CommitID = "" // nothing pending: the Set was refused whole
		}
	} else {
		err = c.Push(ctx, delta)
	}
	var after []byte
	if err == nil {
		progress(Event{Device: dev.Name, Stage: "verify"})
		after, err = verify(ctx, c, p, dp.Intended)
	}
	if err != nil {
		r.Error = err.Error()
		if guarded {
			if serr := guard.Settle(dev.Name, false); serr != nil {
				r.Outcome, r.Error = Failed, joinMsg(r.Error, serr.Error())
				return c, false, checks
			}
			defer guard.Done(r)
		}
		progress(Event{Device: dev.Name, Stage: "rollback", Err: err})
		cancelCommit(ctx, c, r)
		return rollbackRedial(ctx, c, dial, dev, dp.Transport, p, r), false, checks
	}
	r.Outcome, r.After = Applied, after
	return c, true, checks
}

// cancelCommit has the device roll back r's pending commit at once; the
// rollback that follows then finds it on its previous config and checks
// that. If the cancel fails, the device still rolls back when its window
// ends; the rollback's check tells whether it did already.
func cancelCommit(ctx context.Context, c Conn, r *Result) {
	cc, ok := confirmsCommits(c)
	if !ok || r.CommitID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := cc.CancelCommit(ctx, r.CommitID); err != nil {
		r.Error = joinMsg(r.Error, "cancel commit: "+err.Error())
	}
}

// verify checks that the device now runs the intended config and returns
// the running config it read.
func verify(ctx context.Context, c Conn, p Platform, intended string) ([]byte, error) {
	running, err := c.Running(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: read running config: %w", err)
	}
	d, err := p.Delta(running, []byte(intended))
	if err != nil {
		return nil, err
	}
	if d.Changed() {
		return nil, fmt.Errorf("verify: device does not run the intended config after apply, still to do: %q", d.Commands)
	}
	return running, nil
}

// rollbackRedial rolls back on c and, if that fails, once more on a fresh
// session: the session may be what failed (a connection cut mid-push, an
// idle timeout while waiting for confirmation). It returns the session in use.
func rollbackRedial(ctx context.Context, c Conn, dial Dialer, dev inventory.Device, transport string, p Platform, r *Result) Conn {
	rollback(context.WithoutCancel(ctx), c, p, r)
	if r.Outcome != Failed {
		return c
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	c2, err := dial.Dial(rctx, dev, transport)
	if err != nil {
		r.RollbackError += "; reconnect: " + err.Error()
		return c
	}
	c.Close()
	r.RollbackError = ""
	rollback(rctx, c2, p, r)
	return c2
}

// rollback restores r.Before and checks the device is back on it exactly.
// It uses a context detached from cancellation with its own time limit.
func rollback(ctx context.Context, c Conn, p Platform, r *Result) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := Restore(ctx, c, p, r.Before); err != nil {
		r.Outcome, r.RollbackError = Failed, err.Error()
		return
	}
	r.Outcome = RolledBack
	r.After = r.Before
}

// Restore moves a device back to config (a running config saved earlier)
// and checks that its normalized running config is then exactly config.
func Restore(ctx context.Context, c Conn, p Platform, config []byte) error {
	running, err := c.Running(ctx)
	if err != nil {
		return fmt.Errorf("rollback: read running config: %w", err)
	}
	d, err := p.Delta(running, config)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if d.Changed() {
		if err := c.Push(ctx, d); err != nil {
			return fmt.Errorf("rollback: %w", err)
		}
	}
	after, err := c.Running(ctx)
	if err != nil {
		return fmt.Errorf("rollback: read running config: %w", err)
	}
	left, err := p.Delta(after, config)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if left.Changed() {
		return fmt.Errorf("rollback: device differs from its previous config: %q", left.Commands)
	}
	return nil
}

// awaitConfirm waits for an operator's confirmation or passing post-checks.
func awaitConfirm(ctx context.Context, c Conn, want Checks, devs map[string]inventory.Device, dial Dialer, opt ApplyOptions) error {
	every := opt.PollEvery
	if every <= 0 {
		every = 2 * time.Second
	}
	settle := min(max(opt.Settle, every), opt.Confirm/2)
	deadline := time.NewTimer(opt.Confirm)
	defer deadline.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	last := errors.New("no confirmation and post-checks disabled")
	var passing time.Time // since when the checks have passed, zero if not
	for {
		if opt.Confirmed != nil && opt.Confirmed() {
			return nil
		}
		if opt.PostChecks {
			err := postCheckAll(ctx, c, want, devs, dial)
			switch {
			case err != nil:
				passing, last = time.Time{}, err
			case passing.IsZero():
				passing = time.Now()
				last = fmt.Errorf("post-checks passed but did not stay passing for %s", settle)
			case time.Since(passing) >= settle:
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cancelled: %w", ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("confirm window %s elapsed: %w", opt.Confirm, last)
		case <-tick.C:
		}
	}
}

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
	"github.com/tuyau-net/tuyau/provisioning/confirms"
)

// liveGrace is how long past a commit's deadline the timer leaves it to a
// live apply: the apply rolls back by itself at its deadline (up to two
// minutes a try, and a second try on a fresh session); the timer steps in
// only for an apply that is gone, or stuck beyond that.
const liveGrace = 5 * time.Minute

// keepSettled is how long settled commits stay in the confirms directory.
const keepSettled = 7 * 24 * time.Hour

// confirmDir is where pending commits are kept: --confirm-dir, then
// TUYAU_CONFIRMS, then $XDG_STATE_HOME/tuyau/confirms or
// ~/.local/state/tuyau/confirms.
func (o *cfgOpts) confirmDir(d *deps) (string, error) {
	dir := o.ConfirmDir
	if dir == "" {
		dir = d.getenv("TUYAU_CONFIRMS")
	}
	if dir == "" {
		var err error
		if dir, err = d.stateDir("confirms", "--confirm-dir DIR or TUYAU_CONFIRMS"); err != nil {
			return "", err
		}
	}
	return filepath.Abs(dir)
}

func (o *cfgOpts) confirmStore(d *deps) (*confirms.Store, error) {
	dir, err := o.confirmDir(d)
	if err != nil {
		return nil, err
	}
	return confirms.Open(dir)
}

// pathFlags are the config flags naming files: the timer gets them
// absolute, as a later "confirm --rollback" run from elsewhere does.
var pathFlags = map[string]bool{"known-hosts": true, "secrets": true, "targets": true, "lab-dir": true,
	"lab-netns": true, "gnmi-ca": true, "config": true}

// timerArgs are the flags the timer reaches the devices with: those this
// command was given (the credentials stay in the environment and the
// secrets file, which the timer inherits and reads), and the inventory,
// records and confirms directories resolved.
func timerArgs(c *cobra.Command, d *deps, o *cfgOpts) ([]string, error) {
	var args []string
	visit := func(fn func(*pflag.Flag)) {
		for p := c.Parent(); p != nil; p = p.Parent() {
			// The flags were set on the command's merged flag set: the
			// parents' sets only share the Flag, and its Changed.
			p.PersistentFlags().VisitAll(func(f *pflag.Flag) {
				if f.Changed {
					fn(f)
				}
			})
		}
	}
	visit(func(f *pflag.Flag) {
		switch f.Name {
		case "inventory", "records", "confirm-dir":
			return
		}
		vals := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		for _, v := range vals {
			if pathFlags[f.Name] && v != "" {
				if a, err := filepath.Abs(v); err == nil {
					v = a
				}
			}
			args = append(args, "--"+f.Name+"="+v)
		}
	})
	inv, err := d.inventoryPath()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(inv); err == nil {
		inv, _ = filepath.Abs(inv)
	}
	rec, err := o.recordsDir(d)
	if err != nil {
		return nil, err
	}
	rec, _ = filepath.Abs(rec)
	dir, err := o.confirmDir(d)
	if err != nil {
		return nil, err
	}
	return append(args, "--inventory="+inv, "--records="+rec, "--confirm-dir="+dir), nil
}

// timerGuard is the provisioning.Guard of a --confirm apply: the timer
// process is started on the first change, before its push, and each
// change gets its state file before its push.
type timerGuard struct {
	d     *deps
	store *confirms.Store
	apply string
	args  []string
	dir   string
	who   string
	setup func(*timerGuard) error

	mu      sync.Mutex
	ready   bool
	serr    error
	armed   map[string]bool
	started bool
	pid     int
	err     error
	// pipe is the write end of a pipe whose read end the timer holds: it
	// sees EOF once this apply ends, however it ends (SIGKILL included).
	pipe *os.File
}

// newTimerGuard makes the guard of an apply; the confirms directory and
// the timer are set up on the first change to guard (none over gNMI).
func newTimerGuard(c *cobra.Command, d *deps, o *cfgOpts) *timerGuard {
	id := time.Now().UTC().Format("20060102T150405Z") + "-" + rand.Text()[:6]
	return &timerGuard{d: d, apply: id, who: whoami(d), armed: map[string]bool{}, setup: func(g *timerGuard) error {
		args, err := timerArgs(c, d, o)
		if err != nil {
			return err
		}
		if g.store, err = o.confirmStore(d); err != nil {
			return err
		}
		if err := g.store.Prune(time.Now().Add(-keepSettled)); err != nil {
			fmt.Fprintf(d.stderr, "warning: %v\n", err)
		}
		g.args = args
		g.dir, err = os.Getwd()
		return err
	}}
}

// start sets the guard up once and, with timer, starts the timer once.
func (g *timerGuard) start(timer bool) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.ready {
		g.ready = true
		g.serr = g.setup(g)
	}
	if g.serr != nil || !timer {
		return 0, g.serr
	}
	if !g.started {
		g.started = true
		g.pid, g.err = g.spawn()
	}
	return g.pid, g.err
}

// spawn starts the timer in a session of its own (setsid): no terminal,
// so a closed terminal or a lost SSH session does not hang it up, and
// nothing sent to the apply's process group reaches it.
func (g *timerGuard) spawn() (int, error) {
	cmd, err := g.d.selfCommand(append([]string{"config", "confirm-timer", "--apply", g.apply}, g.args...))
	if err != nil {
		return 0, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		w.Close()
		return 0, err
	}
	defer readyR.Close()
	defer readyW.Close()
	logf, err := os.OpenFile(g.store.LogPath(g.apply), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		w.Close()
		return 0, fmt.Errorf("confirm timer log: %w", err)
	}
	defer logf.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		w.Close()
		return 0, err
	}
	defer null.Close()
	cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr = g.dir, null, logf, logf
	cmd.ExtraFiles = []*os.File{r, readyW} // fd 3 and 4 in the timer
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return 0, fmt.Errorf("start the confirm timer: %w", err)
	}
	go cmd.Wait() // reaped if it ends while this apply runs
	readyW.Close()
	// Nothing is pushed before the timer has loaded what a rollback needs
	// (inventory, records, credentials' sources) and says so.
	readyR.SetReadDeadline(time.Now().Add(timerStart))
	msg, err := io.ReadAll(readyR)
	if string(msg) != timerReady {
		w.Close()
		cmd.Process.Kill()
		switch {
		case err != nil:
		case len(msg) == 0:
			err = errors.New("it exited without a word")
		default:
			err = errors.New(strings.TrimSpace(string(msg)))
		}
		return 0, fmt.Errorf("the confirm timer did not start (log %s): %w", g.store.LogPath(g.apply), err)
	}
	g.pipe = w
	return cmd.Process.Pid, nil
}

// timerStart is how long an apply waits for its timer to be ready; the
// timer writes timerReady on fd 4 then closes it.
const (
	timerStart = 30 * time.Second
	timerReady = "ready\n"
)

// close tells the timer this apply is over.
func (g *timerGuard) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pipe != nil {
		g.pipe.Close()
		g.pipe = nil
	}
}

func (g *timerGuard) id(device string) string { return confirms.ID(g.apply, device) }

// isArmed reports whether device has a state file of this apply.
func (g *timerGuard) isArmed(device string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.armed[device]
}

func (g *timerGuard) Arm(r *provisioning.Result, window time.Duration) error {
	// A device-side confirmed commit has the device's timer: without a
	// state file it is still rolled back, only a confirm from another
	// tuyau cannot reach it.
	pid, err := g.start(r.CommitID == "")
	if err != nil && r.CommitID != "" {
		fmt.Fprintf(g.d.stderr, "warning: %s: if this apply dies, 'tuyau config confirm' cannot confirm commit %s (the device rolls it back): %v\n", r.Device, r.CommitID, err)
		return nil
	}
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	g.mu.Lock()
	g.armed[r.Device] = true
	g.mu.Unlock()
	return g.store.Create(confirms.Commit{ID: g.id(r.Device), Apply: g.apply, Device: r.Device, Platform: r.Platform,
		Transport: r.Transport, PlanHash: r.PlanHash, Before: string(r.Before), Who: g.who, Created: now,
		Deadline: now.Add(window), ApplyPID: os.Getpid(), TimerPID: pid, Args: g.args, Dir: g.dir,
		Log: g.store.LogPath(g.apply), CommitID: r.CommitID})
}

func (g *timerGuard) Wait(device string, window time.Duration) {
	if !g.isArmed(device) {
		return
	}
	_, err := g.store.Update(g.id(device), func(c *confirms.Commit) error {
		if c.State == confirms.Pending && c.CommitID == "" { // the device's deadline does not move
			c.Waiting, c.Deadline = true, time.Now().UTC().Add(window)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(g.d.stderr, "warning: %s: confirm timer: %v\n", device, err)
	}
}

func (g *timerGuard) Settle(device string, keep bool) error {
	if !g.isArmed(device) {
		return nil
	}
	to := confirms.RollingBack
	if keep {
		to = confirms.Confirmed
	}
	c, err := g.store.Settle(g.id(device), to, "apply", "", confirms.Pending)
	if errors.Is(err, confirms.ErrSettled) && c.State == confirms.Confirmed {
		return provisioning.ErrSettledKept // by "tuyau config confirm", meanwhile
	}
	return err
}

func (g *timerGuard) Done(r *provisioning.Result) {
	if !g.isArmed(r.Device) {
		return
	}
	state := confirms.Failed
	switch r.Outcome {
	case provisioning.Applied:
		state = confirms.Confirmed
	case provisioning.RolledBack:
		state = confirms.RolledBack
	}
	msg := r.Error
	if r.RollbackError != "" {
		msg += "; rollback failed: " + r.RollbackError
	}
	_, err := g.store.Update(g.id(r.Device), func(c *confirms.Commit) error {
		if c.By != "apply" {
			return nil // settled by a confirm or the timer: theirs to record
		}
		c.State, c.Error = state, msg
		return nil
	})
	if err != nil {
		fmt.Fprintf(g.d.stderr, "warning: %s: confirm timer: %v\n", r.Device, err)
	}
}

type timerOpts struct {
	Apply        string
	Now          bool
	SendConfirms bool
}

func newCfgConfirmTimerCmd(d *deps, o *cfgOpts) *cobra.Command {
	var t timerOpts
	c := &cobra.Command{
		Use:    "confirm-timer --apply ID [DEVICE...]",
		Short:  "The detached confirm timer of an apply (started by 'config apply --confirm')",
		Hidden: true,
		RunE: func(c *cobra.Command, args []string) error {
			return runConfirmTimer(c.Context(), d, o, t, args)
		},
	}
	c.Flags().StringVar(&t.Apply, "apply", "", "the apply whose pending commits to roll back at their deadline")
	c.Flags().BoolVar(&t.Now, "now", false, "roll the pending commits back now, once, and exit")
	c.Flags().BoolVar(&t.SendConfirms, "send-confirms", false, "send the device-side confirms of the commits 'config confirm' confirmed, and exit")
	return c
}

// runConfirmTimer rolls back each pending commit of the apply when its
// deadline passes (see due), then exits once the apply is over and no
// commit of it is pending. SIGUSR1 (sent by "config confirm") makes it
// look at once.
func runConfirmTimer(ctx context.Context, d *deps, o *cfgOpts, t timerOpts, devices []string) error {
	if t.Apply == "" {
		return errors.New("confirm-timer: --apply is required")
	}
	st, err := o.confirmStore(d)
	if err != nil {
		return err
	}
	if t.SendConfirms {
		return (&timerRollback{d: d, o: o, st: st}).sendConfirms(ctx, t.Apply, devices)
	}
	applyGone := make(chan struct{})
	wake := make(chan os.Signal, 1)
	if t.Now {
		close(applyGone)
	} else {
		signal.Ignore(syscall.SIGHUP)
		signal.Notify(wake, syscall.SIGUSR1)
		defer signal.Stop(wake)
	}
	rb := &timerRollback{d: d, o: o, st: st}
	if !t.Now {
		apply, ready := os.NewFile(3, "apply"), os.NewFile(4, "ready")
		// What a rollback needs is loaded now: a timer that could not roll
		// back fails its apply before any push, not at the deadline.
		if err := rb.prepare(ctx); err != nil {
			fmt.Fprintf(ready, "%v\n", err)
			ready.Close()
			return fmt.Errorf("confirm timer of apply %s: %w", t.Apply, err)
		}
		fmt.Fprint(ready, timerReady)
		ready.Close()
		go func() {
			io.Copy(io.Discard, apply) // EOF (or EBADF): the apply is over
			close(applyGone)
		}()
		logf(d, "timer of apply %s started (pid %d)", t.Apply, os.Getpid())
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		gone := isClosed(applyGone)
		cs, err := st.List()
		if err != nil {
			logf(d, "%v", err)
		}
		open := 0
		var wg sync.WaitGroup
		for _, c := range cs {
			if c.Apply != t.Apply || c.State != confirms.Pending || c.CommitID != "" || (len(devices) > 0 && !slices.Contains(devices, c.Device)) {
				continue
			}
			open++
			if t.Now || due(c, gone, time.Now()) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rb.run(ctx, c, t.Now)
				}()
			}
		}
		wg.Wait()
		if t.Now {
			return rb.err
		}
		if open == 0 && gone {
			logf(d, "timer of apply %s: nothing pending, exiting", t.Apply)
			return nil
		}
		select {
		case <-ctx.Done():
			logf(d, "timer of apply %s stopped: %v", t.Apply, ctx.Err())
			return ctx.Err()
		case <-tick.C:
		case <-wake:
		}
	}
}

// due reports whether pending commit c is to be rolled back at now: at its
// deadline once its apply is gone; while the apply lives, it decides
// (at its own deadline), unless it is stuck liveGrace past it.
func due(c confirms.Commit, applyGone bool, now time.Time) bool {
	switch {
	case applyGone:
		return !now.Before(c.Deadline)
	case c.Waiting:
		return !now.Before(c.Deadline.Add(liveGrace))
	}
	return false
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func logf(d *deps, format string, a ...any) {
	fmt.Fprintf(d.stderr, "%s "+format+"\n", append([]any{time.Now().UTC().Format(time.RFC3339)}, a...)...)
}

// timerRollback rolls commits back through provisioning.RollbackTo, the
// path of "config rollback", on connections made once.
type timerRollback struct {
	d  *deps
	o  *cfgOpts
	st *confirms.Store

	mu    sync.Mutex
	ready bool
	x     *inventory.Index
	rec   *provisioning.Records
	dial  *provisioning.Pool
	setup error
	err   error // the first failure, returned by --now
}

func (t *timerRollback) prepare(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ready {
		return t.setup
	}
	t.ready = true
	t.x, t.setup = t.d.loadIndex(ctx)
	if t.setup != nil {
		return t.setup
	}
	if t.rec, t.setup = t.o.records(ctx, t.d); t.setup != nil {
		return t.setup
	}
	cd, err := t.o.dialer(ctx, t.d)
	if err != nil {
		t.setup = err
		return err
	}
	t.dial, t.setup = t.o.newPool(t.d, cd)
	return t.setup
}

func (t *timerRollback) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		t.err = err
	}
}

// run claims c and rolls it back to its config before the apply. The
// claim is the decision: a confirm that comes after finds it taken.
func (t *timerRollback) run(ctx context.Context, c confirms.Commit, now bool) {
	by, why := "timer", fmt.Sprintf("confirm window elapsed at %s, not confirmed (apply %s)", c.Deadline.Format(time.RFC3339), c.Apply)
	if now {
		by, why = "rollback", fmt.Sprintf("pending confirm of apply %s rolled back by 'config confirm --rollback'", c.Apply)
	}
	if _, err := t.st.Settle(c.ID, confirms.RollingBack, by, why, confirms.Pending); err != nil {
		logf(t.d, "%s: not rolled back: %v", c.Device, err)
		if now {
			t.fail(err)
		}
		return
	}
	logf(t.d, "%s: %s: rolling back", c.Device, why)
	// Detached from a SIGTERM: a rollback cut half-way is the worst outcome.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
	defer cancel()
	err := t.prepare(rctx)
	if err == nil {
		dev := t.x.Device(c.Device)
		if dev == nil {
			err = fmt.Errorf("device %s: %w", c.Device, provisioning.ErrUnknownDevice)
		} else {
			target := provisioning.RecordedConfig{Text: []byte(c.Before), Platform: c.Platform, Transport: c.Transport}
			_, err = provisioning.RollbackTo(rctx, *dev, t.o.registry(), t.dial, t.rec, target,
				"its config before apply "+c.Apply, provisioning.RollbackOptions{Transport: c.Transport, Who: c.Who, Why: why})
		}
	}
	state, msg := confirms.RolledBack, why
	if err != nil {
		state, msg = confirms.Failed, "rollback failed: "+err.Error()
		t.fail(fmt.Errorf("%s: %s", c.Device, msg))
	}
	if _, uerr := t.st.Update(c.ID, func(x *confirms.Commit) error {
		x.State, x.Error = state, msg
		return nil
	}); uerr != nil {
		logf(t.d, "%s: %v", c.Device, uerr)
	}
	logf(t.d, "%s: %s: %s", c.Device, state, msg)
}

// sendConfirms sends the device the confirm of each device-side commit of
// apply that "config confirm" took (over gNMI: the commit-confirmed
// extension's confirm, the same id), on the apply's own flags.
func (t *timerRollback) sendConfirms(ctx context.Context, apply string, devices []string) error {
	cs, err := t.st.List()
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range cs {
		if c.Apply != apply || c.CommitID == "" || c.State != confirms.Confirmed || c.By != "confirm" || c.DeviceConfirmed ||
			c.Error != "" || (len(devices) > 0 && !slices.Contains(devices, c.Device)) {
			continue
		}
		err := t.sendConfirm(ctx, c)
		if _, uerr := t.st.Update(c.ID, func(x *confirms.Commit) error {
			if err != nil {
				x.State, x.Error = confirms.Failed, "the device did not take the confirm (it rolls back by itself at its deadline): "+err.Error()
			} else {
				x.DeviceConfirmed = true
			}
			return nil
		}); uerr != nil {
			err = errors.Join(err, uerr)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Device, err))
		}
	}
	return errors.Join(errs...)
}

func (t *timerRollback) sendConfirm(ctx context.Context, c confirms.Commit) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := t.prepare(ctx); err != nil {
		return err
	}
	dev := t.x.Device(c.Device)
	if dev == nil {
		return fmt.Errorf("device %s: %w", c.Device, provisioning.ErrUnknownDevice)
	}
	conn, err := t.dial.Dial(ctx, *dev, c.Transport)
	if err != nil {
		return err
	}
	defer conn.Close()
	cc, ok := conn.(provisioning.CommitConfirmer)
	if !ok {
		return fmt.Errorf("device %s over %s: no confirmed commits", c.Device, c.Transport)
	}
	return cc.ConfirmCommit(ctx, c.CommitID)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/provisioning/confirms"
)

// deviceGrace is how long past its deadline a device-side commit is
// still taken as pending: a confirm sent just before may be in flight.
const deviceGrace = 10 * time.Second

type confirmOpts struct {
	Status   bool
	Rollback bool
	Output   string
}

func newCfgConfirmCmd(d *deps, o *cfgOpts) *cobra.Command {
	var co confirmOpts
	c := &cobra.Command{
		Use:   "confirm [DEVICE...]",
		Short: "Keep the changes of pending 'config apply --confirm' runs, even of one that died; --status lists them",
		Long: `Confirms the changes "config apply --confirm" waits on, so they are kept: all
of them, or those of the devices named.

A live apply sees the confirm and keeps its changes. Over SSH (FRR has no
commit-confirmed), each change also has a state file in the confirms
directory (--confirm-dir), written before its push, and a detached timer
process started by the apply: if the apply dies inside the window (killed,
terminal closed, SSH session to the jump host lost), the timer rolls the
device back to its exact previous config at the deadline unless this
command confirms first. The decision is taken under a lock: a confirm that
arrives as the deadline fires is either "confirmed" or "too late", never
both.

--status lists the pending changes: device, transport, deadline and time
left, whether the timer process is alive, the apply id. A pending change
whose timer is dead (the machine running tuyau rebooted, the timer was
killed) is "stale": nothing will roll it back; confirm it, or roll it back
now with --rollback.`,
		Example: `  tuyau config apply --confirm 10m --no-post-checks &
  tuyau config confirm --status
  tuyau config confirm                    # keep every pending change
  tuyau config confirm saint-lo-dc-r1     # keep this device's only
  tuyau config confirm --rollback         # roll pending changes back now`,
		RunE: func(c *cobra.Command, args []string) error {
			switch {
			case co.Status && co.Rollback:
				return errors.New("give --status or --rollback, not both")
			case co.Status:
				return runCfgConfirmStatus(d, o, co, args)
			case co.Rollback:
				return runCfgConfirmRollback(c.Context(), d, o, args)
			}
			return runCfgConfirm(c.Context(), d, o, args)
		},
	}
	c.Flags().BoolVar(&co.Status, "status", false, "list the pending confirms and change nothing")
	c.Flags().BoolVar(&co.Rollback, "rollback", false, "roll the pending changes back now instead of confirming them (a stale one: its timer died)")
	c.Flags().StringVarP(&co.Output, "output", "o", "table", "table|json (with --status)")
	return c
}

// pendingCommits are the commits not yet settled, of the devices named
// (all when none are).
func pendingCommits(st *confirms.Store, devices []string) ([]confirms.Commit, error) {
	all, err := st.List()
	var out []confirms.Commit
	for _, c := range all {
		// A device-side commit not confirmed by its deadline was rolled
		// back by the device (the grace covers a confirm in flight).
		if c.CommitID != "" && c.State == confirms.Pending && time.Since(c.Deadline) > deviceGrace {
			if got, serr := st.Settle(c.ID, confirms.RolledBack, "device", "not confirmed by the deadline: the device rolled it back", confirms.Pending); serr == nil || errors.Is(serr, confirms.ErrSettled) {
				c = got
				if serr == nil {
					c.State = confirms.RolledBack
				}
			}
		}
		if !c.State.Final() && (len(devices) == 0 || slices.Contains(devices, c.Device)) {
			out = append(out, c)
		}
	}
	return out, err
}

func runCfgConfirm(ctx context.Context, d *deps, o *cfgOpts, devices []string) error {
	rec, err := o.records(ctx, d)
	if err != nil {
		return err
	}
	// A live apply over gNMI (and any live apply) polls this file.
	if err := rec.Confirm(); err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	st, err := o.confirmStore(d)
	if err != nil {
		return err
	}
	cs, err := pendingCommits(st, devices)
	if err != nil {
		return err
	}
	late := 0
	timers := map[int]string{}
	var onDevice []confirms.Commit // device-side commits: the device wants the confirm
	for _, c := range cs {
		got, err := st.Settle(c.ID, confirms.Confirmed, "confirm", "", confirms.Pending)
		switch {
		case errors.Is(err, confirms.ErrSettled):
			late++
			fmt.Fprintf(d.stdout, "%s: too late, not confirmed: %s (by %s) (apply %s)\n", c.Device, got.State, got.By, c.Apply)
		case err != nil:
			return err
		case c.CommitID != "":
			onDevice = append(onDevice, c)
		default:
			fmt.Fprintf(d.stdout, "%s: confirmed, the change is kept (apply %s, over %s)\n", c.Device, c.Apply, c.Transport)
			timers[c.TimerPID] = c.Apply
		}
	}
	// Each apply's device-side commits are confirmed on the device with
	// the flags that apply reached it with.
	sent := map[string]bool{}
	for _, c := range onDevice {
		if !sent[c.Apply] {
			sent[c.Apply] = true
			runDeps(ctx, &deps{stdout: d.stdout, stderr: d.stderr, stdin: d.stdin, getenv: d.getenv, self: d.self},
				append([]string{"config", "confirm-timer", "--apply", c.Apply, "--send-confirms"}, c.Args...))
		}
	}
	if len(onDevice) > 0 {
		after, _ := st.List()
		for _, c := range after {
			for _, p := range onDevice {
				if c.ID != p.ID {
					continue
				}
				if c.DeviceConfirmed {
					fmt.Fprintf(d.stdout, "%s: confirmed on the device (commit %s), the change is kept (apply %s, over %s)\n", c.Device, c.CommitID, c.Apply, c.Transport)
				} else {
					late++
					fmt.Fprintf(d.stdout, "%s: NOT confirmed: %s\n", c.Device, c.Error)
				}
			}
		}
	}
	// Wake the timers: one with nothing left pending and its apply gone exits.
	for pid, apply := range timers {
		if confirms.Alive(pid, apply) {
			syscall.Kill(pid, syscall.SIGUSR1)
		}
	}
	if _, err := fmt.Fprintf(d.stdout, "Confirmed in %s: pending applies keep their changes.\n", rec.ConfirmFile()); err != nil {
		return err
	}
	if late > 0 {
		return errSilent{fmt.Errorf("%s not confirmed in time", plural(late, "device"))}
	}
	if len(devices) > 0 && len(cs) == 0 {
		fmt.Fprintf(d.stderr, "note: no pending confirm of %v in %s; a live apply still sees the confirm\n", devices, st.Dir)
	}
	return nil
}

// pendingStatus is one line of "config confirm --status".
type pendingStatus struct {
	Device    string    `json:"device"`
	Transport string    `json:"transport"`
	Apply     string    `json:"apply_id"`
	State     string    `json:"state"`
	Deadline  time.Time `json:"deadline"`
	// LeftSeconds is the time left before the deadline (negative past it).
	LeftSeconds float64 `json:"left_seconds"`
	TimerPID    int     `json:"timer_pid"`
	TimerAlive  bool    `json:"timer_alive"`
	// DeviceTimer is set for a device-side confirmed commit (gNMI
	// commit-confirmed): the device rolls it back, no timer process.
	DeviceTimer bool   `json:"device_timer"`
	CommitID    string `json:"commit_id,omitempty"`
	// Stale is set when the timer died before settling the commit: nothing
	// will roll it back by itself.
	Stale      bool      `json:"stale"`
	ApplyPID   int       `json:"apply_pid"`
	ApplyAlive bool      `json:"apply_alive"`
	Who        string    `json:"who"`
	Created    time.Time `json:"created"`
	Log        string    `json:"log"`
}

func runCfgConfirmStatus(d *deps, o *cfgOpts, co confirmOpts, devices []string) error {
	if err := checkFormat(co.Output, "table", "json"); err != nil {
		return err
	}
	st, err := o.confirmStore(d)
	if err != nil {
		return err
	}
	cs, lerr := pendingCommits(st, devices)
	now := time.Now()
	list := []pendingStatus{}
	for _, c := range cs {
		p := pendingStatus{Device: c.Device, Transport: c.Transport, Apply: c.Apply, State: string(c.State), Deadline: c.Deadline,
			LeftSeconds: c.Deadline.Sub(now).Seconds(), TimerPID: c.TimerPID, TimerAlive: confirms.Alive(c.TimerPID, c.Apply),
			ApplyPID: c.ApplyPID, ApplyAlive: confirms.Alive(c.ApplyPID, ""), Who: c.Who, Created: c.Created, Log: c.Log, CommitID: c.CommitID}
		if c.CommitID != "" {
			p.DeviceTimer, p.TimerAlive = true, false
		}
		p.Stale = !p.TimerAlive && !p.DeviceTimer
		list = append(list, p)
	}
	if co.Output == "json" {
		if err := writeJSON(d.stdout, list); err != nil {
			return err
		}
		return lerr
	}
	if len(list) == 0 {
		_, err := fmt.Fprintf(d.stdout, "No pending confirms in %s.\n", st.Dir)
		return errors.Join(err, lerr)
	}
	var rows [][]string
	stale := 0
	for _, p := range list {
		timer := "alive (pid " + strconv.Itoa(p.TimerPID) + ")"
		state := p.State
		if p.DeviceTimer {
			timer = "on the device"
		}
		if p.Stale {
			stale++
			timer, state = "dead", state+" (STALE)"
		}
		left := time.Duration(p.LeftSeconds * float64(time.Second)).Round(time.Second).String()
		if p.LeftSeconds < 0 {
			left = "past"
		}
		rows = append(rows, []string{p.Device, p.Transport, state, p.Deadline.Local().Format("15:04:05"), left, timer, p.Apply})
	}
	if err := table(d.stdout, []string{"DEVICE", "TRANSPORT", "STATE", "DEADLINE", "LEFT", "TIMER", "APPLY"}, rows); err != nil {
		return err
	}
	if stale > 0 {
		fmt.Fprintf(d.stdout, "\n%s STALE: the timer died (was the machine running tuyau rebooted?); nothing rolls it back by itself: "+
			"'tuyau config confirm' keeps it, 'tuyau config confirm --rollback' rolls it back now.\n", plural(stale, "change"))
	}
	return lerr
}

// runCfgConfirmRollback rolls pending commits back now, each apply's with
// the flags its apply reached the devices with, as its timer would.
func runCfgConfirmRollback(ctx context.Context, d *deps, o *cfgOpts, devices []string) error {
	st, err := o.confirmStore(d)
	if err != nil {
		return err
	}
	cs, err := pendingCommits(st, devices)
	if err != nil {
		return err
	}
	var applies []string
	args := map[string][]string{}
	for _, c := range cs {
		if c.State != confirms.Pending {
			fmt.Fprintf(d.stdout, "%s: %s (by %s) already\n", c.Device, c.State, c.By)
			continue
		}
		if c.CommitID != "" {
			fmt.Fprintf(d.stdout, "%s: a device-side commit (%s): the device rolls it back at %s by itself\n", c.Device, c.CommitID, c.Deadline.Local().Format("15:04:05"))
			continue
		}
		if _, ok := args[c.Apply]; !ok {
			applies = append(applies, c.Apply)
			args[c.Apply] = c.Args
		}
	}
	if len(applies) == 0 {
		_, err := fmt.Fprintf(d.stdout, "No pending confirms to roll back in %s.\n", st.Dir)
		return err
	}
	failed := 0
	for _, a := range applies {
		run := append([]string{"config", "confirm-timer", "--apply", a, "--now"}, args[a]...)
		if len(devices) > 0 {
			run = append(append(run, "--"), devices...)
		}
		if code := runDeps(ctx, &deps{stdout: d.stdout, stderr: d.stderr, stdin: d.stdin, getenv: d.getenv, self: d.self}, run); code != exitOK {
			failed++
		}
	}
	after, _ := st.List()
	for _, c := range after {
		for _, p := range cs {
			if c.ID == p.ID {
				fmt.Fprintf(d.stdout, "%s: %s (apply %s)", c.Device, c.State, c.Apply)
				if c.State == confirms.Failed {
					fmt.Fprintf(d.stdout, ": %s", c.Error)
				}
				fmt.Fprintln(d.stdout)
			}
		}
	}
	if failed > 0 {
		return errSilent{errors.New("rollback failed")}
	}
	return nil
}

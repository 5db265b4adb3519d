package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
)

type applyOpts struct {
	Plan         string
	Output       string
	Confirm      time.Duration
	NoPostChecks bool
	FailFast     bool
	Settle       time.Duration
}

func newCfgApplyCmd(d *deps, o *cfgOpts) *cobra.Command {
	var a applyOpts
	c := &cobra.Command{
		Use:   "apply [DEVICE...]",
		Short: "Apply the plan: changed devices only, verified, rolled back on failure",
		Example: `  tuyau config apply -i examples/manche
  tuyau config apply --plan plan.json --confirm 5m     # keep only if BGP/interfaces come up
  tuyau config apply --confirm 10m --no-post-checks    # keep only after "tuyau config confirm"
  tuyau config confirm --status                        # what is pending, and its deadline`,
		RunE: func(c *cobra.Command, args []string) error {
			return runCfgApply(c, d, o, a, args)
		},
	}
	c.Flags().StringVar(&a.Plan, "plan", "", "apply a plan saved by plan --out (refused for devices changed since)")
	c.Flags().StringVarP(&a.Output, "output", "o", "table", "table|json")
	c.Flags().DurationVar(&a.Confirm, "confirm", 0, "keep changes only if post-checks pass or 'tuyau config confirm' runs within this time; rolled back otherwise, even if this tuyau dies: over gNMI by the device (commit-confirmed), over SSH by a detached timer process ('config confirm --status')")
	c.Flags().BoolVar(&a.NoPostChecks, "no-post-checks", false, "with --confirm, wait for 'tuyau config confirm' only")
	// 10 s outlasts FRR's datacenter hold time (9 s): a session the change
	// broke but whose TCP is still open shows Established until then.
	c.Flags().DurationVar(&a.Settle, "settle", 10*time.Second, "with --confirm, how long post-checks must keep passing before a change is kept (at most half the confirm window)")
	c.Flags().BoolVar(&a.FailFast, "fail-fast", false, "stop starting devices after the first failure")
	return c
}

func runCfgApply(cmd *cobra.Command, d *deps, o *cfgOpts, a applyOpts, names []string) error {
	ctx := cmd.Context()
	if err := checkFormat(a.Output, "table", "json"); err != nil {
		return err
	}
	if a.Plan != "" && len(names) > 0 {
		return errors.New("give devices or --plan, not both")
	}
	x, err := d.loadIndex(ctx)
	if err != nil {
		return err
	}
	cd, err := o.dialer(ctx, d)
	if err != nil {
		return err
	}
	dial, err := o.newPool(d, cd)
	if err != nil {
		return err
	}
	defer dial.Close()
	if err := cd.prepare(); err != nil {
		return err
	}
	reg := o.registry()
	var plan *provisioning.Plan
	if a.Plan != "" {
		if plan, err = readPlan(a.Plan); err != nil {
			return err
		}
	} else {
		ropt, err := o.renderOptions(d)
		if err != nil {
			return err
		}
		// Planned here on the sessions apply then uses: the read that made
		// a device's plan is its stale check too if apply starts soon after.
		dial.ReuseReads(5 * time.Second)
		startup, err := o.startupSource(d)
		if err != nil {
			return err
		}
		plan, err = provisioning.MakePlan(ctx, x, reg, dial,
			provisioning.PlanOptions{Devices: names, Transport: o.Transport, Parallel: o.Parallel, Render: ropt, Startup: startup})
		if err != nil {
			return err
		}
		if perr := plan.Err(); perr != nil {
			return fmt.Errorf("plan failed, nothing applied: %w", perr)
		}
	}
	for _, dp := range plan.Devices {
		if x.Device(dp.Device) == nil {
			return fmt.Errorf("plan names device %s: %w", dp.Device, provisioning.ErrUnknownDevice)
		}
	}
	// The whole inventory: post-checks read the far ends of a change.
	devs := map[string]inventory.Device{}
	for _, dev := range x.Snapshot().Devices {
		devs[dev.Name] = dev
	}
	rec, err := o.records(ctx, d)
	if err != nil {
		return err
	}
	// Over SSH (FRR), the window is kept by a detached timer process that
	// rolls back at the deadline if this apply dies before it decides.
	var guard provisioning.Guard
	if a.Confirm > 0 {
		g := newTimerGuard(cmd, d, o)
		defer g.close()
		guard = g
	}
	started := time.Now()
	prog := provisioning.NewProgress(d.stderr, plan.Changes()+plan.Unsaved(), isTerminal(d.stderr) && d.getenv("CI") == "")
	res := provisioning.Apply(ctx, plan, reg, devs, dial, provisioning.ApplyOptions{
		Parallel: o.Parallel, FailFast: a.FailFast, Confirm: a.Confirm, PostChecks: !a.NoPostChecks, Settle: a.Settle,
		Confirmed: func() bool { return rec.ConfirmedSince(started) }, Progress: prog.Event, Guard: guard,
	})
	prog.Finish()

	commit, rerr := provisioning.RecordApply(ctx, rec, plan, res, whoami(d))
	failed := 0
	for _, r := range res {
		if r.Error != "" {
			failed++
		}
	}
	if a.Output == "json" {
		err = writeJSON(d.stdout, res)
	} else {
		err = printResults(d.stdout, res, commit, rec.Dir)
	}
	switch {
	case err != nil:
		return err
	case rerr != nil:
		return fmt.Errorf("applied, but the records were not saved: %w", rerr)
	case failed > 0:
		return errSilent{fmt.Errorf("%s failed", plural(failed, "device"))}
	}
	return nil
}

func printResults(w io.Writer, res []provisioning.Result, commit, records string) error {
	var rows [][]string
	counts := map[provisioning.Outcome]int{}
	for _, r := range res {
		counts[r.Outcome]++
		msg := r.Error
		if r.RollbackError != "" {
			msg += "; ROLLBACK FAILED: " + r.RollbackError
		}
		rows = append(rows, []string{r.Device, string(r.Outcome), strconv.Itoa(r.Commands),
			r.Duration.Round(time.Millisecond).String(), msg})
	}
	if err := table(w, []string{"DEVICE", "RESULT", "COMMANDS", "TIME", "ERROR"}, rows); err != nil {
		return err
	}
	var parts []string
	for _, o := range []provisioning.Outcome{provisioning.Applied, provisioning.Saved, provisioning.Unchanged, provisioning.RolledBack, provisioning.Failed, provisioning.Skipped} {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	for _, r := range res {
		for _, n := range r.Notes {
			fmt.Fprintf(w, "note: %s: %s\n", r.Device, n)
		}
	}
	fmt.Fprintf(w, "\nApply: %s.", strings.Join(parts, ", "))
	if commit != "" {
		fmt.Fprintf(w, " Recorded in %s (commit %s).", records, shortHash(commit))
	}
	_, err := fmt.Fprintln(w)
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

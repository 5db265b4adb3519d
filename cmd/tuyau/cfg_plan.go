package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/provisioning"
)

type planOpts struct {
	Output       string
	DetailedExit bool
	Out          string
}

func newCfgPlanCmd(d *deps, o *cfgOpts) *cobra.Command {
	var p planOpts
	c := &cobra.Command{
		Use:   "plan [DEVICE...]",
		Short: "Show what apply would change: diff and exact commands per device",
		Example: `  tuyau config plan -i examples/manche
  tuyau config plan saint-lo-dc-r1 valognes-pop-r1
  tuyau config plan -o json --detailed-exitcode --out plan.json   # CI: exit 2 when changes are pending`,
		RunE: func(c *cobra.Command, args []string) error {
			return runCfgPlan(c.Context(), d, o, p, args)
		},
	}
	c.Flags().StringVarP(&p.Output, "output", "o", "table", "table|json")
	c.Flags().BoolVar(&p.DetailedExit, "detailed-exitcode", false, "exit 0 when nothing changes, 2 when changes are pending, 1 on error")
	c.Flags().StringVar(&p.Out, "out", "", "save the plan as JSON for a later apply --plan")
	return c
}

func runCfgPlan(ctx context.Context, d *deps, o *cfgOpts, p planOpts, names []string) error {
	if err := checkFormat(p.Output, "table", "json"); err != nil {
		return err
	}
	x, err := d.loadIndex(ctx)
	if err != nil {
		return err
	}
	ropt, err := o.renderOptions(d)
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
	startup, err := o.startupSource(d)
	if err != nil {
		return err
	}
	plan, err := provisioning.MakePlan(ctx, x, o.registry(), dial,
		provisioning.PlanOptions{Devices: names, Transport: o.Transport, Parallel: o.Parallel, Render: ropt, Startup: startup})
	if err != nil {
		return err
	}
	if p.Out != "" {
		f, err := os.Create(p.Out)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if err := writeJSON(f, plan); err != nil {
			f.Close()
			return fmt.Errorf("--out %s: %w", p.Out, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("--out %s: %w", p.Out, err)
		}
	}
	if p.Output == "json" {
		err = writeJSON(d.stdout, plan)
	} else {
		err = printPlan(d.stdout, plan)
	}
	if err != nil {
		return err
	}
	if perr := plan.Err(); perr != nil {
		return perr
	}
	if p.DetailedExit && (plan.Changes() > 0 || plan.Unsaved() > 0) {
		return errChangesPending
	}
	return nil
}

func printPlan(w io.Writer, plan *provisioning.Plan) error {
	var rows [][]string
	for _, dp := range plan.Devices {
		status := "no change"
		switch {
		case dp.Error != "":
			status = "error: " + dp.Error
		case dp.Changed():
			status = "change"
			fmt.Fprintf(w, "# %s (%s over %s): %s\n%s", dp.Device, dp.Platform, dp.Transport, plural(len(dp.Commands), "command"), dp.Diff)
			fmt.Fprintln(w, "  commands:")
			for _, c := range provisioning.IndentCommands(dp.Platform, dp.Commands) {
				fmt.Fprintln(w, "    "+c)
			}
			fmt.Fprintln(w)
		}
		for _, dr := range dp.Drift {
			fmt.Fprintf(w, "# %s: drift tuyau cannot change: %s\n", dp.Device, dr)
		}
		if dp.Unsaved != "" && dp.Error == "" {
			if status == "no change" {
				status = "unsaved"
			} else {
				status += ", unsaved"
			}
			fmt.Fprintf(w, "# %s: %s\n%s\n", dp.Device, dp.Unsaved, dp.UnsavedDiff)
		}
		rows = append(rows, []string{dp.Device, dp.Platform, dp.Transport, strconv.Itoa(len(dp.Commands)), shortHash(dp.RunningHash), status})
	}
	if err := table(w, []string{"DEVICE", "PLATFORM", "TRANSPORT", "COMMANDS", "RUNNING", "STATUS"}, rows); err != nil {
		return err
	}
	failed := 0
	for _, dp := range plan.Devices {
		if dp.Error != "" {
			failed++
		}
	}
	msg := fmt.Sprintf("\nPlan: %s to change, %d unchanged", plural(plan.Changes(), "device"), len(plan.Devices)-plan.Changes()-failed)
	if failed > 0 {
		msg += fmt.Sprintf(", %d could not be planned", failed)
	}
	if n := plan.Unsaved(); n > 0 {
		msg += fmt.Sprintf("; %s not saved on the device (apply saves them)", plural(n, "running config"))
	}
	_, err := fmt.Fprintln(w, msg+".")
	return err
}

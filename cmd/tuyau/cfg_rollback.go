package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/provisioning"
)

type rollbackOpts struct {
	To     int
	Plan   bool
	Output string
}

func newCfgRollbackCmd(d *deps, o *cfgOpts) *cobra.Command {
	var r rollbackOpts
	c := &cobra.Command{
		Use:   "rollback DEVICE",
		Short: "Put a device back on a config recorded earlier (1 = the one before the last apply)",
		Example: `  tuyau config rollback saint-lo-dc-r1 --plan    # show the diff and commands, change nothing
  tuyau config rollback saint-lo-dc-r1           # undo the last apply
  tuyau config rollback saint-lo-dc-r1 --to 3`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runCfgRollback(c.Context(), d, o, r, args[0])
		},
	}
	c.Flags().IntVar(&r.To, "to", 1, "how many recorded versions back (0 is the latest record)")
	c.Flags().BoolVar(&r.Plan, "plan", false, "show the rollback's diff and commands without changing the device")
	c.Flags().StringVarP(&r.Output, "output", "o", "table", "table|json")
	return c
}

func runCfgRollback(ctx context.Context, d *deps, o *cfgOpts, r rollbackOpts, device string) error {
	if err := checkFormat(r.Output, "table", "json"); err != nil {
		return err
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
	rec, err := o.records(ctx, d)
	if err != nil {
		return err
	}
	res, err := provisioning.Rollback(ctx, x, o.registry(), dial, rec, provisioning.RollbackOptions{
		Device: device, To: r.To, Transport: o.Transport, Who: whoami(d), PlanOnly: r.Plan})
	if err != nil {
		return err
	}
	if r.Output == "json" {
		return writeJSON(d.stdout, res)
	}
	if r.Plan {
		return printPlan(d.stdout, &provisioning.Plan{Format: provisioning.PlanFormat, Devices: []provisioning.DevicePlan{res.Plan}})
	}
	_, err = fmt.Fprintf(d.stdout, "%s: rolled back %s, %s; recorded in %s (commit %s)\n", device, res.Entry.Rollback,
		savedWord(res.Entry.Saved), rec.Dir, shortHash(res.Entry.Commit))
	return err
}

func savedWord(saved bool) string {
	if saved {
		return "saved on the device"
	}
	return "not saved on the device"
}

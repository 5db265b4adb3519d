package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/provisioning"
)

func newCfgRollbackCmd(d *deps, o *cfgOpts) *cobra.Command {
	var to int
	c := &cobra.Command{
		Use:   "rollback DEVICE",
		Short: "Put a device back on a config recorded earlier (1 = the one before the last)",
		Example: `  tuyau config rollback saint-lo-dc-r1          # undo the last apply
  tuyau config rollback saint-lo-dc-r1 --to 3`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runCfgRollback(c.Context(), d, o, args[0], to)
		},
	}
	c.Flags().IntVar(&to, "to", 1, "how many recorded versions back (0 is the latest record)")
	return c
}

func runCfgRollback(ctx context.Context, d *deps, o *cfgOpts, device string, to int) error {
	x, err := d.loadIndex(ctx)
	if err != nil {
		return err
	}
	cd, err := o.dialer(ctx, d)
	if err != nil {
		return err
	}
	dial := provisioning.NewPool(cd)
	defer dial.Close()
	rec, err := provisioning.OpenRecords(ctx, o.Records)
	if err != nil {
		return err
	}
	e, err := provisioning.Rollback(ctx, x, o.registry(), dial, rec, device, to, o.Transport, whoami(d))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(d.stdout, "%s: rolled back %s (recorded in %s)\n", device, e.Rollback, shortHash(e.Commit))
	return err
}

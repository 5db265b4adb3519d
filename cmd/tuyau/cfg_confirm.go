package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newCfgConfirmCmd(d *deps, o *cfgOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "confirm",
		Short:   "Confirm the changes of a running 'config apply --confirm' so they are kept",
		Example: "  tuyau config apply --confirm 10m --no-post-checks &\n  tuyau config confirm",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runCfgConfirm(c.Context(), d, o)
		},
	}
}

func runCfgConfirm(ctx context.Context, d *deps, o *cfgOpts) error {
	rec, err := o.records(ctx, d)
	if err != nil {
		return err
	}
	if err := rec.Confirm(); err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	_, err = fmt.Fprintf(d.stdout, "Confirmed in %s: pending applies keep their changes.\n", rec.ConfirmFile())
	return err
}

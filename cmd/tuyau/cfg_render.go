package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/provisioning"
)

func newCfgRenderCmd(d *deps, o *cfgOpts) *cobra.Command {
	var platform string
	c := &cobra.Command{
		Use:     "render [DEVICE...]",
		Short:   "Print the intended config of devices, as rendered from the inventory",
		Example: "  tuyau config render saint-lo-dc-r1 -i examples/manche\n  tuyau config render saint-lo-dc-r1 --platform openconfig",
		RunE: func(c *cobra.Command, args []string) error {
			return runCfgRender(c.Context(), d, o, args, platform)
		},
	}
	c.Flags().StringVar(&platform, "platform", "", "render for this platform instead of the inventory's")
	return c
}

func runCfgRender(ctx context.Context, d *deps, o *cfgOpts, names []string, platform string) error {
	x, err := d.loadIndex(ctx)
	if err != nil {
		return err
	}
	ropt, err := o.renderOptions(d)
	if err != nil {
		return err
	}
	rs, err := provisioning.Render(x, o.registry(), names, platform, ropt)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if len(rs) > 1 {
			fmt.Fprintf(d.stdout, "### %s (%s)\n", r.Device, r.Platform)
		}
		d.stdout.Write(r.Config)
	}
	return nil
}

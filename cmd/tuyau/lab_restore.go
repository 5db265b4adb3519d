package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/testlab"
)

type labRestoreOpts struct {
	labOpts
	SRLG, Device string
	All          bool
	Output       string
}

func newLabRestoreCmd(d *deps) *cobra.Command {
	var o labRestoreOpts
	c := &cobra.Command{
		Use:   "restore [CABLE] | --srlg DUCT | --device DEVICE | --all",
		Short: "Repair a cable, a duct or a device, or every fault",
		Example: `  tuyau lab restore FO-000002
  tuyau lab restore --srlg duct-dc1-dc2-inland
  tuyau lab restore --device saint-lo-dc-r1
  tuyau lab restore --all`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			req := testlab.Request{Op: "restore", SRLG: o.SRLG, Device: o.Device}
			n := 0
			if len(args) == 1 {
				req.Cable = args[0]
				n++
			}
			for _, set := range []bool{o.SRLG != "", o.Device != "", o.All} {
				if set {
					n++
				}
			}
			if n != 1 {
				return errors.New("give exactly one of CABLE, --srlg, --device or --all")
			}
			return runLabFault(c.Context(), d, o.labOpts, o.Output, req)
		},
	}
	o.flags(c)
	c.Flags().StringVar(&o.SRLG, "srlg", "", "repair every cable of this shared-risk group")
	c.Flags().StringVar(&o.Device, "device", "", "boot a killed device again")
	c.Flags().BoolVar(&o.All, "all", false, "repair every fault")
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	return c
}

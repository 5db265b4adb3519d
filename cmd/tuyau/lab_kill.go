package main

import (
	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/testlab"
)

type labKillOpts struct {
	labOpts
	Output string
}

func newLabKillCmd(d *deps) *cobra.Command {
	var o labKillOpts
	c := &cobra.Command{
		Use:   "kill DEVICE",
		Short: "Power a device off: its SSH, BGP and links go down",
		Long: `Power a device off: its SSH sessions close, its BGP speaker stops, its links go
dark at the far ends. "tuyau lab restore --device DEVICE" boots it again from
its startup config (what "write memory" saved), losing unsaved changes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runLabFault(c.Context(), d, o.labOpts, o.Output, testlab.Request{Op: "kill", Device: args[0]})
		},
	}
	o.flags(c)
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	return c
}

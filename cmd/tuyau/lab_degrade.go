package main

import (
	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/testlab"
)

type labDegradeOpts struct {
	labOpts
	DB     float64
	Output string
}

func newLabDegradeCmd(d *deps) *cobra.Command {
	var o labDegradeOpts
	c := &cobra.Command{
		Use:   "degrade CABLE --db N",
		Short: "Add optical loss to a cable (a bent fiber, a dirty connector)",
		Long: `Add N dB of loss to a cable: the received power of every link riding it drops by
N dB; a link whose power falls below its receiver's sensitivity goes down.
Degrading again replaces the previous value; "tuyau lab restore CABLE" clears it.`,
		Example: `  tuyau lab degrade FO-000002 --db 6`,
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runLabFault(c.Context(), d, o.labOpts, o.Output, testlab.Request{Op: "degrade", Cable: args[0], DB: o.DB})
		},
	}
	o.flags(c)
	c.Flags().Float64Var(&o.DB, "db", 3, "extra loss in dB")
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	return c
}

package main

import (
	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/testlab"
)

type labErrorsOpts struct {
	labOpts
	Rate, Discards float64
	Output         string
}

func newLabErrorsCmd(d *deps) *cobra.Command {
	var o labErrorsOpts
	c := &cobra.Command{
		Use:   "errors CABLE|LINK --rate N [--discards N]",
		Short: "Make links receive packets in error (a dirty connector, a failing optic)",
		Long: `Make every link riding a cable, or one link (its ID or DEVICE:INTERFACE for one
of its ends), receive N packets per second in error at both ends while it is up:
the interfaces' in-errors count up (and in-discards with --discards), over gNMI
and the CLI, as on a router. --rate 0 clears it; "tuyau lab restore CABLE|LINK"
or "restore --all" too.`,
		Example: `  tuyau lab errors FO-000002 --rate 50
  tuyau lab errors saint-lo-dc-r1:eth3 --rate 5 --discards 20`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runLabFault(c.Context(), d, o.labOpts, o.Output, testlab.Request{Op: "errors", Cable: args[0], Errors: o.Rate, Discards: o.Discards})
		},
	}
	o.flags(c)
	c.Flags().Float64Var(&o.Rate, "rate", 10, "packets received in error per second, at each end")
	c.Flags().Float64Var(&o.Discards, "discards", 0, "packets discarded on input per second, at each end")
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	return c
}

type labLoadOpts struct {
	labOpts
	Percent float64
	Output  string
}

func newLabLoadCmd(d *deps) *cobra.Command {
	var o labLoadOpts
	c := &cobra.Command{
		Use:   "load CABLE|LINK --percent N",
		Short: "Set the traffic on links, in percent of their speed",
		Long: `Set the offered load of every link riding a cable, or of one link (its ID or
DEVICE:INTERFACE), to N % of the link's speed in both directions, in place of its
modelled 1 to 30 %: the octet counters then show that utilization. Above 100 % the
link carries line rate and each sender counts the excess in out-discards.
"tuyau lab restore CABLE|LINK" or "restore --all" brings the modelled load back.`,
		Example: `  tuyau lab load saint-lo-dc-r1:eth2 --percent 95
  tuyau lab load FO-000047 --percent 130`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runLabFault(c.Context(), d, o.labOpts, o.Output, testlab.Request{Op: "load", Cable: args[0], Percent: o.Percent})
		},
	}
	o.flags(c)
	c.Flags().Float64Var(&o.Percent, "percent", 95, "offered load in % of the link's speed (0 to 1000)")
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	return c
}

package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/topology"
)

type riskOpts struct {
	Output string
	Top    int
}

func newTopologyRiskCmd(d *deps, to *topoOpts) *cobra.Command {
	var o riskOpts
	c := &cobra.Command{
		Use:   "risk",
		Short: "Per member site: disjoint paths to both cores and single points of failure",
		Long: `risk tells, for each member site, how many fiber-disjoint paths (sharing no
routed link or cable; exact) and SRLG-disjoint paths (sharing no duct either;
found greedily, so a lower bound) lead to core A and core B, and which single
failures (cable, duct, site) cut it off from both. It also lists the
backbone's bridges and articulation sites. Most exposed members first.`,
		Example: `  tuyau topology risk -i examples/manche
  tuyau topology risk -i examples/manche --top 10 -o json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runRisk(c.Context(), d, to, o)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	c.Flags().IntVar(&o.Top, "top", 0, "show only the N most exposed members (0: all)")
	return c
}

func runRisk(ctx context.Context, d *deps, to *topoOpts, o riskOpts) error {
	if err := checkFormat(o.Output, "table", "json"); err != nil {
		return err
	}
	t, err := d.loadTopology(ctx, to)
	if err != nil {
		return err
	}
	r := topology.Analyze(t).Risk()
	if o.Output == "json" {
		if o.Top > 0 && o.Top < len(r.Members) {
			r.Members = r.Members[:o.Top]
		}
		return writeJSON(d.stdout, r)
	}
	return topology.RenderRisk(d.stdout, r, o.Top)
}

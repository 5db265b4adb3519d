package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/topology"
)

type pathOpts struct {
	Output   string
	Disjoint bool
	Profile  string
}

func newTopologyPathCmd(d *deps, to *topoOpts) *cobra.Command {
	var o pathOpts
	c := &cobra.Command{
		Use:   "path FROM TO",
		Short: "Shortest route (or two link-disjoint routes) between two sites, with km and loss",
		Long: `path finds the shortest route by fiber length between two sites (or the
sites of two devices) over routed links that are up; member sites carry no
transit. With --disjoint it finds the pair of link-disjoint routes of least
total length and warns about any cable or duct both still run through.`,
		Example: `  tuyau topology path -i examples/manche saint-lo-dc brix-lycee
  tuyau topology path -i examples/manche barfleur-mairie saint-lo-dc --disjoint`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			return runPath(c.Context(), d, to, o, args[0], args[1])
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	c.Flags().BoolVar(&o.Disjoint, "disjoint", false, "two link-disjoint routes")
	c.Flags().StringVar(&o.Profile, "profile", "typical", "loss profile for the hop losses: typical|conservative|tia")
	return c
}

func runPath(ctx context.Context, d *deps, to *topoOpts, o pathOpts, from, dest string) error {
	if err := checkFormat(o.Output, "table", "json"); err != nil {
		return err
	}
	t, err := d.loadTopology(ctx, to)
	if err != nil {
		return err
	}
	p, err := topology.Analyze(t).Path(from, dest, topology.PathOptions{Disjoint: o.Disjoint, Budget: topology.BudgetOptions{Profile: o.Profile}})
	if err != nil && len(p.Routes) == 0 {
		return err
	}
	if o.Output == "json" {
		if werr := writeJSON(d.stdout, p); werr != nil {
			return werr
		}
	} else if rerr := topology.RenderPath(d.stdout, p); rerr != nil {
		return rerr
	}
	return err // a single route where two were asked for is still an error
}

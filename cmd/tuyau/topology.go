package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/topology"
)

// topoOpts are the flags every topology command shares.
type topoOpts struct {
	CoreA, CoreB string
}

func newTopologyCmd(d *deps) *cobra.Command {
	var o topoOpts
	c := &cobra.Command{
		Use:     "topology",
		Aliases: []string{"topo"},
		Short:   "Fiber graph, optical budgets, what a cut breaks, and maps",
		Long: `topology answers from the inventory: will this span close with these optics,
which member sites lose the hosting if this cable or duct is cut or this POP
goes dark, is every school really dual-homed on diverse fiber, and what does
the network look like on a map.

Core A and core B are the first hosting service's sites (preferred first),
else the core sites in name order; --core-a and --core-b override them.`,
	}
	c.PersistentFlags().StringVar(&o.CoreA, "core-a", "", "site slug of core A (default: the hosting service's primary site)")
	c.PersistentFlags().StringVar(&o.CoreB, "core-b", "", "site slug of core B")
	c.AddCommand(newTopologyBudgetCmd(d, &o), newTopologyCutsCmd(d, &o), newTopologyRiskCmd(d, &o),
		newTopologyPathCmd(d, &o), newTopologyGraphCmd(d, &o), newTopologyOpticsCmd(d))
	return c
}

// loadTopology builds the topology of the inventory; what keeps part of the
// graph from being built is reported on stderr, not fatal.
func (d *deps) loadTopology(ctx context.Context, o *topoOpts) (*topology.Topology, error) {
	snap, err := d.loadInventory(ctx)
	if err != nil {
		return nil, err
	}
	t, err := topology.Build(snap, topology.Options{CoreA: o.CoreA, CoreB: o.CoreB})
	if err != nil {
		return nil, err
	}
	for _, p := range t.Problems {
		fmt.Fprintln(d.stderr, "warning:", p)
	}
	return t, nil
}

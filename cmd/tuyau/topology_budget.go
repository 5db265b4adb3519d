package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/topology"
)

type budgetOpts struct {
	Output       string
	Profile      string
	Margin       float64
	Flagged      bool
	DetailedExit bool
	AllowNoOptic bool
}

func newTopologyBudgetCmd(d *deps, to *topoOpts) *cobra.Command {
	var o budgetOpts
	c := &cobra.Command{
		Use:   "budget",
		Short: "Optical power budget of every link: expected Rx power and margin",
		Long: `budget computes, for every routed link, the loss of its cable chain (fiber
length x attenuation at the transmitter's wavelength, splices, mated
connector pairs) and the power that then reaches the receiver at the
worst-case launch power, in the worse direction. Links below the margin,
with no light at all, overloading their receiver or beyond their optic's
rated reach are flagged. See "tuyau topology optics" for the figures.

With --detailed-exitcode the exit status is 2 when a link is flagged, and
also when a link cannot be checked because an end has no transceiver in the
inventory (no-optic), unless --allow-no-optic says that is expected.`,
		Example: `  tuyau topology budget -i examples/manche
  tuyau topology budget -i examples/manche --flagged --profile conservative --margin 4
  tuyau topology budget -i examples/manche --detailed-exitcode -o json > budget.json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runBudget(c.Context(), d, to, o)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	c.Flags().StringVar(&o.Profile, "profile", "typical", "loss profile: typical|conservative|tia")
	c.Flags().Float64Var(&o.Margin, "margin", 3, "safety margin in dB a link must keep above receiver sensitivity")
	c.Flags().BoolVar(&o.Flagged, "flagged", false, "list only the links that need attention")
	c.Flags().BoolVar(&o.DetailedExit, "detailed-exitcode", false, "exit 2 when a link is flagged or cannot be checked (no-optic)")
	c.Flags().BoolVar(&o.AllowNoOptic, "allow-no-optic", false, "with --detailed-exitcode: links without a transceiver do not count")
	return c
}

func runBudget(ctx context.Context, d *deps, to *topoOpts, o budgetOpts) error {
	if err := checkFormat(o.Output, "table", "json"); err != nil {
		return err
	}
	t, err := d.loadTopology(ctx, to)
	if err != nil {
		return err
	}
	bs, err := topology.Budgets(t, topology.BudgetOptions{Profile: o.Profile, MarginDB: o.Margin})
	if err != nil {
		return err
	}
	flagged, unchecked := 0, 0
	shown := make([]topology.LinkBudget, 0, len(bs))
	for _, b := range bs {
		if b.Status.Flagged() {
			flagged++
		}
		if b.Status == topology.BudgetNoOptic {
			unchecked++
		}
		if !o.Flagged || b.Status.Flagged() {
			shown = append(shown, b)
		}
	}
	if o.Output == "json" {
		err = writeJSON(d.stdout, shown)
	} else {
		err = topology.RenderBudgets(d.stdout, bs, o.Flagged)
	}
	if err != nil {
		return err
	}
	if unchecked > 0 {
		fmt.Fprintf(d.stderr, "%d of %d links not checked: an end has no transceiver in the inventory (status no-optic)\n", unchecked, len(bs))
	}
	if o.DetailedExit && (flagged > 0 || unchecked > 0 && !o.AllowNoOptic) {
		return errChangesPending
	}
	return nil
}

package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/topology"
)

func newTopologyOpticsCmd(d *deps) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "optics",
		Short: "The optics table and loss profiles budgets use, with their sources",
		Long: `optics prints the built-in optics table (IEEE 802.3 clauses and vendor data
sheets, cited per row), then the inventory's own types (its optics: section)
when an inventory is given, and the loss profiles.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(output, "table", "json"); err != nil {
				return err
			}
			optics := topology.Optics()
			if _, err := d.inventoryPath(); err == nil {
				snap, err := d.loadInventory(c.Context())
				if err != nil {
					return err
				}
				for _, o := range snap.Optics {
					optics = append(optics, topology.FromInventory(o))
				}
			}
			profiles := append(topology.LossProfiles(), topology.BestCaseLoss())
			if output == "json" {
				return writeJSON(d.stdout, map[string]any{"optics": optics, "loss_profiles": profiles})
			}
			var rows [][]string
			for _, o := range optics {
				rows = append(rows, []string{o.Type, strconv.Itoa(o.Wavelength), string(o.Fiber), f1(o.TxMinDBm) + ".." + f1(o.TxMaxDBm),
					f1(o.RxSensDBm), f1(o.RxMaxDBm), f1(o.BudgetDB()), f1(o.ReachKm), o.Source})
			}
			if err := table(d.stdout, []string{"TYPE", "NM", "FIBER", "TX dBm", "SENS dBm", "OVERLOAD dBm", "BUDGET dB", "REACH km", "SOURCE"}, rows); err != nil {
				return err
			}
			fmt.Fprintln(d.stdout)
			rows = rows[:0]
			for _, p := range profiles {
				rows = append(rows, []string{p.Name, f2(p.SMF1310), f2(p.SMF1550), f2(p.MMF850), f2(p.MMF1300), f2(p.SpliceDB), f2(p.ConnectorDB), p.Source})
			}
			return table(d.stdout, []string{"PROFILE", "SMF 1310", "SMF 1550", "MMF 850", "MMF 1300", "SPLICE", "CONNECTOR", "SOURCE"}, rows)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "table", "table|json")
	return c
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

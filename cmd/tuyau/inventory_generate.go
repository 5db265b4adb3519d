package main

import (
	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory/synth"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

type generateOpts struct {
	synth.Options
	Out   string
	Split bool
}

func newInventoryGenerateCmd(d *deps) *cobra.Command {
	var o generateOpts
	c := &cobra.Command{
		Use:   "generate",
		Short: "Generate a synthetic département network of any size, deterministically",
		Long: `Generate builds a network with the shape of a real one: two core datacenter
sites joined over two fiber-diverse paths, chains of aggregation POPs closed
on both cores, member sites single- or dual-homed to their nearest POPs,
patch panels, shared ducts, /31 links, iBGP to route reflectors at both core
sites, eBGP to two transits and to the members. Same flags, same network.`,
		Example: `  tuyau inventory generate --sites 50 --profile manche --speakers --out examples/manche --split
  tuyau inventory generate --sites 10000 --seed 7 --out /tmp/big.yaml
  tuyau inventory generate --sites 10000 --no-panels > /tmp/flat.yaml
  tuyau inventory generate --sites 200 --interfaces-per-device 48 --out /tmp/load.yaml   # telemetry load lab`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			snap, err := synth.Generate(o.Options)
			if err != nil {
				return err
			}
			switch {
			case o.Split:
				return yamlstore.WriteDir(o.Out, snap)
			case o.Out != "":
				return yamlstore.WriteFile(o.Out, snap)
			}
			data, err := yamlstore.Marshal(snap)
			if err != nil {
				return err
			}
			_, err = d.stdout.Write(data)
			return err
		},
	}
	c.Flags().IntVar(&o.Sites, "sites", 50, "number of sites, cores and POPs included")
	c.Flags().Uint64Var(&o.Seed, "seed", 1, "random seed")
	c.Flags().StringVar(&o.Profile, "profile", "", `site names: "" numbers them, "manche" uses Manche towns`)
	c.Flags().BoolVar(&o.NoPanels, "no-panels", false, "cable devices directly (one cable per link, no patch panels)")
	c.Flags().Float64Var(&o.DualHomed, "dual-homed", 0.6, "share of member sites with two uplinks")
	c.Flags().IntVar(&o.InterfacesPerDevice, "interfaces-per-device", 0, "top every device up to this many monitored ports with access circuits (telemetry load tests)")
	c.Flags().BoolVar(&o.Speakers, "speakers", false, "add a tuyau BGP speaker at each core site (the routers then leave the hosting prefixes to them)")
	c.Flags().StringVar(&o.Out, "out", "", "write to this file (or directory with --split) instead of stdout")
	c.Flags().BoolVar(&o.Split, "split", false, "write one file per section into the --out directory")
	return c
}

package main

import (
	"context"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

type bgpPeersOpts struct {
	Output string
}

func newBGPPeersCmd(d *deps, bo *bgpOpts) *cobra.Command {
	var o bgpPeersOpts
	c := &cobra.Command{
		Use:   "peers",
		Short: "The speaker's sessions: state, uptime, prefixes, flaps, why one is down",
		Example: `  tuyau bgp peers --speaker saint-lo-dc -i examples/manche
  tuyau bgp peers --api /run/tuyau/bgp-saint-lo-dc.sock -o json`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			return runBGPPeers(c.Context(), d, bo, o)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	return c
}

func runBGPPeers(ctx context.Context, d *deps, bo *bgpOpts, o bgpPeersOpts) error {
	if err := checkFormat(o.Output, "table", "json"); err != nil {
		return err
	}
	c, err := bo.client(ctx, d)
	if err != nil {
		return err
	}
	defer c.Close()
	ps, err := c.Peers(ctx)
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return writeJSON(d.stdout, ps)
	}
	var rows [][]string
	for _, p := range ps {
		up := "-"
		if p.State == "established" {
			up = time.Duration(p.Uptime).String()
		}
		rows = append(rows, []string{p.Device, p.Address.String(), strconv.FormatUint(uint64(p.ASN), 10), p.State, up,
			strconv.FormatUint(p.Received, 10), strconv.FormatUint(p.Accepted, 10), strconv.FormatUint(p.Advertised, 10),
			strconv.FormatUint(uint64(p.Flaps), 10), p.Reason})
	}
	return table(d.stdout, []string{"DEVICE", "ADDRESS", "AS", "STATE", "UPTIME", "RCVD", "ACCEPTED", "ADVERTISED", "FLAPS", "REASON"}, rows)
}

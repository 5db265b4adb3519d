package main

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

type bgpRoutesOpts struct {
	Output string
	Peer   string
}

func newBGPRoutesCmd(d *deps, bo *bgpOpts) *cobra.Command {
	var o bgpRoutesOpts
	c := &cobra.Command{
		Use:   "routes [PREFIX]",
		Short: "The speaker's routes (every add-path route, with the site it comes from)",
		Example: `  tuyau bgp routes --speaker saint-lo-dc
  tuyau bgp routes 198.51.100.0/24 --speaker saint-lo-dc -o json
  tuyau bgp routes --peer 10.255.0.1 --speaker saint-lo-dc`,
		Args:         cobra.MaximumNArgs(1),
		SilenceUsage: true,
		RunE: func(c *cobra.Command, args []string) error {
			return runBGPRoutes(c.Context(), d, bo, o, args)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	c.Flags().StringVar(&o.Peer, "peer", "", "only what this neighbor (address) sent")
	return c
}

func runBGPRoutes(ctx context.Context, d *deps, bo *bgpOpts, o bgpRoutesOpts, args []string) error {
	if err := checkFormat(o.Output, "table", "json"); err != nil {
		return err
	}
	var prefix netip.Prefix
	if len(args) == 1 {
		p, err := netip.ParsePrefix(args[0])
		if err != nil {
			return fmt.Errorf("prefix %q: %w", args[0], err)
		}
		prefix = p
	}
	var peer netip.Addr
	if o.Peer != "" {
		a, err := netip.ParseAddr(o.Peer)
		if err != nil {
			return fmt.Errorf("--peer %q: %w", o.Peer, err)
		}
		peer = a
	}
	c, err := bo.client(ctx, d)
	if err != nil {
		return err
	}
	defer c.Close()
	rs, err := c.Routes(ctx, prefix, peer)
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return writeJSON(d.stdout, rs)
	}
	var rows [][]string
	for _, r := range rs {
		best, from := "", r.Peer.String()
		if r.Best {
			best = "*"
		}
		if r.Local {
			from = "local"
		}
		if r.Stale {
			best += " stale"
		}
		var as []string
		for _, a := range r.ASPath {
			as = append(as, strconv.FormatUint(uint64(a), 10))
		}
		rows = append(rows, []string{best, r.Prefix.String(), addrOrDash(r.NextHop), from, addrOrDash(r.OriginatorID), dash(r.Site),
			strconv.FormatUint(uint64(r.LocalPref), 10), strconv.FormatUint(uint64(r.MED), 10), dash(strings.Join(as, " ")), dash(strings.Join(r.Communities, " "))})
	}
	return table(d.stdout, []string{"BEST", "PREFIX", "NEXT HOP", "FROM", "ORIGINATOR", "SITE", "LOCPRF", "MED", "AS PATH", "COMMUNITIES"}, rows)
}

func addrOrDash(a netip.Addr) string {
	if !a.IsValid() {
		return "-"
	}
	return a.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

type bgpDumpOpts struct {
	MRT string
}

func newBGPDumpCmd(d *deps, bo *bgpOpts) *cobra.Command {
	var o bgpDumpOpts
	c := &cobra.Command{
		Use:   "dump --mrt FILE",
		Short: "Write the speaker's table as MRT TABLE_DUMPv2 (bgpdump, gobgp mrt, RIPE tools read it)",
		Long: `dump writes the speaker's global table (every path received, add-path
ones in RFC 8050 records, and the speaker's own) as MRT TABLE_DUMPv2 (RFC
6396) to FILE, atomically, mode 0640. Read it with "bgpdump -m FILE", or
load it into a GoBGP with "gobgp mrt inject global FILE".`,
		Example:      `  tuyau bgp dump --mrt /var/lib/tuyau/rib-$(date +%F).mrt --speaker saint-lo-dc`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			return runBGPDump(c.Context(), d, bo, o)
		},
	}
	c.Flags().StringVar(&o.MRT, "mrt", "", "MRT file to write")
	return c
}

func runBGPDump(ctx context.Context, d *deps, bo *bgpOpts, o bgpDumpOpts) error {
	if o.MRT == "" {
		return errors.New("--mrt FILE is required")
	}
	c, err := bo.client(ctx, d)
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := c.WriteMRTFile(ctx, o.MRT)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.stderr, "%s: %d prefixes, %d paths, %d peers\n", o.MRT, st.Prefixes, st.Paths, st.Peers)
	return nil
}

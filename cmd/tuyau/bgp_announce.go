package main

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/bgp"
)

type bgpAnnounceOpts struct {
	NextHop     string
	Communities []string
	MED         uint32
	LocalPref   uint32
	Prepend     int
}

// newBGPAnnounceCmd is "announce" or, withdraw set, "withdraw".
func newBGPAnnounceCmd(d *deps, bo *bgpOpts, withdraw bool) *cobra.Command {
	var o bgpAnnounceOpts
	c := &cobra.Command{
		Use:   "announce PREFIX",
		Short: "Originate a prefix from the speaker (again: replace its attributes)",
		Long: `announce originates PREFIX from the running speaker with the attributes
given. The routers accept from a speaker only the hosting services'
prefixes (RM-SPEAKER-IN). The hosting failover does this by itself; by hand
it is for tests and emergencies.`,
		Example:      `  tuyau bgp announce 198.51.100.0/24 --next-hop 10.254.0.10 --med 10 --community 65000:100 --speaker saint-lo-dc`,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(c *cobra.Command, args []string) error {
			return runBGPAnnounce(c.Context(), d, bo, o, args[0], withdraw)
		},
	}
	if withdraw {
		c.Use, c.Short, c.Long = "withdraw PREFIX", "Stop originating a prefix from the speaker", ""
		c.Example = `  tuyau bgp withdraw 198.51.100.0/24 --speaker saint-lo-dc`
		return c
	}
	c.Flags().StringVar(&o.NextHop, "next-hop", "", "next hop (default: the speaker's address; an IPv6 prefix needs one)")
	c.Flags().StringSliceVar(&o.Communities, "community", nil, "communities ASN:VALUE or A:B:C (repeat or comma-separate)")
	c.Flags().Uint32Var(&o.MED, "med", 0, "multi-exit discriminator")
	c.Flags().Uint32Var(&o.LocalPref, "local-pref", 0, "local preference (iBGP)")
	c.Flags().IntVar(&o.Prepend, "as-path-prepend", 0, "prepend the speaker's AS this many times (eBGP only: an iBGP peer drops it)")
	return c
}

func runBGPAnnounce(ctx context.Context, d *deps, bo *bgpOpts, o bgpAnnounceOpts, arg string, withdraw bool) error {
	prefix, err := netip.ParsePrefix(arg)
	if err != nil {
		return fmt.Errorf("prefix %q: %w", arg, err)
	}
	a := bgp.Attrs{Communities: o.Communities, MED: o.MED, LocalPref: o.LocalPref, Prepend: o.Prepend}
	if o.NextHop != "" {
		if a.NextHop, err = netip.ParseAddr(o.NextHop); err != nil {
			return fmt.Errorf("--next-hop %q: %w", o.NextHop, err)
		}
	}
	c, err := bo.client(ctx, d)
	if err != nil {
		return err
	}
	defer c.Close()
	if withdraw {
		if err := c.Withdraw(ctx, prefix); err != nil {
			return err
		}
		fmt.Fprintf(d.stdout, "withdrawn %s\n", prefix)
		return nil
	}
	if err := c.Announce(ctx, prefix, a); err != nil {
		return err
	}
	fmt.Fprintf(d.stdout, "announced %s\n", prefix)
	return nil
}

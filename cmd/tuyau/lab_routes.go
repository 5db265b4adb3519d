package main

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/testlab"
)

type labRoutesOpts struct {
	labOpts
	Output string
	Roles  []string
}

func newLabRoutesCmd(d *deps) *cobra.Command {
	var o labRoutesOpts
	c := &cobra.Command{
		Use:   "routes PREFIX",
		Short: "Each lab router's best path for a prefix, and which core site it leads to",
		Long: `Asks every router of a running virtual lab, over its CLI (SSH, as "tuyau lab
exec DEVICE show bgp ipv4 unicast PREFIX"), for its BGP paths to PREFIX: how many
it holds, the best one's next hop, and the core site that next hop belongs to
(a speaker's hosting next hop, inventory speakers:). A member's router, whose
next hop is its POP (eBGP), shows the POP; "none" is a router without a path:
the prefix is unreachable from there. What the routers hold, not what the
topology predicts (tuyau topology cuts).`,
		Example: `  tuyau lab routes 198.51.100.0/24 -i examples/manche
  tuyau lab routes 198.51.100.0/24 --role member -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runLabRoutes(c.Context(), d, o, args[0])
		},
	}
	o.flags(c)
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	c.Flags().StringSliceVar(&o.Roles, "role", nil, "only routers of these inventory roles (core, aggregation, member; default all but transit peers)")
	return c
}

// labRoute is one router's view of a prefix.
type labRoute struct {
	Device string `json:"device"`
	Site   string `json:"site"`
	Role   string `json:"role"`
	// Paths is how many paths the router holds; 0 is no route.
	Paths   int    `json:"paths"`
	NextHop string `json:"next_hop,omitempty"`
	// ViaSite is the core site whose hosting next hop the best path has.
	ViaSite string `json:"via_site,omitempty"`
	Error   string `json:"error,omitempty"`
}

func runLabRoutes(ctx context.Context, d *deps, o labRoutesOpts, arg string) error {
	if err := checkFormat(o.Output, "table", "json"); err != nil {
		return err
	}
	prefix, err := netip.ParsePrefix(arg)
	if err != nil {
		return fmt.Errorf("prefix %q: %w", arg, err)
	}
	snap, err := d.loadInventory(ctx)
	if err != nil {
		return err
	}
	st, err := o.running(ctx, d)
	if err != nil {
		return err
	}
	routes := labRoutes(ctx, o.Dir, st, snap, prefix, o.Roles)
	if o.Output == "json" {
		return writeJSON(d.stdout, routes)
	}
	rows := make([][]string, 0, len(routes))
	for _, r := range routes {
		nh, via := r.NextHop, r.ViaSite
		switch {
		case r.Error != "":
			nh, via = "error", r.Error
		case r.Paths == 0:
			nh = "none"
		}
		rows = append(rows, []string{r.Device, r.Role, r.Site, strconv.Itoa(r.Paths), nh, via})
	}
	return table(d.stdout, []string{"DEVICE", "ROLE", "SITE", "PATHS", "BEST NEXT HOP", "VIA"}, rows)
}

// labRoutes asks every router of the lab at once; each answer is bounded
// by its own deadline so a dead router costs one timeout, not the run.
func labRoutes(ctx context.Context, root string, st testlab.LabStatus, snap *inventory.Snapshot, prefix netip.Prefix, roles []string) []labRoute {
	sites := map[string]string{}
	for _, sp := range snap.Speakers {
		nh4, nh6 := sp.NextHops()
		for _, a := range []netip.Addr{nh4, nh6} {
			if a.IsValid() {
				sites[a.String()] = sp.Site
			}
		}
	}
	family := "ipv4"
	if prefix.Addr().Is6() {
		family = "ipv6"
	}
	cmd := "show bgp " + family + " unicast " + prefix.Masked().String()
	idx := inventory.NewIndex(snap)
	var out []labRoute
	for _, dev := range st.Devices {
		inv := idx.Device(dev.Name)
		if inv == nil || (len(roles) > 0 && !slices.Contains(roles, string(inv.Role))) {
			continue
		}
		out = append(out, labRoute{Device: dev.Name, Site: inv.Site, Role: string(inv.Role)})
	}
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func(r *labRoute) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			text, err := testlab.Exec(ctx, root, st.Name, r.Device, cmd)
			paths, nh := parseBGPPrefix(text)
			if err != nil && paths == 0 && !strings.Contains(text, "Network not in table") {
				r.Error = err.Error()
				return
			}
			r.Paths, r.NextHop, r.ViaSite = paths, nh, sites[nh]
		}(&out[i])
	}
	wg.Wait()
	return out
}

// parseBGPPrefix reads FRR's "show bgp ipv4 unicast PREFIX": the number of
// paths and the best one's next hop ("" when none is best). Each path is
// "  AS-PATH", "    NEXT-HOP from PEER (ROUTER-ID)", "      Origin ...,
// valid, internal, best (...)".
func parseBGPPrefix(out string) (paths int, best string) {
	nh := ""
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && f[1] == "from" {
			paths++
			nh = f[0]
			continue
		}
		if !strings.HasPrefix(strings.TrimSpace(l), "Origin ") || best != "" {
			continue
		}
		for _, a := range strings.Split(l, ",") {
			a = strings.TrimSpace(a)
			if a == "best" || strings.HasPrefix(a, "best ") {
				best = nh
			}
		}
	}
	return paths, best
}

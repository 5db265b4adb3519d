package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/bgp"
	"github.com/tuyau-net/tuyau/bgp/hosting"
	"github.com/tuyau-net/tuyau/inventory"
)

// controlPath is the hosting failover's control socket of a speaker: next
// to its GoBGP API socket (bgp-SITE.sock -> bgp-SITE.hosting.sock). A
// speaker whose API is a TCP port has none.
func controlPath(api string) (string, error) {
	if !inventory.APIIsUnix(api) {
		return "", fmt.Errorf("speaker api %q is not a unix socket: the hosting control socket lives next to it (docs/bgp.md)", api)
	}
	return strings.TrimSuffix(inventory.APISocketPath(api), ".sock") + ".hosting.sock", nil
}

// startHosting builds the failover of every inventory service hosted at
// the speaker's site, configured from tuyau.yaml's hosting: block: the local
// speaker announces for its site, the other sites' speakers over their API;
// the view is every speaker's received paths. It runs them and their control
// socket until ctx ends; the returned wait blocks until they have stopped.
// A service with no hosting: block is skipped (nothing would tell its health).
func startHosting(ctx context.Context, d *deps, snap *inventory.Snapshot, sp *inventory.Speaker, cfg bgp.Config,
	local *bgp.Speaker, lab *bgpLab, log *slog.Logger, onTransition func(hosting.Transition)) (wait func(), err error) {
	conf, err := d.loadConfig()
	if err != nil {
		return nil, err
	}
	var clients []*bgp.Client
	closeAll := func() {
		for _, c := range clients {
			c.Close()
		}
	}
	remote := map[string]*bgp.Client{}
	var svcs []*hosting.Service
	for _, svc := range snap.Services {
		if !slices.Contains(svc.Sites, sp.Site) {
			continue
		}
		hc, ok := conf.Hosting[svc.Name]
		if lab != nil {
			// The lab's endpoints are the service: probe them.
			if hc, err = lab.hosting(svc, hc); err != nil {
				closeAll()
				return nil, err
			}
		} else if !ok {
			log.Warn("hosting service not run: no hosting: block for it in tuyau.yaml", "service", svc.Name)
			continue
		}
		// Each site's hosting next hop (inventory hosting_next_hop, else
		// the speaker's listen address): where that site takes the traffic.
		nh4, nh6 := sp.NextHops()
		ann := map[string]hosting.Announcer{sp.Site: bgp.HostingAnnouncer(local, nh4, nh6)}
		var view []*bgp.Client
		for _, site := range svc.Sites {
			if site == sp.Site {
				continue
			}
			other := speakerAt(snap, site)
			if other == nil {
				closeAll()
				return nil, fmt.Errorf("hosting service %s: site %s has no speaker in the inventory", svc.Name, site)
			}
			c := remote[site]
			if c == nil {
				api := other.API
				if lab != nil {
					api = lab.api(other.Name)
				}
				if c, err = bgp.Dial(ctx, api); err != nil {
					closeAll()
					return nil, fmt.Errorf("hosting service %s: speaker %s: %w", svc.Name, other.Name, err)
				}
				c.Origins, c.Site = cfg.Origins, other.Site
				remote[site] = c
				clients = append(clients, c)
			}
			o4, o6 := other.NextHops()
			ann[site] = bgp.HostingAnnouncer(c, o4, o6)
			view = append(view, c)
		}
		s, err := hosting.NewService(svc, hc, ann, bgp.HostingViewOf(local, view...), hosting.WithLogger(log),
			hosting.WithEvents(onTransition))
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("%s: %w", conf.file, err)
		}
		svcs = append(svcs, s)
	}
	if len(svcs) == 0 {
		closeAll()
		return func() {}, nil
	}
	path, err := controlPath(cfg.API)
	if err != nil {
		closeAll()
		return nil, err
	}
	var wg sync.WaitGroup
	for _, s := range svcs {
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx) }()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := hosting.ServeControl(ctx, path, hosting.NewControl(svcs...)); err != nil {
			log.Error("hosting control socket", "err", err)
		}
	}()
	log.Info("hosting failover running", "services", len(svcs), "control", path)
	return func() { wg.Wait(); closeAll() }, nil
}

func speakerAt(snap *inventory.Snapshot, site string) *inventory.Speaker {
	for i := range snap.Speakers {
		if snap.Speakers[i].Site == site {
			return &snap.Speakers[i]
		}
	}
	return nil
}

// control connects to the control socket of the speaker the flags name.
func (o *bgpOpts) control(ctx context.Context, d *deps) (*hosting.ControlClient, error) {
	api := o.API
	if api == "" {
		snap, err := d.loadInventory(ctx)
		if err != nil {
			return nil, err
		}
		sp, err := o.speaker(snap)
		if err != nil {
			return nil, err
		}
		api = sp.API
		lab, err := o.lab(ctx, d)
		if err != nil {
			return nil, err
		}
		if lab != nil {
			api = lab.api(sp.Name)
		}
	}
	path, err := controlPath(api)
	if err != nil {
		return nil, err
	}
	return hosting.DialControl(path), nil
}

func newBGPServicesCmd(d *deps, bo *bgpOpts) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "services",
		Short: "The hosting failover: each service's active site, each site's health, state and role",
		Example: `  tuyau bgp services --speaker saint-lo-dc -i examples/manche
  tuyau bgp services -o json`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(output, "table", "json"); err != nil {
				return err
			}
			cc, err := bo.control(c.Context(), d)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(c.Context(), 10*time.Second)
			defer cancel()
			st, err := cc.Services(ctx)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(d.stdout, st)
			}
			return servicesTable(d, st)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "table", "table|json")
	return c
}

func servicesTable(d *deps, st []hosting.ServiceStatus) error {
	var rows [][]string
	for _, s := range st {
		for _, x := range s.Sites {
			active := ""
			if x.Site == s.ActiveSite {
				active = "*"
			}
			last := "-"
			if !x.LastTransition.IsZero() {
				last = x.LastTransition.UTC().Format(time.RFC3339)
			}
			why := x.Reason
			if x.Error != "" {
				why = "error: " + x.Error
			}
			rows = append(rows, []string{s.Name, x.Site + active, strconv.Itoa(x.Preference), string(x.State), x.Health,
				string(x.Role), strconv.FormatBool(x.Seen), last, why})
		}
	}
	return table(d.stdout, []string{"SERVICE", "SITE", "PREF", "STATE", "HEALTH", "ROLE", "SEEN", "LAST TRANSITION", "REASON"}, rows)
}

func newBGPDrainCmd(d *deps, bo *bgpOpts, undrain bool) *cobra.Command {
	timeout := 2 * hosting.DefaultDrainTimeout
	use, short := "drain SITE", "Drain a core site for maintenance: make the other site primary, then withdraw it; waits"
	if undrain {
		use, short = "undrain SITE", "Put a drained site back in service (it takes the hosting back once seen carrying it)"
	}
	c := &cobra.Command{
		Use:          use,
		Short:        short,
		Example:      "  tuyau bgp " + strings.Fields(use)[0] + " saint-lo-dc --speaker cherbourg-en-cotentin-dc",
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(c *cobra.Command, args []string) error {
			cc, err := bo.control(c.Context(), d)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(c.Context(), timeout)
			defer cancel()
			var st []hosting.ServiceStatus
			if undrain {
				st, err = cc.Undrain(ctx, args[0])
			} else {
				st, err = cc.Drain(ctx, args[0])
			}
			if err != nil {
				return err
			}
			return servicesTable(d, st)
		},
	}
	if !undrain {
		c.Flags().DurationVar(&timeout, "timeout", timeout, "how long to wait for the drain (the machine aborts it after its drain-timeout)")
	}
	return c
}

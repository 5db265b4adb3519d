package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
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
	local *bgp.Speaker, log *slog.Logger, onTransition func(hosting.Transition)) (wait func(), err error) {
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
		if !ok {
			log.Warn("hosting service not run: no hosting: block for it in tuyau.yaml", "service", svc.Name)
			continue
		}
		// No hosting next hop in the inventory yet: each speaker's router
		// id (its loopback; a router takes no 0.0.0.0 next hop).
		ann := map[string]hosting.Announcer{sp.Site: bgp.HostingAnnouncer(local, sp.RouterID, netip.Addr{})}
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
				if c, err = bgp.Dial(ctx, other.API); err != nil {
					closeAll()
					return nil, fmt.Errorf("hosting service %s: speaker %s: %w", svc.Name, other.Name, err)
				}
				c.Origins, c.Site = cfg.Origins, other.Site
				remote[site] = c
				clients = append(clients, c)
			}
			ann[site] = bgp.HostingAnnouncer(c, other.RouterID, netip.Addr{})
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

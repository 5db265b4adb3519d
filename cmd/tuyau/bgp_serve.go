package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tuyau-net/tuyau/bgp"
	"github.com/tuyau-net/tuyau/bgp/hosting"
	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/telemetry"
)

type bgpServeOpts struct {
	LogLevel   string
	Hosting    bool
	Monitor    bool
	Collectors []string
	StateDir   string

	// What "tuyau serve" sets (no flags): the part's logger (nil: one on
	// stderr at --log-level), the in-process event sinks tried before the
	// --collector ones (serve's own collector), and ready, called once
	// the speaker's sessions are configured and its API answers.
	log   *slog.Logger
	sinks []telemetry.EventSink
	ready func(*bgp.Speaker)
}

func newBGPServeCmd(d *deps, bo *bgpOpts) *cobra.Command {
	var o bgpServeOpts
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the speaker until SIGTERM (graceful-restart-friendly stop)",
		Long: `serve runs the speaker the inventory describes: sessions with its core
site's routers (MD5, GTSM, timers, graceful restart as configured), GoBGP's
gRPC API on its socket (mode 0600) or loopback port. Session changes are
logged on stderr. On SIGTERM or SIGINT tuyau exits without a NOTIFICATION:
routers that negotiated graceful restart (graceful_restart: in the
inventory) keep the speaker's routes, as stale, until it is back or the
restart time runs out.

The route monitor (--monitor, on by default) watches the network's own
prefixes in what the core sends: a member LAN missing and restored, a
prefix of ours or a more-specific from an unexpected origin AS (hijack) or
through a foreign AS (leak), each peer's prefix count against its learned
baseline and max_prefixes, hosting prefixes seen from fewer core sites than
configured, sessions down and flapping. Its alarms, and the hosting
failover's, are posted to the collectors (--collector, POST /api/v1/events)
and so land in "tuyau telemetry alarms"; with several collectors sharing
Redis, the one holding the engine takes them. docs/bgp.md "Alarms".

Around every hosting failover an MRT snapshot of the table is written under
--state-dir/mrt/SERVICE/ (before and after), for post-mortems.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			return runBGPServe(c.Context(), d, bo, o)
		},
	}
	o.flags(c.Flags(), d)
	return c
}

// flags registers serve's flags on f ("tuyau serve" starts from their
// defaults on a throwaway set).
func (o *bgpServeOpts) flags(f *pflag.FlagSet, d *deps) {
	f.StringVar(&o.LogLevel, "log-level", "info", "debug|info|warn|error")
	f.BoolVar(&o.Hosting, "hosting", true, "run the hosting failover (tuyau.yaml hosting:) of the services at this site; run it at one speaker only")
	f.BoolVar(&o.Monitor, "monitor", true, "run the route monitor (alarms on the network's prefixes and sessions)")
	var coll []string
	if v := d.getenv("TUYAU_COLLECTOR"); v != "" {
		coll = strings.Split(v, ",")
	}
	f.StringSliceVar(&o.Collectors, "collector", coll, "collectors' HTTP APIs the alarms go to, tried in order (env TUYAU_COLLECTOR, comma-separated); none: alarms only logged")
	f.StringVar(&o.StateDir, "state-dir", envOr(d, "TUYAU_STATE_DIR", ""), "directory of the MRT snapshots around failovers (env TUYAU_STATE_DIR; default: beside the API socket)")
}

func runBGPServe(ctx context.Context, d *deps, bo *bgpOpts, o bgpServeOpts) error {
	snap, err := d.loadInventory(ctx)
	if err != nil {
		return err
	}
	sp, err := bo.speaker(snap)
	if err != nil {
		return err
	}
	pw, err := bgp.LoadPasswords(bo.Secrets)
	if err != nil {
		return err
	}
	cfg, err := bgp.ConfigFor(snap, sp.Name, pw.Lookup)
	if err != nil {
		return err
	}
	log := o.log
	if log == nil {
		var lvl slog.Level
		if err := lvl.UnmarshalText([]byte(strings.ToUpper(o.LogLevel))); err != nil {
			return err
		}
		log = slog.New(slog.NewTextHandler(d.stderr, &slog.HandlerOptions{Level: lvl}))
	}
	lab, err := bo.lab(ctx, d)
	if err != nil {
		return err
	}
	if lab != nil {
		dropped, err := lab.config(&cfg)
		if err != nil {
			return err
		}
		log.Info("bgp speaker in the lab", "lab", bo.Lab, "listen", cfg.Listen, "port", cfg.Port, "api", cfg.API)
		if len(dropped) > 0 {
			log.Warn("not in the lab (its routers have neither)", "dropped", dropped)
		}
	}
	if bo.API != "" {
		cfg.API = bo.API
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	fctx, stopFwd := context.WithCancel(ctx)
	defer stopFwd()
	send := func(telemetry.Event) {}
	if len(o.Collectors) > 0 || len(o.sinks) > 0 {
		tok := d.getenv("TUYAU_API_TOKEN")
		sinks := slices.Clone(o.sinks)
		for _, u := range o.Collectors {
			sinks = append(sinks, telemetry.NewHTTPReader(strings.TrimSpace(u), telemetry.WithToken(tok)))
		}
		fwd := telemetry.NewEventForwarder(sinks, telemetry.ForwarderOptions{Logger: log})
		wg.Add(1)
		go func() { defer wg.Done(); fwd.Run(fctx) }()
		send = fwd.Send
		log.Info("bgp alarms go to the collectors", "in_process", len(o.sinks), "collectors", o.Collectors)
	}
	opts := []bgp.Option{bgp.WithLogger(log), bgp.WithGracefulExit()}
	conf, err := d.loadConfig()
	if err != nil {
		return err
	}
	if o.Monitor {
		mc := bgp.MonitorConfigFor(snap, cfg).WithThresholds(conf.BGP.Monitor)
		mon := bgp.NewMonitor(mc, func(a bgp.Alarm) { send(monitorEvent(a)) }, bgp.WithMonitorLogger(log))
		opts = append(opts, bgp.WithMonitor(mon))
		log.Info("bgp route monitor", "prefixes", len(mc.Prefixes))
	}
	s := bgp.NewSpeaker(cfg, opts...)
	if o.Hosting {
		dir := o.StateDir
		if dir == "" && inventory.APIIsUnix(cfg.API) {
			dir = filepath.Dir(inventory.APISocketPath(cfg.API))
		}
		var snaps *bgp.Snapshots
		if dir != "" {
			snaps = bgp.NewSnapshots(s, filepath.Join(dir, "mrt"), log)
			snaps.Settle, snaps.Keep = conf.BGP.Snapshots.Settle, conf.BGP.Snapshots.Keep
		} else {
			log.Warn("no MRT snapshots around failovers: give --state-dir")
		}
		hctx, stop := context.WithCancel(ctx)
		onTransition := func(tr hosting.Transition) {
			for _, ev := range hostingEvents(tr) {
				send(ev)
			}
			if snaps != nil {
				snaps.Transition(hctx, tr)
			}
		}
		wait, err := startHosting(hctx, d, snap, sp, cfg, s, lab, log, onTransition)
		if err != nil {
			stop()
			return err
		}
		defer func() {
			stop()
			wait()
			if snaps != nil {
				snaps.Wait()
			}
		}()
	}
	if o.ready != nil {
		go func() {
			select {
			case <-s.Ready():
				o.ready(s)
			case <-ctx.Done():
			}
		}()
	}
	return s.Serve(ctx)
}

package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/bgp"
)

type bgpServeOpts struct {
	LogLevel string
	Hosting  bool
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
restart time runs out.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			return runBGPServe(c.Context(), d, bo, o)
		},
	}
	c.Flags().StringVar(&o.LogLevel, "log-level", "info", "debug|info|warn|error")
	c.Flags().BoolVar(&o.Hosting, "hosting", true, "run the hosting failover (tuyau.yaml hosting:) of the services at this site; run it at one speaker only")
	return c
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
	if bo.API != "" {
		cfg.API = bo.API
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(o.LogLevel))); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(d.stderr, &slog.HandlerOptions{Level: lvl}))
	// The events go to the log for now; cmd will hand them to telemetry's
	// alarm engine (telemetry never imports bgp).
	s := bgp.NewSpeaker(cfg, bgp.WithLogger(log), bgp.WithGracefulExit())
	if o.Hosting {
		hctx, stop := context.WithCancel(ctx)
		wait, err := startHosting(hctx, d, snap, sp, cfg, s, log)
		if err != nil {
			stop()
			return err
		}
		defer func() { stop(); wait() }()
	}
	return s.Serve(ctx)
}

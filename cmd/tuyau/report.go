package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/report"
	"github.com/tuyau-net/tuyau/telemetry/sink/redis"
	"github.com/tuyau-net/tuyau/topology"
)

func newReportCmd(d *deps) *cobra.Command {
	c := &cobra.Command{
		Use:   "report",
		Short: "Reports for the network's members: availability of the hosting per member site",
	}
	c.AddCommand(newReportAvailabilityCmd(d))
	return c
}

type reportOpts struct {
	readerOpts
	From, To string
	MaxGap   time.Duration
	Sites    []string
}

func newReportAvailabilityCmd(d *deps) *cobra.Command {
	var o reportOpts
	c := &cobra.Command{Use: "availability", Short: "Share of time each member site reached the hosting (one core site, both), with its outages and their causes",
		Long: `Computed from the state-change history the collectors keep (Redis's
changes stream, or a running collector's memory), never from sampled data:
the link changes are replayed through the topology's cut analysis to know,
at every moment, which core sites each member site reached, and the root
alarm that took the links down names each outage's cause. Time no
collector watched (stopped, restarting, silent: see the collectors'
markers in docs/reports.md) is reported as unknown, never as up or down;
the percentages are over the known time.

--from and --to take RFC 3339 times, dates (midnight UTC), "now", or times
relative to now (-7d, -12h, -30m). The HTML report is one self-contained
page, for printing or sending to the members.`,
		Example: `  tuyau report availability --redis redis://127.0.0.1:6379 -i examples/manche --from -30d
  tuyau report availability --redis $URL -i inv --from 2026-11-01 --to 2026-12-01 -o html > november.html
  tuyau report availability --collector http://127.0.0.1:9378 -i inv --from -1d -o csv
  tuyau report availability --redis $URL -i inv --from -30d --site gavray-college -o html > gavray.html`,
		Args: cobra.NoArgs, SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			return runReportAvailability(c.Context(), d, o, c.OutOrStdout())
		}}
	o.flags(c, d)
	c.Flags().Lookup("output").Usage = "table|csv|json|html"
	c.Flags().StringVar(&o.From, "from", "-30d", "start: RFC 3339, a date, now, or relative (-7d)")
	c.Flags().StringVar(&o.To, "to", "now", "end: RFC 3339, a date, now, or relative")
	c.Flags().StringSliceVar(&o.Sites, "site", nil, "only these member sites (slugs; repeat or comma-separate): a report for one member")
	c.Flags().DurationVar(&o.MaxGap, "max-gap", 3*telemetry.DefaultMarkEvery, "longest silence between two collector heartbeats still counted as watched (Redis)")
	return c
}

// historySource is what the report reads: Redis or a collector's API.
type historySource interface {
	telemetry.HistoryReader
	Alarms(ctx context.Context) ([]telemetry.Alarm, error)
}

func runReportAvailability(ctx context.Context, d *deps, o reportOpts, w io.Writer) error {
	if err := checkFormat(o.Output, report.Formats...); err != nil {
		return err
	}
	now := time.Now().UTC()
	from, err := report.ParseTime(o.From, now)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	to, err := report.ParseTime(o.To, now)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	snap, err := d.loadInventory(ctx)
	if err != nil {
		return err
	}
	topo, err := topology.Build(snap, topology.Options{})
	if err != nil {
		return err
	}
	var src historySource
	var byID func(ctx context.Context, ids []string) ([]telemetry.Alarm, error)
	source := o.Collector
	if o.Redis != "" {
		c, err := redis.ParseURL(o.Redis, d.getenv("TUYAU_REDIS_PASSWORD"))
		if err != nil {
			return err
		}
		defer c.Close()
		net := o.Network
		if net == "" {
			net = snap.Network.Name
		}
		rr := redis.NewReader(c, net)
		src, byID, source = rr, rr.AlarmsByID, "Redis"
	} else {
		if o.Collector == "" {
			return fmt.Errorf("no source: give --collector URL or --redis URL")
		}
		tok, _ := apiToken(d, "")
		src = telemetry.NewHTTPReader(o.Collector, telemetry.WithToken(tok))
		source = "collector " + o.Collector
	}
	h, err := src.History(ctx)
	if err != nil {
		return err
	}
	ids := report.CauseIDs(h)
	var alarms []telemetry.Alarm
	if byID != nil {
		alarms, err = byID(ctx, ids)
	} else {
		alarms, err = src.Alarms(ctx)
	}
	if err != nil {
		return err
	}
	alarms = slices.DeleteFunc(alarms, func(a telemetry.Alarm) bool { return !slices.Contains(ids, a.ID) })
	r, err := report.Availability(topo, h, report.Options{From: from, To: to, MaxGap: o.MaxGap, Alarms: alarms, Source: source, Sites: o.Sites})
	if err != nil {
		return err
	}
	return report.Write(w, r, o.Output)
}

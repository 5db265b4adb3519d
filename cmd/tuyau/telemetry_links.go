package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/telemetry"
)

func newTelemetryLinksCmd(d *deps) *cobra.Command {
	var o readerOpts
	c := &cobra.Command{Use: "links", Short: "Show every routed link: both ends' state, rates, Rx power against the budget", Args: cobra.NoArgs, SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error { return runTelemetryLinks(c.Context(), d, o, c.OutOrStdout()) }}
	o.flags(c, d)
	return c
}

func runTelemetryLinks(ctx context.Context, d *deps, o readerOpts, w io.Writer) error {
	r, done, err := o.open(d)
	if err != nil {
		return err
	}
	defer done()
	ls, err := r.Links(ctx)
	if err != nil {
		return err
	}
	if len(ls) == 0 {
		hintEmpty(ctx, d, r, "links")
	}
	if ls == nil {
		ls = []telemetry.LinkState{}
	}
	if o.Output == "json" {
		return writeJSON(w, ls)
	}
	rows := make([][]string, 0, len(ls))
	for _, l := range ls {
		rx, margin, drift := "-", "-", "-"
		if l.HasRx {
			rx = fmt.Sprintf("%.1f (exp %.1f)", l.MeasuredRxDBm, l.ExpectedRxDBm)
			margin, drift = fmt.Sprintf("%.1f", l.MarginDB), fmt.Sprintf("%+.1f", l.DriftDB)
		}
		rows = append(rows, []string{l.ID, l.Oper, orDash(l.A.Oper), orDash(l.B.Oper), bps(l.A.InBps), bps(l.A.OutBps),
			fmt.Sprintf("%.0f%%", 100*l.Utilization), rx, margin, drift})
	}
	return table(w, []string{"LINK", "OPER", "A", "B", "IN", "OUT", "UTIL", "RX dBm", "MARGIN dB", "DRIFT dB"}, rows)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// bps writes a rate with an SI prefix.
func bps(v float64) string {
	for _, u := range []struct {
		f float64
		s string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if v >= u.f {
			return fmt.Sprintf("%.1f %sb/s", v/u.f, u.s)
		}
	}
	return fmt.Sprintf("%.0f b/s", v)
}

package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/telemetry"
)

func newTelemetryTargetsCmd(d *deps) *cobra.Command {
	var o readerOpts
	c := &cobra.Command{Use: "targets", Short: "Show every gNMI target's health: connected, updates/s, gap ledger", Args: cobra.NoArgs, SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			return runTelemetryTargets(c.Context(), d, o, c.OutOrStdout())
		}}
	o.flags(c, d)
	return c
}

func runTelemetryTargets(ctx context.Context, d *deps, o readerOpts, w io.Writer) error {
	r, done, err := o.open(d)
	if err != nil {
		return err
	}
	defer done()
	ts, err := r.Targets(ctx)
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		hintEmpty(ctx, d, r, "targets")
	}
	if ts == nil {
		ts = []telemetry.TargetHealth{}
	}
	if o.Output == "json" {
		return writeJSON(w, ts)
	}
	rows := make([][]string, 0, len(ts))
	for _, t := range ts {
		up := "down"
		if t.Connected {
			up = "up"
		}
		delay := "-"
		if t.Delay.Count > 0 {
			delay = fmt.Sprintf("%.0fms", t.Delay.MaxMs)
		}
		rows = append(rows, []string{t.Name, t.Address, up, ago(t.Since), ago(t.LastUpdate), fmt.Sprint(t.Reconnects),
			fmt.Sprintf("%.1f", t.UpdatesPerSec), fmt.Sprint(t.Expected), fmt.Sprint(t.Received), fmt.Sprint(t.Gaps), delay, t.LastError})
	}
	// DELAY: the worst notification delay of the last interval (receive
	// time minus the device's timestamp).
	return table(w, []string{"TARGET", "ADDRESS", "STATE", "SINCE", "LAST UPDATE", "RECONNECTS", "UPDATES/S", "EXPECTED", "RECEIVED", "GAPS", "DELAY", "LAST ERROR"}, rows)
}

// ago writes a time as how long ago, for tables.
func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return time.Since(t).Round(time.Second).String() + " ago"
}

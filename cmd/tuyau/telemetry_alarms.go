package main

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/telemetry"
)

func newTelemetryAlarmsCmd(d *deps) *cobra.Command {
	var o readerOpts
	c := &cobra.Command{Use: "alarms", Short: "Show the alarms: active first, with the cables, ducts and sites they concern", Args: cobra.NoArgs, SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			return runTelemetryAlarms(c.Context(), d, o, c.OutOrStdout())
		}}
	o.flags(c, d)
	return c
}

func runTelemetryAlarms(ctx context.Context, d *deps, o readerOpts, w io.Writer) error {
	r, done, err := o.open(d)
	if err != nil {
		return err
	}
	defer done()
	as, err := r.Alarms(ctx)
	if err != nil {
		return err
	}
	// JSON readers get lists, never null.
	if len(as) == 0 {
		hintEmpty(ctx, d, r, "alarms")
	}
	if as == nil {
		as = []telemetry.Alarm{}
	}
	for i := range as {
		for _, s := range []*[]string{&as[i].Cables, &as[i].Ducts, &as[i].Sites} {
			if *s == nil {
				*s = []string{}
			}
		}
	}
	if o.Output == "json" {
		return writeJSON(w, as)
	}
	rows := make([][]string, 0, len(as))
	for _, a := range as {
		ack := ""
		if a.Acked {
			ack = a.AckedBy
		}
		rows = append(rows, []string{a.ID, string(a.Severity), string(a.State), ack, a.ObjectKind + " " + a.Object, a.Message,
			strings.Join(a.Cables, ","), strings.Join(a.Ducts, ","), strings.Join(a.Sites, ",")})
	}
	return table(w, []string{"ALARM", "SEVERITY", "STATE", "ACKED BY", "OBJECT", "MESSAGE", "CABLES", "DUCTS", "SITES"}, rows)
}

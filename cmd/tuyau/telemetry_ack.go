package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newTelemetryAckCmd(d *deps) *cobra.Command {
	var o readerOpts
	var by string
	c := &cobra.Command{Use: "ack ALARM", Short: "Acknowledge an alarm", Args: cobra.ExactArgs(1), SilenceUsage: true,
		RunE: func(c *cobra.Command, args []string) error {
			return runTelemetryAck(c.Context(), d, o, args[0], by, c.OutOrStdout())
		}}
	o.flags(c, d)
	c.Flags().StringVar(&by, "by", "", "who acknowledges (default TUYAU_USER or the login name)")
	return c
}

func runTelemetryAck(ctx context.Context, d *deps, o readerOpts, id, by string, w io.Writer) error {
	r, done, err := o.open(d)
	if err != nil {
		return err
	}
	defer done()
	if by == "" {
		by = whoami(d)
	}
	if err := r.Ack(ctx, id, by); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "alarm %s acknowledged by %s\n", id, by)
	return err
}

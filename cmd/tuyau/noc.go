package main

import (
	"context"
	"fmt"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/telemetry/noc"
)

type nocOpts struct {
	readerOpts
	Once          bool
	Width, Height int
	Interval      time.Duration
	NoColor       bool
	By            string
}

func newNocCmd(d *deps) *cobra.Command {
	var o nocOpts
	c := &cobra.Command{Use: "noc", Short: "Terminal NOC dashboard: alarms, worst links, targets, BGP and hosting, live from the sink",
		Long: `A live dashboard of what the collectors publish, read from a running
collector's HTTP API (--collector) or from Redis (--redis), never from a
collector's memory: it runs on any machine that reaches the sink, over SSH
and in tmux, at 80x24 and larger. Press ? for the keys. With -i it names
the cables, ducts and sites of a link from the inventory.

--once prints one plain frame and exits, for scripts.`,
		Example: `  tuyau noc -i examples/manche
  tuyau noc --redis redis://127.0.0.1:6379 -i examples/manche
  tuyau noc --once --width 120`,
		Args: cobra.NoArgs, SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error { return runNoc(c.Context(), d, o) }}
	o.flags(c, d)
	_ = c.Flags().MarkHidden("output")
	c.Flags().BoolVar(&o.Once, "once", false, "print one plain frame and exit")
	c.Flags().IntVar(&o.Width, "width", 0, "frame width with --once (default $COLUMNS, else 100)")
	c.Flags().IntVar(&o.Height, "height", 0, "frame height with --once (default: every row)")
	c.Flags().DurationVar(&o.Interval, "interval", 500*time.Millisecond, "how often to read the sink")
	c.Flags().BoolVar(&o.NoColor, "no-color", false, "no colors (also NO_COLOR or TERM=dumb)")
	c.Flags().StringVar(&o.By, "by", "", "who acknowledges (default TUYAU_USER or the login name)")
	return c
}

func runNoc(ctx context.Context, d *deps, o nocOpts) error {
	o.Output = "table"
	r, done, err := o.open(d)
	if err != nil {
		return err
	}
	defer done()
	var snap *inventory.Snapshot
	if p, perr := d.inventoryPath(); perr == nil && p != "" {
		if snap, err = d.loadInventory(ctx); err != nil {
			return err
		}
	}
	by := o.By
	if by == "" {
		by = whoami(d)
	}
	no := noc.Options{Source: r, Acker: r, Inventory: snap, User: by, Interval: o.Interval,
		Color: !o.NoColor && d.getenv("NO_COLOR") == "" && d.getenv("TERM") != "dumb"}
	if snap != nil {
		sv, err := newSpeakerView(ctx, snap, nil)
		if err != nil {
			return err
		}
		defer sv.Close()
		no.BGP = sv
	}
	if o.Once {
		no.Width, no.Height = o.Width, o.Height
		if no.Width == 0 {
			fmt.Sscan(d.getenv("COLUMNS"), &no.Width)
		}
		if no.Width == 0 {
			no.Width = 100
		}
		return noc.Once(ctx, d.stdout, no)
	}
	in, _ := d.stdin.(*os.File)
	if in == nil {
		return fmt.Errorf("noc: the dashboard needs a terminal; use --once for a frame")
	}
	p := tea.NewProgram(noc.New(ctx, no), tea.WithAltScreen(), tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(d.stdout))
	_, err = p.Run()
	if err != nil && ctx.Err() != nil {
		return nil // interrupted: a normal way out
	}
	return err
}

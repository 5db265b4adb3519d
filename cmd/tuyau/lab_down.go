package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/testlab"
	"github.com/tuyau-net/tuyau/testlab/netns"
)

type labDownOpts struct {
	labOpts
	Purge bool
}

func newLabDownCmd(d *deps) *cobra.Command {
	var o labDownOpts
	c := &cobra.Command{
		Use:   "down",
		Short: "Stop a lab and remove every process and file it made",
		Long: `Stop a lab and remove what it made, even after its process crashed.

A virtual lab keeps its identity (host key seed, known_hosts, client key,
password) so host keys stay the same on the next "lab up"; --purge removes
them too. A netns lab is removed entirely (namespaces, veths, FRR, sshd).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runLabDown(c.Context(), d, o)
		},
	}
	o.flags(c)
	c.Flags().BoolVar(&o.Purge, "purge", false, "also remove the lab's host keys, client key and password, and give up its addresses and ports")
	return c
}

func runLabDown(ctx context.Context, d *deps, o labDownOpts) error {
	o.resolve(d)
	nsPath := netns.StatePath("", o.Name)
	if _, err := os.Stat(nsPath); err == nil {
		if err := netns.Down(ctx, nsPath); err != nil {
			return err
		}
		fmt.Fprintf(d.stdout, "lab %s (netns) down\n", o.Name)
		return nil
	}
	rep, err := testlab.Down(ctx, o.Dir, o.Name, o.Purge)
	if err != nil {
		if errors.Is(err, testlab.ErrNoLab) {
			return fmt.Errorf("%w in %s", err, o.Dir)
		}
		return err
	}
	how := "not running"
	switch {
	case rep.Killed:
		how = fmt.Sprintf("killed pid %d", rep.Stopped)
	case rep.Stopped != 0:
		how = fmt.Sprintf("stopped pid %d", rep.Stopped)
	}
	fmt.Fprintf(d.stdout, "lab %s down: %s, %d files removed\n", o.Name, how, len(rep.Removed))
	return nil
}

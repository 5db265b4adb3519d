package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory"
)

type validateOpts struct{ Output string }

func newInventoryValidateCmd(d *deps) *cobra.Command {
	var o validateOpts
	c := &cobra.Command{
		Use:   "validate",
		Short: "Check the inventory and list every problem with its file:line:column",
		Long: `Validate reads the whole inventory and reports every problem at once:
unknown keys, malformed addresses, duplicate names or IPs, references to
unknown sites, devices, interfaces or ports, ports used by two cables, link
ends in different subnets, MTU or speed mismatches, ASNs out of range,
unknown transceivers, negative lengths.

Exit status: 0 when the inventory is clean, 1 when it has problems.`,
		Example: `  tuyau inventory validate -i examples/manche
  tuyau inventory validate -i net.yaml -o json | jq '.[].message'`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runValidate(c.Context(), d, o)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json|yaml")
	return c
}

func runValidate(ctx context.Context, d *deps, o validateOpts) error {
	if err := checkFormat(o.Output, "table", "json", "yaml"); err != nil {
		return err
	}
	start := time.Now()
	snap, err := d.loadInventory(ctx)
	var ps inventory.Problems
	if err != nil && !errors.As(err, &ps) {
		return err
	}
	if o.Output != "table" {
		if ps == nil {
			ps = inventory.Problems{}
		}
		write := writeJSON
		if o.Output == "yaml" {
			write = writeYAML
		}
		if err := write(d.stdout, ps); err != nil {
			return err
		}
		if len(ps) > 0 {
			return errSilent{fmt.Errorf("%d problems", len(ps))}
		}
		return nil
	}
	if len(ps) > 0 {
		for _, p := range ps {
			fmt.Fprintln(d.stderr, p)
		}
		fmt.Fprintf(d.stderr, "%d problems\n", len(ps))
		return errSilent{fmt.Errorf("%d problems", len(ps))}
	}
	s := inventory.Summarize(snap)
	_, err = fmt.Fprintf(d.stdout, "ok: %d sites, %d devices, %d cables (%.1f km), %d BGP sessions, checked in %s\n",
		s.Sites, s.Devices, s.Cables, s.FiberKm, s.BGPSessions, time.Since(start).Round(time.Millisecond))
	return err
}

package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/topology"
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
unknown transceivers, negative lengths. Warnings (exit status 0) name what is
legal but most likely wrong: a member site that reaches no core site even
with every link up.

Exit status: 0 when the inventory is clean or has only warnings, 1 when it
has problems.`,
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
	snap, err := d.readInventory(ctx)
	var ps inventory.Problems
	if err != nil && !errors.As(err, &ps) {
		return err
	}
	if err == nil {
		ps = append(snap.Warnings, topology.Check(snap, topology.Options{})...)
		ps.Sort()
	}
	errs := 0
	for _, p := range ps {
		if !p.IsWarning() {
			errs++
		}
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
		if errs > 0 {
			return errSilent{fmt.Errorf("%d problems", errs)}
		}
		return nil
	}
	for _, p := range ps {
		fmt.Fprintln(d.stderr, p)
	}
	if errs > 0 {
		fmt.Fprintf(d.stderr, "%d problems\n", errs)
		return errSilent{fmt.Errorf("%d problems", errs)}
	}
	s := inventory.Summarize(snap)
	_, err = fmt.Fprintf(d.stdout, "ok: %d sites, %d devices, %d cables (%.1f km), %d BGP sessions, checked in %s\n",
		s.Sites, s.Devices, s.Cables, s.FiberKm, s.BGPSessions, time.Since(start).Round(time.Millisecond))
	return err
}

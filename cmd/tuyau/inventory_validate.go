package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/topology"
)

type validateOpts struct {
	Output string
	Stats  bool
}

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
  tuyau inventory validate -i net.yaml -o json | jq '.[].message'
  tuyau inventory validate -i net.yaml --stats   # per file: fast reader or yaml.v3, and why (file:line)`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runValidate(c.Context(), d, o)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json|yaml")
	c.Flags().BoolVar(&o.Stats, "stats", false, "print on stderr how each file was read: the fast reader, or yaml.v3 with the line and the reason it fell back")
	return c
}

func runValidate(ctx context.Context, d *deps, o validateOpts) error {
	if err := checkFormat(o.Output, "table", "json", "yaml"); err != nil {
		return err
	}
	start := time.Now()
	st, err := d.inventoryStore()
	if err != nil {
		return err
	}
	snap, err := st.Load(ctx)
	if o.Stats {
		if err := printReadStats(d.stderr, st.Stats()); err != nil {
			return err
		}
	}
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

// printReadStats is --stats: how each file was read, and why one left the
// fast reader (a cliff in load time and memory worth knowing about).
func printReadStats(w io.Writer, stats []yamlstore.FileStats) error {
	rows := make([][]string, 0, len(stats))
	slow := 0
	for _, s := range stats {
		reader, why := "fast", ""
		if !s.Fast {
			reader, why = "yaml.v3", s.Fallback
			slow++
		}
		rows = append(rows, []string{s.File, strconv.Itoa(s.Bytes), reader, fmt.Sprintf("%.1f ms", float64(s.Duration.Microseconds())/1000), why})
	}
	if err := table(w, []string{"FILE", "BYTES", "READER", "TIME", "FALLBACK"}, rows); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d files: %d by the fast reader, %d by yaml.v3\n", len(stats), len(stats)-slow, slow)
	return err
}

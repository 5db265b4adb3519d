package main

import (
	"cmp"
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/netbox"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

type diffOpts struct {
	From, To     string
	NetBox       netboxOpts
	Output       string
	DetailedExit bool
}

func newInventoryDiffCmd(d *deps) *cobra.Command {
	var o diffOpts
	c := &cobra.Command{
		Use:   "diff",
		Short: "Show what syncing one inventory into another would change (a file or NetBox)",
		Long: `Diff compares two inventories in the direction of a sync: it lists what
would be created, updated or deleted in --to to make it hold --from. With
--from FILE --to netbox that is what "tuyau inventory push --prune" would do;
with --from netbox --to FILE, what a pull would change in the file. Each side
is a YAML file or directory, or the word "netbox" for the NetBox named by
--netbox-url / NETBOX_URL.`,
		Example: `  tuyau inventory diff --from examples/manche --to netbox
  tuyau inventory diff --from netbox --to inv/ -o json   # what a pull would change in inv/
  tuyau inventory diff --from inv/ --to netbox --detailed-exitcode  # exit 2 if NetBox differs`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runInventoryDiff(c.Context(), d, o, c.OutOrStdout())
		},
	}
	c.Flags().StringVar(&o.From, "from", "", "inventory file/directory, or \"netbox\" (default --inventory)")
	c.Flags().StringVar(&o.To, "to", "netbox", "inventory file/directory, or \"netbox\"")
	addNetboxFlags(c.Flags(), &o.NetBox)
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	c.Flags().BoolVar(&o.DetailedExit, "detailed-exitcode", false, "exit 2 if there are differences")
	return c
}

// withSideOptics gives the NetBox side the optics table of the inventory
// file on the other side.
func withSideOptics(nb netboxOpts, other *inventory.Snapshot, path string) netboxOpts {
	if other != nil {
		nb.sideOptics, nb.sideFrom = other.Optics, cmp.Or(path, "the inventory")+" (the other side)"
	}
	return nb
}

// loadSide reads "netbox" or an inventory path.
func (d *deps) loadSide(ctx context.Context, side string, nb netboxOpts) (*inventory.Snapshot, error) {
	if side == "" {
		p, err := d.inventoryPath()
		if err != nil {
			return nil, err
		}
		side = p
	}
	if side == "netbox" {
		s, err := d.openNetBox(ctx, nb)
		if err != nil {
			return nil, err
		}
		snap, _, err := d.loadNetBox(ctx, s)
		return snap, err
	}
	return yamlstore.Open(side, yamlstore.WithLogger(d.logger())).Load(ctx)
}

func runInventoryDiff(ctx context.Context, d *deps, o diffOpts, w io.Writer) error {
	if err := checkFormat(o.Output, "table", "json"); err != nil {
		return err
	}
	// The file side is read first: its optics table stands for NetBox's
	// (which has none) unless --optics or netbox.optics gives one.
	var from, to *inventory.Snapshot
	var err error
	if o.From == "netbox" {
		if to, err = d.loadSide(ctx, o.To, o.NetBox); err != nil {
			return err
		}
		if from, err = d.loadSide(ctx, o.From, withSideOptics(o.NetBox, to, o.To)); err != nil {
			return err
		}
	} else {
		if from, err = d.loadSide(ctx, o.From, o.NetBox); err != nil {
			return err
		}
		if to, err = d.loadSide(ctx, o.To, withSideOptics(o.NetBox, from, o.From)); err != nil {
			return err
		}
	}
	if o.To == "netbox" && o.From != "netbox" {
		// Compare what a push would write: NetBox keeps fewer decimals.
		var rounded []netbox.Rounded
		from, rounded = netbox.Storable(from)
		for _, r := range rounded {
			fmt.Fprintf(d.stderr, "note: %s\n", r)
		}
	}
	cs, err := inventory.Diff(to, from)
	if err != nil {
		return err
	}
	if err := renderChanges(w, cs, o.Output); err != nil {
		return err
	}
	if o.DetailedExit && len(cs) > 0 {
		return errChangesPending
	}
	return nil
}

// renderChanges prints a change set as a table (with a summary line) or JSON.
func renderChanges(w io.Writer, cs inventory.ChangeSet, format string) error {
	if format == "json" {
		if cs == nil {
			cs = inventory.ChangeSet{}
		}
		return writeJSON(w, cs)
	}
	if len(cs) == 0 {
		_, err := fmt.Fprintln(w, "no differences")
		return err
	}
	rows := make([][]string, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, []string{string(c.Op), c.Kind, c.Key})
	}
	if err := table(w, []string{"OP", "KIND", "KEY"}, rows); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, summarize(cs))
	return err
}

func summarize(cs inventory.ChangeSet) string {
	n := map[inventory.Op]int{}
	for _, c := range cs {
		n[c.Op]++
	}
	return fmt.Sprintf("%d to create, %d to update, %d to delete", n[inventory.OpCreate], n[inventory.OpUpdate], n[inventory.OpDelete])
}

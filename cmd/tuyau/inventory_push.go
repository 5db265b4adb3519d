package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory/netbox"
)

type pushOpts struct {
	From   string
	NetBox netboxOpts
	Prune  bool
	DryRun bool
	Output string
}

func newInventoryPushCmd(d *deps) *cobra.Command {
	var o pushOpts
	c := &cobra.Command{
		Use:   "push",
		Short: "Make NetBox hold a YAML inventory (create and update; --prune also deletes)",
		Long: `Push validates the inventory, reads NetBox, and writes the difference in
dependency order: regions, sites, devices, interfaces and addresses, patch
panels and ports, circuits, cables, prefixes, ASNs, services. Objects are
matched by name, so pushing twice changes nothing the second time, and a
push interrupted half way converges when run again. Without --prune what
NetBox holds beyond the file is kept and reported.`,
		Example: `  tuyau inventory push -i examples/manche --netbox-url http://127.0.0.1:8000
  tuyau inventory push -i inv/ --prune --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runInventoryPush(c.Context(), d, o, c.OutOrStdout())
		},
	}
	c.Flags().StringVar(&o.From, "from", "", "inventory file or directory to push (default --inventory)")
	addNetboxFlags(c.Flags(), &o.NetBox)
	c.Flags().BoolVar(&o.Prune, "prune", false, "also delete from NetBox what the inventory does not have")
	c.Flags().BoolVar(&o.DryRun, "dry-run", false, "show the changes, write nothing")
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	return c
}

func runInventoryPush(ctx context.Context, d *deps, o pushOpts, w io.Writer) error {
	if err := checkFormat(o.Output, "table", "json"); err != nil {
		return err
	}
	want, err := d.loadSide(ctx, o.From, o.NetBox)
	if err != nil {
		return err
	}
	nb, err := d.openNetBox(ctx, o.NetBox)
	if err != nil {
		return err
	}
	res, err := nb.Push(ctx, want, o.Prune, o.DryRun)
	switch {
	case err != nil && o.DryRun:
		return fmt.Errorf("dry run: the push to %s would be refused: %w", nb.URL(), err)
	case err != nil && netbox.Transient(err):
		return fmt.Errorf("push to %s stopped (NetBox or the network failed; run it again to finish: every step is idempotent): %w", nb.URL(), err)
	case err != nil:
		return fmt.Errorf("push to %s refused (running it again will not help until this is fixed; what was written before stays and a re-run continues from it): %w", nb.URL(), err)
	}
	if o.Output == "json" {
		return writeJSON(w, res)
	}
	for _, r := range res.Rounded {
		fmt.Fprintf(w, "note: %s\n", r)
	}
	if len(want.Optics) > 0 && nb.OpticsFrom() == "" {
		// NetBox has no place for the table: the interfaces name types a
		// pull would not know without it.
		fmt.Fprintf(w, "note: the inventory's %d optics types are not stored in NetBox: pull and diff --from netbox read them from --optics FILE or netbox.optics in tuyau.yaml (docs/netbox.md \"Optics\")\n", len(want.Optics))
	}
	if o.DryRun {
		if err := renderChanges(w, res.Changes, o.Output); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "pushed to %s: %s\n", nb.URL(), summarize(res.Changes))
	}
	if res.Kept > 0 {
		fmt.Fprintf(w, "kept %d objects NetBox has and the inventory does not (use --prune to delete them)\n", res.Kept)
	}
	if res.NotOwned > 0 {
		fmt.Fprintf(w, "kept %d objects the inventory does not have but tuyau did not create (no tag %q): --prune deletes only what tuyau created\n", res.NotOwned, "tuyau")
	}
	return nil
}

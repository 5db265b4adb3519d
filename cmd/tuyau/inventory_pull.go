package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/netbox"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

type pullOpts struct {
	NetBox netboxOpts
	Out    string
	Split  bool
	Output string
}

func newInventoryPullCmd(d *deps) *cobra.Command {
	var o pullOpts
	c := &cobra.Command{
		Use:   "pull",
		Short: "Write what NetBox holds as a YAML inventory",
		Long: `Pull reads the whole network from NetBox, validates it, and writes it as
YAML. The file is replaced atomically: on any error (NetBox unreachable, a
bad token, an invalid inventory) nothing is written and an existing file is
left as it was.

A NetBox never bootstrapped by tuyau is adopted as it is: where tuyau's
custom fields are unset, values are inferred from NetBox's own data (site
roles from the sites' routers, loopbacks from IP role loopback or loopback
interfaces, ASNs from the site's ASNs, slugs through netbox.mapping in
tuyau.yaml). Console, power and out-of-band cables and devices tuyau does
not model are skipped. A report on stderr (or with -o json on stdout) says
what was inferred, skipped and left unknown; a value that is missing
fails the pull with the NetBox object, its API path and what would fix it.`,
		Example: `  tuyau inventory pull --netbox-url http://127.0.0.1:8000 --out manche.yaml
  tuyau inventory pull --out inv/ --split`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runInventoryPull(c.Context(), d, o, c.OutOrStdout())
		},
	}
	addNetboxFlags(c.Flags(), &o.NetBox)
	c.Flags().StringVar(&o.Out, "out", "", "file (or directory with --split) to write; default stdout")
	c.Flags().BoolVar(&o.Split, "split", false, "write one file per section into the --out directory")
	c.Flags().StringVarP(&o.Output, "output", "o", "yaml", "yaml|json: json prints the load report on stdout (needs --out)")
	return c
}

func runInventoryPull(ctx context.Context, d *deps, o pullOpts, w io.Writer) error {
	if err := checkFormat(o.Output, "yaml", "json"); err != nil {
		return err
	}
	if o.Split && o.Out == "" {
		return errors.New("--split needs --out DIR")
	}
	if o.Output == "json" && o.Out == "" {
		return errors.New("-o json prints the report on stdout: give the inventory a file with --out")
	}
	nb, err := d.openNetBox(ctx, o.NetBox)
	if err != nil {
		return err
	}
	snap, rep, err := d.loadNetBox(ctx, nb)
	if o.Output == "json" && rep != nil {
		if jerr := writeJSON(w, map[string]any{"report": rep}); jerr != nil {
			return jerr
		}
	}
	if err != nil {
		return fmt.Errorf("nothing written: %w", err)
	}
	if ps := inventory.Validate(snap); len(ps) > 0 {
		return fmt.Errorf("NetBox %s holds an inventory tuyau cannot use, nothing written: %w", nb.URL(), ps)
	}
	switch {
	case o.Split:
		return yamlstore.WriteDir(o.Out, snap)
	case o.Out != "":
		return yamlstore.WriteFile(o.Out, snap)
	}
	data, err := yamlstore.Marshal(snap)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// loadNetBox reads NetBox as the inventory and prints the load report on
// stderr: pull and diff --from netbox read it the same way.
func (d *deps) loadNetBox(ctx context.Context, nb *netbox.Store) (*inventory.Snapshot, *netbox.Report, error) {
	snap, rep, err := nb.LoadReport(ctx)
	if rep != nil {
		fmt.Fprint(d.stderr, rep.Summary())
	}
	return snap, rep, err
}

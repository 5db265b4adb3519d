package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

type pullOpts struct {
	NetBox netboxOpts
	Out    string
	Split  bool
}

func newInventoryPullCmd(d *deps) *cobra.Command {
	var o pullOpts
	c := &cobra.Command{
		Use:   "pull",
		Short: "Write what NetBox holds as a YAML inventory",
		Long: `Pull reads the whole network from NetBox, validates it, and writes it as
YAML. The file is replaced atomically: on any error (NetBox unreachable, a
bad token, an invalid inventory) nothing is written and an existing file is
left as it was.`,
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
	return c
}

func runInventoryPull(ctx context.Context, d *deps, o pullOpts, w io.Writer) error {
	if o.Split && o.Out == "" {
		return errors.New("--split needs --out DIR")
	}
	nb, err := d.openNetBox(o.NetBox)
	if err != nil {
		return err
	}
	snap, err := nb.Load(ctx)
	if err != nil {
		return err
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

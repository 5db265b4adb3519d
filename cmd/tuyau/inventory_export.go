package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

type exportOpts struct {
	Output string
	Out    string
	Split  bool
}

func newInventoryExportCmd(d *deps) *cobra.Command {
	var o exportOpts
	c := &cobra.Command{
		Use:   "export",
		Short: "Write the validated inventory, normalized, as YAML or JSON",
		Long: `Export reads and validates the inventory, then writes it back normalized:
lengths in their unit, speeds as 10G, sections in a fixed order. Nothing is
written when the inventory has problems.`,
		Example: `  tuyau inventory export -i examples/manche > manche.yaml
  tuyau inventory export -i manche.yaml --out inv/ --split
  tuyau inventory export -i examples/manche -o json | jq '.cables | length'`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runExport(c.Context(), d, o)
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "yaml", "yaml|json")
	c.Flags().StringVar(&o.Out, "out", "", "write to this file (or directory with --split) instead of stdout")
	c.Flags().BoolVar(&o.Split, "split", false, "write one file per section into the --out directory")
	return c
}

func runExport(ctx context.Context, d *deps, o exportOpts) error {
	if err := checkFormat(o.Output, "yaml", "json"); err != nil {
		return err
	}
	if o.Split && (o.Out == "" || o.Output != "yaml") {
		return fmt.Errorf("--split needs --out DIR and YAML output")
	}
	snap, err := d.loadInventory(ctx)
	if err != nil {
		return err
	}
	switch {
	case o.Split:
		return yamlstore.WriteDir(o.Out, snap)
	case o.Out != "" && o.Output == "yaml":
		return yamlstore.WriteFile(o.Out, snap)
	case o.Out != "":
		f, err := os.CreateTemp(".", ".export*.json")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		if err := writeJSON(f, snap); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		return os.Rename(f.Name(), o.Out)
	case o.Output == "json":
		return writeJSON(d.stdout, snap)
	}
	data, err := yamlstore.Marshal(snap)
	if err != nil {
		return err
	}
	_, err = d.stdout.Write(data)
	return err
}

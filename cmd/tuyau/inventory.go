package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

func newInventoryCmd(d *deps) *cobra.Command {
	c := &cobra.Command{
		Use:     "inventory",
		Aliases: []string{"inv"},
		Short:   "Validate, show, export and generate the network inventory",
		Example: `  tuyau inventory validate -i examples/manche
  tuyau inventory show cables -i examples/manche
  tuyau inventory generate --sites 500 --seed 3 --out /tmp/net --split`,
	}
	c.AddCommand(newInventoryValidateCmd(d), newInventoryShowCmd(d), newInventoryExportCmd(d), newInventoryGenerateCmd(d),
		newInventoryDiffCmd(d), newInventoryPushCmd(d), newInventoryPullCmd(d))
	return c
}

// loadInventory opens the inventory the flags, environment or config name;
// the loader's warnings (deprecated fields) go to stderr.
func (d *deps) loadInventory(ctx context.Context) (*inventory.Snapshot, error) {
	snap, err := d.readInventory(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range snap.Warnings {
		fmt.Fprintln(d.stderr, w)
	}
	return snap, nil
}

// readInventory is loadInventory leaving the warnings to the caller.
func (d *deps) readInventory(ctx context.Context) (*inventory.Snapshot, error) {
	st, err := d.inventoryStore()
	if err != nil {
		return nil, err
	}
	return st.Load(ctx)
}

// inventoryStore opens the --inventory files, logging with d.logger.
func (d *deps) inventoryStore() (*yamlstore.Store, error) {
	path, err := d.inventoryPath()
	if err != nil {
		return nil, err
	}
	return yamlstore.Open(path, yamlstore.WithLogger(d.logger())), nil
}

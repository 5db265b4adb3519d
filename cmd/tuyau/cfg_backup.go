package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/provisioning"
)

func newCfgBackupCmd(d *deps, o *cfgOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "backup [DEVICE...]",
		Short:   "Commit every device's running config to the records repository",
		Example: "  tuyau config backup --records /srv/tuyau-records\n  git -C /srv/tuyau-records log --stat",
		RunE: func(c *cobra.Command, args []string) error {
			return runCfgBackup(c.Context(), d, o, args)
		},
	}
}

func runCfgBackup(ctx context.Context, d *deps, o *cfgOpts, names []string) error {
	x, err := d.loadIndex(ctx)
	if err != nil {
		return err
	}
	cd, err := o.dialer(ctx, d)
	if err != nil {
		return err
	}
	dial, err := o.newPool(d, cd)
	if err != nil {
		return err
	}
	defer dial.Close()
	if err := cd.prepare(); err != nil {
		return err
	}
	rec, err := o.records(ctx, d)
	if err != nil {
		return err
	}
	commit, changed, err := provisioning.Backup(ctx, x, dial, rec, names, o.Transport, o.Parallel)
	switch {
	case commit == "":
		fmt.Fprintf(d.stdout, "Backup: no config changed since the last record in %s.\n", rec.Dir)
	default:
		fmt.Fprintf(d.stdout, "Backup: %s recorded in %s (commit %s): %s\n", plural(len(changed), "device"), rec.Dir, shortHash(commit), strings.Join(changed, ", "))
	}
	return err
}

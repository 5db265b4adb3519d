package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"
)

type bootstrapOpts struct {
	NetBox netboxOpts
	Output string
}

func newNetboxBootstrapCmd(d *deps) *cobra.Command {
	var o bootstrapOpts
	c := &cobra.Command{
		Use:   "bootstrap",
		Short: "Create the custom fields tuyau keeps in NetBox (needs an admin token)",
		Long: `Bootstrap creates the custom fields tuyau uses for what NetBox has no
native object for (site role, device ASN and loopbacks, transceivers, fiber
strands, shared-risk groups, splices, connectors...). It is idempotent:
existing fields are kept, missing object types are added. docs/netbox.md
lists every field.`,
		Example: `  NETBOX_TOKEN=... tuyau netbox bootstrap --netbox-url https://netbox.example.org`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runNetboxBootstrap(c.Context(), d, o, c.OutOrStdout())
		},
	}
	addNetboxFlags(c.Flags(), &o.NetBox)
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	return c
}

func runNetboxBootstrap(ctx context.Context, d *deps, o bootstrapOpts, w io.Writer) error {
	if err := checkFormat(o.Output, "table", "json"); err != nil {
		return err
	}
	nb, err := d.openNetBox(ctx, o.NetBox)
	if err != nil {
		return err
	}
	res, err := nb.Bootstrap(ctx)
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return writeJSON(w, res)
	}
	rows := make([][]string, 0, len(res))
	for _, r := range res {
		rows = append(rows, []string{r.Name, r.Action})
	}
	return table(w, []string{"CUSTOM FIELD", "ACTION"}, rows)
}

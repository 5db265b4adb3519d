package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/testlab"
)

func newLabExecCmd(d *deps) *cobra.Command {
	var o labOpts
	c := &cobra.Command{
		Use:   "exec DEVICE COMMAND...",
		Short: "Run a CLI command on a virtual lab device over SSH",
		Long: `Run a CLI command on a device of a running virtual lab, over SSH with the lab's
key and known_hosts, as "ssh DEVICE 'COMMAND'" would. Exits 1 when the device
answers with an FRR error.`,
		Example: `  tuyau lab exec barfleur-mairie-r1 show bgp summary
  tuyau lab exec saint-lo-dc-r1 show interface brief`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			o.resolve(d)
			out, err := testlab.Exec(c.Context(), o.Dir, o.Name, args[0], strings.Join(args[1:], " "))
			fmt.Fprint(d.stdout, out)
			return err
		},
	}
	o.flags(c)
	return c
}

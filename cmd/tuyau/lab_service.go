package main

import (
	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/testlab"
)

type labServiceOpts struct {
	labOpts
	Service string
	Mode    string
	Output  string
}

func newLabFailServiceCmd(d *deps) *cobra.Command {
	var o labServiceOpts
	c := &cobra.Command{
		Use:   "fail-service SITE [--service NAME] [--mode stopped|http-503]",
		Short: "Fail the hosting service endpoints of a core site (health checks then fail)",
		Long: `Fail the lab's hosting endpoints at a core site: every service hosted there, or
the one --service names. --mode stopped (the default) closes the listener, so
TCP and HTTP checks fail; --mode http-503 keeps accepting and answers 503, so
only HTTP checks fail. "tuyau lab status" shows each endpoint's address and
health; "tuyau lab restore-service SITE" brings them back on the same address.`,
		Example: `  tuyau lab fail-service saint-lo-dc
  tuyau lab fail-service saint-lo-dc --service hosting --mode http-503`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runLabFault(c.Context(), d, o.labOpts, o.Output,
				testlab.Request{Op: "fail-service", Site: args[0], Service: o.Service, Mode: o.Mode})
		},
	}
	o.flags(c)
	c.Flags().StringVar(&o.Service, "service", "", "only this hosting service (default: every service at the site)")
	c.Flags().StringVar(&o.Mode, "mode", testlab.ServiceStopped, "stopped|http-503")
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	return c
}

func newLabRestoreServiceCmd(d *deps) *cobra.Command {
	var o labServiceOpts
	c := &cobra.Command{
		Use:     "restore-service SITE [--service NAME]",
		Short:   "Bring the hosting service endpoints of a core site back",
		Example: `  tuyau lab restore-service saint-lo-dc`,
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runLabFault(c.Context(), d, o.labOpts, o.Output,
				testlab.Request{Op: "restore-service", Site: args[0], Service: o.Service})
		},
	}
	o.flags(c)
	c.Flags().StringVar(&o.Service, "service", "", "only this hosting service (default: every service at the site)")
	c.Flags().StringVarP(&o.Output, "output", "o", "table", "table|json")
	return c
}

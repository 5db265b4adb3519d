package main

import (
	"github.com/spf13/cobra"

	"github.com/tuyau-net/tuyau/provisioning"
)

func newCfgPlatformsCmd(d *deps) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "platforms",
		Short: "Show, per platform, what works (render, plan, apply over SSH or gNMI, device-side confirm, rollback) and how it was tested",
		Long: `Each cell is yes, "yes, untested" (the code has it, no test runs it) or no;
below the table (and in -o json) is how each was tested, or why it cannot
be here. The table is the one the code obeys: a platform marked no for SSH
is refused over SSH before any login.`,
		Example: "  tuyau config platforms\n  tuyau config platforms -o json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			return writePlatforms(d, format, provisioning.Supported())
		},
	}
	c.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	return c
}

func writePlatforms(d *deps, format string, ss []provisioning.Support) error {
	if format == "json" {
		return writeJSON(d.stdout, ss)
	}
	yes := func(c provisioning.Capability) string {
		if c.Works && !c.Tested {
			return "yes, untested"
		}
		if c.Works {
			return "yes"
		}
		return "no"
	}
	var rows [][]string
	for _, s := range ss {
		rows = append(rows, []string{s.Platform, yes(s.Render), yes(s.Plan), yes(s.ApplySSH), yes(s.ApplyGNMI), yes(s.DeviceConfirm), yes(s.Rollback)})
	}
	if err := table(d.stdout, []string{"PLATFORM", "RENDER", "PLAN", "APPLY-SSH", "APPLY-GNMI", "DEVICE-CONFIRM", "ROLLBACK"}, rows); err != nil {
		return err
	}
	// How each was tested, below the table: the engineer reading "yes"
	// needs to know against what.
	for _, s := range ss {
		for _, kc := range []struct {
			k string
			c provisioning.Capability
		}{{"render", s.Render}, {"plan", s.Plan}, {"apply-ssh", s.ApplySSH}, {"apply-gnmi", s.ApplyGNMI}, {"device-confirm", s.DeviceConfirm}, {"rollback", s.Rollback}} {
			if _, err := d.stdout.Write([]byte("\n" + s.Platform + " " + kc.k + ": " + kc.c.How)); err != nil {
				return err
			}
		}
	}
	_, err := d.stdout.Write([]byte("\n"))
	return err
}

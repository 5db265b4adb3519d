package main

import "github.com/spf13/cobra"

// newLabCmd groups the test lab commands: virtual devices, FRR in network
// namespaces, a NetBox simulator, and fault injection.
func newLabCmd(d *deps) *cobra.Command {
	c := &cobra.Command{
		Use:   "lab",
		Short: "Build and break a lab of devices from the inventory",
	}
	// Subcommands (up, down, status, cut, degrade, kill, restore,
	// fail-service, restore-service, netbox)
	// are added by their own files.
	_ = d
	c.AddCommand(newLabNetboxCmd(d))
	c.AddCommand(newLabUpCmd(d), newLabDownCmd(d), newLabStatusCmd(d), newLabServeCmd(d),
		newLabCutCmd(d), newLabDegradeCmd(d), newLabErrorsCmd(d), newLabLoadCmd(d), newLabKillCmd(d), newLabRestoreCmd(d), newLabExecCmd(d), newLabRoutesCmd(d),
		newLabFailServiceCmd(d), newLabRestoreServiceCmd(d))
	return c
}

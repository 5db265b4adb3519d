// Package sshcli is the SSH transport of provisioning: it drives a device's
// CLI through scrapligo (FRR's vtysh first-class), checks host keys against
// a known_hosts file and reads post-check state from the CLI.
//
//	creds, err := sshcli.LoadCredentials(os.Getenv, "")
//	d := &sshcli.Dialer{KnownHosts: "~/.ssh/known_hosts", Credentials: creds}
//	plan, err := provisioning.MakePlan(ctx, x, reg, d, provisioning.PlanOptions{})
package sshcli

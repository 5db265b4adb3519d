// Package sshcli is the SSH transport of provisioning: it drives FRR's
// vtysh on a PTY over golang.org/x/crypto/ssh, checks host keys against a
// known_hosts file and reads post-check state from the CLI.
//
//	creds, err := sshcli.LoadCredentials(os.Getenv, "")
//	d := &sshcli.Dialer{KnownHosts: "~/.ssh/known_hosts", Credentials: creds}
//	plan, err := provisioning.MakePlan(ctx, x, reg, d, provisioning.PlanOptions{})
package sshcli

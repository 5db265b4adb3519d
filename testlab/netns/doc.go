// Package netns builds a lab of real FRR routers from an inventory snapshot:
// one Linux network namespace per device, a veth pair per routed link
// (resolved through patch panels with inventory.Index.Trace), FRR (zebra,
// bgpd, ospfd, staticd under watchfrr, one pathspace per device) and an sshd
// landing in vtysh, reachable from the host over a per-lab management bridge.
// Transit circuits end on FRR routers standing for the providers. It needs
// root and the Debian frr and openssh-server packages; see docs/netns.md.
//
// Everything the lab creates is written to a state file before it is
// created, so Down removes all of it even after the process that ran Up
// crashed:
//
//	lab, err := netns.Up(ctx, snap, netns.Options{Name: "demo", Config: netns.ConfigBGP, Password: pw})
//	// ssh tuyau@<lab.Targets()["saint-lo-dc-r1"]> with lab.KnownHosts()
//	_, err = lab.Cut(ctx, "FO-000012") // every routed link riding the cable goes down on both ends
//	err = lab.Restore(ctx, netns.Fault{Cable: "FO-000012"})
//	err = netns.Down(ctx, lab.StatePath())
package netns

// Package testlab builds a lab from an inventory snapshot, the way
// containerlab builds one from a topology file but without containers:
// virtual devices (an FRR-dialect SSH CLI, a GoBGP speaker and a link model
// each, on their own 127.x.y.z address) that need no root, and faults
// injected on cables, ducts and devices.
//
//	plan, err := testlab.NewPlan("demo", snap, netip.MustParsePrefix("127.16.0.0/16"),
//		testlab.Ports{SSH: 20000, GNMI: 20001, BGP: 20002})
//	lab, err := testlab.Start(ctx, plan, snap, testlab.Options{Dir: dir})
//	defer lab.Close()
//	res, err := lab.Cut(ctx, "FO-000047") // CutSRLG, Degrade, Kill, Restore
//
// The "tuyau lab" commands run a lab in a background process (Up, Serve,
// Down, StatusOf, Control, Exec) and reach it through a control socket in
// its state directory. docs/testlab.md describes the whole lab.
package testlab

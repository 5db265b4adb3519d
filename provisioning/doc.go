// Package provisioning renders device configs from the inventory and moves
// devices to them: plan (running config vs intent), apply (in parallel,
// verified, confirmed or rolled back) and records (git backups, audit log).
//
//	reg := provisioning.Builtin()
//	x := inventory.NewIndex(snap)
//	plan, err := provisioning.MakePlan(ctx, x, reg, dialer, provisioning.PlanOptions{})
//	res := provisioning.Apply(ctx, plan, reg, dialer, provisioning.ApplyOptions{Parallel: 10})
package provisioning

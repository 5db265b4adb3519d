// Package chaos runs random, logged and replayable faults against a
// running tuyau system (a virtual lab, three collectors sharing its
// targets through Redis leases, the alarm engine) while checking its
// invariants continuously, and reports faults injected, invariants
// checked, violations with the seed and event timeline to replay them,
// and MTTD/MTTR per fault kind.
//
// A run is decided by its seed: the schedule of faults (kind, target,
// hold time) comes from a PCG generator seeded with it, so
// `make chaos SEED=N` replays the same faults in the same order. The
// timings measured differ from run to run; the faults do not.
//
//	sys := chaos.Start(t, chaos.SystemOptions{})
//	rep := chaos.Run(ctx, sys, chaos.Options{Seed: 1, Duration: time.Minute})
//	rep.WriteTable(os.Stdout)
//
// Start takes a testing.TB: the system is built from the lab's test
// harness (labtest, redislab), which a test or `make chaos` drives.
package chaos

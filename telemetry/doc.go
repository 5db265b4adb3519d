// Package telemetry streams what the network's devices report over gNMI,
// joins both ends of every routed link with the optical budget topology
// computes for it, raises and clears alarms correlated to the fiber plant
// (cables, ducts, sites), and writes it all to sinks (memory, Redis,
// Prometheus) that the NOC views read.
//
// The pieces, each a value:
//
//	plan := telemetry.PlanTargets(snap, opts)            // who to subscribe to, and to what
//	eng := telemetry.NewEngine(topo, budgets, rules)     // link state and alarms
//	col := telemetry.NewCollector(plan, dialer, eng, sinks...)
//	err := col.Run(ctx)                                  // until ctx is done, then a final flush
//
// Other packages (the BGP speaker) feed events to the engine through
// Engine.Ingest with an Event; cmd wires them, so telemetry never imports bgp.
package telemetry

// Package prom exposes the collector's state to Prometheus: a custom
// collector reads the engine's state at each scrape (one lock, so the
// links, targets and alarms of a scrape agree) and turns every inventory
// link, its two ends and every target into series, with the collector's
// own Go runtime and process metrics beside them. Nothing is registered
// per sample and nothing goes to the global registry: each Exporter has
// its own, so two collectors in one process (tests) do not collide.
// Series exist only for what the inventory holds (links, their device
// ends, gNMI targets, the sinks configured), never for what a device
// happens to send. The metric names are in docs/telemetry.md.
//
//	x := prom.New(engine, prom.Options{Sinks: []prom.StatsSource{redisSink}})
//	api := telemetry.NewAPI(mem, telemetry.APIOptions{Metrics: x.Handler()})
package prom

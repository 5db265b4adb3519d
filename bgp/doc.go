// Package bgp is tuyau's own BGP speaker: a GoBGP (v3, as a library)
// server configured from the inventory's speakers, peering over iBGP with
// its core site's routers, serving GoBGP's gRPC API on a local socket so
// Debian's gobgp CLI and tuyau's commands both work against it.
//
//	cfg, err := bgp.ConfigFor(snap, "saint-lo-dc", passwords.Lookup)
//	sp := bgp.NewSpeaker(cfg, bgp.WithLogger(log), bgp.WithEvents(func(e bgp.Event) { ... }))
//	go sp.Serve(ctx) // until ctx ends, then a graceful-restart-friendly stop
//
//	c, err := bgp.Dial(ctx, cfg.API) // from another process: tuyau bgp peers
//	peers, err := c.Peers(ctx)
//	err = c.Announce(ctx, netip.MustParsePrefix("198.51.100.0/24"), bgp.Attrs{MED: 10})
//	paths, err := c.Paths(ctx, prefix) // which sites the core carries it from
//
// The route monitor watches the network's own prefixes in what the core
// sends and raises alarms (missing and restored, hijack, leak, prefix
// counts against a learned baseline, hosting sites, sessions); cmd hands
// them to telemetry's alarm engine:
//
//	mon := bgp.NewMonitor(bgp.MonitorConfigFor(snap, cfg), func(a bgp.Alarm) { ... })
//	sp := bgp.NewSpeaker(cfg, bgp.WithMonitor(mon)) // fed by its BMP station
//	st, err := c.WriteMRTFile(ctx, "rib.mrt")      // TABLE_DUMPv2, what "tuyau bgp dump" writes
package bgp

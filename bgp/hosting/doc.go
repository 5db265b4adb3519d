// Package hosting moves a hosting service's prefixes between the core sites
// on health: probes and hysteresis per site, a state machine per service
// that announces through the preferred healthy site with graded attributes,
// never withdraws the last site still announcing, and drains a site make
// before break. It talks BGP only through the Announcer and View interfaces
// it defines (the bgp package's speaker implements them), so it runs and is
// tested without a speaker.
//
//	svc, err := hosting.NewService(invSvc, cfg, announcers, view,
//		hosting.WithLogger(log), hosting.WithEvents(func(t hosting.Transition) { ... }))
//	go svc.Run(ctx)             // health monitors, steps, make-before-break
//	err = svc.Drain(ctx, "saint-lo-dc")   // returns once drained, or why not
//	st := svc.Status()          // what "tuyau bgp services -o json" prints
package hosting

package main

import (
	"context"

	"github.com/tuyau-net/tuyau/bgp/hosting"
	"github.com/tuyau-net/tuyau/telemetry"
)

// Wiring between the hosting failover and telemetry, for the command that
// runs the speakers: bgp never imports telemetry, so the two meet here.

// Alarm rules the hosting transitions feed into telemetry's engine.
const (
	ruleHostingSiteDown = "hosting-site-down"    // a site's checks fail
	ruleHostingDrained  = "hosting-site-drained" // a site is drained for maintenance
	ruleHostingOnBackup = "hosting-on-backup"    // the service runs away from its preferred site
)

// hostingEvents turns one transition into the alarm engine's events: each
// condition raised when it starts and cleared when it ends.
func hostingEvents(tr hosting.Transition) []telemetry.Event {
	ev := func(rule string, sev telemetry.Severity, kind, obj string, active bool) telemetry.Event {
		e := telemetry.Event{Source: "bgp", Rule: rule, Severity: sev, ObjectKind: kind, Object: obj, Active: active,
			Message: tr.Reason, Time: tr.Time,
			Attrs: map[string]string{"service": tr.Service, "active_site": tr.Active, "from": tr.From, "to": tr.To}}
		if tr.Site != "" {
			e.Sites = []string{tr.Site}
			e.Attrs["site"] = tr.Site
		}
		return e
	}
	if tr.Site == "" {
		return []telemetry.Event{ev(ruleHostingOnBackup, telemetry.SevMajor, "service", tr.Service, tr.Active != tr.Preferred)}
	}
	obj := tr.Service + "@" + tr.Site
	var out []telemetry.Event
	if tr.To == string(hosting.StateDown) || tr.From == string(hosting.StateDown) {
		// Down at the site still carrying the service: nobody serves it.
		sev := telemetry.SevMajor
		if tr.Active == tr.Site {
			sev = telemetry.SevCritical
		}
		out = append(out, ev(ruleHostingSiteDown, sev, "service-site", obj, tr.To == string(hosting.StateDown)))
	}
	if tr.To == string(hosting.StateDrained) || tr.From == string(hosting.StateDrained) {
		out = append(out, ev(ruleHostingDrained, telemetry.SevInfo, "service-site", obj, tr.To == string(hosting.StateDrained)))
	}
	return out
}

// siteLinks is the telemetry view of a site's links (hosting.LinkSource),
// read from a collector's API or Redis (telemetry.SiteLinks counts them).
type siteLinks struct {
	r interface {
		Links(ctx context.Context) ([]telemetry.LinkState, error)
	}
}

func (s siteLinks) SiteLinks(ctx context.Context, site string) (up, total int, err error) {
	links, err := s.r.Links(ctx)
	if err != nil {
		return 0, 0, err
	}
	up, total = telemetry.SiteLinks(links, site)
	return up, total, nil
}

var _ hosting.LinkSource = siteLinks{}

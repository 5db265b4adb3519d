package main

import (
	"strconv"
	"strings"

	"github.com/tuyau-net/tuyau/bgp"
	"github.com/tuyau-net/tuyau/telemetry"
)

// Wiring between the BGP monitor and telemetry: bgp never imports
// telemetry, so the monitor's alarms become telemetry events here.

// monitorEvent turns one monitor alarm into the alarm engine's event; the
// attributes name the prefix, the expected and seen origin and the peer.
func monitorEvent(a bgp.Alarm) telemetry.Event {
	ev := telemetry.Event{Source: "bgp", Rule: a.Rule, Severity: telemetry.Severity(a.Severity), ObjectKind: a.ObjectKind,
		Object: a.Object, Active: a.Active, Message: a.Message, Time: a.Time, Attrs: map[string]string{}}
	set := func(k, v string) {
		if v != "" {
			ev.Attrs[k] = v
		}
	}
	if a.Prefix.IsValid() {
		set("prefix", a.Prefix.String())
	}
	if a.Covering.IsValid() && a.Covering != a.Prefix {
		set("covering", a.Covering.String())
	}
	set("expected_origin", asns(a.Expected))
	if a.Seen != 0 {
		set("seen_origin", "AS"+strconv.FormatUint(uint64(a.Seen), 10))
	}
	if len(a.ASPath) > 0 {
		set("as_path", asns(a.ASPath))
	}
	if a.Peer.IsValid() {
		set("peer", a.Peer.String())
	}
	set("device", a.Device)
	set("speaker", a.Speaker)
	set("service", a.Service)
	set("site", a.Site)
	if a.Rule == bgp.RuleHostingSites {
		ev.Attrs["seen_sites"] = strings.Join(a.Sites, ",")
	}
	if a.Site != "" {
		ev.Sites = []string{a.Site}
	}
	return ev
}

func asns(as []uint32) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = "AS" + strconv.FormatUint(uint64(a), 10)
	}
	return strings.Join(s, " ")
}

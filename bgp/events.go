package bgp

import (
	"net/netip"
	"time"
)

// EventKind says what happened to a session.
type EventKind string

const (
	SessionUp   EventKind = "session-up"
	SessionDown EventKind = "session-down"
)

// Event is one session change, handed to WithEvents' callback; Flaps counts
// the session's drops since the speaker started, so a consumer can tell a
// flapping session from a single drop.
type Event struct {
	Time    time.Time  `json:"time"`
	Speaker string     `json:"speaker"`
	Kind    EventKind  `json:"kind"`
	Peer    netip.Addr `json:"peer"`
	Device  string     `json:"device,omitempty"`
	State   string     `json:"state"`
	Reason  string     `json:"reason,omitempty"`
	Flaps   int        `json:"flaps"`
}

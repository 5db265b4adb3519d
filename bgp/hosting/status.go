package hosting

import (
	"net/netip"
	"time"
)

// State is a site's state for one service.
type State string

const (
	// StateUnknown: no health result yet.
	StateUnknown State = "unknown"
	// StateUp: healthy, may carry the service.
	StateUp State = "up"
	// StateDown: unhealthy (Fall failures in a row); withdrawn, unless it
	// is the last site announcing.
	StateDown State = "down"
	// StateDraining: a drain was asked; the site still announces until
	// another site is seen carrying the prefixes.
	StateDraining State = "draining"
	// StateDrained: withdrawn (or demoted) for maintenance, until undrain.
	StateDrained State = "drained"
)

// Role is what a site currently announces.
type Role string

const (
	RoleWithdrawn Role = "withdrawn"
	RolePrimary   Role = "primary" // the best attributes: the active site
	RoleBackup    Role = "backup"  // worse attributes: in every RIB, not used
	RoleDemoted   Role = "demoted" // down or drained, kept announced (Steering.Demoted)
)

// Transition is a change of a site's state or of the service's active site
// (Site empty, From and To then name sites). Every one is logged and given
// to the WithEvents callback.
type Transition struct {
	Time    time.Time `json:"time"`
	Service string    `json:"service"`
	Site    string    `json:"site,omitempty"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Reason  string    `json:"reason"`
	// Active is the service's active site after the transition; Preferred
	// its first site, where it runs when all is well.
	Active    string `json:"active_site"`
	Preferred string `json:"preferred_site"`
}

// ServiceStatus is a service as "tuyau bgp services -o json" shows it.
type ServiceStatus struct {
	Name     string         `json:"name"`
	Prefixes []netip.Prefix `json:"prefixes"`
	// ActiveSite announces the primary attributes and is seen doing so
	// (empty before the first announcement is seen).
	ActiveSite string `json:"active_site"`
	// Pending says what the machine waits for, if anything ("moving to
	// cherbourg-en-cotentin-dc: waiting for it to be seen, 12s left").
	Pending string       `json:"pending,omitempty"`
	Sites   []SiteStatus `json:"sites"`
}

// SiteStatus is one core site of a service.
type SiteStatus struct {
	Site       string `json:"site"`
	Preference int    `json:"preference"` // 1 is the preferred site
	State      State  `json:"state"`
	// Health is the checks' verdict after hysteresis: up, down, unknown;
	// HealthReason the last failure (or why it is unknown).
	Health       string    `json:"health"`
	HealthReason string    `json:"health_reason,omitempty"`
	LastCheck    time.Time `json:"last_check,omitzero"`
	// Pending counts check results in a row that disagree with Health.
	Pending int    `json:"pending_checks"`
	Drained bool   `json:"drained"`
	Role    Role   `json:"role"`
	Attrs   *Attrs `json:"attrs,omitempty"`
	// Seen says the view shows this site carrying every prefix.
	Seen           bool      `json:"seen"`
	LastTransition time.Time `json:"last_transition,omitzero"`
	Reason         string    `json:"reason,omitempty"`
	Error          string    `json:"error,omitempty"` // last announcement error
}

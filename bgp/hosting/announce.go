package hosting

import (
	"context"
	"net/netip"
	"slices"
)

// Attrs are the path attributes a site announces a service prefix with.
// Graded steering gives the active site better ones than the others, so the
// other sites' paths are already in every router's RIB as backups.
type Attrs struct {
	// LocalPref is honoured on iBGP sessions (the speaker peers with its
	// site's core routers over iBGP): higher wins, before anything else.
	LocalPref uint32 `json:"local_pref,omitempty" yaml:"local-pref,omitempty"`
	// MED is compared among paths from the same neighbouring AS: lower wins.
	MED uint32 `json:"med" yaml:"med"`
	// Prepend repeats the speaker's AS this many times. Only for a speaker
	// on eBGP sessions: an iBGP peer drops a path holding its own AS.
	Prepend int `json:"as_path_prepend,omitempty" yaml:"as-path-prepend,omitempty"`
	// Communities are "ASN:VALUE" (or large "A:B:C") strings, for policies
	// on the routers that key on them.
	Communities []string `json:"communities,omitempty" yaml:"communities,omitempty"`
}

// Equal reports whether two attribute sets are the same announcement.
func (a Attrs) Equal(b Attrs) bool {
	return a.LocalPref == b.LocalPref && a.MED == b.MED && a.Prepend == b.Prepend &&
		slices.Equal(a.Communities, b.Communities)
}

// Announcer announces and withdraws prefixes at one core site (that site's
// speaker). Both calls are idempotent: announcing again replaces the
// attributes.
type Announcer interface {
	Announce(ctx context.Context, prefix netip.Prefix, a Attrs) error
	Withdraw(ctx context.Context, prefix netip.Prefix) error
}

// Holder is an Announcer that can tell whether its speaker still
// originates a prefix. A speaker's RIB lives in its process: one restarted
// (a crash, an upgrade) comes back announcing nothing, while the machine
// still holds the role it gave that site, so it would never announce there
// again. With a Holder the machine checks a site the view does not show
// and announces what it lost again.
type Holder interface {
	Holds(ctx context.Context, prefix netip.Prefix) (bool, error)
}

// Path is one path the core carries for a prefix, as BGP visibility
// (add-path from the route reflectors) shows it: which site it comes from
// and, when the view reports them, its attributes.
type Path struct {
	Site     string `json:"site"`
	Attrs    Attrs  `json:"attrs"`
	HasAttrs bool   `json:"has_attrs"`
}

// View says which sites the core currently carries a prefix from. The state
// machine reads it before any withdraw or demotion: a site is only taken
// away once the site replacing it is seen. Only paths the core routers hold
// count: a speaker's own announcement (its local RIB) proves nothing, so a
// view over several speakers gives each site's path as another site's
// speaker receives it (add-path from the route reflectors). Of the
// attributes, LocalPref and MED are compared, when HasAttrs is set.
type View interface {
	Paths(ctx context.Context, prefix netip.Prefix) ([]Path, error)
}

// Steering is the graded attributes of a service: Primary at the active
// site, Backup at the other healthy sites, and what a site that is down or
// drained does.
type Steering struct {
	Primary Attrs `json:"primary" yaml:"primary"`
	Backup  Attrs `json:"backup" yaml:"backup"`
	// Demoted, when set, keeps a down or drained site announced with these
	// (worse) attributes instead of withdrawing it, as ExaBGP's healthcheck
	// does by default with its MED 1000. Withdrawing is the default: a dead
	// service should not stay one best-path change away.
	Demoted *Attrs `json:"demoted,omitempty" yaml:"demoted,omitempty"`
}

// DefaultSteering is what a service gets without a steering block: local
// preference does the work on the core's iBGP, MED breaks a tie where a
// policy resets local preference; no prepend (iBGP), no communities.
func DefaultSteering() Steering {
	return Steering{
		Primary: Attrs{LocalPref: 200, MED: 0},
		Backup:  Attrs{LocalPref: 100, MED: 100},
	}
}

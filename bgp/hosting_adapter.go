package bgp

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/tuyau-net/tuyau/bgp/hosting"
)

// The hosting failover (package bgp/hosting) speaks through two interfaces
// it owns; these adapters give them a speaker, local (*Speaker) or remote
// (*Client over its API).

// originator is what HostingAnnouncer needs of a speaker: Paths tells
// whether it still holds its announcement (hosting.Holder).
type originator interface {
	Announce(ctx context.Context, prefix netip.Prefix, a Attrs) error
	Withdraw(ctx context.Context, prefix netip.Prefix) error
	pathSource
}

// pathSource is what HostingView needs of a speaker.
type pathSource interface {
	Paths(ctx context.Context, prefix netip.Prefix) ([]Path, error)
}

// HostingAnnouncer is a site's hosting.Announcer: the site's speaker
// originating the service prefixes with the failover's attributes, next hop
// the site's hosting address of the prefix's family (unset for IPv4: the
// speaker's own address).
func HostingAnnouncer(sp originator, nextHop4, nextHop6 netip.Addr) hosting.Announcer {
	return hostingAnnouncer{sp: sp, nh4: nextHop4, nh6: nextHop6}
}

type hostingAnnouncer struct {
	sp       originator
	nh4, nh6 netip.Addr
}

func (h hostingAnnouncer) Announce(ctx context.Context, prefix netip.Prefix, a hosting.Attrs) error {
	nh := h.nh4
	if prefix.Addr().Is6() {
		nh = h.nh6
		if !nh.IsValid() {
			return fmt.Errorf("announce %s: no IPv6 next hop for the site's hosting", prefix)
		}
	}
	return h.sp.Announce(ctx, prefix, Attrs{NextHop: nh, LocalPref: a.LocalPref, MED: a.MED, Prepend: a.Prepend,
		Communities: a.Communities})
}

func (h hostingAnnouncer) Withdraw(ctx context.Context, prefix netip.Prefix) error {
	return h.sp.Withdraw(ctx, prefix)
}

// Holds reports whether the speaker still originates prefix (a Local path
// in its RIB): one restarted since the failover announced there has lost
// it, and the failover announces it again (hosting.Holder).
func (h hostingAnnouncer) Holds(ctx context.Context, prefix netip.Prefix) (bool, error) {
	paths, err := h.sp.Paths(ctx, prefix)
	if err != nil {
		return false, fmt.Errorf("holds %s: %w", prefix, err)
	}
	return slices.ContainsFunc(paths, func(p Path) bool { return p.Local }), nil
}

// HostingView is the failover's view over the speakers of every core site:
// a site carries a prefix when some speaker receives that site's path from
// the core routers. A speaker's own announcement (Local) does not count: it
// is in its RIB whether or not the core took it. A view that fails at one
// speaker still answers from the others (the failover only waits longer);
// it fails when every speaker fails.
func HostingView(speakers ...pathSource) hosting.View { return hostingView(speakers) }

type hostingView []pathSource

func (v hostingView) Paths(ctx context.Context, prefix netip.Prefix) ([]hosting.Path, error) {
	var out []hosting.Path
	var errs []string
	seen := map[string]bool{}
	for _, sp := range v {
		paths, err := sp.Paths(ctx, prefix)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		for _, p := range paths {
			if p.Local || p.Site == "" || seen[p.Site] {
				continue
			}
			seen[p.Site] = true
			out = append(out, hosting.Path{Site: p.Site, HasAttrs: true,
				Attrs: hosting.Attrs{LocalPref: p.Attrs.LocalPref, MED: p.Attrs.MED, Communities: p.Attrs.Communities}})
		}
	}
	if len(errs) == len(v) && len(v) > 0 {
		return nil, fmt.Errorf("paths of %s: every speaker failed: %s", prefix, strings.Join(errs, "; "))
	}
	slices.SortFunc(out, func(a, b hosting.Path) int { return strings.Compare(a.Site, b.Site) })
	return out, nil
}

var (
	_ hosting.Holder = hostingAnnouncer{}
	_ originator     = (*Speaker)(nil)
	_ originator     = (*Client)(nil)
	_ pathSource     = (*Speaker)(nil)
	_ pathSource     = (*Client)(nil)
)

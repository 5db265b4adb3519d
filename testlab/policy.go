package testlab

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	api "github.com/osrg/gobgp/v3/api"

	"github.com/tuyau-net/tuyau/testlab/vtysh"
)

// FRR route-maps on BGP neighbors become GoBGP policy statements. GoBGP has
// per-peer policies only for route-server clients, so every rule lives in
// the global import or export policy behind a condition on the peer's
// address (the source peer on import, the destination on export).
//
// Modelled: route-map permit/deny entries in sequence order with the
// implicit deny at the end; "match ip address prefix-list" (its permit
// entries, with ge/le); "match ipv6 address prefix-list", which no IPv4
// route matches (the policies here are the IPv4 family's, and FRR matches
// a prefix-list entry only against a prefix of its own family: a transit
// route-map's IPv6 entry must not let every IPv4 route out); "set as-path
// prepend", "set local-preference", "set metric"; FRR's default "bgp
// ebgp-requires-policy", under which an eBGP neighbor without a route-map
// in a direction exchanges nothing in that direction. Other match and set
// lines are kept in the config and ignored here.

// rmRule is one route-map entry, translated.
type rmRule struct {
	Permit    bool
	Prefixes  []pfxRange // empty: matches every route
	MatchNone bool       // the prefix-list is missing or empty: matches nothing
	Prepend   []uint32
	LocalPref *uint32
	MED       *int64
}

type pfxRange struct {
	Prefix   string
	Min, Max uint32
}

// peerPolicy is what applies to one peer in one direction; nil Rules with
// Deny set is "exchange nothing" (ebgp-requires-policy).
type peerPolicy struct {
	Rules []rmRule
	Deny  bool
}

// routeMapRules translates a route-map of cfg. A route-map that does not
// exist denies everything, as in FRR.
func routeMapRules(cfg *vtysh.Config, name string) []rmRule {
	var rules []rmRule
	for _, rm := range cfg.RouteMaps {
		if rm.Name != name {
			continue
		}
		r := rmRule{Permit: rm.Action == "permit"}
		v6Only := false
		for _, line := range rm.Lines {
			f := strings.Fields(line)
			switch {
			case len(f) == 5 && f[0] == "match" && f[1] == "ipv6" && f[2] == "address" && f[3] == "prefix-list":
				v6Only = true
			case len(f) == 5 && f[0] == "match" && f[1] == "ip" && f[2] == "address" && f[3] == "prefix-list":
				r.Prefixes = nil
				r.MatchNone = true
				for _, e := range cfg.PrefixList(f[4]) {
					if e.Action != "permit" || e.IPv6 {
						continue
					}
					pr := pfxRange{Prefix: e.Prefix.String(), Min: uint32(e.Prefix.Bits()), Max: uint32(e.Prefix.Bits())}
					if e.Any {
						pr = pfxRange{Prefix: "0.0.0.0/0", Min: 0, Max: 32}
					}
					if e.Ge != 0 {
						pr.Min, pr.Max = uint32(e.Ge), 32
					}
					if e.Le != 0 {
						pr.Max = uint32(e.Le)
					}
					r.Prefixes = append(r.Prefixes, pr)
					r.MatchNone = false
				}
			case len(f) >= 4 && f[0] == "set" && f[1] == "as-path" && f[2] == "prepend":
				for _, a := range f[3:] {
					if n, err := strconv.ParseUint(a, 10, 32); err == nil {
						r.Prepend = append(r.Prepend, uint32(n))
					}
				}
			case len(f) == 3 && f[0] == "set" && f[1] == "local-preference":
				if n, err := strconv.ParseUint(f[2], 10, 32); err == nil {
					v := uint32(n)
					r.LocalPref = &v
				}
			case len(f) == 3 && f[0] == "set" && f[1] == "metric":
				if n, err := strconv.ParseInt(f[2], 10, 64); err == nil {
					r.MED = &n
				}
			}
		}
		if v6Only {
			// Match lines all have to match: with an IPv6 one, no IPv4
			// route does, whatever the entry's other lines say.
			r.Prefixes, r.MatchNone = nil, true
		}
		rules = append(rules, r)
	}
	return rules
}

// neighborPolicies returns a neighbor's import and export policies, or nil
// when routes pass untouched.
func neighborPolicies(cfg *vtysh.Config, n *vtysh.Neighbor, ebgp bool) (in, out *peerPolicy) {
	var mapIn, mapOut string
	if af := cfg.BGP.Family("ipv4 unicast"); af != nil {
		if an := af.Neighbor(n.Addr); an != nil {
			mapIn, mapOut = an.RouteMapIn, an.RouteMapOut
		}
	}
	requires := ebgp && !cfg.BGP.NoEBGPRequiresPolicy
	pick := func(name string) *peerPolicy {
		switch {
		case name != "":
			return &peerPolicy{Rules: routeMapRules(cfg, name)}
		case requires:
			return &peerPolicy{Deny: true}
		}
		return nil
	}
	return pick(mapIn), pick(mapOut)
}

// statements renders one peer's policy in one direction, after the
// neighbor-set condition named set.
func (p *peerPolicy) statements(name, set string) (stmts []*api.Statement, sets []*api.DefinedSet) {
	nb := &api.MatchSet{Type: api.MatchSet_ANY, Name: set}
	if !p.Deny {
		for i, r := range p.Rules {
			cond := &api.Conditions{NeighborSet: nb}
			if r.MatchNone {
				continue
			}
			if len(r.Prefixes) > 0 {
				ps := fmt.Sprintf("%s-%d", name, i)
				ds := &api.DefinedSet{DefinedType: api.DefinedType_PREFIX, Name: ps}
				for _, pr := range r.Prefixes {
					ds.Prefixes = append(ds.Prefixes, &api.Prefix{IpPrefix: pr.Prefix, MaskLengthMin: pr.Min, MaskLengthMax: pr.Max})
				}
				sets = append(sets, ds)
				cond.PrefixSet = &api.MatchSet{Type: api.MatchSet_ANY, Name: ps}
			}
			act := &api.Actions{RouteAction: api.RouteAction_REJECT}
			if r.Permit {
				act.RouteAction = api.RouteAction_ACCEPT
				if len(r.Prepend) > 0 {
					act.AsPrepend = &api.AsPrependAction{Asn: r.Prepend[0], Repeat: uint32(len(r.Prepend))}
				}
				if r.LocalPref != nil {
					act.LocalPref = &api.LocalPrefAction{Value: *r.LocalPref}
				}
				if r.MED != nil {
					act.Med = &api.MedAction{Type: api.MedAction_REPLACE, Value: *r.MED}
				}
			}
			stmts = append(stmts, &api.Statement{Name: fmt.Sprintf("%s-%d", name, i), Conditions: cond, Actions: act})
		}
	}
	// The implicit deny at the end of every route-map.
	stmts = append(stmts, &api.Statement{
		Name: name + "-deny", Conditions: &api.Conditions{NeighborSet: nb},
		Actions: &api.Actions{RouteAction: api.RouteAction_REJECT},
	})
	return stmts, sets
}

// policyPeer is everything the speaker's policies say about one peer.
type policyPeer struct {
	NextHop   netip.Addr
	IBGP      bool
	NoReflect bool
	// Reflect are the prefixes NoReflect spares: the hosting prefixes
	// tuyau's speakers announce, which a real route reflector sends its
	// non-client peers (RFC 4456: a client's routes go to every peer), as
	// the other site's speaker must see them through its own reflector.
	Reflect []netip.Prefix
	In, Out *peerPolicy
}

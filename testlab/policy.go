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
// implicit deny at the end; "match ip address prefix-list" and "match ipv6
// address prefix-list" (their permit entries, with ge/le), each matching
// only routes of its own family as in FRR (a transit route-map's IPv6 entry
// must not let every IPv4 route out, nor its IPv4 entry every IPv6 route);
// "set as-path prepend", "set local-preference", "set metric"; FRR's
// default "bgp ebgp-requires-policy", under which an eBGP neighbor without
// a route-map in a direction exchanges nothing in that direction. A
// neighbor's route-maps are those of its address family (ipv4 unicast,
// ipv6 unicast): each family's statements carry an afi-safi-in condition,
// so one family's implicit deny never drops the other's routes. Other
// match and set lines are kept in the config and ignored here.

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

// peerPolicy is what applies to one peer in one direction, per address
// family; a nil family passes its routes untouched.
type peerPolicy struct {
	V4, V6 *familyPolicy
}

// familyPolicy is one family's route-map; nil Rules with Deny set is
// "exchange nothing" (ebgp-requires-policy).
type familyPolicy struct {
	Rules []rmRule
	Deny  bool
}

// deny tells whether the policy exchanges nothing in the family of v6.
func (p *peerPolicy) deny(v6 bool) bool {
	if p == nil {
		return false
	}
	f := p.V4
	if v6 {
		f = p.V6
	}
	return f != nil && f.Deny
}

// routeMapRules translates a route-map of cfg for the routes of one family
// (v6: IPv6 unicast, else IPv4 unicast). A route-map that does not exist
// denies everything, as in FRR.
func routeMapRules(cfg *vtysh.Config, name string, v6 bool) []rmRule {
	var rules []rmRule
	for _, rm := range cfg.RouteMaps {
		if rm.Name != name {
			continue
		}
		r := rmRule{Permit: rm.Action == "permit"}
		otherFamily := false
		for _, line := range rm.Lines {
			f := strings.Fields(line)
			switch {
			case len(f) == 5 && f[0] == "match" && (f[1] == "ip" || f[1] == "ipv6") && f[2] == "address" && f[3] == "prefix-list":
				if (f[1] == "ipv6") != v6 {
					otherFamily = true
					continue
				}
				r.Prefixes = nil
				r.MatchNone = true
				bits := uint32(32)
				anyPfx := "0.0.0.0/0"
				if v6 {
					bits, anyPfx = 128, "::/0"
				}
				for _, e := range cfg.PrefixList(f[4]) {
					if e.Action != "permit" || e.IPv6 != v6 {
						continue
					}
					pr := pfxRange{Prefix: anyPfx, Min: 0, Max: bits}
					if !e.Any {
						pr = pfxRange{Prefix: e.Prefix.String(), Min: uint32(e.Prefix.Bits()), Max: uint32(e.Prefix.Bits())}
					}
					if e.Ge != 0 {
						pr.Min, pr.Max = uint32(e.Ge), bits
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
		if otherFamily {
			// Match lines all have to match: with a prefix-list of the
			// other family, no route of this one does, whatever the
			// entry's other lines say.
			r.Prefixes, r.MatchNone = nil, true
		}
		rules = append(rules, r)
	}
	return rules
}

// neighborPolicies returns a neighbor's import and export policies, or nil
// when routes pass untouched.
func neighborPolicies(cfg *vtysh.Config, n *vtysh.Neighbor, ebgp bool) (in, out *peerPolicy) {
	requires := ebgp && !cfg.BGP.NoEBGPRequiresPolicy
	pick := func(name string, v6 bool) *familyPolicy {
		switch {
		case name != "":
			return &familyPolicy{Rules: routeMapRules(cfg, name, v6)}
		case requires:
			return &familyPolicy{Deny: true}
		}
		return nil
	}
	for _, fam := range []string{"ipv4 unicast", "ipv6 unicast"} {
		var mapIn, mapOut string
		if af := cfg.BGP.Family(fam); af != nil {
			if an := af.Neighbor(n.Addr); an != nil {
				mapIn, mapOut = an.RouteMapIn, an.RouteMapOut
			}
		}
		v6 := fam == "ipv6 unicast"
		fin, fout := pick(mapIn, v6), pick(mapOut, v6)
		if fin != nil && in == nil {
			in = &peerPolicy{}
		}
		if fout != nil && out == nil {
			out = &peerPolicy{}
		}
		if v6 {
			if fin != nil {
				in.V6 = fin
			}
			if fout != nil {
				out.V6 = fout
			}
		} else {
			if fin != nil {
				in.V4 = fin
			}
			if fout != nil {
				out.V4 = fout
			}
		}
	}
	return in, out
}

// statements renders one peer's policy in one direction, after the
// neighbor-set condition named set: each family's entries and implicit
// deny, under a condition on that family.
func (p *peerPolicy) statements(name, set string) (stmts []*api.Statement, sets []*api.DefinedSet) {
	for _, f := range []struct {
		pol *familyPolicy
		fam *api.Family
		tag string
	}{{p.V4, famV4, ""}, {p.V6, famV6, "-v6"}} {
		if f.pol != nil {
			st, ds := f.pol.statements(name+f.tag, set, f.fam)
			stmts, sets = append(stmts, st...), append(sets, ds...)
		}
	}
	return stmts, sets
}

func (p *familyPolicy) statements(name, set string, fam *api.Family) (stmts []*api.Statement, sets []*api.DefinedSet) {
	nb := &api.MatchSet{Type: api.MatchSet_ANY, Name: set}
	if !p.Deny {
		for i, r := range p.Rules {
			cond := &api.Conditions{NeighborSet: nb, AfiSafiIn: []*api.Family{fam}}
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
	// The implicit deny at the end of every route-map, for its family.
	stmts = append(stmts, &api.Statement{
		Name: name + "-deny", Conditions: &api.Conditions{NeighborSet: nb, AfiSafiIn: []*api.Family{fam}},
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

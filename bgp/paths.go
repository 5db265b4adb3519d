package bgp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

// newPath builds a locally originated path (or its withdrawal).
func newPath(prefix netip.Prefix, a Attrs, asn uint32, withdraw bool) (*api.Path, error) {
	if !prefix.IsValid() || prefix != prefix.Masked() {
		return nil, fmt.Errorf("prefix %s: not a network address (did you mean %s?)", prefix, prefix.Masked())
	}
	origin := bgp.NewPathAttributeOrigin(bgp.BGP_ORIGIN_ATTR_TYPE_IGP)
	attrs := []bgp.PathAttributeInterface{origin}
	var nlri bgp.AddrPrefixInterface
	if prefix.Addr().Is4() {
		nlri = bgp.NewIPAddrPrefix(uint8(prefix.Bits()), prefix.Addr().String())
		nh := "0.0.0.0"
		if a.NextHop.IsValid() {
			if !a.NextHop.Is4() {
				return nil, fmt.Errorf("next hop %s: an IPv4 prefix needs an IPv4 next hop", a.NextHop)
			}
			nh = a.NextHop.String()
		}
		attrs = append(attrs, bgp.NewPathAttributeNextHop(nh))
	} else {
		nlri = bgp.NewIPv6AddrPrefix(uint8(prefix.Bits()), prefix.Addr().String())
		nh := "::"
		if a.NextHop.IsValid() {
			if !a.NextHop.Is6() || a.NextHop.Is4In6() {
				return nil, fmt.Errorf("next hop %s: an IPv6 prefix needs an IPv6 next hop", a.NextHop)
			}
			nh = a.NextHop.String()
		}
		attrs = append(attrs, bgp.NewPathAttributeMpReachNLRI(nh, []bgp.AddrPrefixInterface{nlri}))
	}
	if a.Prepend > 0 {
		if a.Prepend > 16 {
			return nil, fmt.Errorf("as-path prepend %d: more than 16 is a mistake", a.Prepend)
		}
		as := make([]uint32, a.Prepend)
		for i := range as {
			as[i] = asn
		}
		attrs = append(attrs, bgp.NewPathAttributeAsPath([]bgp.AsPathParamInterface{bgp.NewAs4PathParam(bgp.BGP_ASPATH_ATTR_TYPE_SEQ, as)}))
	}
	if a.MED != 0 {
		attrs = append(attrs, bgp.NewPathAttributeMultiExitDisc(a.MED))
	}
	if a.LocalPref != 0 {
		attrs = append(attrs, bgp.NewPathAttributeLocalPref(a.LocalPref))
	}
	std, large, err := parseCommunities(a.Communities)
	if err != nil {
		return nil, err
	}
	if len(std) > 0 {
		attrs = append(attrs, bgp.NewPathAttributeCommunities(std))
	}
	if len(large) > 0 {
		var lc []*bgp.LargeCommunity
		for _, l := range large {
			lc = append(lc, bgp.NewLargeCommunity(l[0], l[1], l[2]))
		}
		attrs = append(attrs, bgp.NewPathAttributeLargeCommunities(lc))
	}
	return apiutil.NewPath(nlri, withdraw, attrs, time.Now())
}

// Route is one path of the speaker's tables.
type Route struct {
	Prefix netip.Prefix `json:"prefix"`
	// Peer is the neighbor the path came from; invalid for our own.
	Peer        netip.Addr `json:"peer,omitzero"`
	Local       bool       `json:"local,omitempty"`
	NextHop     netip.Addr `json:"next_hop,omitzero"`
	ASPath      []uint32   `json:"as_path"`
	LocalPref   uint32     `json:"local_pref,omitempty"`
	MED         uint32     `json:"med,omitempty"`
	Communities []string   `json:"communities,omitempty"`
	// OriginatorID is the router that put the path into iBGP (RFC 4456),
	// the peer's router id when it originated the path itself.
	OriginatorID netip.Addr `json:"originator_id,omitzero"`
	// Site is the core site the path is announced from, when Origins knows
	// its originator.
	Site  string `json:"site,omitempty"`
	Best  bool   `json:"best,omitempty"`
	Stale bool   `json:"stale,omitempty"`
	// PathID is the add-path identifier the peer sent it with.
	PathID uint32 `json:"path_id,omitempty"`
}

// Routes lists the paths of the global table (every add-path route), or of
// what one peer sent (peer valid), optionally for one prefix only.
func (c *Client) Routes(ctx context.Context, prefix netip.Prefix, peer netip.Addr) ([]Route, error) {
	fams := []*api.Family{famV4, famV6}
	if prefix.IsValid() {
		fams = []*api.Family{familyOf(prefix)}
	}
	out := []Route{}
	for _, f := range fams {
		req := &api.ListPathRequest{TableType: api.TableType_GLOBAL, Family: f, SortType: api.ListPathRequest_PREFIX}
		if peer.IsValid() {
			req.TableType, req.Name = api.TableType_ADJ_IN, peer.String()
		}
		if prefix.IsValid() {
			req.Prefixes = []*api.TableLookupPrefix{{Prefix: prefix.String(), Type: api.TableLookupPrefix_EXACT}}
		}
		rs, err := c.listPath(ctx, req)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

func (c *Client) listPath(ctx context.Context, req *api.ListPathRequest) ([]Route, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	st, err := c.api.ListPath(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("bgp api: list paths: %w", err)
	}
	var out []Route
	for {
		r, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("bgp api: list paths: %w", err)
		}
		for _, p := range r.GetDestination().GetPaths() {
			rt, err := c.route(r.GetDestination().GetPrefix(), p)
			if err != nil {
				return nil, err
			}
			out = append(out, rt)
		}
	}
}

func (c *Client) route(dst string, p *api.Path) (Route, error) {
	pfx, err := netip.ParsePrefix(dst)
	if err != nil {
		return Route{}, fmt.Errorf("bgp api: path for %q: %w", dst, err)
	}
	rt := Route{Prefix: pfx, Best: p.GetBest(), Stale: p.GetStale(), ASPath: []uint32{}}
	if a, err := netip.ParseAddr(p.GetNeighborIp()); err == nil && !a.IsUnspecified() {
		rt.Peer = a
	} else {
		rt.Local = true
	}
	if nlri, err := apiutil.GetNativeNlri(p); err == nil {
		switch n := nlri.(type) {
		case *bgp.IPAddrPrefix:
			rt.PathID = n.PathIdentifier()
		case *bgp.IPv6AddrPrefix:
			rt.PathID = n.PathIdentifier()
		}
	}
	attrs, err := apiutil.GetNativePathAttributes(p)
	if err != nil {
		return Route{}, fmt.Errorf("bgp api: path for %s: %w", dst, err)
	}
	for _, a := range attrs {
		switch a := a.(type) {
		case *bgp.PathAttributeNextHop:
			rt.NextHop, _ = netip.AddrFromSlice(a.Value)
			rt.NextHop = rt.NextHop.Unmap()
		case *bgp.PathAttributeMpReachNLRI:
			rt.NextHop, _ = netip.AddrFromSlice(a.Nexthop)
		case *bgp.PathAttributeAsPath:
			for _, seg := range a.Value {
				rt.ASPath = append(rt.ASPath, seg.GetAS()...)
			}
		case *bgp.PathAttributeLocalPref:
			rt.LocalPref = a.Value
		case *bgp.PathAttributeMultiExitDisc:
			rt.MED = a.Value
		case *bgp.PathAttributeCommunities:
			for _, v := range a.Value {
				rt.Communities = append(rt.Communities, strconv.Itoa(int(v>>16))+":"+strconv.Itoa(int(v&0xffff)))
			}
		case *bgp.PathAttributeLargeCommunities:
			for _, v := range a.Values {
				rt.Communities = append(rt.Communities, v.String())
			}
		case *bgp.PathAttributeOriginatorId:
			rt.OriginatorID, _ = netip.AddrFromSlice(a.Value.To4())
		}
	}
	if !rt.OriginatorID.IsValid() {
		if id, err := netip.ParseAddr(p.GetSourceId()); err == nil && !id.IsUnspecified() {
			rt.OriginatorID = id
		}
	}
	switch {
	case rt.Local:
		rt.Site = c.Site
	case c.Origins != nil:
		rt.Site = c.Origins[rt.OriginatorID]
	}
	return rt, nil
}

// Path is one path the core carries for a prefix: the site it comes from
// and its attributes (the hosting failover's view).
type Path struct {
	Site         string     `json:"site"`
	OriginatorID netip.Addr `json:"originator_id"`
	Peer         netip.Addr `json:"peer,omitzero"`
	Local        bool       `json:"local,omitempty"`
	Attrs        Attrs      `json:"attrs"`
}

// Paths says which sites the core currently carries a prefix from, by the
// add-path routes the speaker received (and its own announcement): one
// entry per originator, sorted by site.
func (c *Client) Paths(ctx context.Context, prefix netip.Prefix) ([]Path, error) {
	rs, err := c.Routes(ctx, prefix, netip.Addr{})
	if err != nil {
		return nil, err
	}
	seen := map[netip.Addr]bool{}
	var out []Path
	for _, r := range rs {
		key := r.OriginatorID
		if r.Local {
			key = netip.Addr{}
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, Path{Site: r.Site, OriginatorID: r.OriginatorID, Peer: r.Peer, Local: r.Local,
			Attrs: Attrs{NextHop: r.NextHop, LocalPref: r.LocalPref, MED: r.MED, Communities: r.Communities}})
	}
	slices.SortFunc(out, func(a, b Path) int {
		if c := strings.Compare(a.Site, b.Site); c != 0 {
			return c
		}
		return a.OriginatorID.Compare(b.OriginatorID)
	})
	return out, nil
}

package bgp

import (
	"context"
	"net/netip"

	api "github.com/osrg/gobgp/v3/api"
)

// Covered lists the global table's paths for prefix and its
// more-specifics (the monitor's check of one prefix of ours).
func (c *Client) Covered(ctx context.Context, prefix netip.Prefix) ([]Route, error) {
	return c.listPath(ctx, &api.ListPathRequest{TableType: api.TableType_GLOBAL, Family: familyOf(prefix),
		Prefixes: []*api.TableLookupPrefix{{Prefix: prefix.String(), Type: api.TableLookupPrefix_LONGER}}})
}

var _ routeSource = (*Client)(nil)

// receivedPaths turns a batch of the RIB watch into what Observe takes,
// decoding only the NLRI, and the AS path only of the paths ours says are
// under a prefix of ours (the watch of a full table load is a million of
// these, nearly none ours).
func receivedPaths(ps []*api.Path, ours func(netip.Prefix) bool) []ReceivedPath {
	out := make([]ReceivedPath, 0, len(ps))
	var (
		ip  api.IPAddressPrefix
		asp api.AsPathAttribute
	)
	for _, p := range ps {
		if p.GetNlri() == nil {
			continue
		}
		if err := p.GetNlri().UnmarshalTo(&ip); err != nil {
			continue // another family than unicast
		}
		a, err := netip.ParseAddr(ip.Prefix)
		if err != nil {
			continue
		}
		pfx, err := a.Prefix(int(ip.PrefixLen))
		if err != nil {
			continue
		}
		rp := ReceivedPath{Prefix: pfx, Withdraw: p.GetIsWithdraw()}
		rp.Peer, _ = netip.ParseAddr(p.GetNeighborIp())
		if !rp.Withdraw && ours(pfx) {
			for _, at := range p.GetPattrs() {
				if at.MessageIs(&asp) {
					if at.UnmarshalTo(&asp) == nil {
						for _, seg := range asp.GetSegments() {
							rp.ASPath = append(rp.ASPath, seg.GetNumbers()...)
						}
					}
					break
				}
			}
		}
		out = append(out, rp)
	}
	return out
}

package bgp

import (
	"context"
	"fmt"
	"net/netip"

	api "github.com/osrg/gobgp/v3/api"
)

// Lookup lists the global table's paths of exactly prefixes, in one call
// per family: each prefix is one map lookup in GoBGP, where a "longer"
// lookup builds a trie of the whole table (per prefix asked).
func (c *Client) Lookup(ctx context.Context, prefixes []netip.Prefix) ([]Route, error) {
	var v4, v6 []*api.TableLookupPrefix
	for _, p := range prefixes {
		l := &api.TableLookupPrefix{Prefix: p.Masked().String(), Type: api.TableLookupPrefix_EXACT}
		if p.Addr().Is4() {
			v4 = append(v4, l)
		} else {
			v6 = append(v6, l)
		}
	}
	var out []Route
	for _, q := range []struct {
		fam *api.Family
		ps  []*api.TableLookupPrefix
	}{{famV4, v4}, {famV6, v6}} {
		if len(q.ps) == 0 {
			continue
		}
		rs, err := c.listPath(ctx, &api.ListPathRequest{TableType: api.TableType_GLOBAL, Family: q.fam, Prefixes: q.ps})
		if err != nil {
			return nil, fmt.Errorf("%d prefixes of ours: %w", len(q.ps), err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

var _ routeSource = (*Client)(nil)

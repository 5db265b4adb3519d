package web

import (
	"encoding/json"
	"fmt"

	"github.com/tuyau-net/tuyau/topology"
)

// mapDoc is GET /api/map: the fixed part of the map, sent once. It is
// made of arrays rather than objects so that a 10,000-site network stays
// a few megabytes and parses in tens of milliseconds.
type mapDoc struct {
	Network string `json:"network"`
	CoreA   string `json:"core_a"`
	CoreB   string `json:"core_b"`
	TileURL string `json:"tile_url,omitempty"`
	User    string `json:"user,omitempty"`
	// Sites: [slug, name, role, lat, lon] for every site with coordinates.
	Sites [][5]any `json:"sites"`
	// Cables: [label, from site index, to site index, [link ids], [ducts]]
	// for every cable between two drawn sites (a straight line: the
	// inventory has no cable paths yet).
	Cables [][5]any `json:"cables"`
	// Links: id -> [a site index, b site index, speed Mbps, [cable indexes]];
	// a link with no drawn cable is drawn as a dashed line between its
	// sites. A site index is -1 off the map.
	Links map[string][4]any `json:"links"`
	// Unplaced counts the sites without coordinates, left off the map.
	Unplaced int `json:"unplaced"`
}

func buildMap(t *topology.Topology, o Options) ([]byte, error) {
	d := mapDoc{Network: t.Network, CoreA: t.CoreA, CoreB: t.CoreB, TileURL: o.TileURL, User: o.User,
		Sites: [][5]any{}, Cables: [][5]any{}, Links: map[string][4]any{}}
	at := map[string]int{}
	for _, s := range t.Sites {
		if !s.HasCoordinates() {
			d.Unplaced++
			continue
		}
		at[s.Slug] = len(d.Sites)
		name := s.Name
		if name == "" {
			name = s.Slug
		}
		d.Sites = append(d.Sites, [5]any{s.Slug, name, string(s.Role), s.Latitude, s.Longitude})
	}
	idx := func(slug string) int {
		if i, ok := at[slug]; ok {
			return i
		}
		return -1
	}
	cableAt := map[string]int{}
	for _, sp := range t.Physical.Spans {
		a, b := idx(sp.FromSite), idx(sp.ToSite)
		if a < 0 || b < 0 || a == b {
			continue // a patch cord inside a site, or an end off the map
		}
		cableAt[sp.Cable] = len(d.Cables)
		links, ducts := sp.Links, sp.SRLGs
		if links == nil {
			links = []string{}
		}
		if ducts == nil {
			ducts = []string{}
		}
		d.Cables = append(d.Cables, [5]any{sp.Cable, a, b, links, ducts})
	}
	for _, l := range t.Links {
		cs := []int{}
		for _, c := range l.Cables {
			if i, ok := cableAt[c]; ok {
				cs = append(cs, i)
			}
		}
		d.Links[l.ID] = [4]any{idx(l.ASite), idx(l.BSite), int64(l.Speed), cs}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("web: map of %s: %w", t.Network, err)
	}
	return b, nil
}

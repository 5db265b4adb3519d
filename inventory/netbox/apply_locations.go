package netbox

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/tuyau-net/tuyau/inventory"
)

// locKey keys a location by site and slug: NetBox location slugs are unique
// only within their site.
func locKey(site, slug string) string { return site + "\x00" + slug }

// upsertLocations makes the locations of the given sites match the
// inventory, parents before children. Locations the inventory no longer
// has are only remembered here: they may still hold devices that the
// device steps move out, so pruneLocations deletes them last.
func (w *writer) upsertLocations(ctx context.Context, sites []string) error {
	for _, slug := range sites {
		x := w.ix.Site(slug)
		if x == nil {
			continue
		}
		siteID, err := w.siteID("site "+slug, slug)
		if err != nil {
			return err
		}
		pending := slices.Clone(x.Locations)
		for len(pending) > 0 {
			var later []inventory.Location
			for _, l := range pending {
				what := "location " + slug + ":" + l.Slug
				body := map[string]any{"name": l.Name, "slug": l.Slug, "site": siteID, "status": "active", "parent": nil}
				if l.Name == "" {
					body["name"] = l.Slug
				}
				if l.Parent != "" {
					pid, ok := w.locations[locKey(slug, l.Parent)]
					if !ok {
						later = append(later, l)
						continue
					}
					body["parent"] = pid
				}
				if id, ok := w.locations[locKey(slug, l.Slug)]; ok {
					if w.locationSame(id, siteID, body) {
						continue
					}
					if err := w.patch(ctx, "dcim/locations/", id, what, body); err != nil {
						return err
					}
					continue
				}
				id, err := w.createOne(ctx, "dcim/locations/", what, body)
				if err != nil {
					return err
				}
				w.locations[locKey(slug, l.Slug)] = id
			}
			if len(later) == len(pending) {
				return fmt.Errorf("site %s: locations %v: parent location missing or a parent loop", slug, later)
			}
			pending = later
		}
		w.sitesWithLocations = append(w.sitesWithLocations, slug)
	}
	return nil
}

// locationSame reports whether NetBox already holds the location as body
// describes it, so that a re-run writes nothing.
func (w *writer) locationSame(id, siteID int, body map[string]any) bool {
	for _, l := range w.st.locations {
		if l.ID != id {
			continue
		}
		parent := any(nil)
		if l.Parent != nil {
			parent = l.Parent.ID
		}
		return l.Site.ID == siteID && l.Name == body["name"] && parent == body["parent"] && valueOf(l.Status) == "active"
	}
	return false
}

// pruneLocations deletes, in the sites whose locations were written, the
// locations the inventory does not have, children first (NetBox refuses to
// delete a location that still has children or devices).
func (w *writer) pruneLocations(ctx context.Context) error {
	siteIDs := map[int]string{}
	for _, slug := range w.sitesWithLocations {
		siteIDs[w.sites[slug]] = slug
	}
	var stale []Location
	for _, l := range w.st.locations {
		slug, ok := siteIDs[l.Site.ID]
		if !ok {
			continue
		}
		// Only locations tuyau created: one entered by hand stays.
		if !w.owned["dcim/locations/"+strconv.Itoa(l.ID)] {
			continue
		}
		if x := w.ix.Site(slug); x != nil && !slices.ContainsFunc(x.Locations, func(k inventory.Location) bool { return k.Slug == l.Slug }) {
			stale = append(stale, l)
		}
	}
	// Deepest first: a child always has a higher depth than its parent.
	depth := func(l Location) int {
		n := 0
		for p := l.Parent; p != nil && n < len(w.st.locations); n++ {
			i := slices.IndexFunc(w.st.locations, func(k Location) bool { return k.ID == p.ID })
			if i < 0 {
				break
			}
			p = w.st.locations[i].Parent
		}
		return n
	}
	slices.SortStableFunc(stale, func(a, b Location) int { return depth(b) - depth(a) })
	for _, l := range stale {
		what := "location " + siteIDs[l.Site.ID] + ":" + l.Slug
		if err := w.remove(ctx, "dcim/locations/", l.ID, what); err != nil {
			var apiErr *APIError
			if asAPI(err, &apiErr) && apiErr.Status == http.StatusConflict {
				return fmt.Errorf("%w (devices NetBox keeps are still in it: move them, or push with --prune)", err)
			}
			return err
		}
		delete(w.locations, locKey(siteIDs[l.Site.ID], l.Slug))
	}
	return nil
}

// locationID returns the NetBox id of a device's or panel's location, or
// nil for none.
func (w *writer) locationID(what, site, slug string) (any, error) {
	if slug == "" {
		return nil, nil
	}
	id, ok := w.locations[locKey(site, slug)]
	if !ok {
		return nil, fmt.Errorf("%s: location %s of site %s is not in NetBox", what, slug, site)
	}
	return id, nil
}

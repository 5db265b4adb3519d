package netboxsim

import (
	"fmt"
	"strings"
	"testing"
)

// TestLocationsLikeNetBox checks dcim/locations as NetBox 4.0 serves and
// guards them: nested site and parent in brief form with _depth, a parent in
// the same site, names unique among a site's top-level locations, devices
// only in a location of their site, PROTECT from devices and CASCADE from
// the site.
func TestLocationsLikeNetBox(t *testing.T) {
	_, c := newSim(t, Options{})
	site := c.create("dcim/sites/", map[string]any{"name": "DC", "slug": "dc"})
	other := c.create("dcim/sites/", map[string]any{"name": "POP", "slug": "pop"})
	bat := c.create("dcim/locations/", map[string]any{"name": "Bâtiment 1", "slug": "batiment-1", "site": site})
	salle := c.create("dcim/locations/", map[string]any{"name": "Salle A", "slug": "salle-a", "site": site, "parent": bat})
	popRoom := c.create("dcim/locations/", map[string]any{"name": "Baie", "slug": "baie", "site": other})

	_, m, raw := c.do("GET", fmt.Sprintf("dcim/locations/%d/", salle), tok, nil)
	parent, _ := m["parent"].(map[string]any)
	siteB, _ := m["site"].(map[string]any)
	status, _ := m["status"].(map[string]any)
	if m["_depth"] != 1.0 || parent["slug"] != "batiment-1" || parent["_depth"] != 0.0 || len(parent) != 7 ||
		siteB["slug"] != "dc" || len(siteB) != 6 || status["value"] != "active" || status["label"] != "Active" {
		t.Errorf("location Salle A: %s", raw)
	}

	tests := []struct {
		name, path string
		body       any
		field, msg string
	}{
		{"parent in another site", "dcim/locations/", map[string]any{"name": "X", "slug": "x", "site": other, "parent": bat},
			"parent", "Parent location (Bâtiment 1) must belong to the same site (POP)."},
		{"top-level name taken", "dcim/locations/", map[string]any{"name": "Bâtiment 1", "slug": "b2", "site": site},
			"__all__", "A location with this name already exists within the specified site."},
		{"slug taken under the same parent", "dcim/locations/", map[string]any{"name": "Salle A2", "slug": "salle-a", "site": site, "parent": bat},
			"__all__", "location with this site and parent and slug already exists."},
		{"status choice", "dcim/locations/", map[string]any{"name": "Y", "slug": "y", "site": site, "status": "burning"},
			"status", `"burning" is not a valid choice.`},
	}
	for _, tt := range tests {
		code, m, raw := c.do("POST", tt.path, tok, tt.body)
		msgs, _ := m[tt.field].([]any)
		if code != 400 || len(msgs) == 0 || msgs[0] != tt.msg {
			t.Errorf("%s: %d %s, want 400 {%q: [%q]}", tt.name, code, raw, tt.field, tt.msg)
		}
	}
	// The same top-level slug in another site is fine, as in NetBox.
	c.create("dcim/locations/", map[string]any{"name": "Bâtiment 1", "slug": "batiment-1", "site": other})
	if code, m, raw := c.do("PATCH", fmt.Sprintf("dcim/locations/%d/", bat), tok, map[string]any{"parent": salle}); code != 400 ||
		fmt.Sprint(m["parent"]) != "[Cannot assign self or child location as parent.]" {
		t.Errorf("parent loop: %d %s", code, raw)
	}

	mfr := c.create("dcim/manufacturers/", map[string]any{"name": "M", "slug": "m"})
	dt := c.create("dcim/device-types/", map[string]any{"model": "T", "slug": "t", "manufacturer": mfr})
	role := c.create("dcim/device-roles/", map[string]any{"name": "R", "slug": "r"})
	if code, m, raw := c.do("POST", "dcim/devices/", tok, map[string]any{"name": "d0", "site": site, "location": popRoom, "role": role, "device_type": dt}); code != 400 ||
		fmt.Sprint(m["location"]) != "[Location Baie does not belong to site DC.]" {
		t.Errorf("device in another site's location: %d %s", code, raw)
	}
	dev := c.create("dcim/devices/", map[string]any{"name": "d1", "site": site, "location": salle, "role": role, "device_type": dt})
	_, m, raw = c.do("GET", fmt.Sprintf("dcim/devices/%d/", dev), tok, nil)
	if loc, _ := m["location"].(map[string]any); loc["slug"] != "salle-a" || len(loc) != 8 {
		t.Errorf("device location: %s", raw)
	}
	for _, q := range []string{fmt.Sprintf("dcim/devices/?location_id=%d", salle), "dcim/devices/?location=salle-a",
		fmt.Sprintf("dcim/locations/?site_id=%d&parent_id=%d", site, bat)} {
		if _, m, raw := c.do("GET", q, tok, nil); m["count"] != 1.0 {
			t.Errorf("%s: %s, want 1 result", q, raw)
		}
	}
	if _, m, _ := c.do("GET", fmt.Sprintf("dcim/locations/%d/", salle), tok, nil); m["device_count"] != 1.0 {
		t.Errorf("Salle A device_count %v, want 1", m["device_count"])
	}
	// Deleting the building would cascade to Salle A, which holds d1: PROTECT.
	if code, m, _ := c.do("DELETE", fmt.Sprintf("dcim/locations/%d/", bat), tok, nil); code != 409 || !strings.Contains(fmt.Sprint(m["detail"]), "d1") {
		t.Errorf("delete a location above a device: %d %v, want 409 naming d1", code, m)
	}
	if code, _, _ := c.do("DELETE", fmt.Sprintf("dcim/devices/%d/", dev), tok, nil); code != 204 {
		t.Fatalf("delete device: %d", code)
	}
	if code, _, raw := c.do("DELETE", fmt.Sprintf("dcim/sites/%d/", site), tok, nil); code != 204 {
		t.Fatalf("delete site: %d %s", code, raw)
	}
	if _, m, raw := c.do("GET", fmt.Sprintf("dcim/locations/?site_id=%d", site), tok, nil); m["count"] != 0.0 {
		t.Errorf("locations survived their site: %s", raw)
	}
}

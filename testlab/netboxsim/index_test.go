package netboxsim

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestIndexedIDFilters: a list filtered by many ids (site_id, device_id,
// id, a foreign key's _id), which the simulator answers from an index,
// returns exactly what matching every object of the table returns, and a
// write is seen by the next list (the index is rebuilt per version).
func TestIndexedIDFilters(t *testing.T) {
	sim, c := newSim(t, Options{MaxPageSize: 100000})
	if err := sim.Brownfield(BrownfieldOptions{Members: 40}); err != nil {
		t.Fatal(err)
	}
	ids := func(path string) []int {
		sim.mu.RLock()
		defer sim.mu.RUnlock()
		return slices.Clone(sim.tables[path].order)
	}
	sites := ids("dcim/sites")
	devices := ids("dcim/devices")
	if len(sites) < 20 || len(devices) < 20 {
		t.Fatalf("%d sites, %d devices: the fixture is too small", len(sites), len(devices))
	}
	// Every other site and device: more than idSets' 8 values.
	pick := func(all []int, name string) string {
		var q []string
		for i := 0; i < len(all); i += 2 {
			q = append(q, fmt.Sprintf("%s=%d", name, all[i]))
		}
		return strings.Join(q, "&")
	}
	queries := []string{
		"dcim/devices/?" + pick(sites, "site_id"),
		"dcim/interfaces/?" + pick(sites, "site_id"),
		"dcim/interfaces/?" + pick(devices, "device_id"),
		"dcim/cables/?" + pick(sites, "site_id"),
		"ipam/ip-addresses/?" + pick(devices, "device_id"),
		"dcim/sites/?" + pick(sites, "id"),
		"dcim/interfaces/?" + pick(sites, "site_id") + "&mgmt_only=false",
	}
	check := func(query string) int {
		t.Helper()
		_, m, raw := c.do("GET", query+"&limit=0", tok, nil)
		var got []int
		for _, r := range m["results"].([]any) {
			got = append(got, int(r.(map[string]any)["id"].(float64)))
		}
		// The same filters, matched against every object of the table.
		u, _ := url.Parse("/api/" + query)
		path := strings.TrimSuffix(strings.TrimPrefix(u.Path, "/api/"), "/")
		sim.mu.RLock()
		k, tb := sim.byPath[path], sim.tables[path]
		filters := filtersOf(u.Query())
		sets := idSets(filters)
		var want []int
		for _, id := range tb.order {
			if sim.match(k, tb.objs[id], id, filters, sets) {
				want = append(want, id)
			}
		}
		sim.mu.RUnlock()
		if !slices.Equal(got, want) || int(m["count"].(float64)) != len(want) {
			t.Errorf("%s: %d ids (count %v), want %d: %.200s", query[:40], len(got), m["count"], len(want), raw)
		}
		return len(want)
	}
	for _, q := range queries {
		if check(q) == 0 {
			t.Errorf("%s: nothing matched, the test checks nothing", q[:40])
		}
	}
	// A write: a new interface on a picked device is in the next answer.
	q := "dcim/interfaces/?" + pick(devices, "device_id")
	before := check(q)
	c.create("dcim/interfaces/", map[string]any{"device": devices[0], "name": "xe-9/9/9", "type": "10gbase-x-sfpp"})
	if after := check(q); after != before+1 {
		t.Errorf("after a new interface: %d, want %d", after, before+1)
	}
}

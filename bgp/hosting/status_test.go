package hosting

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

// TestStatusJSON pins the shape "tuyau bgp services -o json" prints: each
// service with its active_site, each site with its health.
func TestStatusJSON(t *testing.T) {
	h := newHarness(t, Config{})
	run(t, h, start+"fail B 3\nstep\n")
	b, err := json.Marshal(h.svc.Status())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["active_site"] != siteA || got["name"] != "web" {
		t.Errorf("service: %s", b)
	}
	sites, _ := got["sites"].([]any)
	if len(sites) != 2 {
		t.Fatalf("sites: %s", b)
	}
	for i, want := range []map[string]any{
		{"site": siteA, "health": "up", "state": "up", "role": "primary", "seen": true, "preference": 1.0},
		{"site": siteB, "health": "down", "state": "down", "role": "withdrawn", "health_reason": "http 503"},
	} {
		s := sites[i].(map[string]any)
		for k, v := range want {
			if s[k] != v {
				t.Errorf("sites[%d].%s = %v, want %v (%s)", i, k, s[k], v, b)
			}
		}
		for _, k := range []string{"last_transition", "reason", "drained", "pending_checks"} {
			if _, ok := s[k]; !ok {
				t.Errorf("sites[%d] has no %s: %s", i, k, b)
			}
		}
	}
}

func TestNewServiceRefuses(t *testing.T) {
	w := newWorld()
	inv := inventory.HostingService{Name: "web", Prefixes: []netip.Prefix{pfx1}, Sites: []string{siteA, siteB}}
	both := map[string]Announcer{siteA: fakeAnnouncer{w, siteA}, siteB: fakeAnnouncer{w, siteB}}
	eps := map[string]string{siteA: "127.0.0.1:80", siteB: "127.0.0.1:81"}
	for _, tc := range []struct {
		name string
		inv  inventory.HostingService
		cfg  Config
		ann  map[string]Announcer
		view View
		err  string
	}{
		{"no announcer at B", inv, Config{Endpoints: eps}, map[string]Announcer{siteA: fakeAnnouncer{w, siteA}}, w, "site cherbourg-en-cotentin-dc: no announcer"},
		{"no view", inv, Config{Endpoints: eps}, both, nil, "no BGP view"},
		{"no check at B", inv, Config{Endpoints: map[string]string{siteA: "127.0.0.1:80"}}, both, w, "nothing would tell its health"},
		{"endpoint elsewhere", inv, Config{Endpoints: map[string]string{siteA: "127.0.0.1:80", siteB: "127.0.0.1:81", "caen-dc": "127.0.0.1:82"}}, both, w, "endpoint for caen-dc"},
		{"bad endpoint", inv, Config{Endpoints: map[string]string{siteA: "127.0.0.1", siteB: "127.0.0.1:81"}}, both, w, "want host:port"},
		{"links without a source", inv, Config{Endpoints: eps, Links: &LinksConfig{}}, both, w, "no telemetry link source"},
		{"no prefixes", inventory.HostingService{Name: "web", Sites: inv.Sites}, Config{Endpoints: eps}, both, w, "no prefixes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewService(tc.inv, tc.cfg, tc.ann, tc.view)
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "hosting service web") {
				t.Errorf("NewService = %v, want an error naming the service and holding %q", err, tc.err)
			}
		})
	}
	// The links check alone is enough to know a site's health.
	if _, err := NewService(inv, Config{Links: &LinksConfig{}}, both, w, WithLinks(links{})); err != nil {
		t.Errorf("NewService with only the links check: %v", err)
	}
}

package topology

import (
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

// TestOneCoreSiteRefused: a network with one core site cannot be analysed
// for dual-site redundancy, and the error must say how many distinct sites
// it found (a service's site that is also the core site counted once).
func TestOneCoreSiteRefused(t *testing.T) {
	tests := []struct {
		name     string
		services []inventory.HostingService
		want     string
	}{
		{"core only", nil, "found 1 [a]"},
		{"service at the core", []inventory.HostingService{{Name: "web", Sites: []string{"a"}}}, "found 1 [a]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := handNet(t, []tsite{{"a", inventory.SiteCore}, {"m1", inventory.SiteMember}}, []tcable{{label: "C1", a: "a", b: "m1", km: 3}})
			s.Services = tt.services
			_, err := Build(s, Options{})
			if err == nil {
				t.Fatal("Build of a one-core network succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

package yamlstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

const connectorsNet = `sites:
  - {slug: a, role: core, latitude: 49, longitude: -1}
devices:
  - name: r1
    site: a
    role: core
    platform: frr
    interfaces:
      - {name: eth1}
      - {name: eth2}
      - {name: eth3}
      - {name: eth4}
cables:
  - label: C1
    a: {device: r1, interface: eth1}
    b: {device: r1, interface: eth2}
%s
  - label: C2
    a: {device: r1, interface: eth3}
    b: {device: r1, interface: eth4}
%s
`

// TestConnectorPairs: connector_pairs is read as is; the deprecated
// connectors still loads, as the pairs the budget charged, with one
// warning naming the first cable; both at once is an error.
func TestConnectorPairs(t *testing.T) {
	tests := []struct {
		name       string
		c1, c2     string
		pairs      [2]int
		warn, fail string
	}{
		{"new", "    connector_pairs: 3", "", [2]int{3, 0}, "", ""},
		{"old", "    connectors: 3", "    connectors: 2", [2]int{2, 1},
			"x.yaml:14:5: warning: cable C1: connectors (here and on 1 other cables) is deprecated", ""},
		{"both", "    connectors: 2\n    connector_pairs: 1", "", [2]int{}, "", "sets both connector_pairs and the deprecated connectors"},
		{"negative", "    connector_pairs: -1", "", [2]int{}, "", "connector_pairs -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "x.yaml")
			src := strings.Replace(strings.Replace(connectorsNet, "%s", tt.c1, 1), "%s", tt.c2, 1)
			if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			snap, err := Open(f).Load(context.Background())
			if tt.fail != "" {
				var ps inventory.Problems
				if !errors.As(err, &ps) || !strings.Contains(err.Error(), tt.fail) {
					t.Fatalf("Load = %v, want a problem %q", err, tt.fail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := [2]int{snap.Cables[0].Pairs(), snap.Cables[1].Pairs()}
			if got != tt.pairs {
				t.Errorf("pairs %v, want %v", got, tt.pairs)
			}
			if tt.warn == "" && len(snap.Warnings) > 0 || tt.warn != "" && (len(snap.Warnings) != 1 || !strings.HasPrefix(snap.Warnings[0].String(), strings.ReplaceAll(tt.warn, "x.yaml", f))) {
				t.Errorf("warnings %v, want %q", snap.Warnings, tt.warn)
			}
		})
	}
}

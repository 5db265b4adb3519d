package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sparseInventory has two core sites and nothing else worth a list: no
// cable, no session, no service, no circuit. Empty lists must print [].
const sparseInventory = `network: {name: sparse}
sites:
  - {slug: a, role: core, latitude: 49, longitude: -1}
  - {slug: b, role: core, latitude: 49.1, longitude: -1.1}
  - {slug: m, role: member, latitude: 49.2, longitude: -1.2}
devices:
  - {name: a-r1, site: a, role: core, platform: frr}
  - {name: b-r1, site: b, role: core, platform: frr}
  - name: m-r1
    site: m
    role: member
    platform: frr
    interfaces:
      - {name: eth1}
  - name: a-r2
    site: a
    role: core
    platform: frr
    interfaces:
      - {name: eth1}
patch_panels:
  - {name: a-odf, site: a}
cables:
  - {label: C1, a: {device: m-r1, interface: eth1}, b: {device: a-r2, interface: eth1}, type: smf, length: 1 km}
`

// TestJSONHasNoNullLists runs every command that prints JSON from the
// inventory alone and walks its output: a list is [] when empty, never
// null (STYLE.md: "-o json ... empty is []").
func TestJSONHasNoNullLists(t *testing.T) {
	sparse := filepath.Join(t.TempDir(), "sparse.yaml")
	if err := os.WriteFile(sparse, []byte(sparseInventory), 0o644); err != nil {
		t.Fatal(err)
	}
	behind := behindExample(t)
	var cmds [][]string
	site := map[string]string{example: "brecey-mairie", sparse: "a", behind: "brecey-mairie"}
	for _, inv := range []string{example, sparse, behind} {
		for _, v := range showViews {
			cmds = append(cmds, []string{"inventory", "show", v, "-i", inv, "-o", "json"})
		}
		cmds = append(cmds,
			[]string{"inventory", "validate", "-i", inv, "-o", "json"},
			[]string{"inventory", "export", "-i", inv, "-o", "json"},
			[]string{"topology", "cuts", "-i", inv, "-o", "json", "--all"},
			[]string{"topology", "cuts", "-i", inv, "-o", "json", "--site", site[inv]},
			[]string{"topology", "risk", "-i", inv, "-o", "json"},
			[]string{"topology", "budget", "-i", inv, "-o", "json"},
			[]string{"topology", "graph", "-i", inv, "-o", "json"},
			[]string{"topology", "graph", "-i", inv, "-o", "geojson"},
			[]string{"topology", "optics", "-i", inv, "-o", "json"},
		)
	}
	cmds = append(cmds,
		[]string{"topology", "cuts", "-i", example, "-o", "json", "--cable", "FO-000161"},
		[]string{"topology", "path", "-i", example, "-o", "json", "brecey-mairie", "saint-lo-dc"},
		[]string{"topology", "path", "-i", behind, "-o", "json", "brecey-ecole", "saint-lo-dc", "--disjoint"},
		[]string{"topology", "path", "-i", sparse, "-o", "json", "m", "a"},
	)
	for _, args := range cmds {
		name := strings.Join(args, " ")
		name = strings.ReplaceAll(name, example, "manche")
		name = strings.ReplaceAll(name, sparse, "sparse")
		name = strings.ReplaceAll(name, behind, "behind")
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, nil, args...)
			if strings.TrimSpace(r.stdout) == "" {
				t.Fatalf("no JSON on stdout (exit %d): %s", r.code, r.stderr)
			}
			var v any
			if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
			}
			walkNulls(t, "$", v)
		})
	}
}

func walkNulls(t *testing.T, at string, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil:
		t.Errorf("%s is null", at)
	case map[string]any:
		for k, e := range x {
			walkNulls(t, at+"."+k, e)
		}
	case []any:
		for i, e := range x {
			if i > 3 { // the shape repeats; keep failures readable
				break
			}
			walkNulls(t, at+"["+itoa(i)+"]", e)
		}
	}
}

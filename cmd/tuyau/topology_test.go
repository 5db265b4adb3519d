package main

import (
	"encoding/json"
	"github.com/tuyau-net/tuyau/testlab/need"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTopologyCommands(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
		json   bool
	}{
		{"cuts", []string{"topology", "cuts", "-i", example, "--top", "3"}, 0,
			[]string{"site villedieu-les-poeles-pop", "brecey-mairie", "3 shown"}, "", false},
		{"cuts json", []string{"topology", "cuts", "-i", example, "-o", "json", "--kind", "cable"}, 0, []string{`"kind": "cable"`}, "", true},
		{"one duct", []string{"topology", "cuts", "-i", example, "--srlg", "duct-valognes-pop-s"}, 0,
			[]string{"routed links down (4)", "la-glacerie-mairie"}, "", false},
		{"unknown duct", []string{"topology", "cuts", "-i", example, "--srlg", "duct-nowhere"}, 1, nil, `srlg "duct-nowhere": not in the topology`, false},
		{"bad kind", []string{"topology", "cuts", "-i", example, "--kind", "volcano"}, 1, nil, "--kind", false},
		{"budget", []string{"topology", "budget", "-i", example}, 0, []string{"MARGIN dB", "no-light", "76 links"}, "", false},
		{"budget flagged exit", []string{"topology", "budget", "-i", example, "--flagged", "--detailed-exitcode"}, 2, []string{"low-margin"}, "", false},
		{"budget json", []string{"topology", "budget", "-i", example, "-o", "json", "--profile", "conservative"}, 0, []string{`"loss_db"`}, "", true},
		{"budget bad profile", []string{"topology", "budget", "-i", example, "--profile", "optimistic"}, 1, nil, "loss profile", false},
		{"risk", []string{"topology", "risk", "-i", example}, 0, []string{"20 of 38 member sites have a single point of failure"}, "", false},
		{"risk json", []string{"topology", "risk", "-i", example, "-o", "json", "--top", "2"}, 0, []string{`"spofs"`}, "", true},
		{"path", []string{"topology", "path", "-i", example, "barfleur-mairie", "saint-lo-dc", "--disjoint"}, 0,
			[]string{"route 2", "WARNING: both routes run through srlg duct-barfleur-mairie-s"}, "", false},
		{"path single-homed disjoint", []string{"topology", "path", "-i", example, "brecey-mairie", "saint-lo-dc", "--disjoint"}, 1,
			[]string{"route 1"}, "only one link-disjoint route", false},
		{"path unknown", []string{"topology", "path", "-i", example, "atlantis", "saint-lo-dc"}, 1, nil, "neither a site nor a device", false},
		{"core override", []string{"topology", "cuts", "-i", example, "--core-a", "valognes-pop", "--top", "1"}, 0, []string{"core A valognes-pop"}, "", false},
		{"bad core", []string{"topology", "cuts", "-i", example, "--core-a", "atlantis"}, 1, nil, "no such site", false},
		{"mermaid", []string{"topology", "graph", "-i", example, "-o", "mermaid"}, 0, []string{"graph LR"}, "", false},
		{"geojson", []string{"topology", "graph", "-i", example, "-o", "geojson"}, 0, []string{`"FeatureCollection"`, `"LineString"`}, "", true},
		{"graph json", []string{"topology", "graph", "-i", example, "-o", "json", "--backbone"}, 0, []string{`"core_a"`}, "", true},
		{"bad graph", []string{"topology", "graph", "-i", example, "-o", "visio"}, 1, nil, "unknown output format", false},
		{"optics", []string{"topology", "optics"}, 0, []string{"100GBASE-ER4", "IEEE 802.3"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout does not contain %q:\n%s", s, r.stdout)
				}
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.stderr)
			}
			if tt.json && !json.Valid([]byte(r.stdout)) {
				t.Errorf("stdout is not JSON:\n%s", r.stdout)
			}
		})
	}
}

// TestTopologyRender draws the backbone through Graphviz, which CI installs.
func TestTopologyRender(t *testing.T) {
	need.Tool(t, "dot", "apt-get install graphviz; .ci/deps does")
	dir := t.TempDir()
	for _, f := range []string{"svg", "png"} {
		out := filepath.Join(dir, "backbone."+f)
		r := runCLI(t, nil, "topology", "graph", "-i", example, "-o", f, "--backbone", "--out", out)
		if r.code != 0 {
			t.Fatalf("graph -o %s: exit %d: %s", f, r.code, r.stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if f == "svg" && !strings.Contains(string(b), "<svg") {
			t.Errorf("svg output is not an SVG document")
		}
		if f == "png" && !strings.HasPrefix(string(b), "\x89PNG") {
			t.Errorf("png output does not start with the PNG signature")
		}
	}
}

// behindExample is the Manche example with a school behind the Brécey town
// hall and a library linked to nothing.
func behindExample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"circuits.yaml", "fiber.yaml", "network.yaml", "sites.yaml", "devices.yaml", "optics.yaml"} {
		b, err := os.ReadFile(filepath.Join(example, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "devices.yaml" {
			old := "        addresses: [10.255.0.36/32]\n"
			if !strings.Contains(string(b), old) {
				t.Fatal("brecey-mairie-r1's loopback is not where the test expects it")
			}
			b = []byte(strings.Replace(string(b), old, old+"      - name: eth9\n        speed: 1G\n        transceiver: 1000BASE-LX\n", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	extra := `sites:
  - {slug: brecey-ecole, role: member, latitude: 48.72, longitude: -1.17}
  - {slug: brecey-bibliotheque, role: member, latitude: 48.73, longitude: -1.16}
devices:
  - name: brecey-ecole-r1
    site: brecey-ecole
    role: member
    platform: frr
    interfaces:
      - {name: eth1, speed: 1G, transceiver: 1000BASE-LX}
  - name: brecey-bibliotheque-r1
    site: brecey-bibliotheque
    role: member
    platform: frr
cables:
  - label: FO-ECOLE
    a: {device: brecey-ecole-r1, interface: eth1}
    b: {device: brecey-mairie-r1, interface: eth9}
    type: smf
    length: 600 m
`
	if err := os.WriteFile(filepath.Join(dir, "behind.yaml"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTopologyMembersBehindMembers(t *testing.T) {
	inv := behindExample(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"validate warns", []string{"inventory", "validate", "-i", inv}, 0, []string{"ok: 52 sites"},
			[]string{"behind.yaml:3:5: warning: site brecey-bibliotheque: member site reaches neither core site", "no routed link"}},
		{"risk", []string{"topology", "risk", "-i", inv}, 0,
			[]string{"brecey-ecole", "0 (via brecey-mairie)", "site brecey-mairie", "WARNING: brecey-bibliotheque reaches no core site"}, nil},
		{"cut the town hall", []string{"topology", "cuts", "-i", inv, "--site", "brecey-mairie"}, 0,
			[]string{"member sites losing the hosting (neither saint-lo-dc nor cherbourg-en-cotentin-dc) (1):\n  brecey-ecole"}, nil},
		{"cut the school's cable", []string{"topology", "cuts", "-i", inv, "--cable", "FO-ECOLE"}, 0,
			[]string{"(1):\n  brecey-ecole"}, []string{"warning: member site brecey-bibliotheque reaches no core site"}},
		{"path", []string{"topology", "path", "-i", inv, "brecey-ecole", "saint-lo-dc"}, 0,
			[]string{"brecey-ecole              brecey-mairie             0.6"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout does not contain %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr does not contain %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

func TestTopologyRefusalsAndUncheckedLinks(t *testing.T) {
	sparse := filepath.Join(t.TempDir(), "sparse.yaml")
	if err := os.WriteFile(sparse, []byte(sparseInventory), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"two selectors", []string{"topology", "cuts", "-i", example, "--cable", "FO-000161", "--srlg", "duct-valognes-pop-s"}, 1,
			"--cable FO-000161 and --srlg duct-valognes-pop-s: --cable, --srlg and --site each answer for one failure"},
		{"three selectors", []string{"topology", "cuts", "-i", example, "--cable", "X", "--srlg", "Y", "--site", "Z"}, 1,
			"--cable X and --srlg Y and --site Z:"},
		// Every link lacks a transceiver: nothing was checked, CI must not pass.
		{"no optic fails", []string{"topology", "budget", "-i", sparse, "--flagged", "--detailed-exitcode"}, 2,
			"1 of 1 links not checked"},
		{"no optic allowed", []string{"topology", "budget", "-i", sparse, "--detailed-exitcode", "--allow-no-optic"}, 0,
			"1 of 1 links not checked"},
		{"no optic without the flag", []string{"topology", "budget", "-i", sparse}, 0, "not checked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tt.code, tt.stderr)
			}
		})
	}
}

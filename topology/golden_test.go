package topology

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); got:\n%s", path, got)
	}
}

func toJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestGoldenManche pins what every command prints for the example network.
func TestGoldenManche(t *testing.T) {
	top := mustBuild(t, loadManche(t))
	if len(top.Problems) != 0 {
		t.Errorf("manche has problems: %v", top.Problems)
	}
	a := Analyze(top)
	render := func(name string, fn func(*bytes.Buffer) error) {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := fn(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, "manche/"+name, b.Bytes())
		})
	}
	bs, err := Budgets(top, BudgetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	render("budget.txt", func(b *bytes.Buffer) error { return RenderBudgets(b, bs, false) })
	render("budget.json", func(b *bytes.Buffer) error { _, err := b.Write(toJSON(t, bs)); return err })
	cuts := a.Cuts(CutOptions{})
	render("cuts.txt", func(b *bytes.Buffer) error { return RenderCuts(b, top, cuts, 15) })
	render("cuts.json", func(b *bytes.Buffer) error { _, err := b.Write(toJSON(t, cuts)); return err })
	r := a.Risk()
	render("risk.txt", func(b *bytes.Buffer) error { return RenderRisk(b, r, 0) })
	render("risk.json", func(b *bytes.Buffer) error { _, err := b.Write(toJSON(t, r)); return err })
	render("path-disjoint.txt", func(b *bytes.Buffer) error {
		p, err := a.Path(top.CoreA, top.CoreB, PathOptions{Disjoint: true})
		if err != nil {
			return err
		}
		return RenderPath(b, p)
	})
	for _, g := range []struct {
		name, format string
		o            GraphOptions
	}{
		{"graph.dot", "dot", GraphOptions{}},
		{"backbone.dot", "dot", GraphOptions{Backbone: true}},
		{"physical-backbone.dot", "dot", GraphOptions{Backbone: true, Physical: true}},
		{"graph.mmd", "mermaid", GraphOptions{}},
		{"graph.geojson", "geojson", GraphOptions{}},
	} {
		render(g.name, func(b *bytes.Buffer) error { return WriteGraph(b, top, g.format, g.o) })
	}
}

func TestGraphJSONRoundTrip(t *testing.T) {
	top := mustBuild(t, loadManche(t))
	var b bytes.Buffer
	if err := WriteGraph(&b, top, "json", GraphOptions{}); err != nil {
		t.Fatal(err)
	}
	var back Topology
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Sites) != 50 || len(back.Links) != len(top.Links) || len(back.Physical.Spans) != 224 {
		t.Errorf("json graph has %d sites, %d links, %d cables; want 50, %d, 224", len(back.Sites), len(back.Links), len(back.Physical.Spans), len(top.Links))
	}
	var geo struct {
		Features []struct {
			Geometry struct {
				Type string `json:"type"`
			} `json:"geometry"`
		} `json:"features"`
	}
	b.Reset()
	if err := WriteGraph(&b, top, "geojson", GraphOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b.Bytes(), &geo); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, f := range geo.Features {
		kinds[f.Geometry.Type]++
	}
	// 50 sites; of 224 cables, 74 run between sites (the rest are patch cords).
	if kinds["Point"] != 50 || kinds["LineString"] == 0 {
		t.Errorf("geojson has %v, want 50 points and the inter-site cables as lines", kinds)
	}
	if err := WriteGraph(&b, top, "svg", GraphOptions{}); err == nil {
		t.Error("WriteGraph(svg) succeeded; svg is rendered by Graphviz, not written directly")
	}
}

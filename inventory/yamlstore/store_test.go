package yamlstore

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/synth"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestInvalidGolden loads each broken inventory under testdata/invalid and
// compares every reported problem with its .golden file.
func TestInvalidGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Open(f).Load(context.Background())
			var ps inventory.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Load(%s) = %v, want inventory problems", f, err)
			}
			var b strings.Builder
			for _, p := range ps {
				b.WriteString(p.String())
				b.WriteByte('\n')
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if b.String() != string(want) {
				t.Errorf("problems of %s:\n%s\nwant:\n%s", f, b.String(), want)
			}
			for _, p := range ps {
				if p.Src.File != f || p.Src.Line == 0 {
					t.Errorf("problem %q has no file:line", p)
				}
			}
		})
	}
}

func TestLoadExample(t *testing.T) {
	snap, err := Open("../../examples/manche").Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sum := inventory.Summarize(snap)
	if sum.SitesByRole["core"] != 2 || sum.SitesByRole["aggregation"] < 8 || sum.SitesByRole["member"] < 35 {
		t.Errorf("example network shape: %+v", sum.SitesByRole)
	}
	if sum.MultiHomed == 0 || sum.SingleHomed == 0 {
		t.Errorf("example needs both dual- and single-homed members: %+v", sum)
	}
	if len(snap.Circuits) != 2 || len(snap.Services) == 0 || len(snap.PatchPanels) == 0 {
		t.Errorf("example lacks circuits, services or panels: %d %d %d", len(snap.Circuits), len(snap.Services), len(snap.PatchPanels))
	}
	for _, d := range snap.Devices {
		if d.Src.Line == 0 || !strings.HasSuffix(d.Src.File, "devices.yaml") {
			t.Fatalf("device %s has no position: %+v", d.Name, d.Src)
		}
	}
}

// TestExampleIsGenerated keeps examples/manche equal to the generator's
// output, so the example and synthetic networks never drift apart.
func TestExampleIsGenerated(t *testing.T) {
	want, err := synth.Generate(synth.Options{Sites: 50, Seed: 1, Profile: "manche", Speakers: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, part := range Sections(want) {
		data, err := Marshal(part)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("../../examples/manche", name)
		if *update {
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(data) {
			t.Errorf("examples/manche/%s differs from the generator; regenerate with: go test ./inventory/yamlstore -run TestExampleIsGenerated -update", name)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, o := range []synth.Options{{Sites: 40, Seed: 3}, {Sites: 25, Seed: 4, NoPanels: true}} {
		snap, err := synth.Generate(o)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		file := filepath.Join(dir, "one.yaml")
		if err := WriteFile(file, snap); err != nil {
			t.Fatal(err)
		}
		if err := WriteDir(filepath.Join(dir, "split"), snap); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{file, filepath.Join(dir, "split")} {
			got, err := Open(path).Load(context.Background())
			if err != nil {
				t.Fatalf("Load(%s): %v", path, err)
			}
			cs, err := inventory.Diff(snap, got)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 0 {
				t.Errorf("%+v: write then load %s changed %d objects, first %v", o, path, len(cs), cs[0])
			}
		}
	}
}

func TestApply(t *testing.T) {
	snap, err := synth.Generate(synth.Options{Sites: 12, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteDir(dir, snap); err != nil {
		t.Fatal(err)
	}
	store := Open(dir)
	ctx := context.Background()
	cur, err := store.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// A valid change lands and stays in the file its object came from.
	next := cur.Clone()
	next.Sites[2].Name = "Renamed POP"
	cs, err := inventory.Diff(cur, next)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Apply(ctx, cs); err != nil {
		t.Fatal(err)
	}
	got, err := store.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sites[2].Name != "Renamed POP" || !strings.HasSuffix(got.Sites[2].Src.File, "sites.yaml") {
		t.Errorf("after Apply: site %+v", got.Sites[2])
	}

	// A change that breaks the inventory is refused and nothing is written.
	before := readAll(t, dir)
	bad := got.Clone()
	bad.Devices[0].Site = "nowhere"
	cs, err = inventory.Diff(got, bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Apply(ctx, cs); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("Apply(invalid) = %v, want an error naming the unknown site", err)
	}
	if after := readAll(t, dir); after != before {
		t.Error("a refused change set modified the files")
	}
}

func readAll(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(e.Name())
		b.Write(data)
	}
	return b.String()
}

func TestMissingInventory(t *testing.T) {
	_, err := Open("testdata/does-not-exist").Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "does-not-exist") {
		t.Errorf("Load(missing) = %v, want an error naming the path", err)
	}
	empty := t.TempDir()
	if _, err := Open(empty).Load(context.Background()); err == nil || !strings.Contains(err.Error(), "no .yaml") {
		t.Errorf("Load(empty dir) = %v, want an error", err)
	}
}

package provisioning

import (
	"bytes"
	"context"
	"flag"
	"github.com/tuyau-net/tuyau/testlab/need"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

var update = flag.Bool("update", false, "rewrite golden files")

func loadManche(t testing.TB) *inventory.Index {
	t.Helper()
	s, err := yamlstore.Open("../examples/manche").Load(context.Background())
	if err != nil {
		t.Fatalf("load examples/manche: %v", err)
	}
	return inventory.NewIndex(s)
}

// goldenDevices cover each role: a route reflector with transit, an
// aggregation router with members, and a member.
var goldenDevices = []string{"saint-lo-dc-r1", "cherbourg-en-cotentin-dc-r1", "valognes-pop-r1", "barfleur-mairie-r1"}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
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
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n%s", path, UnifiedDiff("golden", "got", string(want), string(got)))
	}
}

func TestRenderGolden(t *testing.T) {
	x := loadManche(t)
	reg := Builtin()
	for _, platform := range reg.Names() {
		for _, dev := range goldenDevices {
			t.Run(platform+"/"+dev, func(t *testing.T) {
				r, err := RenderDevice(x, reg, dev, platform, Options{})
				if err != nil {
					t.Fatalf("RenderDevice(%s, %s): %v", dev, platform, err)
				}
				checkGolden(t, filepath.Join("testdata", "render", platform, dev+".conf"), r.Config)
			})
		}
	}
}

func TestRenderErrors(t *testing.T) {
	x := loadManche(t)
	reg := Builtin()
	if _, err := RenderDevice(x, reg, "no-such-router", "", Options{}); err == nil {
		t.Error("RenderDevice(no-such-router) succeeded, want an unknown device error")
	}
	if _, err := RenderDevice(x, reg, "saint-lo-dc-r1", "vyos", Options{}); err == nil {
		t.Error("RenderDevice(platform vyos) succeeded, want an unknown platform error")
	}
}

// TestFRRDryRun feeds every rendered FRR config of the example network to
// the real vtysh in dry-run mode, which rejects any command FRR 8 lacks.
func TestFRRDryRun(t *testing.T) {
	vtysh := need.Tool(t, "vtysh", "apt-get install frr")
	x := loadManche(t)
	rs, err := Render(x, Builtin(), nil, "frr", Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, r := range rs {
		f := filepath.Join(dir, r.Device+".conf")
		if err := os.WriteFile(f, r.Config, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(vtysh, "--dryrun", "--inputfile", f).CombinedOutput()
		if err != nil {
			t.Errorf("vtysh --dryrun %s: %v\n%s", r.Device, err, out)
		}
	}
}

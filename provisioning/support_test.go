package provisioning

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tuyau-net/tuyau/inventory"
)

// TestSupportMatchesCode checks the table `tuyau config platforms` prints
// against what the code does: every built-in platform has a row and
// renders; SSH is picked, forced or refused exactly as ApplySSH says; a
// platform applied over gNMI gets gNMI by default; and every test a row
// cites as evidence exists in the repository.
func TestSupportMatchesCode(t *testing.T) {
	reg := Builtin()
	var rows []string
	for _, s := range Supported() {
		rows = append(rows, s.Platform)
	}
	if got, want := slices.Sorted(slices.Values(rows)), reg.Names(); !slices.Equal(got, want) {
		t.Fatalf("support rows %v, registry %v", got, want)
	}
	tests := existingTests(t)
	x := loadManche(t)
	for _, s := range Supported() {
		t.Run(s.Platform, func(t *testing.T) {
			if s.Render.Works {
				if _, err := RenderDevice(x, reg, goldenDevices[0], s.Platform, Options{}); err != nil {
					t.Errorf("render marked working: %v", err)
				}
			}
			dev := inventory.Device{Name: "r1", Platform: s.Platform, Transports: []string{"ssh"}}
			_, forced := pickTransport(dev, "ssh")
			_, byDefault := pickTransport(dev, "")
			for _, err := range []error{forced, byDefault} {
				if s.ApplySSH.Works && err != nil {
					t.Errorf("SSH marked working, refused: %v", err)
				}
				if !s.ApplySSH.Works && (!errors.Is(err, ErrSSHUnsupported) || !strings.Contains(err.Error(), "r1")) {
					t.Errorf("SSH marked not working: got %v, want ErrSSHUnsupported naming the device", err)
				}
			}
			if !s.ApplySSH.Works && s.ApplyGNMI.Works && !strings.Contains(forced.Error(), "gNMI") {
				t.Errorf("refusal %q does not name gNMI", forced)
			}
			dev.Transports = []string{"ssh", "gnmi"}
			tr, err := pickTransport(dev, "")
			want := "gnmi"
			if s.ApplySSH.Works {
				want = "ssh"
			}
			if err != nil || tr != want {
				t.Errorf("default transport with ssh and gnmi: %q, %v; want %s", tr, err, want)
			}
			for name, c := range map[string]Capability{"render": s.Render, "plan": s.Plan, "apply_ssh": s.ApplySSH,
				"apply_gnmi": s.ApplyGNMI, "device_confirm": s.DeviceConfirm, "rollback": s.Rollback} {
				if c.How == "" {
					t.Errorf("%s: no word on how it was tested", name)
				}
				if c.Tested && !c.Works {
					t.Errorf("%s: tested but not working", name)
				}
				for _, tn := range regexp.MustCompile(`\bTest[A-Z]\w+`).FindAllString(c.How, -1) {
					if !tests[tn] {
						t.Errorf("%s cites %s, which no _test.go file defines", name, tn)
					}
				}
			}
		})
	}
}

// existingTests returns the names of every Test function in the module.
func existingTests(t *testing.T) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`(?m)^func (Test\w+)\(`)
	names := map[string]bool{}
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			names[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

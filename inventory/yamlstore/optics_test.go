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

// TestUserOpticsFile: an optics.yaml beside the rest of a directory
// inventory adds types the interfaces may use, and every bad figure is
// reported at its file:line.
func TestUserOpticsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("net.yaml", `sites:
  - {slug: a, role: core, latitude: 49, longitude: -1}
devices:
  - name: r1
    site: a
    role: core
    platform: frr
    interfaces:
      - {name: eth1, transceiver: 10G-BX40-D-ACME}
`)
	write("optics.yaml", `optics:
  - type: 10G-BX40-D-ACME
    wavelength_nm: 1330
    fiber: smf
    tx_min_dbm: -1
    tx_max_dbm: 3
    rx_sensitivity_dbm: -15
    rx_overload_dbm: -1
    reach_km: 40
    source: ACME 10G-BX40-D data sheet rev 3
`)
	snap, err := Open(dir).Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(snap.Optics) != 1 || snap.Optics[0].RxSensDBm != -15 || snap.Optics[0].Src.Line != 2 {
		t.Fatalf("optics %+v, want the one of optics.yaml:2", snap.Optics)
	}
	write("optics.yaml", `optics:
  - type: 10G-BX40-D-ACME
    wavelength_nm: 13300
    fiber: copper
    tx_min_dbm: 3
    tx_max_dbm: -1
    rx_sensitivity_dbm: -1
    rx_overload_dbm: -15
    reach_km: 0
  - type: 10GBASE-LR
    wavelength_nm: 1310
    fiber: smf
    tx_min_dbm: -8
    tx_max_dbm: 0
    rx_sensitivity_dbm: -14
    rx_overload_dbm: 0
    reach_km: 10
    source: mine
`)
	_, err = Open(dir).Load(context.Background())
	var ps inventory.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Load = %v, want problems", err)
	}
	f := filepath.Join(dir, "optics.yaml")
	for _, want := range []string{
		f + ":2:5: optic 10G-BX40-D-ACME: wavelength_nm 13300 is outside 700..1700",
		f + ":2:5: optic 10G-BX40-D-ACME: fiber \"copper\" is not smf or mmf",
		f + ":2:5: optic 10G-BX40-D-ACME: tx_min_dbm 3 is above tx_max_dbm -1",
		f + ":2:5: optic 10G-BX40-D-ACME: rx_sensitivity_dbm -1 is not below rx_overload_dbm -15",
		f + ":2:5: optic 10G-BX40-D-ACME: reach_km 0 must be positive",
		f + ":2:5: optic 10G-BX40-D-ACME: has no source",
		f + ":10:5: optic 10GBASE-LR: is a built-in type",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
}

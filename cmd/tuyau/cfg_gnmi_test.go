package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

// TestConfigGNMIOnLab drives the example network's virtual lab through
// --lab over gNMI (TLS with the lab CA, the lab's credentials): a changed
// description is planned as one replace, applied with --confirm (post-checks
// read over gNMI), and the next plan is empty.
func TestConfigGNMIOnLab(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	root := t.TempDir()
	snap, err := yamlstore.Open(example).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	startForegroundLab(t, ctx, cancel, root, "gnmitest", snap, 10*time.Second)
	// The inventory as the operator changed it: one description.
	inv := filepath.Join(t.TempDir(), "inventory.yaml")
	for i, ifc := range snap.Devices[12].Interfaces {
		if ifc.Name == "eth1" {
			snap.Devices[12].Interfaces[i].Description += " (new fiber)"
		}
	}
	if err := yamlstore.WriteFile(inv, snap); err != nil {
		t.Fatal(err)
	}
	dev := snap.Devices[12].Name
	args := func(a ...string) []string {
		return append(a, "-i", inv, "--lab", "gnmitest", "--lab-dir", root, "--transport", "gnmi", "--records", filepath.Join(root, "records"))
	}
	r := runCLI(t, nil, args("config", "plan", dev, "--detailed-exitcode")...)
	if r.code != exitChanges || !strings.Contains(r.stdout, `replace /interfaces/interface[name=eth1]/config/description "`) {
		t.Fatalf("plan over gNMI: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, args("config", "apply", dev, "--confirm", "30s")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "1 applied") {
		t.Fatalf("apply over gNMI: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, args("config", "plan", dev, "--detailed-exitcode")...)
	if r.code != exitOK {
		t.Errorf("plan after apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(root, "records", "audit.jsonl")); err != nil {
		t.Errorf("no audit log: %v", err)
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/testlab"
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

// TestConfigGNMIPlanBaseBootstrap: on a lab started with --bootstrap base
// the devices have no BGP, so their gNMI target has no /network-instances
// and answers NotFound for it. The plan must read that as "nothing there"
// and plan the sessions, not stop.
func TestConfigGNMIPlanBaseBootstrap(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	root := t.TempDir()
	snap, err := yamlstore.Open(example).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	startForegroundLabBootstrap(t, ctx, cancel, root, "gnmibase", snap, 10*time.Second, testlab.BootstrapBase)
	dev := snap.Devices[12]
	r := runCLI(t, nil, "config", "plan", dev.Name, "-i", example, "--lab", "gnmibase", "--lab-dir", root,
		"--transport", "gnmi", "--records", filepath.Join(root, "records"), "--detailed-exitcode")
	if r.code != exitChanges {
		t.Fatalf("plan over gNMI of a device without BGP: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range dev.BGPSessions {
		want := "/neighbor[neighbor-address=" + s.PeerAddress.String() + "]/config/peer-as"
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks the session to %s (%s):\n%s", s.PeerAddress, want, r.stdout)
		}
	}
}

package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/inventory/yamlstore"
	"github.com/tuyau-net/tuyau/testlab"
)

// startForegroundLab runs "lab up --foreground" of snap in root under name
// (user noc, password lab-pw) until the test ends, and returns once the lab
// says it is running. The lab stops when the test's cleanup cancels ctx.
func startForegroundLab(t *testing.T, ctx context.Context, cancel context.CancelFunc, root, name string, snap *inventory.Snapshot, wait time.Duration) {
	t.Helper()
	startForegroundLabBootstrap(t, ctx, cancel, root, name, snap, wait, testlab.BootstrapFull)
}

// startForegroundLabBootstrap is startForegroundLab with the devices'
// initial config chosen (BootstrapBase: interfaces only, no BGP).
func startForegroundLabBootstrap(t *testing.T, ctx context.Context, cancel context.CancelFunc, root, name string, snap *inventory.Snapshot, wait time.Duration, bootstrap testlab.Bootstrap) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := testlab.Up(ctx, testlab.UpOptions{Root: root, Name: name, Snapshot: snap, Bootstrap: bootstrap,
			User: "noc", Password: "lab-pw", Foreground: true})
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("lab: %v", err)
		}
	})
	deadline := time.Now().Add(wait)
	for {
		st, err := testlab.StatusOf(ctx, root, name)
		if err == nil && st.Running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lab did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// collectorLab is a running lab and the files a "telemetry collect" on it
// reads: the tests of collectors over Redis all start from this.
type collectorLab struct {
	inv, cfg, name, root string
}

// startCollectorLab starts snap's lab under name (see startForegroundLab)
// and writes the fastAlarms config. inv is the inventory file of snap; ""
// writes snap to one.
func startCollectorLab(t *testing.T, ctx context.Context, cancel context.CancelFunc, inv string, snap *inventory.Snapshot, name string, wait time.Duration) collectorLab {
	t.Helper()
	if inv == "" {
		inv = filepath.Join(t.TempDir(), "inventory.yaml")
		if err := yamlstore.WriteFile(inv, snap); err != nil {
			t.Fatal(err)
		}
	}
	l := collectorLab{inv: inv, cfg: filepath.Join(t.TempDir(), "tuyau.yaml"), name: name, root: t.TempDir()}
	startForegroundLab(t, ctx, cancel, l.root, name, snap, wait)
	if err := os.WriteFile(l.cfg, []byte(fastAlarms), 0o600); err != nil {
		t.Fatal(err)
	}
	return l
}

// collectArgs are the flags of a "telemetry collect" on l writing to the
// Redis at url with the given lease, fast intervals, then extra.
func (l collectorLab) collectArgs(url string, lease time.Duration, extra ...string) []string {
	return append([]string{"-i", l.inv, "--config", l.cfg, "--lab", l.name, "--lab-dir", l.root, "--redis", url,
		"--interval", "counters=1s,optics=1s", "--flush", "200ms", "--lease", lease.String()}, extra...)
}

package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
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

package netns

import (
	"context"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/synth"
)

// TestTwoLabs starts two labs of the same network at once, one named with
// a prefix of the other's name: names, host interfaces and management
// prefixes must not collide, both must answer, and sweeping one by name
// must leave the other running.
func TestTwoLabs(t *testing.T) {
	requireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	snap, err := synth.Generate(synth.Options{Sites: 4, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	labs := make([]*Lab, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, name := range []string{"ttwo", "ttwo-b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			labs[i], errs[i] = Up(ctx, snap, Options{Name: name, StateDir: dir, Password: "x"})
		}()
	}
	wg.Wait()
	swept := false
	for i, l := range labs {
		if l != nil {
			defer func() {
				if i == 0 && swept {
					return
				}
				if err := l.Down(context.Background()); err != nil {
					t.Errorf("down: %v", err)
				}
			}()
		}
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	a, b := labs[0].State(), labs[1].State()
	if a.MgmtPrefix.Overlaps(b.MgmtPrefix) || a.Bridge == b.Bridge || a.Wire == b.Wire {
		t.Errorf("labs collide: %s %s %s and %s %s %s", a.MgmtPrefix, a.Bridge, a.Wire, b.MgmtPrefix, b.Bridge, b.Wire)
	}
	for _, l := range labs {
		for dev, addr := range l.Targets() {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Errorf("lab %s: %s's sshd at %s: %v", l.State().Name, dev, addr, err)
				continue
			}
			c.Close()
		}
	}

	// A management prefix given by hand that another lab uses is refused,
	// and the refused lab leaves nothing behind.
	_, err = Up(ctx, snap, Options{Name: "ttwo-c", StateDir: dir, Password: "x", MgmtPrefix: b.MgmtPrefix})
	if err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Errorf("Up on lab ttwo-b's management prefix = %v, want an overlap error", err)
	}
	if _, err := os.Stat(StatePath(dir, "ttwo-c")); err == nil {
		t.Error("the refused lab left its state file")
	}
	gone := labs[0].State()
	if err := Sweep(ctx, dir, "ttwo"); err != nil {
		t.Fatal(err)
	}
	swept = true
	assertGone(t, gone, labs[0].StatePath())
	for dev, addr := range labs[1].Targets() {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Errorf("after sweeping ttwo, lab ttwo-b's %s at %s: %v", dev, addr, err)
			continue
		}
		c.Close()
	}
}

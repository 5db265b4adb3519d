package testlab

import (
	"context"
	"testing"
	"time"
)

// TestKillRestore kills a device and boots it again: its sessions must go
// down at the peers and come back once it is restored.
func TestKillRestore(t *testing.T) {
	snap := smallNet(t, 8)
	l := startTestLab(t, snap, BootstrapFull)
	ctx := context.Background()
	waitFor(t, 30*time.Second, "converged", func() (bool, string) { return l.allEstablished(ctx) })
	victim := "mbr-00002-r1"
	if _, err := l.Kill(ctx, victim); err != nil {
		t.Fatal(err)
	}
	pop, _ := l.Device("pop-0001-r1")
	_, _, ns := pop.Neighbors(ctx, "ipv4 unicast")
	for _, n := range ns {
		if n.Description == victim && n.State == "Established" {
			t.Errorf("after kill, %s still sees %s Established", pop.Name(), victim)
		}
	}
	if _, err := l.Restore(ctx, Target{Device: victim}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "converged after restore", func() (bool, string) { return l.allEstablished(ctx) })
}

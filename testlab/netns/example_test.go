package netns

import (
	"context"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory/yamlstore"
)

// TestExampleNetwork runs the whole example network (50 routers) with the
// full BGP config and logs what it costs: time to up, time to every lab
// session Established, memory.
func TestExampleNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("50 FRR routers: skipped with -short")
	}
	requireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	snap, err := yamlstore.Open("../../examples/manche").Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	lab, err := Up(ctx, snap, Options{Name: "tmanche", StateDir: t.TempDir(), Config: ConfigBGP, Password: "x", Parallel: 8, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	up := time.Since(start)
	defer func() {
		start := time.Now()
		if err := lab.Down(context.Background()); err != nil {
			t.Errorf("down: %v", err)
		}
		t.Logf("down in %v", time.Since(start).Round(time.Millisecond))
	}()
	sessions := labSessions(snap)
	n := 0
	for _, p := range sessions {
		n += len(p)
	}
	conv := waitSessions(ctx, t, lab, sessions, 150*time.Second, established)
	st, err := lab.Status(ctx, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kib, procs := 0, 0
	for _, d := range st.Devices {
		kib += d.MemoryKiB
		procs += len(d.Processes)
		if !d.Running() {
			t.Errorf("device %s: processes %v", d.Name, d.Processes)
		}
	}
	t.Logf("example network: %d routers, %d links: up in %v, %d lab BGP sessions Established %v later; %d daemons running, %.0f MiB PSS",
		len(st.Devices), len(st.Links), up.Round(time.Millisecond), n, conv.Round(time.Millisecond), procs, float64(kib)/1024)
}

package testlab

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as the lab process: Up starts this test binary with
// TUYAU_TESTLAB_SERVE set, as "tuyau lab up" starts "tuyau lab serve".
func TestMain(m *testing.M) {
	if dir := os.Getenv("TUYAU_TESTLAB_SERVE"); dir != "" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		log := slog.New(slog.NewTextHandler(os.Stderr, nil))
		if err := Serve(ctx, dir, log); err != nil {
			log.Error("serve", "err", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestUpDownLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts lab processes")
	}
	ctx := context.Background()
	root := t.TempDir()
	snap := smallNet(t, 8)
	name := "life"
	t.Setenv("TUYAU_TESTLAB_SERVE", filepath.Join(root, name))
	up := UpOptions{Root: root, Name: name, Snapshot: snap, Command: []string{os.Args[0], "-test.run=^$", filepath.Join(root, name)}}
	st, err := Up(ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Down(context.Background(), root, name, true) })
	if !processAlive(st.PID) {
		t.Fatalf("lab process %d not running after Up", st.PID)
	}
	if _, err := Up(ctx, up); err == nil {
		t.Fatal("second Up of a running lab: want an error")
	}
	known1, err := os.ReadFile(st.KnownHosts())
	if err != nil {
		t.Fatal(err)
	}

	// A fault through the control socket shows in the status.
	cable := st.Plan.Links[0].Cables[len(st.Plan.Links[0].Cables)/2]
	res, err := Control(ctx, root, name, Request{Op: "cut", Cable: cable})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Down) == 0 {
		t.Errorf("cut %s: no link down in %+v", cable, res)
	}
	ls, err := StatusOf(ctx, root, name)
	if err != nil {
		t.Fatal(err)
	}
	if !ls.Running || len(ls.Faults.Cut) != 1 || ls.Faults.Cut[0] != cable {
		t.Errorf("status after cut: running %v faults %+v, want running with cut %s", ls.Running, ls.Faults, cable)
	}

	// The lab process crashes: status says so, down still cleans up.
	if err := syscall.Kill(st.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExit(st.PID, 5*time.Second)
	ls, err = StatusOf(ctx, root, name)
	if err != nil {
		t.Fatal(err)
	}
	if ls.Running {
		t.Error("status after the lab process was killed: still running")
	}
	rep, err := Down(ctx, root, name, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{stateFile, socketFile, inventoryFile, logFile} {
		if _, err := os.Stat(filepath.Join(root, name, f)); err == nil {
			t.Errorf("%s left after down (removed %v)", f, rep.Removed)
		}
	}
	if _, err := Down(ctx, root, name, false); err == nil {
		t.Error("second down: want an error")
	}

	// Up again: same slot, same host keys.
	st2, err := Up(ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Plan.Block != st.Plan.Block || st2.Plan.Ports != st.Plan.Ports {
		t.Errorf("second up got %s %+v, want the same slot %s %+v", st2.Plan.Block, st2.Plan.Ports, st.Plan.Block, st.Plan.Ports)
	}
	known2, _ := os.ReadFile(st2.KnownHosts())
	if string(known1) != string(known2) {
		t.Error("host keys changed between two ups of the same lab")
	}
	if _, err := Down(ctx, root, name, false); err != nil {
		t.Fatal(err)
	}
	if processAlive(st2.PID) {
		t.Errorf("lab process %d still alive after down", st2.PID)
	}
}

func TestAllocateDistinctSlots(t *testing.T) {
	root := t.TempDir()
	seen := map[int]string{}
	for _, name := range []string{"a", "b", "c"} {
		s, err := allocate(root, name)
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[s]; dup {
			t.Fatalf("labs %s and %s share slot %d", other, name, s)
		}
		seen[s] = name
	}
	again, _ := allocate(root, "b")
	for s, n := range seen {
		if n == "b" && s != again {
			t.Errorf("allocate(b) again = %d, want its slot %d", again, s)
		}
	}
	if err := release(root, "b"); err != nil {
		t.Fatal(err)
	}
}

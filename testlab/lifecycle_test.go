package testlab

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/inventory"
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
	// The brief status (what --lab commands ask) has the same devices and
	// faults, without asking the devices' BGP.
	brief, err := BriefStatusOf(ctx, root, name)
	if err != nil {
		t.Fatal(err)
	}
	if !brief.Brief || ls.Brief || !brief.Running || len(brief.Devices) != len(ls.Devices) || !slices.Equal(brief.Faults.Cut, ls.Faults.Cut) {
		t.Errorf("brief status: brief %v (full %v), running %v, %d devices (full %d), cut %v; want the full status's devices and faults",
			brief.Brief, ls.Brief, brief.Running, len(brief.Devices), len(ls.Devices), brief.Faults.Cut)
	}
	configured := 0
	for i, dv := range brief.Devices {
		configured += ls.Devices[i].BGPConf
		if dv.BGPConf != 0 || dv.BGPUp != 0 || dv.Addr != ls.Devices[i].Addr {
			t.Errorf("brief status of %s: bgp %d/%d at %s, want none asked, at %s", dv.Name, dv.BGPUp, dv.BGPConf, dv.Addr, ls.Devices[i].Addr)
		}
	}
	if configured == 0 {
		t.Error("full status: no BGP neighbor configured on any device (the brief check above shows nothing)")
	}

	// The lab process crashes: status says so, down still cleans up.
	if err := syscall.Kill(st.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// A loaded machine (the CI runs packages side by side) can take more
	// than 5 s to tear a killed process down; a status asked meanwhile
	// meets its dying control socket.
	if !waitExit(st.PID, 30*time.Second) {
		t.Fatalf("lab process %d still there 30 s after SIGKILL", st.PID)
	}
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
	ctx := context.Background()
	root := t.TempDir()
	seen := map[int]string{}
	for _, name := range []string{"a", "b", "c"} {
		s, err := allocate(ctx, root, name, 0)
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[s]; dup {
			t.Fatalf("labs %s and %s share slot %d", other, name, s)
		}
		seen[s] = name
	}
	again, _ := allocate(ctx, root, "b", 0)
	for s, n := range seen {
		if n == "b" && s != again {
			t.Errorf("allocate(b) again = %d, want its slot %d", again, s)
		}
	}
	if err := release(root, "b", false); err != nil {
		t.Fatal(err)
	}
}

// TestReleaseKeepsSlot: a lab that is down keeps its slot (its addresses
// and so its known_hosts) for its next up, even when another lab's search
// starts right there; purge forgets it.
func TestReleaseKeepsSlot(t *testing.T) {
	tests := []struct {
		name string
		keep bool
	}{
		{"down keeps the slot", true},
		{"purge forgets it", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			root := t.TempDir()
			slot := upDown(t, root, "a", tc.keep)
			if up, kept := registered(root, "a"); up || kept != tc.keep {
				t.Fatalf("after release(a, keep %v): up %v kept %v, want up false kept %v", tc.keep, up, kept, tc.keep)
			}
			if !tc.keep {
				return
			}
			// A lab whose search starts at a's slot must skip it.
			other := ""
			for i := 0; i < 5000 && other == ""; i++ {
				if n := "b" + strconv.Itoa(i); firstSlot(root, n) == slot {
					other = n
				}
			}
			if other == "" {
				t.Fatalf("no lab name among 5000 starts its search at slot %d", slot)
			}
			got, err := allocate(ctx, root, other, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got == slot {
				t.Errorf("allocate(%s) = %d, the slot lab a keeps", other, got)
			}
			again, err := allocate(ctx, root, "a", 0)
			if err != nil {
				t.Fatal(err)
			}
			if again != slot {
				t.Errorf("allocate(a) after down = %d, want its slot %d", again, slot)
			}
		})
	}
}

// upDown allocates a slot for the lab and releases it, as up then down
// (keep) or down --purge do, and returns the slot.
func upDown(t *testing.T, root, name string, keep bool) int {
	t.Helper()
	slot, err := allocate(context.Background(), root, name, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := release(root, name, keep); err != nil {
		t.Fatal(err)
	}
	return slot
}

// TestAllocateWaitsForOwnSlot: up waits for its own slot's ports (a lab
// process still exiting) rather than move the lab, and names the slot when
// they stay busy.
func TestAllocateWaitsForOwnSlot(t *testing.T) {
	tests := []struct {
		name    string
		wait    time.Duration
		release bool // the listener on the slot's port closes while allocate waits
		wantErr error
	}{
		{"listener closes while up waits", time.Minute, true, nil},
		{"listener stays", 300 * time.Millisecond, false, ErrSlotBusy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			root := t.TempDir()
			slot := upDown(t, root, "a", true)
			busy, err := net.Listen("tcp", hostPort(slotBlock(slot).Addr().Next(), slotPorts(slot).SSH))
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			if tc.release {
				go func() {
					time.Sleep(200 * time.Millisecond)
					busy.Close()
				}()
			}
			got, err := allocate(ctx, root, "a", tc.wait)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("allocate(a) with %s busy = %d, %v; want error %v", busy.Addr(), got, err, tc.wantErr)
			}
			if err == nil && got != slot {
				t.Errorf("allocate(a) = %d, want its slot %d", got, slot)
			}
			if up, kept := registered(root, "a"); err != nil && (up || !kept) {
				t.Errorf("after a failed allocate: up %v kept %v, want the slot still kept", up, kept)
			}
		})
	}
}

// TestProcessAliveWhileThreadsExit: a process whose leader thread is a
// zombie while other threads still run (and hold its listeners) is alive;
// it is dead once the whole thread group has exited.
func TestProcessAliveWhileThreadsExit(t *testing.T) {
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), leaderExitEnv+"="+addrFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	waitFor(t, 10*time.Second, "leader thread a zombie", func() (bool, string) {
		st := procState(pid)
		return st == "Z", "state " + st
	})
	addr, err := os.ReadFile(addrFile)
	if err != nil {
		t.Fatal(err)
	}
	if ln, err := net.Listen("tcp", string(addr)); err == nil {
		ln.Close()
		t.Fatalf("listener %s of process %d closed with its leader thread: want it held by the other threads", addr, pid)
	}
	if !processAlive(pid) {
		t.Errorf("processAlive(%d) = false while its threads still hold listener %s", pid, addr)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Not reaped yet: the whole group is a single zombie now.
	if !waitExit(pid, 10*time.Second) {
		t.Fatalf("processAlive(%d) still true 10 s after SIGKILL (state %s)", pid, procState(pid))
	}
	ln, err := net.Listen("tcp", string(addr))
	if err != nil {
		t.Fatalf("processAlive(%d) = false but its listener is still open: %v", pid, err)
	}
	ln.Close()
}

// leaderExitEnv makes the test binary a process whose leader thread exits
// while its other threads go on holding a listener: what a dying Go lab
// process looks like for a moment.
const leaderExitEnv = "TUYAU_TESTLAB_LEADER_EXIT"

// init, not TestMain: package initialization runs on the leader thread.
func init() {
	addrFile := os.Getenv(leaderExitEnv)
	if addrFile == "" {
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(1)
	}
	if err := os.WriteFile(addrFile, []byte(ln.Addr().String()), 0o600); err != nil {
		os.Exit(1)
	}
	// exit, not exit_group: only this thread ends, the runtime's others
	// (sysmon at least) keep the process and its files.
	syscall.RawSyscall(syscall.SYS_EXIT, 0, 0, 0)
	runtime.KeepAlive(ln)
}

// TestServeMemoryLimit: small labs keep the 700 MiB floor; telemetry load
// labs (48 ports a device) get room for their interfaces.
func TestServeMemoryLimit(t *testing.T) {
	snapOf := func(devices, ports int) *inventory.Snapshot {
		s := &inventory.Snapshot{}
		for i := 0; i < devices; i++ {
			s.Devices = append(s.Devices, inventory.Device{Interfaces: make([]inventory.Interface, ports)})
		}
		return s
	}
	cases := []struct {
		name           string
		devices, ports int
		want           int64
	}{
		{"empty", 0, 0, 700 << 20},
		{"examples/manche size", 50, 6, 700 << 20},
		{"500 devices, generator default", 500, 4, 700 << 20},
		{"200 x 48", 200, 48, 200*(1<<20) + 9600*(96<<10)},
		{"500 x 48", 500, 48, 500*(1<<20) + 24000*(96<<10)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := serveMemoryLimit(snapOf(c.devices, c.ports)); got != c.want {
				t.Errorf("limit = %d MiB, want %d MiB", got>>20, c.want>>20)
			}
		})
	}
}

// TestStatusOfUnanswered: a lab whose control socket takes the status
// request but does not answer in time is an error that says it runs,
// never "not running" (the telemetry bench took a busy 200-device lab for
// dead that way); a lab with no control socket, or whose process is
// gone, is "not running".
func TestStatusOfUnanswered(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "busy")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// This test's own process stands for the lab process.
	st := &State{Name: "busy", Dir: dir, PID: os.Getpid(), Phase: PhaseReady}
	if err := st.write(); err != nil {
		t.Fatal(err)
	}
	status := func() (LabStatus, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return StatusOf(ctx, root, "busy")
	}
	notRunning := func(what string) {
		t.Helper()
		out, err := status()
		if err != nil || out.Running || !strings.Contains(out.Note, "is not running") {
			t.Fatalf("StatusOf(%s) = running %v, note %q, %v; want not running", what, out.Running, out.Note, err)
		}
	}
	notRunning("no control socket")

	ln, err := net.Listen("unix", st.Socket())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	out, err := status()
	if err == nil || out.Running {
		t.Fatalf("StatusOf(alive, unanswered) = running %v, %v; want an error", out.Running, err)
	}
	if want := "pid " + strconv.Itoa(os.Getpid()) + "): running"; !strings.Contains(err.Error(), want) {
		t.Errorf("StatusOf error %q, want it to say %q", err, want)
	}

	gone := exec.Command(os.Args[0], "-test.run=^$")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	st.PID = gone.Process.Pid
	if err := st.write(); err != nil {
		t.Fatal(err)
	}
	notRunning("a process that is gone")
}
